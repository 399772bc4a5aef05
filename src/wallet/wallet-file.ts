// The wallet file of docs/design.md §8: an Ed25519 seed sealed with AES-256-GCM under a PBKDF2-HMAC-SHA256 key.
// This module is bundled into the web page (docs/design.md §9) unchanged, so it uses only WebCrypto
// (globalThis.crypto), canonicalize, core's byte helpers, the page's Ed25519 (src/crypto/browser-ed25519.ts,
// @noble/curves) and zod/mini (the small build of zod for bundles): no node: imports, no Buffer.
//
// Two ways in, on purpose with different errors (docs/design.md §8 "wrong password and tampering give one
// clear error"):
// - READING without the password (parseWalletFile, parseWalletText, describeWallet) says precisely
//   what is wrong: WALLET_MALFORMED naming the field, so a user can tell a tx file from a wallet.
// - OPENING (openWallet, openWalletText) fails with ONE error, WALLET_LOCKED and WALLET_LOCKED_MESSAGE,
//   for a wrong password and for any modification of the file: an edited field, a broken JSON byte, a
//   changed format marker, iterations below the floor, even changed whitespace (openWalletText holds the
//   file to the exact bytes walletFileText writes). What actually failed is in meta (meta.reason,
//   WalletLockedReason) for debugging; the message never tells.

import canonicalize from 'canonicalize'
import * as z from 'zod/mini'
import { bytesEqual, fromHex as hexBytes, toHex } from '../core/bytes.js'
import { validate, type SchemaFailure } from '../core/schema.js'
import { ed25519PublicKey } from '../crypto/browser-ed25519.js'
import { WALLET_LOCKED_MESSAGE, WalletError, WalletErrorCode, type WalletErrorMeta } from './errors.js'

export const WALLET_FORMAT = 'gossipchain-wallet'
export const WALLET_VERSION = 1
/** OWASP's floor for PBKDF2-HMAC-SHA256 (docs/design.md §8). */
export const MIN_KDF_ITERATIONS = 600_000
export const DEFAULT_KDF_ITERATIONS = MIN_KDF_ITERATIONS
/**
 * Ceiling so that a hostile file cannot make us spin for minutes before we can say "locked".
 * 10 M iterations is ~2 s on a laptop, far above what anyone sets on purpose.
 */
export const MAX_KDF_ITERATIONS = 10_000_000
export const SEED_BYTES = 32
export const SALT_BYTES = 16
export const IV_BYTES = 12
const GCM_TAG_BYTES = 16
/** A wallet file is ~500 bytes; anything much larger is not one, so nobody needs to read it all. */
export const MAX_WALLET_FILE_BYTES = 64 * 1024
/** Entity names such as farm_A: safe in file names, URLs and log lines. */
export const WALLET_NAME_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/

export interface WalletKdfParams {
  name: 'PBKDF2'
  hash: 'SHA-256'
  iterations: number
  /** 16 bytes, lowercase hex. */
  salt: string
}

export interface WalletCipherParams {
  name: 'AES-GCM'
  /** 12 bytes, lowercase hex. */
  iv: string
}

/** The file as stored (docs/design.md §8). All hex lowercase; every field is bound into the GCM tag. */
export interface WalletFile {
  format: typeof WALLET_FORMAT
  version: typeof WALLET_VERSION
  name: string
  /** Ed25519 public key of the sealed seed, 32 bytes, lowercase hex. */
  publicKey: string
  kdf: WalletKdfParams
  cipher: WalletCipherParams
  /** AES-GCM output: 32-byte seed followed by the 16-byte tag, lowercase hex. */
  ciphertext: string
}

/** What reading a wallet without its password tells: the file's fields but the ciphertext. */
export interface WalletDescription extends Omit<WalletFile, 'ciphertext'> {
  /** True when kdf.iterations is below MIN_KDF_ITERATIONS: opening it fails (WALLET_LOCKED, meta.reason 'weak-kdf'). */
  weakKdf: boolean
}

export interface OpenedWallet {
  name: string
  publicKey: string
  /** The 32-byte Ed25519 seed. The caller owns it; zero it (seed.fill(0)) when done. */
  seed: Uint8Array
}

export interface CreateWalletOptions {
  name: string
  password: string
  /** PBKDF2 iterations; default and minimum 600,000. */
  iterations?: number
  /** Fixed seed (32 bytes) instead of a random one: known-answer tests, key import. */
  seed?: Uint8Array
  /** Fixed salt (16 bytes): known-answer tests only. */
  salt?: Uint8Array
  /** Fixed GCM nonce (12 bytes): known-answer tests only. Never reuse one with the same key. */
  iv?: Uint8Array
  /** Lets tests go below 600,000 iterations to stay fast. Never set it for real wallets. */
  allowWeakKdfForTests?: boolean
}

