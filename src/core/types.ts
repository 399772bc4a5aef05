// Wire shapes of docs/design.md §2 and §3. Hex strings at the edges; core functions take these objects.

/** The fields an author fills in before signing (docs/design.md §2, scheme `ed25519`). */
export interface UnsignedEd25519Tx {
  scheme: 'ed25519'
  senderPK: string
  receiverPK: string | null
  item: string | null
  data: string
  timestamp: number
  nonce: string
}

/** A native transaction: the signed fields plus signature and id. */
export interface Ed25519Tx extends UnsignedEd25519Tx {
  signature: string
  id: string
}

/** A legacy transaction as stored after the node stamped it (docs/design.md §2, legacy scheme). */
export interface RsaLegacyTx {
  scheme: 'rsa-legacy'
  senderPK: string
  signature: string
  data: string
  timestamp: number
  id: string
}

export type Tx = Ed25519Tx | RsaLegacyTx

/** A block as it travels in JSON (docs/design.md §3). */
export interface Block {
  index: number
  transactions: Tx[]
  timestamp: number
  previous_hash: string
  nonce: number
  hash: string
  version: number
  bits: number
  tx_root: string
}

/** What a network config says about its genesis (docs/design.md §3, Genesis). */
export interface NetworkParams {
  name: string
  /** Genesis timestamp, Unix seconds with at most 3 decimals. */
  genesisTimestamp: number
  /** Difficulty of every block: leading zero bits of the hash. */
  bits: number
}

export const BLOCK_VERSION = 1
export const HEADER_BYTES = 91
/** Bytes of the header before the nonce: what a miner hashes once (docs/design.md §3, §11). */
export const HEADER_PREFIX_BYTES = HEADER_BYTES - 8
export const MAX_BLOCK_BYTES = 1024 * 1024
export const MAX_BLOCK_TXS = 2000
export const MAX_TX_DATA_BYTES = 16 * 1024
export const MAX_ITEM_CHARS = 128
export const MAX_FUTURE_DRIFT_MS = 2 * 60 * 60 * 1000
export const MEDIAN_TIME_SPAN = 11
/** Shortest legacy RSA key (docs/design.md §2): the original wallet fork's keys are RSA-1024. */
export const MIN_RSA_BITS = 1024
/**
 * Longest legacy RSA key. RSA verification costs grow with the square of the modulus size (with
 * e = 65537): 4096 bits covers every size a standard library generates (1024/2048/3072/4096) at
 * ~4x the cost of a 2048-bit check, where 8192 bits would cost ~16x and 16384 ~64x for no
 * legitimate user (docs/design.md §12: refused cheapest-first).
 */
export const MAX_RSA_BITS = 4096
/** The one public exponent accepted (F4, what every standard library uses): a larger one costs more per check. */
export const RSA_PUBLIC_EXPONENT = 65537n
/**
 * Longest accepted legacy RSA public key PEM (chars). A 4096-bit SPKI PEM is ~800 chars with 64-char
 * lines; the schema leaves room for other line lengths, and a longer key is refused by its size rule
 * (TX_UNSUPPORTED_KEY, a clearer message) as long as its PEM fits here.
 */
export const MAX_RSA_PEM_CHARS = 4096
/** Longest accepted legacy RSA signature field (bytes); a signature of a MAX_RSA_BITS key is 512. */
export const MAX_RSA_SIGNATURE_BYTES = 1024
/** Largest timestamp (seconds) whose milliseconds still fit a safe integer (the header's u64 ms). */
export const MAX_TIMESTAMP_SECONDS = Math.floor(Number.MAX_SAFE_INTEGER / 1000)
/** Domain tag of the ed25519 signing payload (docs/design.md §2). */
export const TX_SIGNING_DOMAIN = 'gossipchain/tx/v1'
