// The ONE adapter from coded rule errors to what each edge does with them (Lodestar style):
// gossip Accept/Ignore/Reject, HTTP status, metric label. Edges never inspect codes themselves.
import { BlockError, BlockErrorCode, TxError, TxErrorCode } from '../core/errors.js'

export type GossipVerdict = 'accept' | 'ignore' | 'reject'

export interface ErrorOutcome {
  code: string
  message: string
  httpStatus: 400 | 404 | 409 | 413 | 503
  gossip: GossipVerdict
  /** The block's parent is unknown: sync with whoever sent it. */
  unknownParent: boolean
}

/** Not the sender's fault: duplicates, a full mempool, our clock or our view of the chain. */
const IGNORED = new Set<string>([
  TxErrorCode.DUPLICATE, TxErrorCode.ALREADY_IN_CHAIN, TxErrorCode.MEMPOOL_FULL, TxErrorCode.FUTURE_TIMESTAMP,
  TxErrorCode.LEGACY_DISABLED,
  BlockErrorCode.ALREADY_KNOWN, BlockErrorCode.UNKNOWN_PARENT, BlockErrorCode.TIMESTAMP_TOO_NEW
])

const HTTP_STATUS: Partial<Record<string, ErrorOutcome['httpStatus']>> = {
  [TxErrorCode.DUPLICATE]: 409,
  [TxErrorCode.ALREADY_IN_CHAIN]: 409,
  [TxErrorCode.TOO_LARGE]: 413,
  [TxErrorCode.MEMPOOL_FULL]: 503,
  [BlockErrorCode.ALREADY_KNOWN]: 409,
  [BlockErrorCode.TOO_LARGE]: 413
}

/** A block refused only because one of its txs is "from the future" for our clock or legacy for our config. */
function isIgnoredInnerTxError (err: TxError | BlockError): boolean {
  return err.code === BlockErrorCode.INVALID_TX && (err.meta.txCode === TxErrorCode.FUTURE_TIMESTAMP || err.meta.txCode === TxErrorCode.LEGACY_DISABLED)
}

/** Map a rule error; anything else is not a client's fault and returns undefined (the edge logs it). */
export function ruleErrorOutcome (err: unknown): ErrorOutcome | undefined {
  if (!(err instanceof TxError) && !(err instanceof BlockError)) return undefined
  return {
    code: err.code,
    message: err.message,
    httpStatus: HTTP_STATUS[err.code] ?? 400,
    gossip: IGNORED.has(err.code) || isIgnoredInnerTxError(err) ? 'ignore' : 'reject',
    unknownParent: err.code === BlockErrorCode.UNKNOWN_PARENT
  }
}
