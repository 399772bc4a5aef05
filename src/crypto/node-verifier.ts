// The node's one signature verifier (docs/design.md §11): OpenSSL through node:crypto, everywhere the same
// rules. The async callback form of crypto.verify runs on the libuv threadpool, off the event loop.
import * as nodeCrypto from 'node:crypto'
import { toHex } from '../core/bytes.js'
import type { SignatureVerifier } from '../core/signature.js'
import { ed25519PublicKeyObject } from './node-ed25519.js'

export interface NodeVerifierOptions {
  /** KeyObjects kept by public key (an Ed25519 one costs ~9 us from JWK, an RSA PEM ~90 us). Default 10,000. */
  keyCacheSize?: number
}

/** A bounded LRU: Map keeps insertion order, a hit is re-inserted at the end. */
class KeyCache {
  private readonly map = new Map<string, nodeCrypto.KeyObject | null>()
  constructor (private readonly capacity: number) {}

  get (key: string, build: () => nodeCrypto.KeyObject | null): nodeCrypto.KeyObject | null {
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

  get size (): number { return this.map.size }
}

function verifyAsync (algorithm: string | null, message: Uint8Array, key: nodeCrypto.KeyObject, signature: Uint8Array): Promise<boolean> {
  return new Promise(resolve => {
    try {
      nodeCrypto.verify(algorithm, message, key, signature, (err, ok) => { resolve(err == null && ok) })
    } catch {
      resolve(false) // e.g. a signature of the wrong length: invalid, not an exception
    }
  })
}

export function createNodeVerifier (opts: NodeVerifierOptions = {}): SignatureVerifier & { readonly cachedKeys: number } {
  const size = opts.keyCacheSize ?? 10_000
  if (!Number.isInteger(size) || size < 0) throw new TypeError('keyCacheSize must be a non-negative integer')
  const cache = new KeyCache(size)

  // A key OpenSSL refuses is cached as null: it can never verify, and refusing again costs as much.
  const ed25519Key = (publicKey: Uint8Array): nodeCrypto.KeyObject | null => {
    if (!(publicKey instanceof Uint8Array) || publicKey.length !== 32) return null
    return cache.get(`e:${toHex(publicKey)}`, () => {
      try {
        return ed25519PublicKeyObject(publicKey)
      } catch { return null }
    })
  }
  const rsaKey = (spkiPem: string): nodeCrypto.KeyObject | null => {
    if (typeof spkiPem !== 'string') return null
    return cache.get(`r:${spkiPem}`, () => {
      try {
        const key = nodeCrypto.createPublicKey({ key: spkiPem, format: 'pem' })
        return key.asymmetricKeyType === 'rsa' ? key : null
      } catch { return null }
    })
  }

  return {
    async verifyEd25519 (publicKey, message, signature) {
      const key = ed25519Key(publicKey)
      if (key === null || !(signature instanceof Uint8Array) || signature.length !== 64) return false
      return await verifyAsync(null, message, key, signature)
    },
    async verifyRsaPkcs1Sha256 (spkiPem, message, signature) {
      const key = rsaKey(spkiPem)
      if (key === null || !(signature instanceof Uint8Array)) return false
      // RSA keys default to PKCS#1 v1.5 padding in crypto.verify.
      return await verifyAsync('sha256', message, key, signature)
    },
    get cachedKeys () { return cache.size }
  }
}
