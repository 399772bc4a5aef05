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

  describe('fair shares (docs/design.md §12)', () => {
    const by = (signer: string, n: number, from = 0): ReturnType<typeof makeTx>[] =>
      Array.from({ length: n }, (_, i) => makeTx(1000 + from + i, { data: `${signer} ${from + i}` }, signer))

    it('below half full anyone gets in; above it a sender past its share is refused, before any room is taken', () => {
      const pool = new Mempool({ maxCount: 40, maxBytes: 1_000_000, minShareCount: 1 })
      for (const tx of by('mallory', 20)) pool.add(tx) // 50%: no shares yet
      for (const tx of by('alice', 1)) pool.add(tx)
      // Two senders: a share is 20 each; mallory already holds 20.
      const err = refusal(() => pool.add(by('mallory', 1, 20)[0]))
      expect(err.code).to.equal(TxErrorCode.MEMPOOL_SHARE_EXCEEDED)
      expect(err.meta).to.include({ party: 'sender', count: 20, shareCount: 20, parties: 2 })
      expect(() => { pool.admission(by('mallory', 1, 21)[0]) }).to.throw(TxError)
      expect(pool.count).to.equal(21)
    })

    it('a source past its share is refused too (a gossip peer relaying many keys)', () => {
      const pool = new Mempool({ maxCount: 40, maxBytes: 1_000_000, minShareCount: 1 })
      for (let i = 0; i < 20; i++) pool.add(makeTx(2000 + i, {}, `sybil ${i}`), 'peer:evil')
      pool.add(makeTx(3000, {}, 'carol'), 'http:127.0.0.1')
      const err = refusal(() => pool.add(makeTx(2100, {}, 'sybil new'), 'peer:evil'))
      expect(err.code).to.equal(TxErrorCode.MEMPOOL_SHARE_EXCEEDED)
      expect(err.meta.party).to.equal('source')
      pool.add(makeTx(3001, {}, 'dave'), 'http:127.0.0.1') // the other source still has room
    })

    it('TX_MEMPOOL_FLOOD (defect 3, mempool monopoly): a source over its share is refused at no cost until it pushes a whole further share; a block taking its txs starts the count afresh', () => {
      const pool = new Mempool({ maxCount: 40, maxBytes: 1_000_000, minShareCount: 1 })
      // An honest relay got over its share while it was alone (30 of 40), then another source came.
      for (let i = 0; i < 30; i++) pool.add(makeTx(4000 + i, {}, `relayed ${i}`), 'peer:relay')
      pool.add(makeTx(5000, {}, 'carol'), 'http:127.0.0.1')
      // Two sources: a share is 20. The relay's next 20 pushes are plain refusals (no penalty) ...
      for (let i = 0; i < 20; i++) {
        const err = refusal(() => { pool.admission(makeTx(4100 + i, {}, `relayed more ${i}`), 'peer:relay') })
        expect(err.code, `push ${i}`).to.equal(TxErrorCode.MEMPOOL_SHARE_EXCEEDED)
      }
      // ... past a whole further share, it floods.
      const flood = refusal(() => { pool.admission(makeTx(4200, {}, 'relayed flood'), 'peer:relay') })
      expect(flood.code).to.equal(TxErrorCode.MEMPOOL_FLOOD)
      expect(flood.meta).to.include({ party: 'source', refusedCount: 21, shareCount: 20 })
      // A block takes some of its txs: its count of refusals starts afresh.
      pool.remove([makeTx(4000, {}, 'relayed 0').id])
      expect(refusal(() => { pool.admission(makeTx(4300, {}, 'relayed after'), 'peer:relay') }).code).to.equal(TxErrorCode.MEMPOOL_SHARE_EXCEEDED)
      // Sender refusals count too: one key pushing past its part is refused, then floods the same way.
      const one = new Mempool({ maxCount: 40, maxBytes: 1_000_000, minShareCount: 1 })
      for (const tx of by('mallory', 20)) one.add(tx, 'peer:evil')
      one.add(makeTx(5001, {}, 'carol'), 'http:127.0.0.1')
      const codes = by('mallory', 21, 20).map(tx => refusal(() => { one.admission(tx, 'peer:evil') }).code)
      expect(codes.slice(0, 20)).to.deep.equal(new Array(20).fill(TxErrorCode.MEMPOOL_SHARE_EXCEEDED))
      expect(codes[20]).to.equal(TxErrorCode.MEMPOOL_FLOOD)
    })

    it('full: a newcomer within its share takes the room of the newest tx of whoever is most over theirs, which is handed back, not dropped', () => {
      const pool = new Mempool({ maxCount: 10, maxBytes: 1_000_000, minShareCount: 1 })
      const flood = by('mallory', 10)
      for (const tx of flood) pool.add(tx)
      const honest = by('alice', 1)[0]
      expect(pool.add(honest)).to.deep.equal([flood[9]])
      expect(pool.count).to.equal(10)
      expect(pool.has(flood[9].id)).to.equal(false)
      expect(pool.add(by('bob', 1)[0])).to.deep.equal([flood[8]])
      // Nobody over a share (3 senders, shares of 3, mallory still over): eviction goes on while someone is.
      expect(pool.held('sender', flood[0].senderPK).count).to.equal(8)
      // The caller can refuse displacement (no room to keep the displaced): then it is a plain "full".
      expect(refusal(() => pool.add(by('carol', 1)[0], undefined, { displaceAtMost: 0 })).code).to.equal(TxErrorCode.MEMPOOL_FULL)
    })

    it('TX_MEMPOOL_FULL when full and nobody holds more than a fair share', () => {
      const pool = new Mempool({ maxCount: 4, maxBytes: 1_000_000, minShareCount: 1, threshold: 1 })
      for (const name of ['a', 'b', 'c', 'd']) pool.add(by(name, 1)[0])
      expect(refusal(() => pool.add(by('e', 1)[0])).code).to.equal(TxErrorCode.MEMPOOL_FULL)
    })

    it('a local source over its share gives room from its own most over-share sender (local clients share one source)', () => {
      const pool = new Mempool({ maxCount: 20, maxBytes: 1_000_000, minShareCount: 1 })
      const flood = by('mallory', 20)
      for (const tx of flood) pool.add(tx, 'http:127.0.0.1')
      expect(pool.add(by('alice', 1)[0], 'http:127.0.0.1')).to.deep.equal([flood[19]])
    })

    it('blocks take txs round-robin over sources, then senders, arrival order within a sender', () => {
      const pool = new Mempool({ maxCount: 100, maxBytes: 1_000_000 })
      const m = by('mallory', 6)
      for (const tx of m) pool.add(tx, 'peer:evil')
      const a = by('alice', 2)
      const b = by('bob', 1)
      pool.add(a[0], 'http:1'); pool.add(b[0], 'http:1'); pool.add(a[1], 'http:1')
      const picked = pool.select({ maxTxs: 6, maxBytes: 1_000_000 }).map(t => t.id)
      expect(picked).to.deep.equal([m[0], a[0], m[1], b[0], m[2], a[1]].map(t => t.id))
    })

    it('pages by arrival number: a cursor stays valid while txs leave', () => {
      const pool = new Mempool({ maxCount: 100, maxBytes: 1_000_000 })
      const txs = by('alice', 5)
      for (const tx of txs) pool.add(tx)
      const first = pool.page(0, 2)
      expect(first.txs).to.deep.equal(txs.slice(0, 2))
      pool.remove([txs[0].id, txs[2].id])
      const second = pool.page(first.next!, 2)
      expect(second.txs).to.deep.equal([txs[3], txs[4]])
      expect(second.next).to.equal(undefined)
    })

    it('unbounded responses (defect 4): a page is bounded by bytes as well as count, one tx at least', () => {
      const pool = new Mempool({ maxCount: 100, maxBytes: 1_000_000 })
      const txs = by('alice', 5)
      for (const tx of txs) pool.add(tx)
      const size = txSize(txs[0])
      const two = pool.page(0, 100, 2 * size + 1)
      expect(two.txs).to.deep.equal(txs.slice(0, 2))
      expect(pool.page(two.next!, 100, 1).txs).to.deep.equal([txs[2]]) // smaller than one tx: still one
    })
  })
})
