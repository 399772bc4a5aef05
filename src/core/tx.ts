// Transactions (docs/design.md §2): schema, ids, signing and the stateless rules. Stateful rules (already
// pending, already in the chain) belong to the mempool and the chain.
import * as nodeCrypto from 'node:crypto'
import * as z from 'zod'
import { canonicalJson } from './canonical.js'
import { TxError, TxErrorCode } from './errors.js'
import { concatBytes, fromHex, latin1Bytes, toHex, utf8, utf8ByteLength } from './bytes.js'
import { sha256Hex } from './hash.js'
import {
  hexCheck, isPlainObject, jsonNumber, jsonString, labelCheck, latin1Check, nullableString, schemaMessage, spkiPemCheck,
  timestampCheck, utf8TextCheck, validate, type SchemaFailure
} from './schema.js'
import {
  MAX_FUTURE_DRIFT_MS, MAX_ITEM_CHARS, MAX_RSA_PEM_CHARS, MAX_RSA_SIGNATURE_BYTES, MAX_TX_DATA_BYTES,
  MIN_RSA_BITS, TX_SIGNING_DOMAIN,
  type Ed25519Tx, type RsaLegacyTx, type Tx, type UnsignedEd25519Tx
} from './types.js'

/** Signature checks the rules need; one implementation per node (docs/design.md §11: pick one verifier). */
export interface SignatureVerifier {
  verifyEd25519: (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array) => Promise<boolean>
  verifyRsaPkcs1Sha256: (spkiPem: string, message: Uint8Array, signature: Uint8Array) => Promise<boolean>
}

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

/**
 * Checks a tx in its STORED form (native ed25519, or a stamped rsa-legacy tx) and returns a fresh
 * object holding exactly the schema's fields in design order. Throws TxError with meta.field.
 */
export function parseTx (input: unknown): Tx {
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

function checkNetwork (network: string): void {
  // A newline inside the network id would make two (network, tx) pairs share one payload.
  if (typeof network !== 'string' || network.length === 0 || network.includes('\n')) {
    throw new TypeError('network must be a non-empty string without newlines')
  }
}

/** docs/design.md §2: UTF-8 of "gossipchain/tx/v1\n" + network + "\n" + JCS(tx without signature and id). */
export function txSigningPayload (tx: UnsignedEd25519Tx, network: string): Uint8Array {
  checkNetwork(network)
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

// RFC 8410 DER wrappers: the fixed ASN.1 header before a raw 32-byte Ed25519 key.
const ED25519_PKCS8_PREFIX = fromHex('302e020100300506032b657004220420', 'ED25519_PKCS8_PREFIX')
const ED25519_SPKI_PREFIX = fromHex('302a300506032b6570032100', 'ED25519_SPKI_PREFIX')
const JWK_PLACEHOLDER_X = Buffer.alloc(32).toString('base64url')

function checkBytes (bytes: Uint8Array, length: number, field: string): void {
  if (!(bytes instanceof Uint8Array) || bytes.length !== length) throw new TypeError(`${field} must be ${length} bytes`)
}

function base64url (bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url')
}

function ed25519PrivateKey (seed: Uint8Array): nodeCrypto.KeyObject {
  checkBytes(seed, 32, 'seed')
  // OpenSSL 3 decodes a PKCS#8 DER Ed25519 key in ~1.3 ms, a JWK in ~50 us. Node builds the key
  // from `d` alone and derives the public half, so `x` only has to be present. Should a Node ever
  // refuse or keep the placeholder (Ed25519 signing hashes the stored public key), use DER.
  try {
    const key = nodeCrypto.createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', d: base64url(seed), x: JWK_PLACEHOLDER_X }, format: 'jwk' })
    if (key.export({ format: 'jwk' }).x !== JWK_PLACEHOLDER_X) return key
  } catch {}
  return nodeCrypto.createPrivateKey({ key: Buffer.from(concatBytes([ED25519_PKCS8_PREFIX, seed])), format: 'der', type: 'pkcs8' })
}

/**
 * KeyObject of a raw 32-byte Ed25519 public key. Imported as a JWK: ~9 us against ~70 us for the
 * equivalent SPKI DER (both hand OpenSSL the same raw key).
 */
export function ed25519PublicKeyObject (publicKey: Uint8Array): nodeCrypto.KeyObject {
  checkBytes(publicKey, 32, 'publicKey')
  return nodeCrypto.createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: base64url(publicKey) }, format: 'jwk' })
}

/** Ed25519 public key (32 bytes) of a 32-byte seed (RFC 8032 private key). */
export function ed25519PublicKeyFromSeed (seed: Uint8Array): Uint8Array {
  return ed25519PublicKeyOf(ed25519PrivateKey(seed))
}

function ed25519PublicKeyOf (privateKey: nodeCrypto.KeyObject): Uint8Array {
  const { x } = nodeCrypto.createPublicKey(privateKey).export({ format: 'jwk' })
  if (typeof x !== 'string') throw new Error('node:crypto exported no Ed25519 public key')
  return new Uint8Array(Buffer.from(x, 'base64url'))
}

