// The node's signature rules (docs/design.md §11): OpenSSL through node:crypto, the same rules everywhere.
// KeyObjects are cached by public key; a key OpenSSL refuses is cached as null. Two ways to run them:
// createNodeVerifier (the async callback form of crypto.verify, on the libuv threadpool: the CLI, tests,
// small tools) and the worker-thread pool of the node (verifier-pool.ts), whose workers run
// verifyCheckSync with a KeyObjects cache each. Both answer the same for the same input.
import * as nodeCrypto from 'node:crypto'
import { toHex } from '../core/bytes.js'
import type { SignatureVerifier } from '../core/signature.js'
import { ed25519PublicKeyObject } from './node-ed25519.js'

export interface NodeVerifierOptions {
  /** KeyObjects kept by public key (an Ed25519 one costs ~9 us from JWK, an RSA PEM ~90 us). Default 10,000. */
  keyCacheSize?: number
}

export const DEFAULT_KEY_CACHE_SIZE = 10_000

export function checkKeyCacheSize (size: number): number {
  if (!Number.isInteger(size) || size < 0) throw new TypeError('keyCacheSize must be a non-negative integer')
  return size
}

/** KeyObjects by public key, a bounded LRU (Map keeps insertion order, a hit is re-inserted at the end). */
export class KeyObjects {
  private readonly map = new Map<string, nodeCrypto.KeyObject | null>()
  constructor (private readonly capacity: number = DEFAULT_KEY_CACHE_SIZE) {
    checkKeyCacheSize(capacity)
  }

  private get (key: string, build: () => nodeCrypto.KeyObject | null): nodeCrypto.KeyObject | null {
    const hit = this.map.get(key)
    if (hit !== undefined) {
      this.map.delete(key)
      this.map.set(key, hit)
      return hit
    }
    const built = build()
    if (this.capacity > 0) {
      if (this.map.size >= this.capacity) this.map.delete(this.map.keys().next().value as string)
      this.map.set(key, built)
    }
    return built
  }

  /** The KeyObject of a raw 32-byte Ed25519 key; null when it is malformed or OpenSSL refuses it. */
  ed25519 (publicKey: Uint8Array): nodeCrypto.KeyObject | null {
    if (!(publicKey instanceof Uint8Array) || publicKey.length !== 32) return null
    return this.get(`e:${toHex(publicKey)}`, () => {
      try {
        return ed25519PublicKeyObject(publicKey)
      } catch { return null }
    })
  }

  /** The KeyObject of an SPKI PEM RSA key; null when it is no RSA key. */
  rsa (spkiPem: string): nodeCrypto.KeyObject | null {
    if (typeof spkiPem !== 'string') return null
    return this.get(`r:${spkiPem}`, () => {
      try {
        const key = nodeCrypto.createPublicKey({ key: spkiPem, format: 'pem' })
        return key.asymmetricKeyType === 'rsa' ? key : null
      } catch { return null }
    })
  }

  get size (): number { return this.map.size }
}

/** What crypto.verify takes for one check, or null when the check is invalid before any math. */
function prepare (keys: KeyObjects, scheme: 'ed25519' | 'rsa-pkcs1-sha256', key: Uint8Array | string, signature: Uint8Array): { algorithm: string | null, key: nodeCrypto.KeyObject } | null {
  if (!(signature instanceof Uint8Array)) return null
  if (scheme === 'ed25519') {
    const k = keys.ed25519(key as Uint8Array)
    return k === null || signature.length !== 64 ? null : { algorithm: null, key: k }
  }
  const k = keys.rsa(key as string)
  // RSA keys default to PKCS#1 v1.5 padding in crypto.verify.
  return k === null ? null : { algorithm: 'sha256', key: k }
}

/** One check, synchronously (a verifier worker's loop): false, never a throw, for malformed input. */
export function verifyCheckSync (keys: KeyObjects, scheme: 'ed25519' | 'rsa-pkcs1-sha256', key: Uint8Array | string, message: Uint8Array, signature: Uint8Array): boolean {
  const prepared = prepare(keys, scheme, key, signature)
  if (prepared === null) return false
  try {
    return nodeCrypto.verify(prepared.algorithm, message, prepared.key, signature)
  } catch {
    return false // e.g. a signature of the wrong length for the key: invalid, not an exception
  }
}

function verifyAsync (keys: KeyObjects, scheme: 'ed25519' | 'rsa-pkcs1-sha256', key: Uint8Array | string, message: Uint8Array, signature: Uint8Array): Promise<boolean> {
  const prepared = prepare(keys, scheme, key, signature)
  if (prepared === null) return Promise.resolve(false)
  return new Promise(resolve => {
    try {
      nodeCrypto.verify(prepared.algorithm, message, prepared.key, signature, (err, ok) => { resolve(err == null && ok) })
    } catch {
      resolve(false)
    }
  })
}

/** The per-item verifier on the libuv threadpool (the node itself uses the worker pool, verifier-pool.ts). */
export function createNodeVerifier (opts: NodeVerifierOptions = {}): SignatureVerifier & { readonly cachedKeys: number } {
  const keys = new KeyObjects(checkKeyCacheSize(opts.keyCacheSize ?? DEFAULT_KEY_CACHE_SIZE))
  return {
    verifyEd25519: async (publicKey, message, signature) => await verifyAsync(keys, 'ed25519', publicKey, message, signature),
    verifyRsaPkcs1Sha256: async (spkiPem, message, signature) => await verifyAsync(keys, 'rsa-pkcs1-sha256', spkiPem, message, signature),
    get cachedKeys () { return keys.size }
  }
}
