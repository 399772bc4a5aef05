// Native SHA-256 (OpenSSL) for the node: installed under core's rules at start (useNativeSha256), and
// used directly for the node's own hashing: gossip message ids over payloads up to 1 MiB (docs/design.md
// §5), token digests, tests and benchmarks. OpenSSL is ~2-3x faster than @noble/hashes on a tx and
// ~10x on a 1 MiB block. The page keeps core's default, noble (src/core/hash.ts).
import * as nodeCrypto from 'node:crypto'
import { setSha256 } from '../core/hash.js'

type OneShot = (algorithm: string, data: Uint8Array | string, encoding: 'buffer') => Buffer
// crypto.hash (Node >= 20.12) skips the Hash object: about twice as fast on small inputs.
const oneShot = (nodeCrypto as { hash?: OneShot }).hash

/** SHA-256 of bytes (or of a string's UTF-8), as a plain Uint8Array view (not a Buffer, so deep equality behaves). */
export function nodeSha256 (data: Uint8Array | string): Uint8Array {
  const digest = oneShot !== undefined
    ? oneShot('sha256', data, 'buffer')
    : nodeCrypto.createHash('sha256').update(data).digest()
  return new Uint8Array(digest.buffer, digest.byteOffset, digest.byteLength)
}

/** Lowercase hex SHA-256 of bytes (or of a string's UTF-8). */
export function nodeSha256Hex (data: Uint8Array | string): string {
  return oneShot !== undefined
    ? oneShot('sha256', data, 'buffer').toString('hex')
    : nodeCrypto.createHash('sha256').update(data).digest('hex')
}

/**
 * Makes every rule of core hash with OpenSSL in this process (src/core/hash.ts setSha256 checks it
 * against the FIPS 180-2 answers first). The node calls it once at start; the results are the same
 * bytes, only faster (src/core/hash.ts has the measurements).
 */
export function useNativeSha256 (): void {
  setSha256(nodeSha256)
}
