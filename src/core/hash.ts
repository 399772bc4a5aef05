// SHA-256 for ids, block hashes and Merkle nodes (docs/design.md §2, §3). Core hashes with @noble/hashes so
// that it bundles for the browser unchanged (docs/design.md §1): the page recomputes ids, Merkle proofs
// and header hashes with these very functions.
//
// The node swaps in OpenSSL's SHA-256 at start (useNativeSha256 in src/crypto/sha256.ts), the way
// Lodestar's persistent-merkle-tree takes its hasher through setHasher: the rules stay one copy, only
// the primitive changes. Why (`node --import tsx bench/core-sha256.ts`, CPU time, 2-core VM shared with
// other work): noble costs 2.2-2.3 us more per tx id (335 B), 2.5-4.1 us more per Merkle leaf (507 B +
// 33 B) and ~1 us more per header. Ingest hashes one id per tx: 1.6-1.7% of Chain.submitTx's ~135 us
// of CPU per tx, under the design's 5%. But a block whose txs are pending already (gossip's usual case:
// their signatures are not checked again) costs only ~45 us per tx to import, and noble's id + leaf add
// 10-15% to that (measured end to end: 50-57 us per tx with noble against 44-45 us with OpenSSL).
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js'
import { bytesEqual, fromHex, toHex, utf8 } from './bytes.js'

export { utf8, toHex, fromHex, isHex, concatBytes, bytesEqual, utf8ByteLength, latin1Bytes } from './bytes.js'

export type Sha256Function = (bytes: Uint8Array) => Uint8Array

let implementation: Sha256Function = nobleSha256

/** SHA-256 of bytes (FIPS 180-4), a plain Uint8Array. */
export function sha256 (bytes: Uint8Array): Uint8Array {
  return implementation(bytes)
}

/** Lowercase hex SHA-256 of bytes. */
export function sha256Hex (bytes: Uint8Array): string {
  return toHex(implementation(bytes))
}

// FIPS 180-2 Appendix B.1 and B.2 ("abc", and a message of two blocks), and the empty message.
const KNOWN_ANSWERS: Array<[string, string]> = [
  ['', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
  ['abc', 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
  ['abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq', '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1']
]

/**
 * Replaces the SHA-256 every rule of core uses (the node installs OpenSSL's). The candidate must give
 * the FIPS 180-2 known answers and plain Uint8Arrays, else a TypeError and nothing changes.
 */
export function setSha256 (candidate: Sha256Function): void {
  if (typeof candidate !== 'function') throw new TypeError('setSha256: candidate must be a function')
  for (const [message, digest] of KNOWN_ANSWERS) {
    const out = candidate(utf8(message))
    if (!(out instanceof Uint8Array) || !bytesEqual(out, fromHex(digest, 'digest', 32))) {
      throw new TypeError(`setSha256: candidate does not give SHA-256 of ${JSON.stringify(message)}`)
    }
  }
  implementation = candidate
}

/** Back to @noble/hashes (tests). */
export function resetSha256 (): void {
  implementation = nobleSha256
}
