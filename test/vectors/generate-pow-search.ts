// Writes test/vectors/pow-search.json: known answers of the nonce search (docs/design.md §3, §11) for every
// kernel (test/pow-kernels.test.ts runs each case on the JS and the WebAssembly SIMD kernel). Every expected
// hash and every "no nonce before this one qualifies" comes from node:crypto, nonce by nonce, never
// from a kernel. The cases sit where the kernels' arithmetic changes shape: lane-group edges (4, 8),
// the 2^24 steps where the SIMD driver rewrites message word 5, the low word's wrap at 2^32, the last
// nonce (2^53 - 1), and ranges whose first hit falls just after such an edge.
// Run: npx tsx test/vectors/generate-pow-search.ts   (one case searches ~2^32 nonces with the SIMD kernel
// for a digest whose whole first word is zero: about a minute per core; it is kept across runs)
import { createHash } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { headerPrefix, leadingZeroBits, toHex, type HeaderFields } from '../../src/core/index.js'
import { createSimdNonceSearch } from '../../src/core/pow-simd.js'

export interface PowSearchCase {
  name: string
  /** The 83-byte header prefix, hex. */
  prefix: string
  bits: number
  start: number
  count: number
  expect: { nonce: number, hash: string } | null
}

export const POW_SEARCH_PATH = fileURLToPath(new URL('pow-search.json', import.meta.url))
const MAX = Number.MAX_SAFE_INTEGER

export function referenceHash (prefix: Uint8Array, nonce: number): string {
  const header = Buffer.alloc(91)
  header.set(prefix)
  header.writeBigUInt64BE(BigInt(nonce), 83)
  return createHash('sha256').update(header).digest('hex')
}

const zerosOf = (hash: string): number => leadingZeroBits(Buffer.from(hash, 'hex'))

/** The expected answer by brute force with node:crypto. */
function expected (prefix: Uint8Array, bits: number, start: number, count: number): PowSearchCase['expect'] {
  const last = Math.min(start + count - 1, MAX)
  for (let nonce = start; nonce <= last; nonce++) {
    const hash = referenceHash(prefix, nonce)
    if (zerosOf(hash) >= bits) return { nonce, hash }
  }
  return null
}

function prefixOf (variant: number): Uint8Array {
  const fields: Omit<HeaderFields, 'nonce'> = {
    version: 1, index: 1000 + variant, previous_hash: (variant * 7919).toString(16).padStart(64, '0'), tx_root: 'c3'.repeat(32), timestamp: 1767225600.5 + variant, bits: 16
  }
  return headerPrefix(fields)
}

/**
 * A case whose first hit is exactly `target`, found by trying header variants: `target` must have more
 * leading zero bits than every nonce from `start` up to it (then bits = those zeros).
 */
function firstHitAt (name: string, start: number, target: number, count: number): PowSearchCase {
  for (let variant = 0; variant < 10_000; variant++) {
    const prefix = prefixOf(variant)
    const before = Array.from({ length: target - start }, (_, i) => zerosOf(referenceHash(prefix, start + i)))
    const bits = zerosOf(referenceHash(prefix, target))
    if (before.every(z => z < bits)) {
      return { name, prefix: toHex(prefix), bits, start, count, expect: expected(prefix, bits, start, count) }
    }
  }
  throw new Error(`no header variant puts the first hit at ${target}`)
}

function digestOf (name: string, variant: number, nonce: number): PowSearchCase {
  const prefix = prefixOf(variant)
  return { name, prefix: toHex(prefix), bits: 0, start: nonce, count: 1, expect: { nonce, hash: referenceHash(prefix, nonce) } }
}

/** A range with no hit although the nonce just after it qualifies (a lane past the range must not count). */
function missBefore (name: string, start: number, count: number): PowSearchCase {
  for (let variant = 0; variant < 10_000; variant++) {
    const prefix = prefixOf(variant)
    const inRange = Array.from({ length: count }, (_, i) => zerosOf(referenceHash(prefix, start + i)))
    const next = zerosOf(referenceHash(prefix, start + count))
    if (inRange.every(z => z < next)) return { name, prefix: toHex(prefix), bits: next, start, count, expect: null }
  }
  throw new Error('no header variant')
}

/**
 * A nonce whose digest's first word is zero (32 leading zero bits), found with the SIMD kernel and checked
 * with node:crypto: a candidate the bits > 32 path has to finish checking. Kept from an earlier run.
 */