/**
 * Why opening failed, in WALLET_LOCKED's meta.reason (debugging only: the message is always
 * WALLET_LOCKED_MESSAGE).
 * - 'too-large': more than MAX_WALLET_FILE_BYTES (openWalletText)
 * - 'not-utf8', 'not-json': the bytes are not UTF-8 / not JSON (openWalletText); meta.detail
 * - 'malformed': not the shape of docs/design.md §8; meta.field and meta.detail as parseWalletFile says them
 * - 'not-canonical': valid, but not byte for byte what walletFileText writes (openWalletText)
 * - 'weak-kdf': kdf.iterations below MIN_KDF_ITERATIONS; meta.iterations, meta.minimum
 * - 'empty-password': no wallet has an empty password
 * - 'decrypt': the GCM tag does not verify (wrong password, or a field edited within its alphabet)
 * - 'key-mismatch': the sealed seed does not give publicKey
 */
export type WalletLockedReason =
  'too-large' | 'not-utf8' | 'not-json' | 'malformed' | 'not-canonical' | 'weak-kdf' | 'empty-password' | 'decrypt' | 'key-mismatch'

export interface OpenWalletOptions {
  /** Lets tests open wallets made with allowWeakKdfForTests. */
  allowWeakKdfForTests?: boolean
}

/** Seals `seed` (or 32 fresh random bytes) into a new wallet file. */
export async function createWallet (opts: CreateWalletOptions): Promise<{ file: WalletFile, seed: Uint8Array }> {
  if (opts === null || typeof opts !== 'object') {
    throw badArgument('opts', 'createWallet needs an options object')
  }
  const { name, password } = opts
  if (typeof name !== 'string' || !WALLET_NAME_PATTERN.test(name)) {
    throw badArgument('name', 'wallet name must be 1 to 64 characters of A-Z a-z 0-9 _ . -')
  }
  if (typeof password !== 'string' || password.normalize('NFKC').length === 0) {
    throw badArgument('password', 'password must be a non-empty string')
  }
  const iterations = opts.iterations ?? DEFAULT_KDF_ITERATIONS
  if (!Number.isSafeInteger(iterations) || iterations < 1 || iterations > MAX_KDF_ITERATIONS) {
    throw badArgument('iterations', `iterations must be an integer from ${MIN_KDF_ITERATIONS} to ${MAX_KDF_ITERATIONS}`)
  }
  if (iterations < MIN_KDF_ITERATIONS && opts.allowWeakKdfForTests !== true) {
    throw weakKdf(iterations)
  }
  const subtle = webCrypto().subtle
  const seed = fixedOrRandomBytes(opts.seed, SEED_BYTES, 'seed')
  const salt = fixedOrRandomBytes(opts.salt, SALT_BYTES, 'salt')
  const iv = fixedOrRandomBytes(opts.iv, IV_BYTES, 'iv')

  const header: Omit<WalletFile, 'ciphertext'> = {
    format: WALLET_FORMAT,
    version: WALLET_VERSION,
    name,
    publicKey: toHex(ed25519PublicKey(seed)),
    kdf: { name: 'PBKDF2', hash: 'SHA-256', iterations, salt: toHex(salt) },
    cipher: { name: 'AES-GCM', iv: toHex(iv) }
  }
  const key = await deriveKey(password, salt, iterations, 'encrypt')
  const sealed = new Uint8Array(await subtle.encrypt(
    { name: 'AES-GCM', iv, additionalData: additionalData(header), tagLength: GCM_TAG_BYTES * 8 },
    key,
    seed
  ))
  return { file: { ...header, ciphertext: toHex(sealed) }, seed }
}

/**
 * Unseals a wallet file given as a JSON value. A wrong password and any change of a field (its value,
 * its type, a missing or extra field, the format marker, iterations below the floor) end in the same
 * WALLET_LOCKED error (docs/design.md §8); meta.reason says which (WalletLockedReason). A whitespace-only
 * change of the file's bytes does not reach this function as a change: use openWalletText for files.
 */
export async function openWallet (file: unknown, password: string, opts: OpenWalletOptions = {}): Promise<OpenedWallet> {
  if (typeof password !== 'string') throw badArgument('password', 'password must be a string')
  let wallet: WalletFile
  try {
    wallet = parseWalletFile(file)
  } catch (error) {
    throw lockedInsteadOf(error)
  }
  return await unseal(wallet, password, opts)
}

