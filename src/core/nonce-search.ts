// Proof-of-work search (docs/design.md §3, §11). The header is 91 bytes: SHA-256 pads it to two 64-byte
// chunks, and the nonce sits in the second one, so the first chunk is compressed once (midstate)
// and each nonce costs one compression. Rounds 0-3 and schedule words 16-18 do not depend on the
// nonce either and are computed once; the per-nonce work runs in a generated, fully unrolled kernel
// (sha256-nonce-kernel.ts). Pure: no clock, no threads (the miner's workers call this in slices).
// This JS kernel is the fallback and the reference for pow-simd.ts, the WebAssembly SIMD kernel the
// miner runs where the runtime has wasm SIMD (about twice as fast); both implement NonceSearch.
import { scanNonces } from './sha256-nonce-kernel.js'
import { HEADER_BYTES, HEADER_PREFIX_BYTES } from './types.js'

/** SHA-256 round constants (FIPS 180-4 §4.2.2) as int32; test/vectors/generate-pow-kernel.ts inlines them into the kernel. */
export const SHA256_K = Int32Array.from([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2
])
const IV = Int32Array.from([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19])
/** The header's length in bits, the last word of its padded second chunk. */
const HEADER_BIT_LENGTH = HEADER_BYTES * 8

const rotr = (x: number, n: number): number => (x >>> n) | (x << (32 - n))
const sigma0 = (x: number): number => rotr(x, 7) ^ rotr(x, 18) ^ (x >>> 3)
const sigma1 = (x: number): number => rotr(x, 17) ^ rotr(x, 19) ^ (x >>> 10)

/** Extends w[16..63] from w[0..15] starting at word `from`. */
function extendSchedule (w: Int32Array, from: number): void {
  for (let t = from; t < 64; t++) w[t] = (sigma1(w[t - 2]) + w[t - 7] + sigma0(w[t - 15]) + w[t - 16]) | 0
}

/** Runs rounds [from, to) on working state s (a..h) with schedule w, in place. */
function rounds (s: Int32Array, w: Int32Array, from: number, to: number): void {
  let a = s[0]; let b = s[1]; let c = s[2]; let d = s[3]; let e = s[4]; let f = s[5]; let g = s[6]; let h = s[7]
  for (let t = from; t < to; t++) {
    const t1 = (h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + SHA256_K[t] + w[t]) | 0
    const t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) | 0
    h = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0
  }
  s[0] = a; s[1] = b; s[2] = c; s[3] = d; s[4] = e; s[5] = f; s[6] = g; s[7] = h
}

/**
 * A nonce search: the first nonce in startNonce .. startNonce + count - 1 (capped at 2^53 - 1) whose
 * header hash, over the 83-byte header prefix, has `bits` leading zero bits; null if none.
 * Implementations: searchNonce (JS, here) and the WebAssembly SIMD one of pow-simd.ts.
 */
export type NonceSearch = (prefix: Uint8Array, bits: number, startNonce: number, count: number) => NonceHit | null
export interface NonceHit { nonce: number, hash: string }

/** Checks a NonceSearch's arguments (errors name them) and returns the last nonce to try (< startNonce: none). */
export function lastNonce (prefix: Uint8Array, bits: number, startNonce: number, count: number): number {
  if (!(prefix instanceof Uint8Array) || prefix.length !== HEADER_PREFIX_BYTES) throw new TypeError(`prefix must be ${HEADER_PREFIX_BYTES} bytes`)
  if (!Number.isInteger(bits) || bits < 0 || bits > 256) throw new RangeError('bits must be an integer in [0, 256]')
  if (!Number.isSafeInteger(startNonce) || startNonce < 0) throw new RangeError('startNonce must be a safe non-negative integer')
  if (!Number.isSafeInteger(count) || count < 0) throw new RangeError('count must be a safe non-negative integer')
  return Math.min(startNonce + count - 1, Number.MAX_SAFE_INTEGER)
}

/** The SHA-256 state after the header's first 64 bytes (FIPS 180-4 §6.2.2 on chunk 1): the midstate. */
export function midstate (prefix: Uint8Array): Int32Array {
  const w = new Int32Array(64)
  for (let i = 0; i < 16; i++) w[i] = readWord(prefix, i * 4)
  extendSchedule(w, 16)
  const mid = Int32Array.from(IV)
  rounds(mid, w, 0, 64)
  for (let i = 0; i < 8; i++) mid[i] = (mid[i] + IV[i]) | 0
  return mid
}

/** Big-endian word of `bytes` at `offset`, as int32. */
export function readWord (bytes: Uint8Array, offset: number): number {
  return (bytes[offset] << 24) | (bytes[offset + 1] << 16) | (bytes[offset + 2] << 8) | bytes[offset + 3]
}

