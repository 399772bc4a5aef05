// Coded errors of the sync client (docs/design.md §5), like TxError/BlockError in core: every way a sync can
// end badly has one code, and SYNC_ERROR_OUTCOMES maps each code ONCE to what the loop does (penalise
// and disconnect, ban, or nothing) and to the sync's outcome. The table is exhaustive (`satisfies
// Record`): a new code does not compile until someone decides whether it is the peer's fault.
import { CodedError, type ErrorMeta } from '../core/errors.js'
import { PeerRequestError, PeerRequestErrorCode } from './http-over-libp2p.js'

/** How one sync with one peer ended. */
export type SyncOutcome =
  /** The peer has no more work than we do. */
  | 'up-to-date'
  /** We downloaded and imported up to the peer's claimed work. */
  | 'synced'
  /** Another network or genesis: disconnected and refused for a while. */
  | 'wrong-network'
  /** Timeout, unreachable, or the peer's chain moved under us: retried later, no penalty. */
  | 'failed'
  /** Invalid status, locate answer or blocks: penalised and disconnected. */
  | 'invalid-data'
  /** The peer ran out of blocks before delivering the work it claimed: penalised and disconnected. */
  | 'lied'
  /** The loop was stopped. */
  | 'stopped'

export enum SyncErrorCode {
  // ---- the peer's fault: penalised and disconnected ----
  /** The status answer is not {network, genesis, head: {hash, index, work}}. */
  BAD_STATUS_BODY = 'SYNC_BAD_STATUS_BODY',
  /** The locate answer is not {hash, index}, or names a block that is not in our locator. */
  BAD_LOCATE = 'SYNC_BAD_LOCATE',
  /** The peer found none of our locator hashes, though the locator ends with the genesis we share. */
  NO_COMMON_BLOCK = 'SYNC_NO_COMMON_BLOCK',
  /** A blocks answer that is not an array, holds more than asked, or does not link up from where we asked. */
  BAD_BATCH = 'SYNC_BAD_BATCH',
  /** A served block breaks a rule that makes it invalid anywhere. meta.ruleCode (BLOCK_*), meta.ruleMessage */
  INVALID_BLOCK = 'SYNC_INVALID_BLOCK',
  /** The peer's blocks did not bring us to the work its status claimed. meta.claimed, meta.reached */
  WORK_NOT_DELIVERED = 'SYNC_WORK_NOT_DELIVERED',
  /** The peer kept serving batches (MAX_BATCHES_PER_SYNC) without reaching its claimed work. */
  TOO_MANY_BATCHES = 'SYNC_TOO_MANY_BATCHES',
  /**
   * A batch with fewer blocks than asked, short of the peer's claimed head and well under the response
   * byte budget: an honest server fills a batch (docs/design.md §12 progress budget). meta.received, meta.bytes
   */
  SHORT_BATCH = 'SYNC_SHORT_BATCH',
  /** The claimed work is not what that many blocks of this network weigh (every block weighs 2^bits). meta.claimed, meta.expected */
  WORK_INDEX_MISMATCH = 'SYNC_WORK_INDEX_MISMATCH',
  /** The sync's time budget ran out before the peer delivered a single new block. meta.budgetMs */
  NO_PROGRESS = 'SYNC_NO_PROGRESS',
  // ---- another network: banned ----
  /** The peer's status names another network or genesis. meta.network, meta.genesis */
  WRONG_NETWORK = 'SYNC_WRONG_NETWORK',
  // ---- nobody's fault: the sync ends, the peer stays ----
  /** A served block our rules refuse for our own reasons (our clock, our config). meta.ruleCode */
  BLOCK_IGNORED = 'SYNC_BLOCK_IGNORED',
  /** The peer no longer has the block we asked to continue from: its chain moved while we synced. */
  BRANCH_MOVED = 'SYNC_BRANCH_MOVED',
  /** A request got no complete answer within its timeout. meta.path */
  TIMEOUT = 'SYNC_TIMEOUT',
  /** No stream to the peer, or it broke before a complete answer. meta.path */
  UNREACHABLE = 'SYNC_UNREACHABLE',
  /** An answer larger than we accept. meta.path, meta.limit */
  RESPONSE_TOO_LARGE = 'SYNC_RESPONSE_TOO_LARGE',
  /** An answer that is not JSON (also what a stream cut mid-body gives). meta.path */
  BAD_JSON = 'SYNC_BAD_JSON',
  /** The peer answered an error status. meta.status, meta.remoteCode */
  PEER_ERROR = 'SYNC_PEER_ERROR',
  /** The sync's time budget ran out; what it imported stays, the next sync goes on from there. meta.budgetMs */
  TIME_BUDGET = 'SYNC_TIME_BUDGET',
  /** It made no progress for a while and a waiting sync took its slot (docs/design.md §12). */
  EVICTED = 'SYNC_EVICTED',
  /** Whoever asked for the sync stopped waiting (a /register_with deadline). */
  ABANDONED = 'SYNC_ABANDONED',
  /** The peer's branch leaves ours below our checkpoint (docs/design.md §4): we will not follow it. meta.fork, meta.limit */
  FORK_TOO_DEEP = 'SYNC_FORK_TOO_DEEP',
  /** Our own failure (a bug, a broken disk): logged. */
  INTERNAL = 'SYNC_INTERNAL'
}

