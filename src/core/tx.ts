// Transactions (docs/design.md §2): schema, ids, signing and the stateless rules. Stateful rules (already
// pending, already in the chain) belong to the mempool and the chain.
import * as z from 'zod'
import { canonicalJson } from './canonical.js'
import { jsonSizeOf } from './serialized.js'
import { TxError, TxErrorCode } from './errors.js'
import { fromHex, isHex, isWellFormedString, latin1Bytes, toHex, utf8 } from './bytes.js'
import { sha256Hex } from './hash.js'
import { checkNetworkId } from './network.js'
import { readRsaSpkiPem, RsaKeyFormatError, type RsaPublicKeyInfo } from './rsa-key.js'
import { ED25519_PUBLIC_KEY_BYTES, ED25519_SIGNATURE_BYTES, type Ed25519Signer, type SignatureCheck, type SignatureVerifier } from './signature.js'
import {
  hexCheck, isPlainObject, jsonNumber, jsonString, labelCheck, latin1Check, nullableString, schemaMessage, spkiPemCheck,
  timestampCheck, utf8TextCheck, validate, type SchemaFailure
} from './schema.js'
import {
  MAX_FUTURE_DRIFT_MS, MAX_ITEM_CHARS, MAX_RSA_BITS, MAX_RSA_PEM_CHARS, MAX_RSA_SIGNATURE_BYTES, MAX_TX_DATA_BYTES,
  MIN_RSA_BITS, RSA_PUBLIC_EXPONENT, TX_SIGNING_DOMAIN,
  type Ed25519Tx, type RsaLegacyTx, type Tx, type UnsignedEd25519Tx
} from './types.js'

export type { BatchSignatureVerifier, Ed25519Signer, SignatureCheck, SignatureVerifier, VerifyManyOptions } from './signature.js'

export interface TxRuleContext {
  /** Network id (docs/design.md §3 Genesis), part of every ed25519 signing payload. */
  network: string
  /** The node's clock, passed in: core reads no clock. */
  nowMs: number
  /** docs/design.md §2: config `legacyTransactions`, default true. */
  legacyTransactions?: boolean
}

export interface TxVerifyContext extends TxRuleContext {
  verifier: SignatureVerifier
}

// ---- schema ----

const DATA_CHECK = utf8TextCheck(MAX_TX_DATA_BYTES)
const RSA_PEM_CHECK = spkiPemCheck(MAX_RSA_PEM_CHARS)
const RSA_SIGNATURE_CHECK = latin1Check(MAX_RSA_SIGNATURE_BYTES)

const ED25519_TX = z.strictObject({
  scheme: z.literal('ed25519'),
  senderPK: jsonString(hexCheck(32)),
  receiverPK: nullableString(hexCheck(32)),
  item: nullableString(labelCheck(MAX_ITEM_CHARS)),
  data: jsonString(DATA_CHECK),
  timestamp: jsonNumber(timestampCheck),
  nonce: jsonString(hexCheck(16)),
  signature: jsonString(hexCheck(64)),
  id: jsonString(hexCheck(32))
})

const RSA_LEGACY_TX = z.strictObject({
  scheme: z.literal('rsa-legacy'),
  senderPK: jsonString(RSA_PEM_CHECK),
  signature: jsonString(RSA_SIGNATURE_CHECK),
  data: jsonString(DATA_CHECK),
  timestamp: jsonNumber(timestampCheck),
  id: jsonString(hexCheck(32))
})

/** A tx in its stored form; `scheme` picks the shape, and names the field when it picks none. */
const STORED_TX = z.discriminatedUnion('scheme', [ED25519_TX, RSA_LEGACY_TX])

/** The body the original wallet fork posts (docs/design.md §2 legacy scheme). */
const LEGACY_SUBMISSION = z.strictObject({
  senderPK: jsonString(RSA_PEM_CHECK),
  signature: jsonString(RSA_SIGNATURE_CHECK),
  data: jsonString(DATA_CHECK)
})

function txSchemaError (failure: SchemaFailure): TxError {
  const meta: Record<string, string | number> = {}
  if (failure.field !== undefined) meta.field = failure.field
  if (failure.limit !== undefined) meta.limit = failure.limit
  return new TxError(TxErrorCode[failure.kind], schemaMessage('tx', failure), meta)
}

const ED25519_TX_KEYS = 9
const ITEM_CHECK = labelCheck(MAX_ITEM_CHARS)