/** Whether the 8-word digest has at least `bits` leading zero bits. */
export function hasLeadingZeros (digest: Int32Array, bits: number): boolean {
  let need = bits
  for (let i = 0; i < 8 && need > 0; i++) {
    const word = digest[i] >>> 0
    if (need >= 32) {
      if (word !== 0) return false
      need -= 32
    } else {
      return (word >>> (32 - need)) === 0
    }
  }
  return true
}

export function digestHex (digest: Int32Array): string {
  let out = ''
  for (let i = 0; i < 8; i++) out += (digest[i] >>> 0).toString(16).padStart(8, '0')
  return out
}

/** First-word mask of a `bits` leading-zero target (the kernel's cheap pre-check). */
export function firstWordMask (bits: number): number {
  if (bits >= 32) return -1
  return bits === 0 ? 0 : (-1 << (32 - bits))
}

/** Nonces per kernel call: keeps the nonce's low word from wrapping inside one call. */
const KERNEL_SLICE = 0x1_0000_0000

/**
 * Tries nonces startNonce .. startNonce + count - 1 (capped at 2^53 - 1) on the 83-byte header
 * prefix and returns the first whose header hash has `bits` leading zero bits, or null.
 */
export function searchNonce (prefix: Uint8Array, bits: number, startNonce: number, count: number): NonceHit | null {
  const last = lastNonce(prefix, bits, startNonce, count)
  if (last < startNonce) return null
  const mid = midstate(prefix)
  const w = new Int32Array(64)

  // Second chunk: prefix bytes 64..82 | nonce (8 bytes) | 0x80 | zeros | bit length. Words 0-3 and
  // 15-18 and rounds 0-3 do not depend on the nonce.
  w.fill(0)
  for (let i = 0; i < 4; i++) w[i] = readWord(prefix, 64 + i * 4)
  w[15] = HEADER_BIT_LENGTH
  w[16] = (sigma1(w[14]) + w[9] + sigma0(w[1]) + w[0]) | 0
  w[17] = (sigma1(w[15]) + w[10] + sigma0(w[2]) + w[1]) | 0
  w[18] = (sigma1(w[16]) + w[11] + sigma0(w[3]) + w[2]) | 0
  const afterFour = Int32Array.from(mid)
  rounds(afterFour, w, 0, 4)

  const states = new Int32Array(16)
  states.set(mid, 0)
  states.set(afterFour, 8)
  const words = Int32Array.from([w[3], (prefix[80] << 24) | (prefix[81] << 16) | (prefix[82] << 8), w[15], w[16], w[17], w[18]])
  const digest = new Int32Array(8)
  const mask0 = firstWordMask(bits)

  let nonce = startNonce
  while (nonce <= last) {
    const slice = Math.min(last - nonce + 1, KERNEL_SLICE)
    const offset = scanNonces(states, words, digest, Math.floor(nonce / 0x1_0000_0000), nonce % 0x1_0000_0000, slice, mask0)
    if (offset === -1) { nonce += slice; continue }
    nonce += offset
    if (hasLeadingZeros(digest, bits)) return { nonce, hash: digestHex(digest) }
    nonce += 1 // the first word passed but the target is longer than 32 bits
  }
  return null
}

/** Reference path: the full two-chunk hash of one header, through the same compression code. */
export function hashHeaderWithNonce (prefix: Uint8Array, nonce: number): string {
  if (!(prefix instanceof Uint8Array) || prefix.length !== HEADER_PREFIX_BYTES) throw new TypeError(`prefix must be ${HEADER_PREFIX_BYTES} bytes`)
  const padded = new Uint8Array(128)
  padded.set(prefix)
  const view = new DataView(padded.buffer)
  view.setUint32(HEADER_PREFIX_BYTES, Math.floor(nonce / 0x1_0000_0000))
  view.setUint32(HEADER_PREFIX_BYTES + 4, nonce >>> 0)
  padded[HEADER_BYTES] = 0x80
  view.setUint32(124, HEADER_BIT_LENGTH)
  const state = Int32Array.from(IV)
  const w = new Int32Array(64)
  for (let chunk = 0; chunk < 128; chunk += 64) {
    for (let i = 0; i < 16; i++) w[i] = readWord(padded, chunk + i * 4)
    extendSchedule(w, 16)
    const work = Int32Array.from(state)
    rounds(work, w, 0, 64)
    for (let i = 0; i < 8; i++) state[i] = (state[i] + work[i]) | 0
  }
  return digestHex(state)
}