/**
 * Unseals a wallet file from its bytes (or their UTF-8 text) exactly as stored: what the CLI reads
 * from disk and the web page from a picked file. Besides everything openWallet checks, the bytes must
 * be JSON and exactly walletFileText of their content, so that ANY modified byte (a broken brace, a
 * changed space) fails like a wrong password: WALLET_LOCKED, the same message.
 */
export async function openWalletText (text: string | Uint8Array, password: string, opts: OpenWalletOptions = {}): Promise<OpenedWallet> {
  if (typeof password !== 'string') throw badArgument('password', 'password must be a string')
  let wallet: WalletFile
  let decoded: string
  try {
    decoded = decodeWalletText(text)
    wallet = parseWalletFile(parseJson(decoded))
  } catch (error) {
    throw lockedInsteadOf(error)
  }
  if (decoded !== walletFileText(wallet)) throw locked({ reason: 'not-canonical' })
  return await unseal(wallet, password, opts)
}

async function unseal (wallet: WalletFile, password: string, opts: OpenWalletOptions): Promise<OpenedWallet> {
  if (wallet.kdf.iterations < MIN_KDF_ITERATIONS && opts.allowWeakKdfForTests !== true) {
    throw locked({ reason: 'weak-kdf', iterations: wallet.kdf.iterations, minimum: MIN_KDF_ITERATIONS })
  }
  const subtle = webCrypto().subtle
  const { ciphertext, ...header } = wallet
  // No wallet can have an empty password (createWallet refuses one), and WebCrypto implementations
  // differ on zero-length PBKDF2 keys: answer directly.
  if (password.normalize('NFKC').length === 0) throw locked({ reason: 'empty-password' })

  const key = await deriveKey(password, fromHex(wallet.kdf.salt, 'kdf.salt'), wallet.kdf.iterations, 'decrypt')
  let seed: Uint8Array
  try {
    seed = new Uint8Array(await subtle.decrypt(
      { name: 'AES-GCM', iv: fromHex(wallet.cipher.iv, 'cipher.iv'), additionalData: additionalData(header), tagLength: GCM_TAG_BYTES * 8 },
      key,
      fromHex(ciphertext, 'ciphertext')
    ))
  } catch {
    throw locked({ reason: 'decrypt' })
  }
  if (seed.length !== SEED_BYTES || !bytesEqual(ed25519PublicKey(seed), fromHex(wallet.publicKey, 'publicKey'))) {
    seed.fill(0)
    throw locked({ reason: 'key-mismatch' })
  }
  return { name: wallet.name, publicKey: wallet.publicKey, seed }
}

/** Name, public key and KDF parameters, read without the password. */
export function describeWallet (file: unknown): WalletDescription {
  const wallet = parseWalletFile(file)
  return {
    format: wallet.format,
    version: wallet.version,
    name: wallet.name,
    publicKey: wallet.publicKey,
    kdf: { ...wallet.kdf },
    cipher: { ...wallet.cipher },
    weakKdf: wallet.kdf.iterations < MIN_KDF_ITERATIONS
  }
}

/**
 * The bytes of a wallet file as the CLI writes it (and the web page should download it): the
 * fields in docs/design.md §8 order, two-space indent, one final newline. openWalletText accepts only this.
 */
export function walletFileText (file: WalletFile): string {
  const wallet = parseWalletFile(file)
  // Built field by field so the order is the design's, whatever order the input or the schema library uses.
  const ordered: WalletFile = {
    format: wallet.format,
    version: wallet.version,
    name: wallet.name,
    publicKey: wallet.publicKey,
    kdf: { name: wallet.kdf.name, hash: wallet.kdf.hash, iterations: wallet.kdf.iterations, salt: wallet.kdf.salt },
    cipher: { name: wallet.cipher.name, iv: wallet.cipher.iv },
    ciphertext: wallet.ciphertext
  }
  return JSON.stringify(ordered, null, 2) + '\n'
}

/**
 * Reads a wallet file's bytes (or text) without the password: WALLET_MALFORMED with meta.reason
 * 'too-large', 'not-utf8' or 'not-json', or as parseWalletFile says it (meta.field). Any layout of
 * the JSON is accepted here; only opening insists on the exact bytes.
 */
export function parseWalletText (text: string | Uint8Array): WalletFile {
  return parseWalletFile(parseJson(decodeWalletText(text)))
}

