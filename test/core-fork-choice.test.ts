// Fork choice and reorg planning (docs/design.md §4).
import { expect } from 'chai'
import { isHeavier, mempoolChanges, planReorg, type Block, type HeaderInfo } from '../src/core/index.js'
import { makeTx } from './core-fixtures.js'

/** A header map from branch specs: name -> parent name (genesis 'g'). */
function headers (links: Record<string, string>): (hash: string) => HeaderInfo | undefined {
  const map = new Map<string, HeaderInfo>([['g', { hash: 'g', previous_hash: '0'.repeat(64), index: 0, work: 1n }]])
  const get = (h: string): HeaderInfo => {
    const known = map.get(h)
    if (known !== undefined) return known
    const parent = get(links[h])
    const info = { hash: h, previous_hash: parent.hash, index: parent.index + 1, work: parent.work + 1n }
    map.set(h, info)
    return info
  }
  for (const h of Object.keys(links)) get(h)
  return h => map.get(h)
}

describe('core fork choice', () => {
  it('isHeavier: strictly more work wins, a tie keeps the chain seen first', () => {
    expect(isHeavier(5n, 4n)).to.equal(true)
    expect(isHeavier(4n, 4n)).to.equal(false)
    expect(isHeavier(3n, 4n)).to.equal(false)
    expect(isHeavier(2n ** 300n + 1n, 2n ** 300n)).to.equal(true)
  })

  const get = headers({ a1: 'g', a2: 'a1', a3: 'a2', b2: 'a1', b3: 'b2', b4: 'b3', c1: 'g' })

  it('same tip: nothing to do', () => {
    expect(planReorg('a3', 'a3', get)).to.deep.equal({ forkPoint: 'a3', disconnect: [], connect: [] })
  })

  it('extension of the tip: connect only', () => {
    expect(planReorg('a1', 'b3', get)).to.deep.equal({ forkPoint: 'a1', disconnect: [], connect: ['b2', 'b3'] })
  })

  it('a longer side branch: disconnect old tip first, connect fork + 1 first', () => {
    expect(planReorg('a3', 'b4', get)).to.deep.equal({ forkPoint: 'a1', disconnect: ['a3', 'a2'], connect: ['b2', 'b3', 'b4'] })
    expect(planReorg('b4', 'a3', get)).to.deep.equal({ forkPoint: 'a1', disconnect: ['b4', 'b3', 'b2'], connect: ['a2', 'a3'] })
  })

  it('branches that fork at genesis', () => {
    expect(planReorg('a2', 'c1', get)).to.deep.equal({ forkPoint: 'g', disconnect: ['a2', 'a1'], connect: ['c1'] })
  })

  it('mempoolChanges: leaving txs come back in chain order unless the new chain holds them', () => {
    const [t1, t2, t3, t4, t5] = [1, 2, 3, 4, 5].map(i => makeTx(i))
    const block = (index: number, txs: typeof t1[]): Block => ({ index, transactions: txs, timestamp: 0, previous_hash: '', nonce: 0, hash: `h${index}`, version: 1, bits: 0, tx_root: '' })
    const leaving = [block(3, [t4]), block(2, [t1, t2, t3])] // old tip first, as planReorg lists them
    const joining = [block(2, [t2]), block(3, [t5])]
    const { restore, evict } = mempoolChanges(leaving, joining)
    expect(restore.map(t => t.id)).to.deep.equal([t1.id, t3.id, t4.id])
    expect([...evict].sort()).to.deep.equal([t2.id, t5.id].sort())
    expect(mempoolChanges([], [])).to.deep.equal({ restore: [], evict: new Set() })
  })
})
