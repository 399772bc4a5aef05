import { expect } from 'chai'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Chain } from '../src/chain/chain.js'
import { Miner } from '../src/chain/miner.js'
import { computeBlockHash, genesisBlock, meetsProofOfWork, networkId } from '../src/core/block.js'
import { createNodeVerifier } from '../src/core/verifier.js'
import { BlockStore } from '../src/store/block-store.js'
import { makeTx, mineOn } from './helpers/fixtures.js'

describe('Miner (worker thread)', function () {
  this.timeout(60_000)
  let dir: string
  let store: BlockStore
  let chain: Chain
  let miner: Miner | undefined

  async function open (bits: number): Promise<void> {
    store = await BlockStore.open({ path: join(dir, 'db') })
    chain = await Chain.open({
      store, network: { name: 'miner-test', genesisTimestamp: 1767225600, bits }, verifier: createNodeVerifier(),
      now: () => Date.now(), mempool: { maxCount: 100, maxBytes: 1 << 20 }, legacyTransactions: true
    })
  }

  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'gossipchain-miner-')) })
  afterEach(async () => {
    await miner?.stop()
    miner = undefined
    await store.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('mines pending txs into a valid block that becomes the head and reports it', async () => {
    await open(12)
    const mined: string[] = []
    miner = new Miner(chain, { onMined: b => mined.push(b.hash) })
    expect(await miner.mine()).to.deep.equal({ status: 'nothing-to-mine' })
    const tx = await chain.submitTx(makeTx(chain.networkId, 'to mine'))
    const result = await miner.mine()
    if (result.status !== 'mined') throw new Error('expected a block')
    expect(result.block.transactions.map(t => t.id)).to.deep.equal([tx.id])
    expect(computeBlockHash(result.block)).to.equal(result.block.hash)
    expect(meetsProofOfWork(result.block.hash, 12)).to.equal(true)
    expect(chain.head.hash).to.equal(result.block.hash)
    expect(mined).to.deep.equal([result.block.hash])
    expect(chain.pending()).to.have.length(0)
  })

  it('keeps the event loop responsive while it searches', async () => {
    await open(22) // ~4M hashes: long enough to watch the loop
    miner = new Miner(chain)
    await chain.submitTx(makeTx(chain.networkId, 'slow block'))
    const mining = miner.mine().catch(() => undefined)
    // Timers must keep firing on time while the worker hashes.
    let worstLagMs = 0
    for (let i = 0; i < 20; i++) {
      const t0 = performance.now()
      await new Promise(resolve => setTimeout(resolve, 10))
      worstLagMs = Math.max(worstLagMs, performance.now() - t0 - 10)
    }
    expect(worstLagMs).to.be.lessThan(200)
    await miner.stop()
    await mining
  })

  it('abandons the search when a network block takes the height, and leaves the tx pending for the next block', async () => {
    await open(20)
    // A competitor's block at the same height, without our tx, mined beforehand at full difficulty.
    const genesis = genesisBlock({ name: 'miner-test', genesisTimestamp: 1767225600, bits: 20 })
    const rival = mineOn(genesis, [], 20, Math.floor(Date.now() / 1000))
    miner = new Miner(chain)
    const tx = await chain.submitTx(makeTx(networkId({ name: 'miner-test', genesisTimestamp: 1767225600, bits: 20 }), 'contested'))
    const mining = miner.mine().catch(() => undefined)
    const heads: string[] = []
    chain.on('head', h => heads.push(h.hash))
    await chain.submitBlock(rival)
    expect(chain.head.hash).to.equal(rival.hash)
    expect(chain.pending().map(t => t.id)).to.deep.equal([tx.id])
    await miner.stop()
    await mining
    expect(heads[0]).to.equal(rival.hash)
  })
})