/**
 * The hand-checked fast path of parseTx for what every node parses most: a well-formed native tx, as
 * JSON.parse makes it (a plain object). The same checks as the zod schema ED25519_TX, field by field,
 * and the same output (a fresh object, design order); undefined for ANYTHING else, which then goes
 * through the schema, the reference that names the failure. test/core-tx-fast-parse.test.ts proves the
 * two agree on arbitrary input (fast-check). Costs ~1 us against ~4 us for the schema.
 */
export function parseEd25519TxFast (input: unknown): Ed25519Tx | undefined {
  if (typeof input !== 'object' || input === null || Object.getPrototypeOf(input) !== Object.prototype) return undefined
  const t = input as Record<string, unknown>
  if (t.scheme !== 'ed25519') return undefined
  let keys = 0
  for (const key in t) {
    if (!Object.hasOwn(t, key)) return undefined
    keys++
  }
  if (keys !== ED25519_TX_KEYS) return undefined
  const { senderPK, receiverPK, item, data, timestamp, nonce, signature, id } = t
  if (!isHex(senderPK, 32) || !(receiverPK === null || isHex(receiverPK, 32))) return undefined
  if (!(item === null || (typeof item === 'string' && ITEM_CHECK(item) === undefined))) return undefined
  if (typeof data !== 'string' || DATA_CHECK(data) !== undefined) return undefined
  if (typeof timestamp !== 'number' || timestampCheck(timestamp) !== undefined) return undefined
  if (!isHex(nonce, 16) || !isHex(signature, 64) || !isHex(id, 32)) return undefined
  // Nine own keys, and each of the nine fields above held a value of its type: no field is unknown or missing.
  return { scheme: 'ed25519', senderPK, receiverPK, item, data, timestamp, nonce, signature, id }
}

/**
 * Checks a tx in its STORED form (native ed25519, or a stamped rsa-legacy tx) and returns a fresh
 * object holding exactly the schema's fields in design order. Throws TxError with meta.field.
 */
export function parseTx (input: unknown): Tx {
  return parseEd25519TxFast(input) ?? parseTxWithSchema(input)
}

/** parseTx through the zod schema alone: the reference the fast path is proved against. */
export function parseTxWithSchema (input: unknown): Tx {
  const { value, failure } = validate(STORED_TX, input)
  if (failure !== undefined) throw txSchemaError(failure)
  return value
}

/** True for the original wallet's body: a JSON object without `scheme` (docs/design.md §2). */
export function isLegacySubmission (input: unknown): boolean {
  return isPlainObject(input) && !Object.hasOwn(input, 'scheme')
}

/**
 * Checks a legacy HTTP body `{senderPK, signature, data}` and stamps it like the original node:
 * timestamp = receipt time in seconds (3 decimals), id = sha256(JCS({scheme, senderPK, signature,
 * data})) so a replayed body is a duplicate. The signature is checked later, by verifyTx.
 */
export function parseLegacySubmission (input: unknown, nowMs: number): RsaLegacyTx {
  if (!Number.isFinite(nowMs) || nowMs < 0) throw new TypeError('nowMs must be a finite, non-negative number of milliseconds')
  const { value, failure } = validate(LEGACY_SUBMISSION, input)
  if (failure !== undefined) throw txSchemaError(failure)
  const { senderPK, signature, data } = value
  return {
    scheme: 'rsa-legacy',
    senderPK,
    signature,
    data,
    timestamp: Math.round(nowMs) / 1000,
    id: legacyTxId(senderPK, signature, data)
  }
}

/** docs/design.md §2 legacy id: covers key, signature and data, not the node's stamp. */
export function legacyTxId (senderPK: string, signature: string, data: string): string {
  return sha256Hex(utf8(canonicalJson({ scheme: 'rsa-legacy', senderPK, signature, data })))
}

// ---- ids and signing ----

/**
 * RFC 8785 JCS of the unsigned fields of a tx whose fields passed the schema (strings, null, one finite
 * number), written out in JCS's key order: JCS serializes strings and numbers as ECMAScript's
 * JSON.stringify does, so this is byte for byte canonicalJson(unsigned) (test/core-tx-fast-parse.test.ts
 * checks it on arbitrary fields) at a third of its cost: it runs twice per tx on every node.
 */
