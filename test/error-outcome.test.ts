// The one map from rule codes to edge behaviour (src/chain/error-outcome.ts), tested as loops over the enums:
// every TxErrorCode and BlockErrorCode has an outcome, every HTTP status is one the design names, and
// only the sender's faults are gossip Rejects (which penalise peers).
import { expect } from 'chai'
import { RULE_OUTCOMES, ruleErrorOutcome, type CodeOutcome, type RuleCode } from '../src/chain/error-outcome.js'
import { BlockError, BlockErrorCode, TxError, TxErrorCode } from '../src/core/errors.js'

/**
 * The codes that are NOT the sender's fault (docs/design.md §5): seen already, our mempool is full, our
 * clock, our config, our view of the chain. Every other code is invalid data: a Reject.
 */
const NOT_THE_SENDERS_FAULT = new Set<RuleCode>([
  TxErrorCode.DUPLICATE, TxErrorCode.ALREADY_IN_CHAIN, TxErrorCode.MEMPOOL_FULL, TxErrorCode.FUTURE_TIMESTAMP, TxErrorCode.LEGACY_DISABLED,
  TxErrorCode.MEMPOOL_SHARE_EXCEEDED, TxErrorCode.MEMPOOL_FLOOD,
  BlockErrorCode.ALREADY_KNOWN, BlockErrorCode.UNKNOWN_PARENT, BlockErrorCode.TIMESTAMP_TOO_NEW,
  BlockErrorCode.FORK_TOO_DEEP, BlockErrorCode.SIDE_BRANCHES_FULL
])

/** docs/design.md §7: 400 invalid, 409 duplicate, 413 too big, 429 over a fair share, 503 mempool (or side-branch store) full. */
const DESIGNED_STATUS: Partial<Record<RuleCode, number>> = {
  [TxErrorCode.DUPLICATE]: 409,
  [TxErrorCode.ALREADY_IN_CHAIN]: 409,
  [TxErrorCode.TOO_LARGE]: 413,
  [TxErrorCode.MEMPOOL_FULL]: 503,
  [TxErrorCode.MEMPOOL_SHARE_EXCEEDED]: 429,
  [TxErrorCode.MEMPOOL_FLOOD]: 429,
  [BlockErrorCode.ALREADY_KNOWN]: 409,
  [BlockErrorCode.TOO_LARGE]: 413,
  [BlockErrorCode.SIDE_BRANCHES_FULL]: 503
}

const ALL: Array<{ code: RuleCode, error: TxError | BlockError }> = [
  ...Object.values(TxErrorCode).map(code => ({ code, error: new TxError(code, 'x') })),
  ...Object.values(BlockErrorCode).map(code => ({ code, error: new BlockError(code, 'x') }))
]

describe('ruleErrorOutcome (the one error mapping)', () => {
  it('the table has exactly the codes of TxErrorCode and BlockErrorCode', () => {
    expect(Object.keys(RULE_OUTCOMES).sort()).to.deep.equal(ALL.map(c => c.code).sort())
  })

  for (const { code, error } of ALL) {
    const peerFault = !NOT_THE_SENDERS_FAULT.has(code)
    const status = DESIGNED_STATUS[code] ?? 400
    it(`${code}: HTTP ${status}, gossip ${peerFault ? 'reject (the sender\'s fault)' : 'ignore'}`, () => {
      const outcome = ruleErrorOutcome(error)
      expect(outcome).to.deep.equal({
        code, message: 'x', httpStatus: status, gossip: peerFault ? 'reject' : 'ignore', unknownParent: code === BlockErrorCode.UNKNOWN_PARENT,
        // Only a source pushing a whole share past its share is charged as a flood (docs/design.md §12).
        ...(code === TxErrorCode.MEMPOOL_FLOOD ? { flood: true } : {})
      })
      expect([400, 404, 409, 413, 429, 503]).to.include(outcome!.httpStatus)
    })
  }

  it('BLOCK_INVALID_TX takes the verdict of its tx\'s code: a block is not its sender\'s fault for our clock or our config', () => {
    for (const txCode of Object.values(TxErrorCode)) {
      const outcome = ruleErrorOutcome(new BlockError(BlockErrorCode.INVALID_TX, 'x', { txIndex: 0, txCode }))
      expect(outcome?.gossip, txCode).to.equal(NOT_THE_SENDERS_FAULT.has(txCode) ? 'ignore' : 'reject')
      expect(outcome?.httpStatus, txCode).to.equal(400)
    }
    expect(ruleErrorOutcome(new BlockError(BlockErrorCode.INVALID_TX, 'x', {}))?.gossip).to.equal('reject')
    expect(ruleErrorOutcome(new BlockError(BlockErrorCode.INVALID_TX, 'x', { txCode: 'NOT_A_CODE' }))?.gossip).to.equal('reject')
  })

  it('returns undefined for errors that are not rule errors (the edge logs them as internal)', () => {
    expect(ruleErrorOutcome(new Error('disk on fire'))).to.equal(undefined)
    expect(ruleErrorOutcome('not even an error')).to.equal(undefined)
  })

  it('a table without every code does not compile (npm run typecheck)', () => {
    // @ts-expect-error Property 'TX_UNKNOWN_FIELD' (and the others) is missing: the `satisfies Record<RuleCode, ...>` check.
    const partial = { [TxErrorCode.NOT_OBJECT]: RULE_OUTCOMES[TxErrorCode.NOT_OBJECT] } satisfies Record<RuleCode, CodeOutcome>
    expect(Object.keys(partial)).to.have.length(1)
  })
})
