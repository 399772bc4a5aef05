// SHA-256 for ids, block hashes and Merkle nodes (docs/design.md §2, §3). node:crypto is allowed in core:
// hashing is computation, not I/O.
import * as nodeCrypto from 'node:crypto'
import { toHex } from './bytes.js'

export { utf8, toHex, fromHex, isHex, concatBytes, bytesEqual, utf8ByteLength, latin1Bytes } from './bytes.js'

// crypto.hash (Node >= 20.12) skips the Hash object: about twice as fast on the small inputs we hash.
const oneShot = (nodeCrypto as { hash?: (algorithm: string, data: Uint8Array, encoding: 'buffer') => Buffer }).hash

/** SHA-256 of bytes, as a plain Uint8Array view (not a Buffer, so deep equality behaves). */
export function sha256 (bytes: Uint8Array): Uint8Array {
  const digest = oneShot !== undefined
    ? oneShot('sha256', bytes, 'buffer')
    : nodeCrypto.createHash('sha256').update(bytes).digest()
  return new Uint8Array(digest.buffer, digest.byteOffset, digest.byteLength)
}

/** Lowercase hex SHA-256 of bytes. */
export function sha256Hex (bytes: Uint8Array): string {
  return toHex(sha256(bytes))
}
