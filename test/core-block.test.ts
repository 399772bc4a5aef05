// Blocks (docs/design.md §3) beyond the one-test-per-code cases: schema normalisation, sizes, genesis,
// median time past, header validation order.
import { expect } from 'chai'
import {
  BLOCK_TX_BYTES_BUDGET, MAX_BLOCK_BYTES, MAX_TX_DATA_BYTES, Mempool, blockSize, createBlockTemplate, genesisBlock,
  medianTimePast, networkId, parseBlock, txSize, validateBlock
} from '../src/core/index.js'
import { TEST_GENESIS, TEST_NETWORK, blockContext, makeBlock, makeTx, mine } from './core-fixtures.js'

describe('core block', () => {
  it('parseBlock returns a fresh object in design field order with parsed txs', () => {
    const block = makeBlock()
    const shuffled = JSON.parse(JSON.stringify(Object.fromEntries(Object.entries(block).reverse())))
    const parsed = parseBlock(shuffled)
    expect(Object.keys(parsed)).to.deep.equal(['index', 'transactions', 'timestamp', 'previous_hash', 'nonce', 'hash', 'version', 'bits', 'tx_root'])
    expect(parsed).to.deep.equal(block)
    expect(blockSize(parsed)).to.equal(Buffer.byteLength(JSON.stringify(block)))
  })

  it('genesis: index 0, no txs, zero parent, nonce 0, not mined; the network id names it', () => {
    const g = genesisBlock({ name: 'gossipchain-dev', genesisTimestamp: 1767225600, bits: 16 })
    expect(g).to.include({ index: 0, nonce: 0, version: 1, bits: 16, previous_hash: '0'.repeat(64) })
    expect(g.transactions).to.deep.equal([])
    expect(g.tx_root).to.equal('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')
    expect(networkId({ name: 'gossipchain-dev', genesisTimestamp: 1767225600, bits: 16 })).to.equal(`gossipchain-dev-${g.hash.slice(0, 8)}`)
    expect(() => genesisBlock({ name: 'bad name', genesisTimestamp: 1, bits: 8 })).to.throw(TypeError, /name/)
    expect(() => genesisBlock({ name: 'ok', genesisTimestamp: 1.0001, bits: 8 })).to.throw(TypeError, /genesisTimestamp/)
    expect(() => genesisBlock({ name: 'ok', genesisTimestamp: 1, bits: 256 })).to.throw(TypeError, /bits/)
  })

  it('medianTimePast: the middle of the sorted timestamps, -Infinity with none, at most 11', () => {
    expect(medianTimePast([])).to.equal(-Infinity)
    expect(medianTimePast([5])).to.equal(5)
    expect(medianTimePast([3, 1, 2])).to.equal(2)
    expect(medianTimePast([4, 1, 3, 2])).to.equal(3)
    expect(medianTimePast([11, 1, 10, 2, 9, 3, 8, 4, 7, 5, 6])).to.equal(6)
    expect(() => medianTimePast(new Array(12).fill(1))).to.throw(RangeError)
  })

  it('a chain of blocks validates link by link', async () => {
    let parent = TEST_GENESIS
    const timestamps = [TEST_GENESIS.timestamp]
    for (let i = 1; i <= 4; i++) {
      const block = mine(createBlockTemplate(parent, [makeTx(i * 10), makeTx(i * 10 + 1)], parent.timestamp + 30, TEST_NETWORK.bits))
      await validateBlock(block, blockContext({ parent, ancestorTimestamps: timestamps.slice(-11) }))
      timestamps.push(block.timestamp)
      parent = block
    }
  })

  it('mempool.select with BLOCK_TX_BYTES_BUDGET fills a block up to, never over, 1 MiB', () => {
    const pool = new Mempool({ maxCount: 1000, maxBytes: 64 * 1024 * 1024 })
    for (let i = 0; i < 80; i++) pool.add(makeTx(i, { data: 'd'.repeat(MAX_TX_DATA_BYTES - (i % 7) * 100) }))
    const txs = pool.select({ maxTxs: 2000, maxBytes: BLOCK_TX_BYTES_BUDGET })
    const block = makeBlock(txs, { index: Number.MAX_SAFE_INTEGER, timestamp: 9_007_199_254_739.999 })
    expect(blockSize(block)).to.be.at.most(MAX_BLOCK_BYTES)
    const next = pool.list()[txs.length]
    expect(blockSize({ ...block, transactions: [...txs, next] })).to.be.above(MAX_BLOCK_BYTES) // the budget is tight
    expect(txs.reduce((n, tx) => n + txSize(tx) + 1, 0)).to.be.at.most(BLOCK_TX_BYTES_BUDGET)
  })
})
