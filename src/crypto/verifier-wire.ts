// The verifier pool's message format (docs/design.md §11): a chunk of signature checks packed into ONE
// ArrayBuffer that is transferred (not copied) to a worker, and one byte per check back. One message
// per chunk instead of one structured-clone object graph per check: postMessage costs ~10-20 us of the
// event loop's time whatever it carries, a check's bytes ~0.4 us to copy.
//
// Layout per check: u8 scheme (0 ed25519, 1 rsa-pkcs1-sha256), u32 key length, u32 message length,
// u32 signature length (little-endian), then key, message and signature bytes. An RSA key travels as
// the UTF-8 of its PEM text.

export const SCHEME_ED25519 = 0
export const SCHEME_RSA = 1
const HEADER = 13

/** A check of the wire: the key as bytes (Ed25519) or as bytes of PEM text (RSA). */
export interface WireCheck {
  scheme: typeof SCHEME_ED25519 | typeof SCHEME_RSA
  key: Uint8Array
  message: Uint8Array
  signature: Uint8Array
}

/** A chunk the pool posts: `id` pairs the answer with it. */
export interface ChunkRequest { id: number, buffer: ArrayBuffer, count: number }
/** A worker's answer: results[i] = 1 when check i verified, else 0. */
export interface ChunkResponse { id: number, results: Uint8Array }

export function encodeChunk (checks: readonly WireCheck[]): ArrayBuffer {
  let size = 0
  for (const c of checks) size += HEADER + c.key.length + c.message.length + c.signature.length
  const buffer = new ArrayBuffer(size)
  const bytes = new Uint8Array(buffer)
  const view = new DataView(buffer)
  let at = 0
  for (const c of checks) {
    view.setUint8(at, c.scheme)
    view.setUint32(at + 1, c.key.length, true)
    view.setUint32(at + 5, c.message.length, true)
    view.setUint32(at + 9, c.signature.length, true)
    at += HEADER
    bytes.set(c.key, at); at += c.key.length
    bytes.set(c.message, at); at += c.message.length
    bytes.set(c.signature, at); at += c.signature.length
  }
  return buffer
}

/** Calls `each` with views into `buffer` (no copies), `count` times. Throws on a malformed chunk. */
export function decodeChunk (buffer: ArrayBuffer, count: number, each: (scheme: number, key: Uint8Array, message: Uint8Array, signature: Uint8Array, i: number) => void): void {
  const view = new DataView(buffer)
  let at = 0
  for (let i = 0; i < count; i++) {
    if (at + HEADER > buffer.byteLength) throw new RangeError('verifier chunk: truncated header')
    const scheme = view.getUint8(at)
    const keyLength = view.getUint32(at + 1, true)
    const messageLength = view.getUint32(at + 5, true)
    const signatureLength = view.getUint32(at + 9, true)
    at += HEADER
    if (at + keyLength + messageLength + signatureLength > buffer.byteLength) throw new RangeError('verifier chunk: truncated check')
    const key = new Uint8Array(buffer, at, keyLength); at += keyLength
    const message = new Uint8Array(buffer, at, messageLength); at += messageLength
    const signature = new Uint8Array(buffer, at, signatureLength); at += signatureLength
    each(scheme, key, message, signature, i)
  }
}
