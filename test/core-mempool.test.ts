// Mempool (docs/design.md §4): bounded, arrival order, clear refusals, reorg restores bypass the limits.
import { expect } from 'chai'
import { Mempool, TxError, TxErrorCode, txSize } from '../src/core/index.js'
import { makeTx } from './core-fixtures.js'

function refusal (fn: () => void): TxError {
  try { fn() } catch (err) { if (err instanceof TxError) return err; throw err }
  throw new Error('expected a TxError')
}

describe('core mempool', () => {
  const txs = Array.from({ length: 6 }, (_, i) => makeTx(i))

  it('keeps txs in arrival order with O(1) lookups and byte accounting', () => {
    const pool = new Mempool({ maxCount: 10, maxBytes: 1_000_000 })
    for (const tx of [txs[2], txs[0], txs[1]]) pool.add(tx)
    expect(pool.list().map(t => t.id)).to.deep.equal([txs[2].id, txs[0].id, txs[1].id])
    expect(pool.count).to.equal(3)
    expect(pool.bytes).to.equal(txSize(txs[0]) + txSize(txs[1]) + txSize(txs[2]))
    expect(pool.has(txs[0].id)).to.equal(true)
    expect(pool.get(txs[1].id)).to.equal(txs[1])
    expect(pool.get(txs[5].id)).to.equal(undefined)
    pool.remove([txs[0].id, txs[5].id])
    expect(pool.count).to.equal(2)
    expect(pool.bytes).to.equal(txSize(txs[1]) + txSize(txs[2]))
    pool.remove(pool.list().map(t => t.id))
    expect(pool.bytes).to.equal(0)
  })

  it('TX_DUPLICATE: a tx already pending', () => {
    const pool = new Mempool({ maxCount: 10, maxBytes: 1_000_000 })
    pool.add(txs[0])
    const err = refusal(() => pool.add({ ...txs[0] }))
    expect(err.code).to.equal(TxErrorCode.DUPLICATE)
    expect(pool.count).to.equal(1)
  })

  it('TX_MEMPOOL_FULL: by count and by bytes, with nothing dropped', () => {
    const byCount = new Mempool({ maxCount: 2, maxBytes: 1_000_000 })
    byCount.add(txs[0]); byCount.add(txs[1])
    expect(refusal(() => byCount.add(txs[2])).code).to.equal(TxErrorCode.MEMPOOL_FULL)
    expect(byCount.list()).to.deep.equal([txs[0], txs[1]])
    const byBytes = new Mempool({ maxCount: 100, maxBytes: txSize(txs[0]) + txSize(txs[1]) })
    byBytes.add(txs[0]); byBytes.add(txs[1])
    expect(refusal(() => byBytes.add(txs[2])).code).to.equal(TxErrorCode.MEMPOOL_FULL)
    byBytes.remove([txs[0].id])
    byBytes.add(txs[2]) // room again once a block takes one
  })

  it('restore bypasses the limits, skips ids already present, appends', () => {
    const pool = new Mempool({ maxCount: 2, maxBytes: 1_000_000 })
    pool.add(txs[3]); pool.add(txs[4])
    pool.restore([txs[0], txs[3], txs[1]])
    expect(pool.list().map(t => t.id)).to.deep.equal([txs[3].id, txs[4].id, txs[0].id, txs[1].id])
    expect(pool.count).to.equal(4)
    expect(refusal(() => pool.add(txs[5])).code).to.equal(TxErrorCode.MEMPOOL_FULL)
  })

  it('select takes arrival order and stops at the first tx over the limits (each costs txSize + 1)', () => {
    const pool = new Mempool({ maxCount: 10, maxBytes: 1_000_000 })
    for (const tx of txs) pool.add(tx)
    expect(pool.select({ maxTxs: 3, maxBytes: 1_000_000 })).to.deep.equal(txs.slice(0, 3))
    const two = txSize(txs[0]) + 1 + txSize(txs[1]) + 1
    expect(pool.select({ maxTxs: 10, maxBytes: two })).to.deep.equal(txs.slice(0, 2))
    expect(pool.select({ maxTxs: 10, maxBytes: two - 1 })).to.deep.equal(txs.slice(0, 1))
    expect(pool.select({ maxTxs: 0, maxBytes: 1_000_000 })).to.deep.equal([])
    expect(pool.count).to.equal(6) // select does not remove
  })

  it('rejects bad limits with errors naming them', () => {
    expect(() => new Mempool({ maxCount: 0, maxBytes: 1 })).to.throw(TypeError, /maxCount/)
    expect(() => new Mempool({ maxCount: 1, maxBytes: 1.5 })).to.throw(TypeError, /maxBytes/)
  })
})
