// Reading the main chain while it reorgs under the reader (src/http/main-chain-reader.ts): the blocks
// read always form one linked chain.
import { expect } from 'chai'
import type { IndexEntry } from '../src/chain/chain.js'
import type { Block } from '../src/core/types.js'
import { ChainChangedError, chainJsonChunks, READ_BATCH, readMainChain, type MainChainSource } from '../src/http/main-chain-reader.js'

function fakeBlock (index: number, parent: string, branch: string): Block {
  return { index, transactions: [], timestamp: index, previous_hash: parent, nonce: 0, hash: `${branch}-${index}`, version: 1, bits: 0, tx_root: '' }
}

/** A chain index with two branches sharing blocks [0, fork]; `main` is switchable between them. */
class FakeChain implements MainChainSource {
  readonly blocks = new Map<string, Block>()
  main: string[] = []
  /** Called after every mainChain read, to move the chain under the reader. */
  afterRead: (call: number) => void = () => undefined
  private reads = 0

  branch (name: string, from: Block | undefined, count: number): string[] {
    const hashes: string[] = []
    let parent = from
    for (let i = 0; i < count; i++) {
      const b = fakeBlock(parent === undefined ? 0 : parent.index + 1, parent?.hash ?? '0', name)
      this.blocks.set(b.hash, b)
      hashes.push(b.hash)
      parent = b
    }
    return hashes
  }

  get head (): { hash: string, index: number, work: bigint } {
    const hash = this.main[this.main.length - 1]
    return { hash, index: this.main.length - 1, work: 0n }
  }

  header (hash: string): IndexEntry | undefined {
    const b = this.blocks.get(hash)
    return b === undefined ? undefined : { hash, previous_hash: b.previous_hash, index: b.index, timestamp: b.timestamp, work: 0n }
  }

  async getBlock (hash: string): Promise<Block | undefined> { return this.blocks.get(hash) }

  async mainChain (from = 0, limit = this.main.length): Promise<Block[]> {
    const hashes = this.main.slice(from, from + limit) // sliced synchronously, like Chain
    const n = ++this.reads
    await Promise.resolve()
    const out = hashes.map(h => this.blocks.get(h)!)
    this.afterRead(n)
    return out
  }
}

async function collect (gen: AsyncIterable<Block>): Promise<Block[]> {
  const out: Block[] = []
  for await (const b of gen) out.push(b)
  return out
}

function expectLinked (blocks: Block[], from: number): void {
  blocks.forEach((b, i) => {
    expect(b.index).to.equal(from + i)
    if (i > 0) expect(b.previous_hash).to.equal(blocks[i - 1].hash)
  })
}

describe('http main-chain reader', () => {
  const LENGTH = READ_BATCH * 3 + 5

  it('reads heights [from, from + limit) in order', async () => {
    const chain = new FakeChain()
    chain.main = chain.branch('a', undefined, LENGTH)
    const read = readMainChain(chain, 3, READ_BATCH + 2)
    expect(read).to.include({ length: LENGTH, from: 3, end: READ_BATCH + 5 })
    const blocks = await collect(read.blocks)
    expect(blocks).to.have.length(READ_BATCH + 2)
    expectLinked(blocks, 3)
  })

  it('keeps to the branch it started on when a reorg replaces blocks it has not read yet', async () => {
    const chain = new FakeChain()
    const a = chain.branch('a', undefined, LENGTH)
    chain.main = a
    const fork = chain.blocks.get(a[10])!
    const b = chain.branch('b', fork, LENGTH) // heavier branch from height 11
    chain.afterRead = n => { if (n === 1) chain.main = [...a.slice(0, 11), ...b] }
    const read = readMainChain(chain)
    const blocks = await collect(read.blocks)
    expect(blocks).to.have.length(LENGTH)
    expectLinked(blocks, 0)
    expect(blocks[LENGTH - 1].hash).to.equal(a[LENGTH - 1])
  })

  it('follows a reorg above what it has read, still one linked chain', async () => {
    const chain = new FakeChain()
    const a = chain.branch('a', undefined, LENGTH)
    chain.main = a
    const fork = chain.blocks.get(a[READ_BATCH * 2])! // above the first batch
    const b = chain.branch('b', fork, LENGTH - READ_BATCH * 2 - 1)
    chain.afterRead = n => { if (n === 1) chain.main = [...a.slice(0, READ_BATCH * 2 + 1), ...b] }
    expectLinked(await collect(readMainChain(chain).blocks), 0)
  })

  it('ChainChangedError: a second reorg after the reader followed the first', async () => {
    const chain = new FakeChain()
    const a = chain.branch('a', undefined, LENGTH)
    chain.main = a
    // First reorg forks inside the second batch, so the reader follows it onto b; the second one
    // forks below everything read, onto c: neither c nor the recorded head's branch a holds b.
    const forkB = READ_BATCH + 8
    const b = chain.branch('b', chain.blocks.get(a[forkB])!, LENGTH)
    const c = chain.branch('c', chain.blocks.get(a[5])!, LENGTH)
    chain.afterRead = n => {
      if (n === 1) chain.main = [...a.slice(0, forkB + 1), ...b]
      if (n === 2) chain.main = [...a.slice(0, 6), ...c]
    }
    let err: unknown
    try { await collect(readMainChain(chain).blocks) } catch (e) { err = e }
    expect(err).to.be.instanceOf(ChainChangedError)
  })

  it('builds JSON around the streamed blocks', async () => {
    const chain = new FakeChain()
    chain.main = chain.branch('a', undefined, 3)
    const bytes = (chunk: Uint8Array | Uint8Array[]): string => Buffer.concat(Array.isArray(chunk) ? chunk : [chunk]).toString()
    // Block by block and batch by batch give the same text.
    for (const way of ['blocks', 'batches'] as const) {
      const read = readMainChain(chain)
      let text = ''
      for await (const chunk of chainJsonChunks({ length: read.length }, 'chain', read[way], () => ({ peers: ['x'] }))) text += bytes(chunk)
      const parsed = JSON.parse(text)
      expect(parsed.length).to.equal(3)
      expect(parsed.peers).to.deep.equal(['x'])
      expect(parsed.chain.map((b: Block) => b.hash)).to.deep.equal(chain.main)
      let empty = ''
      for await (const chunk of chainJsonChunks({}, 'chain', readMainChain(chain, 5)[way])) empty += bytes(chunk)
      expect(JSON.parse(empty)).to.deep.equal({ chain: [] })
    }
  })

  it('refuses bad arguments by name', () => {
    const chain = new FakeChain()
    chain.main = chain.branch('a', undefined, 1)
    expect(() => readMainChain(chain, -1)).to.throw(/"from"/)
    expect(() => readMainChain(chain, 0, 1.5)).to.throw(/"limit"/)
  })
})