function unsignedTxJcs (tx: UnsignedEd25519Tx): string {
  return `{"data":${JSON.stringify(tx.data)},"item":${JSON.stringify(tx.item)},"nonce":${JSON.stringify(tx.nonce)},` +
    `"receiverPK":${JSON.stringify(tx.receiverPK)},"scheme":"ed25519","senderPK":${JSON.stringify(tx.senderPK)},"timestamp":${JSON.stringify(tx.timestamp)}}`
}

/** Fields JCS can write: strings of valid Unicode (JCS refuses a lone surrogate), null, one finite number. */
function isSchemaShaped (tx: UnsignedEd25519Tx): boolean {
  const text = (v: unknown): boolean => typeof v === 'string' && isWellFormedString(v)
  return text(tx.data) && (tx.item === null || text(tx.item)) && text(tx.nonce) && (tx.receiverPK === null || text(tx.receiverPK)) &&
    text(tx.senderPK) && typeof tx.timestamp === 'number' && Number.isFinite(tx.timestamp)
}

/**
 * RFC 8785 JCS of a stored tx (docs/design.md §3 tx_root leaves): written out in key order for a native tx
 * of exactly the schema's fields (what parseTx returns), canonicalJson for anything else. Byte for byte
 * the same (test/core-tx-fast-parse.test.ts); every tx of every block goes through it.
 */
export function txCanonicalJson (tx: Tx): string {
  if (tx.scheme === 'ed25519' && isSchemaShaped(tx) && typeof tx.id === 'string' && typeof tx.signature === 'string' &&
    isWellFormedString(tx.id) && isWellFormedString(tx.signature) && Object.keys(tx).length === 9) {
    return `{"data":${JSON.stringify(tx.data)},"id":${JSON.stringify(tx.id)},"item":${JSON.stringify(tx.item)},"nonce":${JSON.stringify(tx.nonce)},` +
      `"receiverPK":${JSON.stringify(tx.receiverPK)},"scheme":"ed25519","senderPK":${JSON.stringify(tx.senderPK)},` +
      `"signature":${JSON.stringify(tx.signature)},"timestamp":${JSON.stringify(tx.timestamp)}}`
  }
  return canonicalJson(tx)
}

/** docs/design.md §2: UTF-8 of "gossipchain/tx/v1\n" + network + "\n" + JCS(tx without signature and id). */
export function txSigningPayload (tx: UnsignedEd25519Tx, network: string): Uint8Array {
  // One network-id rule (network.ts): its alphabet has no newline, so no two (network, tx) pairs share a payload.
  checkNetworkId(network, 'network')
  if (isSchemaShaped(tx)) return utf8(`${TX_SIGNING_DOMAIN}\n${network}\n${unsignedTxJcs(tx)}`)
  // Picked field by field so a signed tx (with signature and id) gives the same payload.
  const unsigned: UnsignedEd25519Tx = {
    scheme: 'ed25519',
    senderPK: tx.senderPK,
    receiverPK: tx.receiverPK,
    item: tx.item,
    data: tx.data,
    timestamp: tx.timestamp,
    nonce: tx.nonce
  }
  return utf8(`${TX_SIGNING_DOMAIN}\n${network}\n${canonicalJson(unsigned)}`)
}

/** The id a tx must carry: ed25519 sha256(signing payload); rsa-legacy legacyTxId (network-free). */
export function computeTxId (tx: Tx, network: string): string {
  if (tx.scheme === 'ed25519') return sha256Hex(txSigningPayload(tx, network))
  return legacyTxId(tx.senderPK, tx.signature, tx.data)
}

export interface TxFields {
  receiverPK?: string | null
  item?: string | null
  data: string
  /** Unix seconds, at most 3 decimals. */
  timestamp: number
  /** 32 hex digits: 16 random bytes the caller draws (core has no randomness). */
  nonce: string
}

/**
 * Builds and signs a native tx (docs/design.md §2) with `signer`: node:crypto in the node and the CLI
 * (src/crypto/node-ed25519.ts), @noble/curves in the page (src/crypto/browser-ed25519.ts). Throws
 * TxError if a field breaks the schema (before anything is signed), TypeError if the signer gives a
 * key or signature of the wrong size.
 */
