// src/store/block-store.ts commit: a batch larger than COMMIT_SLICE_OPS goes to LevelDB as a chained batch
// filled in slices (the event loop served between them) and is still ONE atomic write: all of it or none.
import { expect } from 'chai'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { networkId } from '../src/core/block.js'
import { BlockStore, COMMIT_SLICE_OPS, StoreBatch } from '../src/store/block-store.js'
import { makeTx, TEST_NETWORK } from './helpers/fixtures.js'

const NET = networkId(TEST_NETWORK)

describe('block store commit (large batches in slices)', function () {
  this.timeout(30_000)
  let dir: string
  let store: BlockStore

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gossipchain-store-'))
    store = await BlockStore.open({ path: join(dir, 'db') })
  })
  afterEach(async () => {
    await store.close().catch(() => undefined)
    await rm(dir, { recursive: true, force: true })
  })

  it('writes every op of a batch several slices long, and puts and deletes in order', async () => {
    const n = 3 * COMMIT_SLICE_OPS + 7
    const txs = Array.from({ length: n }, (_, i) => makeTx(NET, `tx ${i}`))
    const batch = new StoreBatch()
    txs.forEach((tx, i) => batch.putPending(i, tx))
    for (let i = 0; i < n; i += 2) batch.deletePending(i) // each delete after its own put, in the same batch
    expect(batch.ops.length).to.be.above(COMMIT_SLICE_OPS * 4)
    await store.commit(batch)
    const pending = await store.pending()
    expect(pending.map(p => p.seq)).to.deep.equal(txs.map((_, i) => i).filter(i => i % 2 === 1))
    expect(pending.map(p => p.tx.id)).to.deep.equal(txs.filter((_, i) => i % 2 === 1).map(t => t.id))
  })

  it('a large batch that fails part-way writes nothing', async () => {
    const batch = new StoreBatch()
    for (let i = 0; i < 2 * COMMIT_SLICE_OPS; i++) batch.putPending(i, makeTx(NET, `tx ${i}`))
    // An op LevelDB refuses (a key that is not a string or bytes), past the first slice.
    ;(batch.ops as unknown[]).push({ type: 'put', key: null, value: 'x' })
    await store.commit(batch).then(() => expect.fail('expected the bad op to fail the batch'), (err: Error) => expect(err).to.be.instanceOf(Error))
    expect(await store.pending()).to.deep.equal([])
  })
})
