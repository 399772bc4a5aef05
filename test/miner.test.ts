import { expect } from 'chai'
import { mkdtemp, rm } from 'node:fs/promises'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { Chain } from '../src/chain/chain.js'
import { Miner } from '../src/chain/miner.js'
import { MinerPool, ONE_WORKER_BITS, SLICE_NONCES } from '../src/chain/miner-pool.js'
import { computeBlockHash, genesisBlock, meetsProofOfWork, networkId } from '../src/core/block.js'
import { searchNonce } from '../src/core/nonce-search.js'
import { createNodeVerifier } from '../src/crypto/node-verifier.js'
import { BlockStore } from '../src/store/block-store.js'
import { makeTx, mineOn } from './helpers/fixtures.js'
import { waitFor } from '../src/devnet/wait.js'

describe('Miner (worker threads)', function () {
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

  it('mines on one worker per core by default, and on N workers with the SIMD kernel when asked', async () => {
    await open(12)
    expect(new Miner(chain).stats.threads).to.equal(availableParallelism())
    miner = new Miner(chain, { threads: 3 })
    await chain.submitTx(makeTx(chain.networkId, 'three workers'))
    const result = await miner.mine()
    if (result.status !== 'mined') throw new Error('expected a block')
    expect(meetsProofOfWork(result.block.hash, 12)).to.equal(true)
    expect(miner.stats).to.include({ threads: 3, kernel: 'simd' })
    expect(miner.stats.hashes).to.be.greaterThan(0)
  })

  it('first hit wins: the other workers stop searching', async () => {
    await open(16)
    miner = new Miner(chain, { threads: 4 })
    for (let i = 0; i < 3; i++) {
      await chain.submitTx(makeTx(chain.networkId, `block ${i}`))
      const result = await miner.mine()
      expect(result.status).to.equal('mined')
      // Without the stop the losers would hash on towards 2^53 and stay busy.
      await waitFor('every worker to stop', () => miner!.stats.busy === 0 ? true : undefined, 10_000, 5)
    }
    expect(chain.height).to.equal(3)
  })

  it('mines with the JS kernel (the fallback where WebAssembly SIMD is missing)', async () => {
    await open(12)
    miner = new Miner(chain, { threads: 2, kernel: 'js' })
    await chain.submitTx(makeTx(chain.networkId, 'js kernel'))
    const result = await miner.mine()
    if (result.status !== 'mined') throw new Error('expected a block')
    expect(computeBlockHash(result.block)).to.equal(result.block.hash)
    expect(meetsProofOfWork(result.block.hash, 12)).to.equal(true)
    expect(miner.stats.kernel).to.equal('js')
  })

  it('refuses a bad thread count or kernel, naming the option', async () => {
    await open(8)
    for (const threads of [0, -1, 1.5, 1025, Number.NaN]) expect(() => new Miner(chain, { threads }), String(threads)).to.throw(RangeError, /threads/)
    expect(() => new Miner(chain, { kernel: 'gpu' as 'js' })).to.throw(RangeError, /kernel/)
  })

  it('keeps the event loop responsive while it searches', async () => {
    await open(30) // ~10^9 hashes: still searching when the watch ends
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

describe('MinerPool (the nonce space split between workers)', function () {
  this.timeout(60_000)
  const prefix = new Uint8Array(83).fill(7)
  let pool: MinerPool | undefined
  afterEach(async () => { await pool?.close() })

  it('an easy target goes to one worker, the only one started (at bits 0 the answer is nonce 0); a harder one to every worker', async () => {
    pool = new MinerPool({ threads: 3 })
    expect(pool.stats.started).to.equal(0)
    expect(await pool.search(prefix, 0)).to.include({ nonce: 0 })
    expect(await pool.search(prefix, ONE_WORKER_BITS)).to.have.property('nonce').below(SLICE_NONCES)
    expect(pool.stats.started, 'only the worker easy targets need').to.equal(1)
    const controller = new AbortController()
    const search = pool.search(prefix, 256, controller.signal)
    expect(pool.stats).to.include({ started: 3, busy: 3 })
    controller.abort()
    expect(await search).to.equal(undefined)
  })

  it('one worker walks the slices in order (the first qualifying nonce from 0); with several, a hit is the first of its slice', async () => {
    const prefixes = Array.from({ length: 4 }, (_, i) => Uint8Array.from(prefix, (b, j) => j === 0 ? i : b))
    pool = new MinerPool({ threads: 1 })
    for (const p of prefixes) expect(await pool.search(p, 18)).to.deep.equal(searchNonce(p, 18, 0, Number.MAX_SAFE_INTEGER))
    await pool.close()
    pool = new MinerPool({ threads: 2 })
    for (const p of prefixes) {
      const hit = await pool.search(p, 16)
      if (hit === undefined) throw new Error('expected a hit')
      const sliceStart = hit.nonce - (hit.nonce % SLICE_NONCES)
      expect(searchNonce(p, 16, hit.nonce, 1)).to.deep.equal(hit)
      expect(searchNonce(p, 16, sliceStart, hit.nonce - sliceStart)).to.equal(null)
    }
  })

  it('an aborted search answers undefined and every worker stops; the pool searches again after it', async () => {
    pool = new MinerPool({ threads: 2 })
    const controller = new AbortController()
    const search = pool.search(prefix, 256, controller.signal)
    await waitFor('both workers to hash', () => pool!.stats.hashes >= 4 * SLICE_NONCES ? true : undefined, 30_000, 5)
    controller.abort()
    expect(await search).to.equal(undefined)
    await waitFor('every worker to stop', () => pool!.stats.busy === 0 ? true : undefined, 10_000, 5)
    expect(await pool.search(prefix, 4)).to.have.property('nonce')
    expect(await pool.search(prefix, 256, AbortSignal.abort()), 'already aborted').to.equal(undefined)
  })

  it('a closed pool refuses new searches', async () => {
    pool = new MinerPool({ threads: 1 })
    await pool.close()
    let error: unknown
    await pool.search(prefix, 4).catch(err => { error = err })
    expect(String(error)).to.match(/closed/)
  })
})