function decodeWalletText (text: string | Uint8Array): string {
  if (typeof text === 'string') {
    if (text.length > MAX_WALLET_FILE_BYTES) throw tooLarge()
    return text
  }
  if (!(text instanceof Uint8Array)) throw badArgument('text', 'the wallet file must be a string or a Uint8Array')
  if (text.length > MAX_WALLET_FILE_BYTES) throw tooLarge()
  try {
    // fatal: two different byte strings never give the same text; ignoreBOM: a BOM is kept, not dropped
    // silently (it then fails as not JSON).
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(text)
  } catch {
    throw new WalletError(WalletErrorCode.MALFORMED, 'not a wallet file: not valid UTF-8', { reason: 'not-utf8' })
  }
}

function parseJson (text: string): unknown {
  try {
    return JSON.parse(text)
  } catch (error) {
    throw new WalletError(WalletErrorCode.MALFORMED, 'not a wallet file: not valid JSON',
      { reason: 'not-json', detail: error instanceof Error ? error.message : String(error) })
  }
}

function tooLarge (): WalletError {
  return new WalletError(WalletErrorCode.MALFORMED, `not a wallet file: larger than ${MAX_WALLET_FILE_BYTES} bytes`,
    { reason: 'too-large', limit: MAX_WALLET_FILE_BYTES })
}

// ---- the file's shape (docs/design.md §8) ----

/** A field's rule as the error says it: `malformed wallet file: kdf.salt must be ...`. */
function rule (field: string, requirement: string): { error: string } {
  return { error: `malformed wallet file: ${field} ${requirement}` }
}

/** Lowercase only, so that one byte has one spelling. */
function hexField (field: string, bytes: number): z.ZodMiniString {
  const hexRule = rule(field, `must be ${bytes * 2} lowercase hex characters`)
  return z.string(hexRule).check(z.regex(new RegExp(`^[0-9a-f]{${bytes * 2}}$`), hexRule))
}

const NAME_RULE = rule('name', 'must be 1 to 64 characters of A-Z a-z 0-9 _ . -')
const ITERATIONS_RULE = rule('kdf.iterations', `must be an integer from 1 to ${MAX_KDF_ITERATIONS}`)

/** The format marker, judged first: some other JSON (a tx, a config) is "not a wallet file", whatever it holds. */
const WALLET_MARKER = z.looseObject({
  format: z.literal(WALLET_FORMAT, {
    error: issue => issue.input === undefined
      ? 'not a wallet file: missing field format'
      : `not a wallet file: format must be "${WALLET_FORMAT}"`
  })
})

const WALLET_FILE = z.strictObject({
  format: z.literal(WALLET_FORMAT),
  version: z.literal(WALLET_VERSION, {
    error: issue => `unsupported wallet version ${JSON.stringify(issue.input)} (this program reads version ${WALLET_VERSION})`
  }),
  name: z.string(NAME_RULE).check(z.regex(WALLET_NAME_PATTERN, NAME_RULE)),
  publicKey: hexField('publicKey', 32),
  kdf: z.strictObject({
    name: z.literal('PBKDF2', rule('kdf.name', 'must be "PBKDF2"')),
    hash: z.literal('SHA-256', rule('kdf.hash', 'must be "SHA-256"')),
    iterations: z.int(ITERATIONS_RULE).check(z.minimum(1, ITERATIONS_RULE), z.maximum(MAX_KDF_ITERATIONS, ITERATIONS_RULE)),
    salt: hexField('kdf.salt', SALT_BYTES)
  }),
  cipher: z.strictObject({
    name: z.literal('AES-GCM', rule('cipher.name', 'must be "AES-GCM"')),
    iv: hexField('cipher.iv', IV_BYTES)
  }),
  ciphertext: hexField('ciphertext', SEED_BYTES + GCM_TAG_BYTES)
})

/**
 * Checks the exact shape of docs/design.md §8 (unknown fields rejected, hex lowercase so that one byte
 * has one spelling) and returns a clean copy. Throws WALLET_MALFORMED naming the field.
 */
export function parseWalletFile (value: unknown): WalletFile {
  const marker = validate(WALLET_MARKER, value)
  // Not an object at all: the full schema says so below.
  if (marker.failure !== undefined && marker.failure.kind !== 'NOT_OBJECT') throw malformed('format', marker.failure.detail)
  // Per object: unknown fields, then missing ones, then each field's value in design order.
  const { value: wallet, failure } = validate(WALLET_FILE, value, { missingFirst: true })
  if (failure !== undefined) throw malformedFile(failure)
  return wallet
}

