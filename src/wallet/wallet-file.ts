// The wallet file of DESIGN §8: an Ed25519 seed sealed with AES-256-GCM under a PBKDF2-HMAC-SHA256 key.
// This module is bundled into the web page (DESIGN §9) unchanged, so it uses only WebCrypto
// (globalThis.crypto), canonicalize, @noble/curves, uint8arrays and zod/mini (the small build of
// zod for bundles): no node: imports, no Buffer.

import canonicalize from 'canonicalize'
import { ed25519 } from '@noble/curves/ed25519.js'
import { equals as bytesEqual } from 'uint8arrays/equals'
import { fromString as bytesFromString } from 'uint8arrays/from-string'
import { toString as bytesToString } from 'uint8arrays/to-string'
import * as z from 'zod/mini'
import { validate, type SchemaFailure } from '../core/schema.js'
import { WALLET_LOCKED_MESSAGE, WalletError, WalletErrorCode } from './errors.js'

export const WALLET_FORMAT = 'gossipchain-wallet'
export const WALLET_VERSION = 1
/** OWASP's floor for PBKDF2-HMAC-SHA256 (DESIGN §8). */
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

/** The file as stored (DESIGN §8). All hex lowercase; every field is bound into the GCM tag. */
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

export interface WalletDescription {
  format: typeof WALLET_FORMAT
  version: typeof WALLET_VERSION
  name: string
  publicKey: string
  kdf: WalletKdfParams
  cipher: WalletCipherParams
  /** True when kdf.iterations is below MIN_KDF_ITERATIONS (openWallet will refuse it). */
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
    publicKey: toHex(ed25519.getPublicKey(seed)),
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
 * Unseals a wallet file. A wrong password, an edit of any field and a seed that does not give
 * `publicKey` all end in the same WALLET_LOCKED error (DESIGN §8).
 */
export async function openWallet (file: unknown, password: string, opts: OpenWalletOptions = {}): Promise<OpenedWallet> {
  const wallet = parseWalletFile(file)
  if (wallet.kdf.iterations < MIN_KDF_ITERATIONS && opts.allowWeakKdfForTests !== true) {
    throw weakKdf(wallet.kdf.iterations)
  }
  if (typeof password !== 'string') throw badArgument('password', 'password must be a string')
  const subtle = webCrypto().subtle
  const { ciphertext, ...header } = wallet
  // No wallet can have an empty password (createWallet refuses one), and WebCrypto implementations
  // differ on zero-length PBKDF2 keys: answer directly.
  if (password.normalize('NFKC').length === 0) throw locked()

  const key = await deriveKey(password, fromHex(wallet.kdf.salt), wallet.kdf.iterations, 'decrypt')
  let seed: Uint8Array
  try {
    seed = new Uint8Array(await subtle.decrypt(
      { name: 'AES-GCM', iv: fromHex(wallet.cipher.iv), additionalData: additionalData(header), tagLength: GCM_TAG_BYTES * 8 },
      key,
      fromHex(ciphertext)
    ))
  } catch {
    throw locked()
  }
  if (seed.length !== SEED_BYTES || !bytesEqual(ed25519.getPublicKey(seed), fromHex(wallet.publicKey))) {
    seed.fill(0)
    throw locked()
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

// ---- the file's shape (DESIGN §8) ----

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
 * Checks the exact shape of DESIGN §8 (unknown fields rejected, hex lowercase so that one byte
 * has one spelling) and returns a clean copy. Throws WALLET_MALFORMED naming the field.
 */
export function parseWalletFile (value: unknown): WalletFile {
  const marker = validate(WALLET_MARKER, value)
  // Not an object at all: the full schema says so below.
  if (marker.failure !== undefined && marker.failure.kind !== 'NOT_OBJECT') throw malformed('format', marker.failure.detail)
  // Per object: unknown fields, then missing ones, then each field's value in DESIGN order.
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
// is detected exactly like a wrong password (DESIGN §8).
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

function toHex (bytes: Uint8Array): string {
  return bytesToString(bytes, 'base16')
}

function fromHex (hex: string): Uint8Array<ArrayBuffer> {
  return copyBytes(bytesFromString(hex, 'base16'))
}

function locked (): WalletError {
  return new WalletError(WalletErrorCode.LOCKED, WALLET_LOCKED_MESSAGE)
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
