// Coded errors of the ledger rules. Each edge maps a code once: gossip -> Accept/Ignore/Reject,
// HTTP -> status, sync -> penalise the peer (src/chain/error-outcome.ts). Never return `false` without a reason.

export enum TxErrorCode {
  /** The body is not a JSON object. */
  NOT_OBJECT = 'TX_NOT_OBJECT',
  /** A field the schema does not know. meta.field */
  UNKNOWN_FIELD = 'TX_UNKNOWN_FIELD',
  /** A required field is absent. meta.field */
  MISSING_FIELD = 'TX_MISSING_FIELD',
  /** A field has the wrong JSON type. meta.field */
  WRONG_TYPE = 'TX_WRONG_TYPE',
  /** A field has the right type but a bad shape (hex length, decimals, PEM). meta.field */
  BAD_FORMAT = 'TX_BAD_FORMAT',
  /** A field is larger than the rule allows. meta.field, meta.limit */
  TOO_LARGE = 'TX_TOO_LARGE',
  /** A legacy RSA key shorter than MIN_RSA_BITS (1024). meta.bits, meta.limit */
  WEAK_KEY = 'TX_WEAK_KEY',
  /** A legacy RSA key longer than MAX_RSA_BITS (4096) or with a public exponent other than 65537. */
  UNSUPPORTED_KEY = 'TX_UNSUPPORTED_KEY',
  /** The signature does not verify under senderPK. */
  BAD_SIGNATURE = 'TX_BAD_SIGNATURE',
  /** The id field is not the hash of the signing payload. */
  ID_MISMATCH = 'TX_ID_MISMATCH',
  /** timestamp more than 2 h ahead of the node's clock. */
  FUTURE_TIMESTAMP = 'TX_FUTURE_TIMESTAMP',
  /** A legacy tx on a node configured with legacyTransactions: false. */
  LEGACY_DISABLED = 'TX_LEGACY_DISABLED',
  /** Already pending (stateful). */
  DUPLICATE = 'TX_DUPLICATE',
  /** Already in the main chain (stateful). */
  ALREADY_IN_CHAIN = 'TX_ALREADY_IN_CHAIN',
  /** The mempool is full by count or bytes, and no sender or source holds more than its fair share. */
  MEMPOOL_FULL = 'TX_MEMPOOL_FULL',
  /**
   * The tx's sender or source (gossip peer, HTTP client) would hold more than its fair share of a
   * mempool more than half full (docs/design.md §4, §12). meta.party ('sender' | 'source'), meta.count,
   * meta.shareCount, meta.parties
   */
  MEMPOOL_SHARE_EXCEEDED = 'TX_MEMPOOL_SHARE_EXCEEDED',
  /**
   * As MEMPOOL_SHARE_EXCEEDED, from a source that has pushed more than a whole further fair share past
   * its share since a block last took any of its txs: a flood, which a gossip peer pays for (docs/design.md
   * §12). meta as MEMPOOL_SHARE_EXCEEDED, plus meta.refusedCount, meta.refusedBytes
   */
  MEMPOOL_FLOOD = 'TX_MEMPOOL_FLOOD'
}

export enum BlockErrorCode {
  NOT_OBJECT = 'BLOCK_NOT_OBJECT',
  UNKNOWN_FIELD = 'BLOCK_UNKNOWN_FIELD',
  MISSING_FIELD = 'BLOCK_MISSING_FIELD',
  WRONG_TYPE = 'BLOCK_WRONG_TYPE',
  BAD_FORMAT = 'BLOCK_BAD_FORMAT',
  /** version is not BLOCK_VERSION. */
  WRONG_VERSION = 'BLOCK_WRONG_VERSION',
  /** bits differs from the network's. */
  WRONG_BITS = 'BLOCK_WRONG_BITS',
  /** The hash field is not sha256(header). */
  HASH_MISMATCH = 'BLOCK_HASH_MISMATCH',
  /** The hash has fewer leading zero bits than `bits`. */
  INSUFFICIENT_WORK = 'BLOCK_INSUFFICIENT_WORK',
  /** previous_hash names no block we know. */
  UNKNOWN_PARENT = 'BLOCK_UNKNOWN_PARENT',
  /** index is not parent.index + 1. */
  WRONG_INDEX = 'BLOCK_WRONG_INDEX',
  /** timestamp <= median of the last 11 ancestors. */
  TIMESTAMP_TOO_OLD = 'BLOCK_TIMESTAMP_TOO_OLD',
  /** timestamp > now + 2 h. */
  TIMESTAMP_TOO_NEW = 'BLOCK_TIMESTAMP_TOO_NEW',
  /** tx_root is not the Merkle root of the transactions. */
  TX_ROOT_MISMATCH = 'BLOCK_TX_ROOT_MISMATCH',
  /** Serialized block over 1 MiB. */
  TOO_LARGE = 'BLOCK_TOO_LARGE',
  /** More than 2,000 transactions. */
  TOO_MANY_TXS = 'BLOCK_TOO_MANY_TXS',
  /** A transaction breaks a tx rule. meta.txIndex, meta.txCode, meta.field */
  INVALID_TX = 'BLOCK_INVALID_TX',
  /** A transaction id already stands in the block's own ancestry. meta.txId */
  TX_IN_ANCESTRY = 'BLOCK_TX_IN_ANCESTRY',
  /** The same transaction id twice inside the block. meta.txId */
  DUPLICATE_TX = 'BLOCK_DUPLICATE_TX',
  /** We hold this block already (not an offence). */
  ALREADY_KNOWN = 'BLOCK_ALREADY_KNOWN',
  /** Not of this network's genesis. */
  WRONG_GENESIS = 'BLOCK_WRONG_GENESIS',
  /**
   * The block's branch leaves the main chain more than the node's finality depth below the head
   * (docs/design.md §4 checkpoint rule). meta.limit, meta.head
   */
  FORK_TOO_DEEP = 'BLOCK_FORK_TOO_DEEP',
  /** The node holds as many side-branch blocks as it keeps (docs/design.md §12); not an offence. meta.limit */
  SIDE_BRANCHES_FULL = 'BLOCK_SIDE_BRANCHES_FULL'
}

export type ErrorMeta = Record<string, string | number | boolean | undefined>

/** An error with an enum code and metadata: what every edge maps, never parses from a message. */
export class CodedError<C extends string> extends Error {
  constructor (readonly code: C, message: string, readonly meta: ErrorMeta = {}) {
    // A coded error is a verdict on input, answered by its code, never a bug to trace: no stack. A
    // flood is thousands of them a second, and capturing a stack costs ~3 us of the ~3.4 us an error
    // takes (Node 20, 30 frames deep); in the node's deep async stacks more.
    const limit = Error.stackTraceLimit
    Error.stackTraceLimit = 0
    super(message)
    Error.stackTraceLimit = limit
  }
}

export class TxError extends CodedError<TxErrorCode> {
  override readonly name = 'TxError'
}

export class BlockError extends CodedError<BlockErrorCode> {
  override readonly name = 'BlockError'
}