export function signTx (fields: TxFields, signer: Ed25519Signer, network: string): Ed25519Tx {
  const publicKey = signer?.publicKey
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== ED25519_PUBLIC_KEY_BYTES) {
    throw new TypeError(`signer.publicKey must be ${ED25519_PUBLIC_KEY_BYTES} bytes`)
  }
  const unsigned: UnsignedEd25519Tx = {
    scheme: 'ed25519',
    senderPK: toHex(publicKey),
    receiverPK: fields.receiverPK ?? null,
    item: fields.item ?? null,
    data: fields.data,
    timestamp: fields.timestamp,
    nonce: fields.nonce
  }
  const placeholder = { ...unsigned, signature: '0'.repeat(2 * ED25519_SIGNATURE_BYTES), id: '0'.repeat(64) }
  parseTx(placeholder) // the schema names the bad field before we sign garbage
  const payload = txSigningPayload(unsigned, network)
  const signature = signer.sign(payload)
  if (!(signature instanceof Uint8Array) || signature.length !== ED25519_SIGNATURE_BYTES) {
    throw new TypeError(`signer.sign must return ${ED25519_SIGNATURE_BYTES} bytes`)
  }
  return { ...unsigned, signature: toHex(signature), id: sha256Hex(payload) }
}

// ---- stateless rules ----

/**
 * The cheap stateless rules of a parsed tx (docs/design.md §2): legacy allowed, timestamp not more than
 * 2 h ahead, id recomputed, a legacy key's size and exponent. Synchronous; no signature work, so a
 * block's txs all pass these before any of its signatures is checked (docs/design.md §12). Returns the
 * signing payload of a native tx (hashed for its id), for txSignatureCheck to reuse.
 */
export function checkTxRules (tx: Tx, ctx: TxRuleContext): Uint8Array | undefined {
  if (tx.scheme === 'rsa-legacy' && ctx.legacyTransactions === false) {
    throw new TxError(TxErrorCode.LEGACY_DISABLED, 'this node does not accept legacy (rsa-legacy) transactions', { field: 'scheme' })
  }
  if (Math.round(tx.timestamp * 1000) > ctx.nowMs + MAX_FUTURE_DRIFT_MS) {
    throw new TxError(TxErrorCode.FUTURE_TIMESTAMP, 'tx timestamp is more than 2 hours ahead of this node\'s clock',
      { field: 'timestamp', limit: ctx.nowMs + MAX_FUTURE_DRIFT_MS })
  }
  const payload = tx.scheme === 'ed25519' ? txSigningPayload(tx, ctx.network) : undefined
  const id = payload !== undefined ? sha256Hex(payload) : computeTxId(tx, ctx.network)
  if (id !== tx.id) throw new TxError(TxErrorCode.ID_MISMATCH, 'tx id is not the hash of its content', { field: 'id', expected: id })
  if (tx.scheme === 'rsa-legacy') checkLegacyKey(tx.senderPK)
  return payload
}

/**
 * Keys read lately, by PEM (docs/design.md §12): a block of hundreds of legacy txs usually carries a few
 * keys, and reading one costs a base64 decode and a DER walk. A pure function of its input, so caching
 * it changes no answer; bounded, oldest out first.
 */
const readKeys = new Map<string, RsaPublicKeyInfo | RsaKeyFormatError>()
const READ_KEYS_MAX = 256

function readLegacyKey (spkiPem: string): RsaPublicKeyInfo {
  let read = readKeys.get(spkiPem)
  if (read === undefined) {
    try {
      read = readRsaSpkiPem(spkiPem)
    } catch (err) {
      if (!(err instanceof RsaKeyFormatError)) throw err
      read = err
    }
    if (readKeys.size >= READ_KEYS_MAX) readKeys.delete(readKeys.keys().next().value!)
    readKeys.set(spkiPem, read)
  }
  if (read instanceof RsaKeyFormatError) throw read
  return read
}

/**
 * docs/design.md §2 legacy key bounds, read from the key's bytes (rsa-key.ts): an RSA key of
 * MIN_RSA_BITS..MAX_RSA_BITS bits with public exponent 65537. TX_BAD_FORMAT when it is no RSA SPKI key,
 * TX_WEAK_KEY when too short, TX_UNSUPPORTED_KEY when too long or another exponent. Returns the key.
 */
