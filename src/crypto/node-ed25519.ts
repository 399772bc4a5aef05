// Ed25519 keys and signing with node:crypto (OpenSSL), for the node and the CLI (docs/design.md §1: native
// signing and verification for the node). Core signs through the Ed25519Signer interface (signTx); the
// page uses src/crypto/browser-ed25519.ts instead, whose signatures are byte-identical (RFC 8032 Ed25519
// is deterministic; test/crypto.test.ts cross-checks the two).
import * as nodeCrypto from 'node:crypto'
import { concatBytes, fromHex } from '../core/bytes.js'
import { ED25519_PUBLIC_KEY_BYTES, ED25519_SEED_BYTES, type Ed25519Signer } from '../core/signature.js'

// RFC 8410 DER wrappers: the fixed ASN.1 header before a raw 32-byte Ed25519 key.
const ED25519_PKCS8_PREFIX = fromHex('302e020100300506032b657004220420', 'ED25519_PKCS8_PREFIX')
const ED25519_SPKI_PREFIX = fromHex('302a300506032b6570032100', 'ED25519_SPKI_PREFIX')
const JWK_PLACEHOLDER_X = Buffer.alloc(ED25519_PUBLIC_KEY_BYTES).toString('base64url')

function checkBytes (bytes: Uint8Array, length: number, field: string): void {
  if (!(bytes instanceof Uint8Array) || bytes.length !== length) throw new TypeError(`${field} must be ${length} bytes`)
}

function base64url (bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url')
}

/** A private KeyObject of a 32-byte seed (RFC 8032 private key). */
export function ed25519PrivateKeyObject (seed: Uint8Array): nodeCrypto.KeyObject {
  checkBytes(seed, ED25519_SEED_BYTES, 'seed')
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
  checkBytes(publicKey, ED25519_PUBLIC_KEY_BYTES, 'publicKey')
  return nodeCrypto.createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: base64url(publicKey) }, format: 'jwk' })
}

function publicKeyOf (privateKey: nodeCrypto.KeyObject): Uint8Array {
  const { x } = nodeCrypto.createPublicKey(privateKey).export({ format: 'jwk' })
  if (typeof x !== 'string') throw new Error('node:crypto exported no Ed25519 public key')
  return new Uint8Array(Buffer.from(x, 'base64url'))
}

/** Ed25519 public key (32 bytes) of a 32-byte seed (RFC 8032 private key). */
export function ed25519PublicKeyFromSeed (seed: Uint8Array): Uint8Array {
  return publicKeyOf(ed25519PrivateKeyObject(seed))
}

/** SPKI DER of a raw 32-byte Ed25519 public key (what node:crypto and WebCrypto import). */
export function ed25519SpkiDer (publicKey: Uint8Array): Uint8Array {
  checkBytes(publicKey, ED25519_PUBLIC_KEY_BYTES, 'publicKey')
  return concatBytes([ED25519_SPKI_PREFIX, publicKey])
}

function signWith (privateKey: nodeCrypto.KeyObject, message: Uint8Array): Uint8Array {
  const sig = nodeCrypto.sign(null, message, privateKey)
  return new Uint8Array(sig.buffer, sig.byteOffset, sig.byteLength)
}

/** Pure Ed25519 signature (RFC 8032, deterministic) of a message under a 32-byte seed. */
export function signEd25519 (seed: Uint8Array, message: Uint8Array): Uint8Array {
  return signWith(ed25519PrivateKeyObject(seed), message)
}

/**
 * The node's and the CLI's signer for signTx: the seed is imported into OpenSSL once (the KeyObject
 * holds it; the caller may zero its seed afterwards) and every sign() is one crypto.sign.
 */
export function nodeEd25519Signer (seed: Uint8Array): Ed25519Signer {
  const privateKey = ed25519PrivateKeyObject(seed)
  const publicKey = publicKeyOf(privateKey)
  return {
    publicKey,
    sign: message => signWith(privateKey, message)
  }
}
