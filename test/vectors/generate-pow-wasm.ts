// Generates src/core/sha256-nonce-wasm.ts: a WebAssembly SIMD kernel for the nonce search (docs/design.md §11).
// The 91-byte header pads to two 64-byte chunks; the first is compressed once (the midstate, passed in),
// and only the second is hashed per nonce, LANES nonces per loop turn in i32x4 vectors.
//
// The kernel is written here as an expression graph, not by hand: every SHA-256 step of FIPS 180-4
// §6.2.2 becomes a node, identical nodes are shared, literals are folded, and a node whose inputs do not change inside one call (the midstate, message words
// 0-5 and 7-15, rounds 0-5, schedule words 16-20, the invariant parts of later sums) is computed once
// before the loop. Only message word 6 (the nonce's low 24 bits, then 0x80) changes from nonce to nonce,
// so each call must keep the nonce's high word and the top byte of its low word fixed: the caller
// (src/core/pow-simd.ts) splits a range at multiples of 2^24. WAT text is compiled with wabt.
// Run: npx tsx test/vectors/generate-pow-wasm.ts [--wat]   (core-pow.test.ts checks the file is current)
import { writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import wabt from 'wabt'
import { SHA256_K } from '../../src/core/nonce-search.js'
import { HEADER_BYTES } from '../../src/core/types.js'

/** i32x4 vectors per loop turn: two independent vectors give the out-of-order core more to overlap. */
export const VECTORS = 1
export const LANES = VECTORS * 4
/** Linear-memory layout shared with the driver (byte offsets). */
export const LAYOUT = {
  /** Midstate H0..H7 as i32 (the first chunk compressed). */
  midstate: 0,
  /** Second-chunk message words w0..w5 as i32 (w4 and w5 hold the nonce's high bytes). */
  words: 32,
  /** Digest words of the vectors of a hit: word i of vector v at digest + (v * 8 + i) * 16, lane j at + 4 * j. */
  digest: 64
} as const

type Op = 'add' | 'xor' | 'and' | 'shl' | 'shr_u' | 'bitselect'
interface Node {
  id: number
  /** The value is the same for every nonce of a call. */
  invariant: boolean
  /** Longest chain of per-nonce operations leading to this value in one loop turn (0: invariant or a lane). */
  depth: number
  kind: 'lit' | 'word' | 'lane' | 'op'
  value?: number
  offset?: number
  op?: Op
  args?: Node[]
  shift?: number
}

class Graph {
  readonly nodes: Node[] = []
  private readonly interned = new Map<string, Node>()

  private intern (key: string, make: (id: number) => Node): Node {
    let node = this.interned.get(key)
    if (node === undefined) {
      node = make(this.nodes.length)
      this.nodes.push(node)
      this.interned.set(key, node)
    }
    return node
  }

  lit (value: number): Node {
    const v = value | 0
    return this.intern(`lit ${v}`, id => ({ id, invariant: true, depth: 0, kind: 'lit', value: v }))
  }

  /** An i32 from linear memory at `offset`, splatted to all lanes. */
  word (offset: number): Node {
    return this.intern(`word ${offset}`, id => ({ id, invariant: true, depth: 0, kind: 'word', offset }))
  }

  lane (vector: number): Node {
    return this.intern(`lane ${vector}`, id => ({ id, invariant: false, depth: 0, kind: 'lane', value: vector }))
  }

  private op (op: Op, args: Node[], shift?: number): Node {
    const ids = args.map(a => a.id)
    if (op === 'add' || op === 'xor' || op === 'and') ids.sort((a, b) => a - b) // commutative
    return this.intern(`${op} ${ids.join(',')} ${shift ?? ''}`, id => {
      const invariant = args.every(a => a.invariant)
      return { id, invariant, depth: invariant ? 0 : 1 + Math.max(...args.map(a => a.depth)), kind: 'op', op, args, shift }
    })
  }

  /**
   * Sum of terms: literals folded, invariant terms summed apart (before the loop); the per-nonce terms
   * are added from the one ready first to the one ready last (so Σ1(e), ready last in a round, waits
   * for two additions, not four), then the invariant sum (measured: adding it first was 7% slower).
   */
  add (...terms: Node[]): Node {
    let literal = 0
    const invariant: Node[] = []
    const variant: Node[] = []
    for (const t of terms) {
      if (t.kind === 'lit') literal = (literal + t.value!) | 0
      else (t.invariant ? invariant : variant).push(t)
    }
    if (literal !== 0 || (invariant.length === 0 && variant.length === 0)) invariant.push(this.lit(literal))
    const chain = (xs: Node[]): Node => xs.reduce((acc, x) => this.op('add', [acc, x]))
    const inv = invariant.length > 0 ? chain(invariant) : undefined
    variant.sort((a, b) => a.depth - b.depth)
    return chain(inv === undefined ? variant : [...variant, inv])
  }

  xor (a: Node, b: Node): Node {
    if (a.kind === 'lit' && b.kind === 'lit') return this.lit(a.value! ^ b.value!)
    if (a.kind === 'lit' && a.value === 0) return b
    if (b.kind === 'lit' && b.value === 0) return a
    return this.op('xor', [a, b])
  }

  and (a: Node, b: Node): Node {
    if (a.kind === 'lit' && b.kind === 'lit') return this.lit(a.value! & b.value!)
    if ((a.kind === 'lit' && a.value === 0) || (b.kind === 'lit' && b.value === 0)) return this.lit(0)
    return this.op('and', [a, b])
  }

  /** Bits of `a` where `mask` is 1, of `b` where it is 0. */
  select (a: Node, b: Node, mask: Node): Node {
    if (a.kind === 'lit' && b.kind === 'lit' && mask.kind === 'lit') return this.lit((a.value! & mask.value!) | (b.value! & ~mask.value!))
    return this.op('bitselect', [a, b, mask])
  }

  shl (a: Node, n: number): Node {
    return a.kind === 'lit' ? this.lit(a.value! << n) : this.op('shl', [a], n)
  }

  shr (a: Node, n: number): Node {
    return a.kind === 'lit' ? this.lit(a.value! >>> n) : this.op('shr_u', [a], n)
  }
}

/**
 * The second-chunk compression of VECTORS vectors of nonces (FIPS 180-4 §6.2.2), round by round and
 * vector by vector, each schedule word made just before the round that reads it (creation order is
 * the emitted order: this keeps few values alive at once). Returns each vector's final a..h (the
 * digest is midstate + these).
 */
function compress (g: Graph, lanes: Node[]): Node[][] {
  const rotr = (x: Node, n: number): Node => g.xor(g.shr(x, n), g.shl(x, 32 - n))
  const xor3 = (a: Node, b: Node, c: Node): Node => g.xor(g.xor(a, b), c)
  const bigSigma0 = (x: Node): Node => xor3(rotr(x, 2), rotr(x, 13), rotr(x, 22))
  const bigSigma1 = (x: Node): Node => xor3(rotr(x, 6), rotr(x, 11), rotr(x, 25))
  const sigma0 = (x: Node): Node => xor3(rotr(x, 7), rotr(x, 18), g.shr(x, 3))
  const sigma1 = (x: Node): Node => xor3(rotr(x, 17), rotr(x, 19), g.shr(x, 10))

  // Second chunk of the 91-byte header: bytes 64..82 of the prefix, the nonce (bytes 83..90, u64
  // big-endian), 0x80, zeros, the bit length. w0..w5 are fixed within a call; w6 is per lane.
  const schedules = lanes.map(lane => {
    const w: Node[] = []
    for (let i = 0; i < 6; i++) w.push(g.word(LAYOUT.words + 4 * i))
    w.push(lane)
    for (let i = 7; i < 15; i++) w.push(g.lit(0))
    w.push(g.lit(HEADER_BYTES * 8))
    return w
  })
  const states = lanes.map(() => Array.from({ length: 8 }, (_, i) => g.word(LAYOUT.midstate + 4 * i)))
  for (let t = 0; t < 64; t++) {
    for (let v = 0; v < lanes.length; v++) {
      const w = schedules[v]
      if (t >= 16) w.push(g.add(sigma1(w[t - 2]), w[t - 7], sigma0(w[t - 15]), w[t - 16]))
      const [a, b, c, d, e, f, gg, h] = states[v]
      // Ch(e,f,g) takes f where e is 1, g where it is 0; Maj(a,b,c) is b where a == b, else c. As
      // v128.bitselect they ran 6% faster than as xor/and forms (V8 spilled fewer values).
      const ch = g.select(f, gg, e)
      const maj = g.select(c, b, g.xor(a, b))
      const t1 = g.add(h, bigSigma1(e), ch, g.lit(SHA256_K[t]), w[t])
      const t2 = g.add(bigSigma0(a), maj)
      states[v] = [g.add(t1, t2), a, b, c, g.add(d, t1), e, f, gg]
    }
  }
  return states
}

export function renderWat (): { wat: string, loopOps: number } {
  const g = new Graph()
  const finals = compress(g, Array.from({ length: VECTORS }, (_, v) => g.lane(v)))
  const midstate = Array.from({ length: 8 }, (_, i) => g.word(LAYOUT.midstate + 4 * i))
  const digest = finals.map(state => state.map((x, i) => g.add(midstate[i], x)))

  // Nodes each part needs, in creation order (a topological order).
  const needed = (roots: Node[]): Set<Node> => {
    const seen = new Set<Node>()
    const visit = (n: Node): void => {
      if (seen.has(n)) return
      seen.add(n)
      n.args?.forEach(visit)
    }
    roots.forEach(visit)
    return seen
  }
  const forFirstWord = needed(digest.map(d => d[0]))
  const forDigest = needed(digest.flat())
  const ordered = (set: Set<Node>): Node[] => g.nodes.filter(n => set.has(n))
  const hoisted = ordered(forDigest).filter(n => n.invariant)
  const loop = ordered(forFirstWord).filter(n => !n.invariant && n.kind !== 'lane')
  const onHit = ordered(forDigest).filter(n => !n.invariant && !forFirstWord.has(n))

  const name = (n: Node): string => `$n${n.id}`
  const hex = (x: number): string => '0x' + (x >>> 0).toString(16)
  const expr = (n: Node): string => {
    switch (n.kind) {
      case 'lit': return `(v128.const i32x4 ${hex(n.value!)} ${hex(n.value!)} ${hex(n.value!)} ${hex(n.value!)})`
      case 'word': return `(v128.load32_splat offset=${n.offset} (i32.const 0))`
      case 'lane': throw new Error('lanes are loop state')
      case 'op': {
        const [x, y, z] = n.args!.map(a => `(local.get ${name(a)})`)
        if (n.op === 'bitselect') return `(v128.bitselect ${x} ${y} ${z})`
        if (n.op === 'shl' || n.op === 'shr_u') return `(i32x4.${n.op} ${x} (i32.const ${n.shift}))`
        return n.op === 'add' ? `(i32x4.add ${x} ${y})` : `(v128.${n.op} ${x} ${y})`
      }
    }
  }
  const set = (n: Node): string => `(local.set ${name(n)} ${expr(n)})`
  const lanes = Array.from({ length: VECTORS }, (_, v) => g.lane(v))

  const out: string[] = []
  const line = (s: string): void => { out.push(s) }
  line('(module')
  line('  (memory (export "memory") 1)')
  line('  ;; scan(lo, count, mask): hashes nonces lo .. lo + count - 1 (low words; the high word and the top byte of the')
  line(`  ;; low word are in w4/w5), ${LANES} per turn. Returns the offset of the first turn where some lane's first digest`)
  line('  ;; word ANDed with mask is zero, with that turn\'s digests stored at the digest offset; -1 when none. Lanes at')
  line('  ;; offsets >= count are hashed too (with wrong nonces): the caller ignores them.')
  line('  (func (export "scan") (param $lo i32) (param $count i32) (param $mask i32) (result i32)')
  line('    (local $k i32) (local $maskv v128) (local $step v128)')
  for (const n of [...hoisted, ...lanes, ...loop, ...onHit]) line(`    (local ${name(n)} v128)`)
  line('    ;; fixed for the whole call: computed once')
  for (const n of hoisted) line(`    ${set(n)}`)
  line('    (local.set $maskv (i32x4.splat (local.get $mask)))')
  line(`    (local.set $step (i32x4.splat (i32.const ${LANES << 8})))`)
  // w6 of lane j of vector v: ((lo + 4v + j) << 8) | 0x80. Adding LANES << 8 per turn steps the nonce
  // without touching the 0x80 byte; bits shifted out belong to w5, which the caller keeps fixed.
  lanes.forEach((lane, v) => {
    line(`    (local.set ${name(lane)} (v128.or (i32x4.shl (i32x4.add (i32x4.splat (local.get $lo)) (v128.const i32x4 ${4 * v} ${4 * v + 1} ${4 * v + 2} ${4 * v + 3})) (i32.const 8)) (v128.const i32x4 0x80 0x80 0x80 0x80)))`)
  })
  line('    (block $done')
  line('      (loop $turn')
  line('        (br_if $done (i32.ge_u (local.get $k) (local.get $count)))')
  for (const n of loop) line(`        ${set(n)}`)
  const firstWords = digest.map(d => `(i32x4.eq (v128.and (local.get ${name(d[0])}) (local.get $maskv)) (v128.const i32x4 0 0 0 0))`)
  const anyHit = firstWords.reduce((acc, x) => `(v128.or ${acc} ${x})`)
  line(`        (if (v128.any_true ${anyHit})`)
  line('          (then')
  for (const n of onHit) line(`            ${set(n)}`)
  digest.forEach((d, v) => d.forEach((x, i) => {
    line(`            (v128.store offset=${LAYOUT.digest + (v * 8 + i) * 16} (i32.const 0) (local.get ${name(x)}))`)
  }))
  line('            (return (local.get $k))))')
  for (const lane of lanes) line(`        (local.set ${name(lane)} (i32x4.add (local.get ${name(lane)}) (local.get $step)))`)
  line(`        (local.set $k (i32.add (local.get $k) (i32.const ${LANES})))`)
  line('        (br $turn)))')
  line('    (i32.const -1)))')
  return { wat: out.join('\n') + '\n', loopOps: loop.length }
}

export async function renderWasm (): Promise<Uint8Array> {
  const tools = await wabt()
  const module = tools.parseWat('sha256-nonce.wat', renderWat().wat, { simd: true })
  try {
    module.validate()
    return module.toBinary({ canonicalize_lebs: true }).buffer
  } finally {
    module.destroy()
  }
}

export async function renderModule (): Promise<string> {
  const bytes = await renderWasm()
  const b64 = Buffer.from(bytes).toString('base64')
  const lines = [
    '// GENERATED by test/vectors/generate-pow-wasm.ts: do not edit by hand.',
    `// WebAssembly SIMD second-chunk SHA-256 of the 91-byte block header, ${LANES} nonces per loop turn (see pow-simd.ts).`,
    '/* eslint-disable */',
    '',
    `/** Nonces hashed per loop turn (${VECTORS} i32x4 vectors). */`,
    `export const SIMD_LANES = ${LANES}`,
    '/** Byte offsets in the module\'s memory: midstate words, second-chunk words w0..w5, digests of a hit. */',
    `export const SIMD_LAYOUT = { midstate: ${LAYOUT.midstate}, words: ${LAYOUT.words}, digest: ${LAYOUT.digest} } as const`,
    `/** The module (${bytes.length} bytes), base64. */`,
    'export const SIMD_KERNEL_BASE64 =',
    ...chunk(b64, 100).map((part, i, all) => `  '${part}'${i < all.length - 1 ? ' +' : ''}`),
    ''
  ]
  return lines.join('\n')
}

function chunk (text: string, size: number): string[] {
  const parts: string[] = []
  for (let i = 0; i < text.length; i += size) parts.push(text.slice(i, i + size))
  return parts
}

export const SIMD_KERNEL_PATH = fileURLToPath(new URL('../../src/core/sha256-nonce-wasm.ts', import.meta.url))

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  if (process.argv.includes('--wat')) {
    process.stdout.write(renderWat().wat)
  } else {
    writeFileSync(SIMD_KERNEL_PATH, await renderModule())
    const { loopOps } = renderWat()
    console.log(`wrote ${SIMD_KERNEL_PATH} (${loopOps} vector operations per loop turn of ${LANES} nonces)`)
  }
}
