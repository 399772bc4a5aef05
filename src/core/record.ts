// What a transaction says as a supply-chain record (docs/design.md §2, §7, §9): the item it is about and
// who receives it. A native tx carries both as fields. A legacy tx carries them the way the original
// Flask frontend writes them: `data` = `item|receiverPEM`, split at the FIRST `|`.
// Pure and browser-safe: the store's item index, the legacy chain view and the web page share it.
import { labelCheck, spkiPemCheck } from './schema.js'
import { MAX_ITEM_CHARS, MAX_RSA_PEM_CHARS, type Tx } from './types.js'

const ITEM_CHECK = labelCheck(MAX_ITEM_CHARS)
const PEM_CHECK = spkiPemCheck(MAX_RSA_PEM_CHARS)

/** True if `item` could be the item of a record: 1 to 128 code points of valid Unicode (the tx schema's rule). */
export function isValidItem (item: unknown): item is string {
  return typeof item === 'string' && ITEM_CHECK(item) === undefined
}

export interface LegacyRecord {
  item: string
  /** The receiver's RSA public key, SPKI PEM, as the original frontend looks it up in its address book. */
  receiverPem: string
}

/**
 * A legacy tx's data as the original frontend reads it: `item|receiverPEM`, split at the first `|`.
 * Undefined when the data is not of that form (the frontend would fail on it).
 */
export function legacyRecord (tx: Tx): LegacyRecord | undefined {
  if (tx.scheme !== 'rsa-legacy') return undefined
  const bar = tx.data.indexOf('|')
  if (bar < 0) return undefined
  const item = tx.data.slice(0, bar)
  const receiverPem = tx.data.slice(bar + 1)
  if (!isValidItem(item) || PEM_CHECK(receiverPem) !== undefined) return undefined
  return { item, receiverPem }
}

/** The item a record is about, or null: a native tx's `item`, a legacy record's part before `|`. */
export function recordItem (tx: Tx): string | null {
  if (tx.scheme === 'ed25519') return tx.item
  return legacyRecord(tx)?.item ?? null
}

/** Who receives the item: a native tx's receiverPK (64 hex), a legacy record's receiver PEM, or null. */
export function recordReceiver (tx: Tx): string | null {
  if (tx.scheme === 'ed25519') return tx.receiverPK
  return legacyRecord(tx)?.receiverPem ?? null
}

