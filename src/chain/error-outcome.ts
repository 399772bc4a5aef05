// The ONE adapter from coded rule errors to what each edge does with them (Lodestar style):
// gossip Accept/Ignore/Reject, HTTP status, metric label, sync peer fault. Edges never inspect codes
// themselves. The table is exhaustive over every TxErrorCode and BlockErrorCode (`satisfies Record`):
// a code added to src/core/errors.ts does not compile until someone decides here whether it is the
// sender's fault, instead of silently becoming a Reject that penalises peers.
import { BlockError, BlockErrorCode, TxError, TxErrorCode } from '../core/errors.js'

export type GossipVerdict = 'accept' | 'ignore' | 'reject'
export type RuleCode = TxErrorCode | BlockErrorCode
export type RuleHttpStatus = 400 | 404 | 409 | 413 | 429 | 503

/** What one code means at the edges. */
export interface CodeOutcome {
  httpStatus: RuleHttpStatus
  /**
   * 'reject' exactly when the sender is at fault (docs/design.md §5): the gossip peer is penalised and a
   * sync peer dropped. 'ignore' for what is not: duplicates, a full mempool, our clock, our config,
   * our view of the chain.
   */
  gossip: 'ignore' | 'reject'
  /**
   * A flood, not an offence (docs/design.md §12): the message is ignored, but a gossip peer sending it
   * is charged a few reputation points, so one that keeps pushing past its fair share ends banned.
   */
  flood?: true
}

export interface ErrorOutcome extends CodeOutcome {
  code: string
  message: string
  /** The block's parent is unknown: sync with whoever sent it. */
  unknownParent: boolean
}

/** Invalid data: the sender's fault. */
const INVALID: CodeOutcome = { httpStatus: 400, gossip: 'reject' }
/** Over a size rule: the sender's fault. */
const TOO_LARGE: CodeOutcome = { httpStatus: 413, gossip: 'reject' }
/** Seen already: nobody's fault. */
const KNOWN: CodeOutcome = { httpStatus: 409, gossip: 'ignore' }
/** Valid, but not for us now: our clock, our config or our view of the chain. */
const NOT_NOW: CodeOutcome = { httpStatus: 400, gossip: 'ignore' }
/** We are full: try later. */
const BUSY: CodeOutcome = { httpStatus: 503, gossip: 'ignore' }
/** The sender or source already holds its fair share: try later. */
const OVER_SHARE: CodeOutcome = { httpStatus: 429, gossip: 'ignore' }
/** Over its share and pushing a whole further share past it: a flood, which a gossip peer pays for. */
const FLOOD: CodeOutcome = { httpStatus: 429, gossip: 'ignore', flood: true }

export const RULE_OUTCOMES = {
  [TxErrorCode.NOT_OBJECT]: INVALID,
  [TxErrorCode.UNKNOWN_FIELD]: INVALID,
  [TxErrorCode.MISSING_FIELD]: INVALID,
  [TxErrorCode.WRONG_TYPE]: INVALID,
  [TxErrorCode.BAD_FORMAT]: INVALID,
  [TxErrorCode.TOO_LARGE]: TOO_LARGE,
  [TxErrorCode.WEAK_KEY]: INVALID,
  [TxErrorCode.UNSUPPORTED_KEY]: INVALID,
  [TxErrorCode.BAD_SIGNATURE]: INVALID,
  [TxErrorCode.ID_MISMATCH]: INVALID,
  [TxErrorCode.FUTURE_TIMESTAMP]: NOT_NOW,
  [TxErrorCode.LEGACY_DISABLED]: NOT_NOW,
  [TxErrorCode.DUPLICATE]: KNOWN,
  [TxErrorCode.ALREADY_IN_CHAIN]: KNOWN,
  [TxErrorCode.MEMPOOL_FULL]: BUSY,
  [TxErrorCode.MEMPOOL_SHARE_EXCEEDED]: OVER_SHARE,
  [TxErrorCode.MEMPOOL_FLOOD]: FLOOD,

  [BlockErrorCode.NOT_OBJECT]: INVALID,
  [BlockErrorCode.UNKNOWN_FIELD]: INVALID,
  [BlockErrorCode.MISSING_FIELD]: INVALID,
  [BlockErrorCode.WRONG_TYPE]: INVALID,
  [BlockErrorCode.BAD_FORMAT]: INVALID,
  [BlockErrorCode.WRONG_VERSION]: INVALID,
  [BlockErrorCode.WRONG_BITS]: INVALID,
  [BlockErrorCode.HASH_MISMATCH]: INVALID,
  [BlockErrorCode.INSUFFICIENT_WORK]: INVALID,
  [BlockErrorCode.UNKNOWN_PARENT]: NOT_NOW,
  [BlockErrorCode.WRONG_INDEX]: INVALID,
  [BlockErrorCode.TIMESTAMP_TOO_OLD]: INVALID,
  [BlockErrorCode.TIMESTAMP_TOO_NEW]: NOT_NOW,
  [BlockErrorCode.TX_ROOT_MISMATCH]: INVALID,
  [BlockErrorCode.TOO_LARGE]: TOO_LARGE,
  [BlockErrorCode.TOO_MANY_TXS]: INVALID,
  // Takes the verdict of its tx's code (meta.txCode): a tx "from the future" for our clock, or legacy
  // on a node that refuses legacy, is not the block's sender's fault either.
  [BlockErrorCode.INVALID_TX]: INVALID,
  [BlockErrorCode.TX_IN_ANCESTRY]: INVALID,
  [BlockErrorCode.DUPLICATE_TX]: INVALID,
  [BlockErrorCode.ALREADY_KNOWN]: KNOWN,
  [BlockErrorCode.WRONG_GENESIS]: INVALID,
  // Our checkpoint (docs/design.md §4) and our memory bound (§12), not the block's validity.
  [BlockErrorCode.FORK_TOO_DEEP]: NOT_NOW,
  [BlockErrorCode.SIDE_BRANCHES_FULL]: BUSY
} as const satisfies Record<RuleCode, CodeOutcome>

const TX_CODES = new Set<string>(Object.values(TxErrorCode))

/** The gossip verdict of BLOCK_INVALID_TX: its tx's, when that is a known tx code. */
function invalidTxVerdict (err: BlockError): CodeOutcome['gossip'] {
  const txCode = err.meta.txCode
  return typeof txCode === 'string' && TX_CODES.has(txCode) ? RULE_OUTCOMES[txCode as TxErrorCode].gossip : 'reject'
}

/** Map a rule error; anything else is not a client's fault and returns undefined (the edge logs it). */
export function ruleErrorOutcome (err: unknown): ErrorOutcome | undefined {
  if (!(err instanceof TxError) && !(err instanceof BlockError)) return undefined
  const outcome: CodeOutcome = RULE_OUTCOMES[err.code]
  return {
    code: err.code,
    message: err.message,
    httpStatus: outcome.httpStatus,
    gossip: err instanceof BlockError && err.code === BlockErrorCode.INVALID_TX ? invalidTxVerdict(err) : outcome.gossip,
    unknownParent: err.code === BlockErrorCode.UNKNOWN_PARENT,
    ...(outcome.flood === true ? { flood: true as const } : {})
  }
}