export class SyncError extends CodedError<SyncErrorCode> {
  override readonly name = 'SyncError'
}

/** What the loop does about the peer. */
export type SyncPeerAction =
  /** Take reputation points (PENALTY_BAD_SYNC: enough to ban) and close its connections. */
  | 'penalise'
  /** Ban it outright (another network) and close its connections. */
  | 'ban'
  /** Nothing: try again later. */
  | 'none'

export interface SyncErrorOutcome {
  outcome: Exclude<SyncOutcome, 'up-to-date' | 'synced' | 'stopped'>
  action: SyncPeerAction
}

const INVALID: SyncErrorOutcome = { outcome: 'invalid-data', action: 'penalise' }
const LIED: SyncErrorOutcome = { outcome: 'lied', action: 'penalise' }
const RETRY: SyncErrorOutcome = { outcome: 'failed', action: 'none' }

export const SYNC_ERROR_OUTCOMES = {
  [SyncErrorCode.BAD_STATUS_BODY]: INVALID,
  [SyncErrorCode.BAD_LOCATE]: INVALID,
  [SyncErrorCode.NO_COMMON_BLOCK]: INVALID,
  [SyncErrorCode.BAD_BATCH]: INVALID,
  [SyncErrorCode.INVALID_BLOCK]: INVALID,
  [SyncErrorCode.WORK_NOT_DELIVERED]: LIED,
  [SyncErrorCode.TOO_MANY_BATCHES]: LIED,
  [SyncErrorCode.SHORT_BATCH]: LIED,
  [SyncErrorCode.WORK_INDEX_MISMATCH]: INVALID,
  [SyncErrorCode.NO_PROGRESS]: LIED,
  [SyncErrorCode.WRONG_NETWORK]: { outcome: 'wrong-network', action: 'ban' },
  [SyncErrorCode.BLOCK_IGNORED]: RETRY,
  [SyncErrorCode.BRANCH_MOVED]: RETRY,
  [SyncErrorCode.TIMEOUT]: RETRY,
  [SyncErrorCode.UNREACHABLE]: RETRY,
  [SyncErrorCode.RESPONSE_TOO_LARGE]: RETRY,
  [SyncErrorCode.BAD_JSON]: RETRY,
  [SyncErrorCode.PEER_ERROR]: RETRY,
  [SyncErrorCode.TIME_BUDGET]: RETRY,
  [SyncErrorCode.EVICTED]: RETRY,
  [SyncErrorCode.ABANDONED]: RETRY,
  [SyncErrorCode.FORK_TOO_DEEP]: RETRY,
  [SyncErrorCode.INTERNAL]: RETRY
} as const satisfies Record<SyncErrorCode, SyncErrorOutcome>

const FROM_REQUEST = {
  [PeerRequestErrorCode.TIMEOUT]: SyncErrorCode.TIMEOUT,
  [PeerRequestErrorCode.UNREACHABLE]: SyncErrorCode.UNREACHABLE,
  [PeerRequestErrorCode.TOO_LARGE]: SyncErrorCode.RESPONSE_TOO_LARGE,
  [PeerRequestErrorCode.BAD_JSON]: SyncErrorCode.BAD_JSON,
  [PeerRequestErrorCode.BAD_STATUS]: SyncErrorCode.PEER_ERROR
} as const satisfies Record<PeerRequestErrorCode, SyncErrorCode>

/** The SyncError of anything a sync threw: SyncErrors as they are, request failures by their code, the rest INTERNAL. */
export function toSyncError (err: unknown): SyncError {
  if (err instanceof SyncError) return err
  if (err instanceof PeerRequestError) {
    const meta: ErrorMeta = { path: err.meta.path, status: err.meta.status, remoteCode: err.meta.remoteCode, limit: err.meta.limit }
    return new SyncError(FROM_REQUEST[err.code], err.message, meta)
  }
  return new SyncError(SyncErrorCode.INTERNAL, err instanceof Error ? err.message : String(err))
}
