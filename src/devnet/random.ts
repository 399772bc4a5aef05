// A seeded pseudo-random generator, so a devnet's topology and a benchmark's choices repeat from a seed.

/** mulberry32: a fast 32-bit generator of floats in [0, 1); not for secrets. */
export function prng (seed: number): () => number {
  if (!Number.isInteger(seed)) throw new TypeError('prng: "seed" must be an integer')
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
