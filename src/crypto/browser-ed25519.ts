// Ed25519 with @noble/curves and RSA with WebCrypto: signing and verification that bundle for the browser
// (docs/design.md §8, §9). The page and the wallet module use this; the node and the CLI sign and verify
// natively (node-ed25519.ts, node-verifier.ts: @noble/curves verifies ~850/s a core, OpenSSL ~10k/s).
// No node: module, no Buffer, no process (test/browser-bundle.test.ts runs it in a context without them).
import { ed25519 } from '@noble/curves/ed25519.js'
import { readRsaSpkiPem } from '../core/rsa-key.js'
import {
  ED25519_PUBLIC_KEY_BYTES, ED25519_SEED_BYTES, ED25519_SIGNATURE_BYTES, type Ed25519Signer, type SignatureVerifier
} from '../core/signature.js'

function checkSeed (seed: Uint8Array): void {
  if (!(seed instanceof Uint8Array) || seed.length !== ED25519_SEED_BYTES) throw new TypeError(`seed must be ${ED25519_SEED_BYTES} bytes`)
}

/** Ed25519 public key (32 bytes) of a 32-byte seed (RFC 8032 §5.1.5). */
export function ed25519PublicKey (seed: Uint8Array): Uint8Array {
  checkSeed(seed)
  return ed25519.getPublicKey(seed)
}

/**
 * A signer for signTx from a 32-byte seed. It keeps its own copy of the seed, so the caller can zero
 * the one it holds (seed.fill(0)) as soon as the signer is built.
 */
export function nobleEd25519Signer (seed: Uint8Array): Ed25519Signer {
  checkSeed(seed)
  const secret = seed.slice()
  const publicKey = ed25519.getPublicKey(secret)
  return {
    publicKey,
    sign: message => ed25519.sign(message, secret)
  }
}

/**
 * A SignatureVerifier for the page: Ed25519 by @noble/curves with RFC 8032 / FIPS 186-5 encoding rules
 * (zip215: false, as OpenSSL checks them), RSA PKCS#1 v1.5 by WebCrypto (globalThis.crypto.subtle: a
 * secure context in browsers, any Node). The node uses createNodeVerifier (node-verifier.ts).
 */
export function createBrowserVerifier (): SignatureVerifier {
  return {
    async verifyEd25519 (publicKey, message, signature) {
      if (!(publicKey instanceof Uint8Array) || publicKey.length !== ED25519_PUBLIC_KEY_BYTES) return false
      if (!(signature instanceof Uint8Array) || signature.length !== ED25519_SIGNATURE_BYTES) return false
      try {
        return ed25519.verify(signature, message, publicKey, { zip215: false })
      } catch {
        return false // a key that is no curve point: invalid, not an exception
      }
    },
    async verifyRsaPkcs1Sha256 (spkiPem, message, signature) {
      const subtle = globalThis.crypto?.subtle
      if (subtle === undefined) throw new Error('WebCrypto (crypto.subtle) is not available: open the page over https or on localhost')
      try {
        const algorithm = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }
        const key = await subtle.importKey('spki', copy(readRsaSpkiPem(spkiPem).spkiDer), algorithm, false, ['verify'])
        return await subtle.verify(algorithm, key, copy(signature), copy(message))
      } catch {
        return false
      }
    }
  }
}

/** WebCrypto's types want an ArrayBuffer-backed view. */
function copy (bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(bytes.length)
  out.set(bytes)
  return out
}
