// The one map from rule codes to edge behaviour (src/chain/error-outcome.ts), as a table.
import { expect } from 'chai'
import { ruleErrorOutcome } from '../src/chain/error-outcome.js'
import { BlockError, BlockErrorCode, TxError, TxErrorCode } from '../src/core/errors.js'

const cases: Array<{ err: TxError | BlockError, http: number, gossip: 'ignore' | 'reject', unknownParent?: boolean }> = [
  { err: new TxError(TxErrorCode.BAD_SIGNATURE, 'x'), http: 400, gossip: 'reject' },
  { err: new TxError(TxErrorCode.ID_MISMATCH, 'x'), http: 400, gossip: 'reject' },
  { err: new TxError(TxErrorCode.TOO_LARGE, 'x'), http: 413, gossip: 'reject' },
  { err: new TxError(TxErrorCode.DUPLICATE, 'x'), http: 409, gossip: 'ignore' },
  { err: new TxError(TxErrorCode.ALREADY_IN_CHAIN, 'x'), http: 409, gossip: 'ignore' },
  { err: new TxError(TxErrorCode.MEMPOOL_FULL, 'x'), http: 503, gossip: 'ignore' },
  { err: new TxError(TxErrorCode.FUTURE_TIMESTAMP, 'x'), http: 400, gossip: 'ignore' },
  { err: new TxError(TxErrorCode.LEGACY_DISABLED, 'x'), http: 400, gossip: 'ignore' },
  { err: new BlockError(BlockErrorCode.INSUFFICIENT_WORK, 'x'), http: 400, gossip: 'reject' },
  { err: new BlockError(BlockErrorCode.TOO_LARGE, 'x'), http: 413, gossip: 'reject' },
  { err: new BlockError(BlockErrorCode.ALREADY_KNOWN, 'x'), http: 409, gossip: 'ignore' },
  { err: new BlockError(BlockErrorCode.UNKNOWN_PARENT, 'x'), http: 400, gossip: 'ignore', unknownParent: true },
  { err: new BlockError(BlockErrorCode.TIMESTAMP_TOO_NEW, 'x'), http: 400, gossip: 'ignore' },
  { err: new BlockError(BlockErrorCode.INVALID_TX, 'x', { txCode: TxErrorCode.BAD_SIGNATURE }), http: 400, gossip: 'reject' },
  // Our clock or config, not the sender's fault, even inside a block.
  { err: new BlockError(BlockErrorCode.INVALID_TX, 'x', { txCode: TxErrorCode.FUTURE_TIMESTAMP }), http: 400, gossip: 'ignore' },
  { err: new BlockError(BlockErrorCode.INVALID_TX, 'x', { txCode: TxErrorCode.LEGACY_DISABLED }), http: 400, gossip: 'ignore' }
]

describe('ruleErrorOutcome (the one error mapping)', () => {
  for (const c of cases) {
    const inner = c.err.meta.txCode === undefined ? '' : ` (${String(c.err.meta.txCode)})`
    it(`${c.err.code}${inner}: HTTP ${c.http}, gossip ${c.gossip}`, () => {
      const outcome = ruleErrorOutcome(c.err)
      expect(outcome).to.deep.include({ code: c.err.code, httpStatus: c.http, gossip: c.gossip, unknownParent: c.unknownParent ?? false })
    })
  }

  it('returns undefined for errors that are not rule errors (the edge logs them as internal)', () => {
    expect(ruleErrorOutcome(new Error('disk on fire'))).to.equal(undefined)
    expect(ruleErrorOutcome('not even an error')).to.equal(undefined)
  })
})