function malformedFile ({ kind, field, path, detail }: SchemaFailure): WalletError {
  switch (kind) {
    case 'NOT_OBJECT':
      return malformed(field, field === undefined ? 'not a wallet file: expected a JSON object' : `malformed wallet file: ${field} must be an object`)
    case 'UNKNOWN_FIELD': {
      const where = path.length === 1 ? 'the wallet file' : path.slice(0, -1).join('.')
      return malformed(field, `malformed wallet file: unknown field ${String(field)} in ${where}`)
    }
    case 'MISSING_FIELD':
      return malformed(field, `malformed wallet file: missing field ${String(field)}`)
    default:
      return malformed(field, detail)
  }
}

// Binds every header field into the tag: editing the name, the public key or the KDF parameters
// is detected exactly like a wrong password (docs/design.md §8).
function additionalData (header: Omit<WalletFile, 'ciphertext'>): Uint8Array<ArrayBuffer> {
  const canonical = canonicalize(header)
  if (canonical === undefined) throw new Error('canonicalize returned nothing for the wallet header')
  return copyBytes(new TextEncoder().encode(canonical))
}

async function deriveKey (password: string, salt: Uint8Array, iterations: number, usage: 'encrypt' | 'decrypt'): Promise<CryptoKey> {
  const subtle = webCrypto().subtle
  const passwordKey = await subtle.importKey('raw', new TextEncoder().encode(password.normalize('NFKC')), 'PBKDF2', false, ['deriveKey'])
  return await subtle.deriveKey(
    { name: 'PBKDF2', hash: 'SHA-256', salt: copyBytes(salt), iterations },
    passwordKey,
    { name: 'AES-GCM', length: 256 },
    false,
    [usage]
  )
}

function webCrypto (): Crypto {
  const crypto = (globalThis as { crypto?: Crypto }).crypto
  if (crypto?.subtle === undefined || typeof crypto.getRandomValues !== 'function') {
    throw new WalletError(WalletErrorCode.NO_WEBCRYPTO,
      'WebCrypto (crypto.subtle) is not available; in a browser, open the page over https or from localhost')
  }
  return crypto
}

function fixedOrRandomBytes (fixed: Uint8Array | undefined, length: number, parameter: string): Uint8Array<ArrayBuffer> {
  if (fixed === undefined) return webCrypto().getRandomValues(new Uint8Array(length))
  if (!(fixed instanceof Uint8Array) || fixed.length !== length) {
    throw badArgument(parameter, `${parameter} must be ${length} bytes`)
  }
  return copyBytes(fixed)
}

// WebCrypto wants ArrayBuffer-backed views; a copy also keeps the caller's buffer out of our hands.
function copyBytes (bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  const copy = new Uint8Array(bytes.length)
  copy.set(bytes)
  return copy
}

/** Bytes of a hex field the schema has already checked, ArrayBuffer-backed for WebCrypto. */
function fromHex (hex: string, field: string): Uint8Array<ArrayBuffer> {
  return copyBytes(hexBytes(hex, field))
}

function locked (meta: { reason: WalletLockedReason } & WalletErrorMeta): WalletError {
  return new WalletError(WalletErrorCode.LOCKED, WALLET_LOCKED_MESSAGE, meta)
}

/** A file that cannot be read as a wallet cannot be opened: same error as a wrong password, detail in meta. */
function lockedInsteadOf (error: unknown): unknown {
  if (!(error instanceof WalletError) || error.code !== WalletErrorCode.MALFORMED) return error
  const { reason, ...detail } = error.meta
  // reason first: GOSSIPCHAIN_DEBUG prints meta as JSON.
  return locked({
    reason: typeof reason === 'string' ? reason as WalletLockedReason : 'malformed',
    ...detail,
    detail: reason === 'not-json' ? detail.detail : error.message
  })
}

function malformed (field: string | undefined, message: string): WalletError {
  return new WalletError(WalletErrorCode.MALFORMED, message, { field })
}

function badArgument (parameter: string, message: string): WalletError {
  return new WalletError(WalletErrorCode.BAD_ARGUMENT, message, { parameter })
}

function weakKdf (iterations: number): WalletError {
  return new WalletError(WalletErrorCode.WEAK_KDF,
    `PBKDF2 with ${iterations} iterations is too weak: at least ${MIN_KDF_ITERATIONS} are required`,
    { iterations, minimum: MIN_KDF_ITERATIONS })
}