function fullWordZero (previous: PowSearchCase[]): PowSearchCase[] {
  const kept = previous.filter(c => c.name.startsWith('first word zero'))
  if (kept.length > 0) return kept
  const search = createSimdNonceSearch()
  if (search === undefined) throw new Error('this runtime has no WebAssembly SIMD')
  const prefix = prefixOf(1)
  const hit = search(prefix, 32, 0, MAX)
  if (hit === null || referenceHash(prefix, hit.nonce) !== hit.hash || zerosOf(hit.hash) < 32) throw new Error('the SIMD kernel disagrees with node:crypto')
  const zeros = zerosOf(hit.hash)
  const p = toHex(prefix)
  return [
    { name: 'first word zero: the nonce meets bits 32', prefix: p, bits: 32, start: hit.nonce, count: 1, expect: hit },
    { name: 'first word zero: meets its exact zero count', prefix: p, bits: zeros, start: hit.nonce - 5, count: 10, expect: hit },
    { name: 'first word zero: a longer target is not met (the candidate is checked past word 0)', prefix: p, bits: zeros + 1, start: hit.nonce - 5, count: 10, expect: expected(prefix, zeros + 1, hit.nonce - 5, 10) }
  ]
}

export function readPowSearchCases (): PowSearchCase[] {
  return (JSON.parse(readFileSync(POW_SEARCH_PATH, 'utf8')) as { cases: PowSearchCase[] }).cases
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const previous = existsSync(POW_SEARCH_PATH) ? readPowSearchCases() : []
  const cases: PowSearchCase[] = [
    ...[0, 1, 3, 4, 5, 7, 8, 9, 255, 256, 65535, 65536, 2 ** 24 - 1, 2 ** 24, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1, 2 ** 40 + 5, 2 ** 48 - 1, MAX - 1, MAX]
      .map((nonce, i) => digestOf(`digest of nonce ${nonce}`, i, nonce)),
    firstHitAt('first hit in lane 3 of the first group', 0, 3, 64),
    firstHitAt('first hit in the second vector of a turn (lane 5)', 0, 5, 64),
    firstHitAt('first hit at 2^24, the first nonce after message word 5 changes', 2 ** 24 - 6, 2 ** 24, 64),
    firstHitAt('first hit at 2^24 - 1, the last nonce before message word 5 changes', 2 ** 24 - 6, 2 ** 24 - 1, 64),
    firstHitAt('first hit at 2^32: the high word changes inside a lane group', 2 ** 32 - 2, 2 ** 32, 64),
    firstHitAt('first hit at 2^32 + 1, a start that is not a multiple of 4', 2 ** 32 - 3, 2 ** 32 + 1, 64),
    firstHitAt('first hit at 2^32 - 1, the last nonce before the low word wraps', 2 ** 32 - 7, 2 ** 32 - 1, 64),
    firstHitAt('first hit at 2^40 + 2^24, a high word above 0xff and a word-5 step', 2 ** 40 + 2 ** 24 - 9, 2 ** 40 + 2 ** 24, 64),
    firstHitAt('first hit at 2^53 - 1, the last nonce', MAX - 9, MAX, 64),
    firstHitAt('first hit at 2^53 - 2 with the range running past 2^53 - 1', MAX - 12, MAX - 1, 1000),
    missBefore('no hit in 5 nonces although the 6th qualifies', 1000, 5),
    missBefore('no hit up to 2^32 - 1 although 2^32 qualifies', 2 ** 32 - 6, 6),
    missBefore('no hit up to 2^24 - 1 although 2^24 qualifies', 2 ** 24 - 10, 10),
    { name: 'an empty range', prefix: toHex(prefixOf(0)), bits: 0, start: 5, count: 0, expect: null },
    { name: 'bits 256 over a range crossing 2^32', prefix: toHex(prefixOf(0)), bits: 256, start: 2 ** 32 - 500, count: 1000, expect: null },
    { name: 'bits 256 at the top of the nonce space', prefix: toHex(prefixOf(0)), bits: 256, start: MAX - 3, count: 100, expect: null },
    ...fullWordZero(previous)
  ]
  writeFileSync(POW_SEARCH_PATH, JSON.stringify({
    note: 'Nonce-search known answers (test/vectors/generate-pow-search.ts): expected hashes from node:crypto; expect null = no nonce of the range qualifies.',
    cases
  }, null, 2) + '\n')
  console.log(`wrote ${cases.length} cases to ${POW_SEARCH_PATH}`)
}