/** SPKI DER of a raw 32-byte Ed25519 public key (what node:crypto and WebCrypto import). */
export function ed25519SpkiDer (publicKey: Uint8Array): Uint8Array {
  checkBytes(publicKey, 32, 'publicKey')
  return concatBytes([ED25519_SPKI_PREFIX, publicKey])
}

/** Pure Ed25519 signature (RFC 8032, deterministic) of a message under a 32-byte seed. */
export function signEd25519 (seed: Uint8Array, message: Uint8Array): Uint8Array {
  return signWith(ed25519PrivateKey(seed), message)
}

function signWith (privateKey: nodeCrypto.KeyObject, message: Uint8Array): Uint8Array {
  const sig = nodeCrypto.sign(null, message, privateKey)
  return new Uint8Array(sig.buffer, sig.byteOffset, sig.byteLength)
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

/** Builds and signs a native tx; throws TxError if a field breaks the schema. */
export function signTx (fields: TxFields, seed: Uint8Array, network: string): Ed25519Tx {
  const privateKey = ed25519PrivateKey(seed)
  const unsigned: UnsignedEd25519Tx = {
    scheme: 'ed25519',
    senderPK: toHex(ed25519PublicKeyOf(privateKey)),
    receiverPK: fields.receiverPK ?? null,
    item: fields.item ?? null,
    data: fields.data,
    timestamp: fields.timestamp,
    nonce: fields.nonce
  }
  const placeholder = { ...unsigned, signature: '0'.repeat(128), id: '0'.repeat(64) }
  parseTx(placeholder) // the schema names the bad field before we sign garbage
  const payload = txSigningPayload(unsigned, network)
  return { ...unsigned, signature: toHex(signWith(privateKey, payload)), id: sha256Hex(payload) }
}

// ---- stateless rules ----

/**
 * The cheap stateless rules of a parsed tx (docs/design.md §2): legacy allowed, timestamp not more than
 * 2 h ahead, id recomputed. Synchronous; no signature work.
 */
export function checkTxRules (tx: Tx, ctx: TxRuleContext): void {
  if (tx.scheme === 'rsa-legacy' && ctx.legacyTransactions === false) {
    throw new TxError(TxErrorCode.LEGACY_DISABLED, 'this node does not accept legacy (rsa-legacy) transactions', { field: 'scheme' })
  }
  if (Math.round(tx.timestamp * 1000) > ctx.nowMs + MAX_FUTURE_DRIFT_MS) {
    throw new TxError(TxErrorCode.FUTURE_TIMESTAMP, 'tx timestamp is more than 2 hours ahead of this node\'s clock',
      { field: 'timestamp', limit: ctx.nowMs + MAX_FUTURE_DRIFT_MS })
  }
  const id = computeTxId(tx, ctx.network)
  if (id !== tx.id) throw new TxError(TxErrorCode.ID_MISMATCH, 'tx id is not the hash of its content', { field: 'id', expected: id })
}

/** Modulus bits of an RSA SPKI PEM; TxError BAD_FORMAT when it is not one. */
export function rsaModulusBits (spkiPem: string): number {
  let key: nodeCrypto.KeyObject
  try {
    key = nodeCrypto.createPublicKey({ key: spkiPem, format: 'pem' })
  } catch {
    throw new TxError(TxErrorCode.BAD_FORMAT, 'tx.senderPK is not a readable public key', { field: 'senderPK' })
  }
  const bits = key.asymmetricKeyDetails?.modulusLength
  if (key.asymmetricKeyType !== 'rsa' || bits === undefined) {
    throw new TxError(TxErrorCode.BAD_FORMAT, 'tx.senderPK must be an RSA public key', { field: 'senderPK' })
  }
  return bits
}

/** The signature rules: RSA key size, then the signature itself (TX_WEAK_KEY, TX_BAD_SIGNATURE). */
export async function verifyTxSignature (tx: Tx, verifier: SignatureVerifier, network: string): Promise<void> {
  let ok: boolean
  if (tx.scheme === 'ed25519') {
    const payload = txSigningPayload(tx, network)
    ok = await verifier.verifyEd25519(fromHex(tx.senderPK, 'senderPK', 32), payload, fromHex(tx.signature, 'signature', 64))
  } else {
    const bits = rsaModulusBits(tx.senderPK)
    if (bits < MIN_RSA_BITS) {
      throw new TxError(TxErrorCode.WEAK_KEY, `tx.senderPK is a ${bits}-bit RSA key; at least ${MIN_RSA_BITS} bits are required`,
        { field: 'senderPK', limit: MIN_RSA_BITS })
    }
    ok = await verifier.verifyRsaPkcs1Sha256(tx.senderPK, utf8(tx.data), latin1Bytes(tx.signature))
  }
  if (!ok) throw new TxError(TxErrorCode.BAD_SIGNATURE, 'tx signature does not verify under senderPK', { field: 'signature' })
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

/** UTF-8 bytes of JSON.stringify(tx): the mempool's and the block budget's unit. */
export function txSize (tx: Tx): number {
  return utf8ByteLength(JSON.stringify(tx))
}
