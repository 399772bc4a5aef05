import { expect } from 'chai'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Chain } from '../src/chain/chain.js'
import { BlockErrorCode, TxErrorCode } from '../src/core/errors.js'
import { createNodeVerifier } from '../src/crypto/node-verifier.js'
import { genesisBlock, networkId } from '../src/core/block.js'
import type { Block } from '../src/core/types.js'
import { BlockStore, StoreBatch } from '../src/store/block-store.js'
import { legacyBody } from './core-fixtures.js'
import { waitFor } from '../src/devnet/wait.js'
import { makeTx, mineOn, TEST_NETWORK } from './helpers/fixtures.js'

const NET = networkId(TEST_NETWORK)
const GENESIS = genesisBlock(TEST_NETWORK)
const NOW = (TEST_NETWORK.genesisTimestamp + 10_000) * 1000

describe('Chain service', function () {
  let dir: string
  let store: BlockStore
  let chain: Chain

  async function openChain (opts: { maxCount?: number, legacyTransactions?: boolean, finalityDepth?: number, maxSideBlocks?: number } = {}): Promise<Chain> {
    store = await BlockStore.open({ path: join(dir, 'db') })
    chain = await Chain.open({
      store, network: TEST_NETWORK, verifier: createNodeVerifier(), now: () => NOW,
      mempool: { maxCount: opts.maxCount ?? 100, maxBytes: 1 << 20 }, legacyTransactions: opts.legacyTransactions ?? true,
      finalityDepth: opts.finalityDepth, maxSideBlocks: opts.maxSideBlocks
    })
    return chain
  }

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gossipchain-chain-'))
    await openChain()
  })

  afterEach(async () => {
    await store.close().catch(() => undefined)
    await rm(dir, { recursive: true, force: true })
  })

  it('starts at genesis and extends the head', async () => {
    expect(chain.head.hash).to.equal(GENESIS.hash)
    const b1 = mineOn(GENESIS, [makeTx(NET, 'a')], TEST_NETWORK.bits)
    const result = await chain.submitBlock(b1)
    expect(result.status).to.equal('head')
    expect(chain.head.hash).to.equal(b1.hash)
    expect(chain.head.work).to.equal(256n)
  })

  it('BLOCK_ALREADY_KNOWN: a block seen twice', async () => {
    const b1 = mineOn(GENESIS, [], TEST_NETWORK.bits)
    await chain.submitBlock(b1)
    await expectCode(chain.submitBlock(b1), BlockErrorCode.ALREADY_KNOWN)
  })

  it('BLOCK_UNKNOWN_PARENT: a block whose parent we lack', async () => {
    const b1 = mineOn(GENESIS, [], TEST_NETWORK.bits)
    const b2 = mineOn(b1, [], TEST_NETWORK.bits)
    await expectCode(chain.submitBlock(b2), BlockErrorCode.UNKNOWN_PARENT)
  })

  it('TX_DUPLICATE and TX_ALREADY_IN_CHAIN: stateful tx rules', async () => {
    const tx = makeTx(NET, 'x')
    await chain.submitTx(tx)
    await expectCode(chain.submitTx(tx), TxErrorCode.DUPLICATE)
    await chain.submitBlock(mineOn(GENESIS, [tx], TEST_NETWORK.bits))
    expect(chain.pending()).to.have.length(0)
    await expectCode(chain.submitTx(tx), TxErrorCode.ALREADY_IN_CHAIN)
  })

  it('a tx displaced from a full mempool by a fair newcomer stays pending and journaled: a restart brings it back', async () => {
    await store.close()
    await rm(dir, { recursive: true, force: true })
    await openChain({ maxCount: 4 })
    const flood = []
    for (let i = 0; i < 4; i++) flood.push(await chain.submitTx(makeTx(NET, `flood ${i}`, { signer: 5 })))
    const honest = await chain.submitTx(makeTx(NET, 'honest', { signer: 6 }))
    expect(chain.pending().map(t => t.id)).to.deep.equal([...flood.slice(0, 3), honest].map(t => t.id))
    expect((await chain.lookupTx(flood[3].id))?.status).to.equal('pending')
    await expectCode(chain.submitTx(flood[3]), TxErrorCode.DUPLICATE)
    await store.close()
    await openChain({ maxCount: 4 })
    expect(chain.pending().map(t => t.id)).to.have.members([...flood, honest].map(t => t.id))
  })

  it('TX_MEMPOOL_FULL: refuses, never drops', async () => {
    await store.close()
    await rm(dir, { recursive: true, force: true })
    await openChain({ maxCount: 2 })
    await chain.submitTx(makeTx(NET, '1'))
    await chain.submitTx(makeTx(NET, '2'))
    await expectCode(chain.submitTx(makeTx(NET, '3')), TxErrorCode.MEMPOOL_FULL)
    expect(chain.pending().map(t => t.data)).to.deep.equal(['1', '2'])
  })

  it('BLOCK_TX_IN_ANCESTRY: a side branch may not repeat a tx of its own branch, but may hold one of the other branch', async () => {
    const tx = makeTx(NET, 'once')
    const a1 = mineOn(GENESIS, [tx], TEST_NETWORK.bits)
    await chain.submitBlock(a1)
    // A competing branch from genesis may hold the same tx: it is not in ITS ancestry.
    const b1 = mineOn(GENESIS, [tx], TEST_NETWORK.bits, GENESIS.timestamp + 2)
    expect((await chain.submitBlock(b1)).status).to.equal('side')
    const b2 = mineOn(b1, [tx], TEST_NETWORK.bits)
    await expectCode(chain.submitBlock(b2), BlockErrorCode.TX_IN_ANCESTRY)
  })

  it('reorgs to the heavier branch and returns the losing txs to the mempool (nothing lost)', async () => {
    const shared = makeTx(NET, 'in both')
    const onlyA = makeTx(NET, 'only in A')
    const a1 = mineOn(GENESIS, [shared, onlyA], TEST_NETWORK.bits)
    await chain.submitBlock(a1)
    const pendingLater = makeTx(NET, 'pending while reorging')
    await chain.submitTx(pendingLater)

    const onlyB = makeTx(NET, 'only in B')
    const b1 = mineOn(GENESIS, [shared], TEST_NETWORK.bits, GENESIS.timestamp + 2)
    const b2 = mineOn(b1, [onlyB], TEST_NETWORK.bits)
    const reorgs: unknown[] = []
    chain.on('reorg', e => reorgs.push(e))
    expect((await chain.submitBlock(b1)).status).to.equal('side')
    expect((await chain.submitBlock(b2)).status).to.equal('head')

    expect(chain.head.hash).to.equal(b2.hash)
    expect(reorgs).to.have.length(1)
    const pendingIds = chain.pending().map(t => t.id)
    expect(pendingIds).to.include(onlyA.id)
    expect(pendingIds).to.include(pendingLater.id)
    expect(pendingIds).to.not.include(shared.id)
    expect((await chain.lookupTx(shared.id))?.status).to.equal('confirmed')
    expect((await chain.lookupTx(onlyA.id))?.status).to.equal('pending')
    expect((await chain.mainChain()).map(b => b.hash)).to.deep.equal([GENESIS.hash, b1.hash, b2.hash])
  })

  it('keeps the first-seen branch on equal work', async () => {
    const a1 = mineOn(GENESIS, [], TEST_NETWORK.bits)
    const b1 = mineOn(GENESIS, [], TEST_NETWORK.bits, GENESIS.timestamp + 2)
    await chain.submitBlock(a1)
    expect((await chain.submitBlock(b1)).status).to.equal('side')
    expect(chain.head.hash).to.equal(a1.hash)
  })

  it('restarts from disk with its blocks, head, side branches and journaled pending txs', async () => {
    const a1 = mineOn(GENESIS, [makeTx(NET, 'confirmed')], TEST_NETWORK.bits)
    const a2 = mineOn(a1, [], TEST_NETWORK.bits)
    const side = mineOn(GENESIS, [], TEST_NETWORK.bits, GENESIS.timestamp + 3)
    await chain.submitBlock(a1)
    await chain.submitBlock(a2)
    await chain.submitBlock(side)
    const pending = await chain.submitTx(makeTx(NET, 'still pending'))
    await store.close()

    await openChain()
    expect(chain.head.hash).to.equal(a2.hash)
    expect(chain.hasBlock(side.hash)).to.equal(true)
    expect(chain.pending().map(t => t.id)).to.deep.equal([pending.id])
    const blocks = await chain.mainChain()
    expect(blocks.map((b: Block) => b.hash)).to.deep.equal([GENESIS.hash, a1.hash, a2.hash])
  })

  it('journals concurrent submissions in groups: every acknowledged tx survives a restart', async () => {
    await store.close()
    await rm(dir, { recursive: true, force: true })
    await openChain({ maxCount: 1000 })
    const txs = Array.from({ length: 300 }, (_, i) => makeTx(NET, `burst ${i}`, { signer: 1 + (i % 3) }))
    const acknowledged = await Promise.all(txs.map(async tx => (await chain.submitTx(tx)).id))
    await store.close()
    await openChain({ maxCount: 1000 })
    expect(chain.pending().map(t => t.id)).to.have.members(acknowledged)
  })

  it('awaitJournal false (gossip): resolves with the tx pooled while its journal write is held; a write that fails takes it out again', async () => {
    const original = store.commit.bind(store)
    let release!: () => void
    const held = new Promise<void>(resolve => { release = resolve })
    let writes = 0
    store.commit = async (batch) => {
      writes++
      await held
      return await original(batch)
    }
    const relayed = makeTx(NET, 'relayed')
    expect((await chain.acceptTx(relayed, { awaitJournal: false })).id).to.equal(relayed.id)
    expect(chain.pending().map(t => t.id)).to.deep.equal([relayed.id])
    await waitFor('its journal write under way, held', () => writes > 0 ? true : undefined)
    release()
    await chain.submitTx(makeTx(NET, 'after', { signer: 2 })) // journal writes go out in order, under the lock
    await store.close()
    await openChain()
    expect(chain.pending().map(t => t.id)).to.include(relayed.id)
    // A failed write: the relayed tx leaves the mempool again, and nothing throws.
    store.commit = async () => { throw new Error('injected write failure') }
    const lost = makeTx(NET, 'lost', { signer: 3 })
    await chain.acceptTx(lost, { awaitJournal: false })
    await waitFor('the failed write undone', () => chain.pending().some(t => t.id === lost.id) ? undefined : true)
  })

  it('a tx journaled while a block confirming it imports ends confirmed, not pending, after a restart', async () => {
    const tx = makeTx(NET, 'raced')
    const block = mineOn(GENESIS, [tx], TEST_NETWORK.bits)
    // Both start together: the journal entry is still queued when the block's batch commits.
    const [submitted, imported] = await Promise.allSettled([chain.submitTx(tx), chain.submitBlock(block)])
    expect(imported.status).to.equal('fulfilled')
    if (submitted.status === 'rejected') expect((submitted.reason as { code: string }).code).to.equal(TxErrorCode.ALREADY_IN_CHAIN)
    expect(chain.pending()).to.deep.equal([])
    await store.close()
    await openChain()
    expect(chain.pending()).to.deep.equal([])
    expect((await chain.lookupTx(tx.id))?.status).to.equal('confirmed')
  })

  it('takes a tx while a block import holds the lock for its write, and a tx that block confirms ends confirmed, not pending, after a restart', async () => {
    const inBlock = makeTx(NET, 'in the block, sent during its write')
    const other = makeTx(NET, 'not in the block, sent during its write')
    const block = mineOn(GENESIS, [inBlock], TEST_NETWORK.bits)
    // Hold the import's write (the batch that carries the block) until both txs are acknowledged.
    const original = store.commit.bind(store)
    let release!: () => void
    const held = new Promise<void>(resolve => { release = resolve })
    let importWriting!: () => void
    const writing = new Promise<void>(resolve => { importWriting = resolve })
    store.commit = async (batch: StoreBatch) => {
      if (batch.ops.some(op => op.type === 'put' && op.key.startsWith('b!'))) { importWriting(); await held }
      await original(batch)
    }
    const imported = chain.submitBlock(block)
    await writing
    // Both are answered while the import still holds the lock: the mempool step does not wait for it.
    await chain.submitTx(inBlock)
    await chain.submitTx(other)
    expect(chain.pending().map(t => t.id).sort()).to.deep.equal([inBlock.id, other.id].sort())
    release()
    expect((await imported).status).to.equal('head')
    expect(chain.pending().map(t => t.id)).to.deep.equal([other.id])
    store.commit = original
    // The late journal delete goes out in a write of its own: wait for it on disk.
    await waitFor('the confirmed tx\'s journal entry to be deleted', async () => (await store.pending()).some(p => p.tx.id === inBlock.id) ? undefined : true, 5_000, 10)
    await store.close()
    await openChain()
    expect(chain.pending().map(t => t.id)).to.deep.equal([other.id])
    expect((await chain.lookupTx(inBlock.id))?.status).to.equal('confirmed')
  })

  it('a reorg that fails before its write leaves no trace: the block can come again and a restart is consistent', async () => {
    const a1 = mineOn(GENESIS, [], TEST_NETWORK.bits)
    await chain.submitBlock(a1)
    const b1 = mineOn(GENESIS, [], TEST_NETWORK.bits, GENESIS.timestamp + 2)
    const b2 = mineOn(b1, [], TEST_NETWORK.bits)
    await chain.submitBlock(b1)
    // After a restart nothing is cached: the reorg to b2 must read a1 (leaving) and b1 (entering) from
    // the store. Fail that read once.
    await store.close()
    await openChain()
    const original = store.getBlocks.bind(store)
    let failures = 1
    store.getBlocks = async (hashes: string[]) => {
      if (failures-- > 0) throw new Error('injected read failure')
      return await original(hashes)
    }
    await chain.submitBlock(b2).then(() => expect.fail('expected the injected failure'), (err: Error) => expect(err.message).to.equal('injected read failure'))
    expect(chain.hasBlock(b2.hash)).to.equal(false)
    expect(chain.head.hash).to.equal(a1.hash)
    expect((await chain.submitBlock(b2)).status).to.equal('head')
    await store.close()
    await openChain()
    expect((await chain.mainChain()).map(b => b.hash)).to.deep.equal([GENESIS.hash, b1.hash, b2.hash])
  })

  it('checks ancestry on a long side branch without reading its blocks from the store again', async () => {
    await store.close()
    await openChain({ finalityDepth: 1000, maxSideBlocks: 1000 }) // a branch from genesis, so no checkpoint here
    let main: Block = GENESIS
    for (let i = 0; i < 310; i++) { main = mineOn(main, [], TEST_NETWORK.bits); await chain.submitBlock(main) }
    let reads = 0
    const original = store.getBlock.bind(store)
    store.getBlock = async (hash: string) => { reads++; return await original(hash) }
    // Longer than the block cache (256), so a walk that read blocks would hit the store.
    let side: Block = GENESIS
    for (let i = 0; i < 300; i++) {
      side = mineOn(side, [makeTx(NET, `side ${i}`)], TEST_NETWORK.bits, side.timestamp + 2)
      expect((await chain.submitBlock(side)).status).to.equal('side')
    }
    expect(reads).to.equal(0)
    // And the rule still holds deep in the branch.
    const repeat = mineOn(side, [makeTx(NET, 'again')], TEST_NETWORK.bits, side.timestamp + 2)
    await chain.submitBlock(repeat)
    const sideTx = (await chain.getBlock(side.hash))!.transactions[0]
    await expectCode(chain.submitBlock(mineOn(repeat, [sideTx], TEST_NETWORK.bits)), BlockErrorCode.TX_IN_ANCESTRY)
  })

  it('drops journaled legacy txs at start when legacy transactions were turned off meanwhile', async () => {
    const legacy = await chain.submitTx(legacyBody('a legacy record'))
    const native = await chain.submitTx(makeTx(NET, 'a native record'))
    expect(legacy.scheme).to.equal('rsa-legacy')
    await store.close()
    await openChain({ legacyTransactions: false })
    expect(chain.pending().map(t => t.id)).to.deep.equal([native.id])
    expect(chain.blockTemplate().transactions.map(t => t.id)).to.deep.equal([native.id])
  })

  it('serves sync batches within a byte budget', async () => {
    let parent: Block = GENESIS
    for (let i = 0; i < 5; i++) { parent = mineOn(parent, [makeTx(NET, 'x'.repeat(4000))], TEST_NETWORK.bits); await chain.submitBlock(parent) }
    const all = await chain.blocksAfter(GENESIS.hash, 256)
    expect(all).to.have.length(5)
    const cut = await chain.blocksAfter(GENESIS.hash, 256, 10_000)
    expect(cut).to.have.length(2)
    expect(await chain.blocksAfter(GENESIS.hash, 256, 10)).to.have.length(1) // never empty while blocks follow
  })

  it('serves sync: locator, locate and blocksAfter', async () => {
    let parent: Block = GENESIS
    const blocks: Block[] = []
    for (let i = 0; i < 30; i++) {
      parent = mineOn(parent, [], TEST_NETWORK.bits)
      blocks.push(parent)
      await chain.submitBlock(parent)
    }
    const locator = await chain.locator()
    expect(locator[0]).to.equal(chain.head.hash)
    expect(locator[locator.length - 1]).to.equal(GENESIS.hash)
    expect(locator.length).to.be.lessThan(20)
    expect(await chain.locate(['f'.repeat(64), blocks[9].hash, blocks[3].hash])).to.deep.equal({ hash: blocks[9].hash, index: 10 })
    const after = await chain.blocksAfter(blocks[9].hash, 5)
    expect(after?.map(b => b.index)).to.deep.equal([11, 12, 13, 14, 15])
    expect(await chain.blocksAfter('f'.repeat(64), 5)).to.equal(undefined)
  })

  it('builds a mineable template in arrival order that leaves later txs pending', async () => {
    const t1 = await chain.submitTx(makeTx(NET, 'first'))
    const t2 = await chain.submitTx(makeTx(NET, 'second'))
    const template = chain.blockTemplate()
    expect(template.transactions.map(t => t.id)).to.deep.equal([t1.id, t2.id])
    const late = await chain.submitTx(makeTx(NET, 'late'))
    const block = mineOn(GENESIS, template.transactions, TEST_NETWORK.bits, template.timestamp)
    await chain.submitBlock(block)
    expect(chain.pending().map(t => t.id)).to.deep.equal([late.id])
  })
})

async function expectCode (promise: Promise<unknown>, code: string): Promise<void> {
  try {
    await promise
  } catch (err) {
    expect((err as { code?: string }).code).to.equal(code)
    return
  }
  expect.fail(`expected an error with code ${code}`)
}