export function checkLegacyKey (spkiPem: string): RsaPublicKeyInfo {
  let key: RsaPublicKeyInfo
  try {
    key = readLegacyKey(spkiPem)
  } catch (err) {
    if (!(err instanceof RsaKeyFormatError)) throw err
    throw new TxError(TxErrorCode.BAD_FORMAT, `tx.senderPK must be an RSA public key (SPKI): ${err.message}`, { field: 'senderPK' })
  }
  const bits = key.modulusBits
  if (bits < MIN_RSA_BITS) {
    throw new TxError(TxErrorCode.WEAK_KEY, `tx.senderPK is a ${bits}-bit RSA key; at least ${MIN_RSA_BITS} bits are required`,
      { field: 'senderPK', limit: MIN_RSA_BITS, bits })
  }
  if (bits > MAX_RSA_BITS) {
    throw new TxError(TxErrorCode.UNSUPPORTED_KEY, `tx.senderPK is a ${bits}-bit RSA key; at most ${MAX_RSA_BITS} bits are accepted`,
      { field: 'senderPK', limit: MAX_RSA_BITS, bits })
  }
  if (key.publicExponent !== RSA_PUBLIC_EXPONENT) {
    throw new TxError(TxErrorCode.UNSUPPORTED_KEY, `tx.senderPK must have the public exponent ${RSA_PUBLIC_EXPONENT}`,
      { field: 'senderPK', expected: Number(RSA_PUBLIC_EXPONENT) })
  }
  return key
}

/**
 * The signature check of a tx as data (docs/design.md §2): what a batch verifier takes. Run checkTxRules
 * first: it bounds a legacy key's size and exponent, which is what keeps a legacy verification cheap.
 */
export function txSignatureCheck (tx: Tx, network: string, payload?: Uint8Array): SignatureCheck {
  if (tx.scheme === 'ed25519') {
    return {
      scheme: 'ed25519',
      publicKey: fromHex(tx.senderPK, 'senderPK', 32),
      // `payload`: checkTxRules' answer for this tx and network, so the JCS is not written twice.
      message: payload ?? txSigningPayload(tx, network),
      signature: fromHex(tx.signature, 'signature', 64)
    }
  }
  return { scheme: 'rsa-pkcs1-sha256', spkiPem: tx.senderPK, message: utf8(tx.data), signature: latin1Bytes(tx.signature) }
}

/** The TX_BAD_SIGNATURE error, for a check a verifier answered false. */
export function badSignature (): TxError {
  return new TxError(TxErrorCode.BAD_SIGNATURE, 'tx signature does not verify under senderPK', { field: 'signature' })
}

/**
 * The signature rule (TX_BAD_SIGNATURE), one tx through a per-item verifier. Run checkTxRules first: it
 * bounds a legacy key's size and exponent, which is what keeps a legacy verification cheap.
 */
export async function verifyTxSignature (tx: Tx, verifier: SignatureVerifier, network: string): Promise<void> {
  const check = txSignatureCheck(tx, network)
  const ok = check.scheme === 'ed25519'
    ? await verifier.verifyEd25519(check.publicKey, check.message, check.signature)
    : await verifier.verifyRsaPkcs1Sha256(check.spkiPem, check.message, check.signature)
  if (!ok) throw badSignature()
}

/** Every stateless rule of a parsed tx, cheap ones first (docs/design.md §2). Throws TxError. */
export async function verifyTx (tx: Tx, ctx: TxVerifyContext): Promise<void> {
  checkTxRules(tx, ctx)
  await verifyTxSignature(tx, ctx.verifier, ctx.network)
}

/** What the stateful tx rules ask of the node (docs/design.md §2: not in the main chain, not pending). */
export interface TxState {
  isPending: (id: string) => boolean
  isInMainChain: (id: string) => boolean | Promise<boolean>
}

/** docs/design.md §2 stateful rules: TX_DUPLICATE when already pending, TX_ALREADY_IN_CHAIN when mined. */
export async function checkTxIsNew (tx: Tx, state: TxState): Promise<void> {
  if (state.isPending(tx.id)) throw new TxError(TxErrorCode.DUPLICATE, 'the transaction is already pending', { txId: tx.id })
  if (await state.isInMainChain(tx.id)) {
    throw new TxError(TxErrorCode.ALREADY_IN_CHAIN, 'the transaction is already in the chain', { txId: tx.id })
  }
}

/**
 * Key of a verified-signature cache (docs/design.md §11). An ed25519 id does not cover the signature, so a
 * cache by id alone would let a block carry a forged signature under a pending tx's id; the key
 * therefore adds the signature. A legacy id already covers it.
 */
export function signatureCacheKey (tx: Tx): string {
  return tx.scheme === 'ed25519' ? `${tx.id}:${tx.signature}` : tx.id
}

/** UTF-8 bytes of JSON.stringify(tx): the mempool's and the block budget's unit (computed once per tx object). */
export function txSize (tx: Tx): number {
  return jsonSizeOf(tx)
}
