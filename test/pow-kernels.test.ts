// The nonce-search kernels (docs/design.md §11): the JS kernel (src/core/pow.ts searchNonce) and the
// WebAssembly SIMD kernel (src/core/pow-simd.ts) answer every known-answer case of
// test/vectors/pow-search.json, and agree with node:crypto on every nonce of ranges that cross the
// places where their arithmetic changes shape. The generated kernels are what their generators render.
import { expect } from 'chai'
import { readFileSync } from 'node:fs'
import { Worker } from 'node:worker_threads'
import { fromHex, headerPrefix, leadingZeroBits, searchNonce, type NonceSearch } from '../src/core/index.js'
import { createSimdNonceSearch } from '../src/core/pow-simd.js'
import { SIMD_KERNEL_PATH, renderModule } from './vectors/generate-pow-wasm.js'
import { readPowSearchCases, referenceHash } from './vectors/generate-pow-search.js'

const simd = createSimdNonceSearch()
const kernels: Array<[string, NonceSearch | undefined]> = [['js', searchNonce], ['simd', simd]]
const MAX = Number.MAX_SAFE_INTEGER

/** Every nonce of [start, start + count) that meets `bits`, by asking `search` again after each hit. */
function allHits (search: NonceSearch, prefix: Uint8Array, bits: number, start: number, count: number): Array<{ nonce: number, hash: string }> {
  const hits: Array<{ nonce: number, hash: string }> = []
  const end = Math.min(start + count - 1, MAX)
  for (let from = start; from <= end;) {
    const hit = search(prefix, bits, from, end - from + 1)
    if (hit === null) break
    hits.push(hit)
    from = hit.nonce + 1
  }
  return hits
}

/** The same, nonce by nonce with node:crypto. */
function referenceHits (prefix: Uint8Array, bits: number, start: number, count: number): Array<{ nonce: number, hash: string }> {
  const hits: Array<{ nonce: number, hash: string }> = []
  for (let nonce = start; nonce <= Math.min(start + count - 1, MAX); nonce++) {
    const hash = referenceHash(prefix, nonce)
    if (leadingZeroBits(Buffer.from(hash, 'hex')) >= bits) hits.push({ nonce, hash })
  }
  return hits
}

// Ranges compared nonce by nonce: lane-group and turn edges, the 2^24 steps of message word 5, the
// low word's wrap, the last nonce; small bits so that they hold many hits (and many misses).
const RANGES: Array<{ name: string, start: number, count: number, bits: number }> = [
  { name: 'from nonce 0', start: 0, count: 2000, bits: 4 },
  { name: 'across 2^24 (message word 5 changes)', start: 2 ** 24 - 997, count: 2000, bits: 4 },
  { name: 'across 2^32 (the high word changes inside a lane group)', start: 2 ** 32 - 1002, count: 2000, bits: 4 },
  { name: 'across 2^40 + 2^32', start: 2 ** 40 + 2 ** 32 - 1001, count: 2000, bits: 5 },
  { name: 'up to 2^53 - 1, the last nonce', start: MAX - 1998, count: 5000, bits: 4 },
  { name: 'every nonce a hit (bits 0)', start: 2 ** 32 - 21, count: 43, bits: 0 }
]

describe('nonce-search kernels', function () {
  this.timeout(60_000)

  it('the WebAssembly SIMD kernel runs here (Node 20 has wasm SIMD; the miner would fall back to JS)', () => {
    expect(simd).to.be.a('function')
  })

  it('the committed WebAssembly kernel is what test/vectors/generate-pow-wasm.ts renders', async () => {
    expect(readFileSync(SIMD_KERNEL_PATH, 'utf8')).to.equal(await renderModule())
  })

  it('a runtime without WebAssembly SIMD gets no SIMD kernel (callers fall back to JS)', async () => {
    const url = new URL('../src/core/pow-simd.ts', import.meta.url).href
    const worker = new Worker(`
      const { parentPort } = require('node:worker_threads')
      WebAssembly.validate = () => false
      import('tsx/esm/api').then(m => { m.register(); return import(${JSON.stringify(url)}) })
        .then(m => parentPort.postMessage(m.createSimdNonceSearch() === undefined), err => parentPort.postMessage(String(err)))`, { eval: true })
    try {
      const answer = await new Promise(resolve => worker.once('message', resolve))
      expect(answer).to.equal(true)
    } finally {
      await worker.terminate()
    }
  })

  for (const [name, search] of kernels) {
    describe(`${name} kernel`, () => {
      for (const c of readPowSearchCases()) {
        it(`known answer: ${c.name}`, () => {
          expect(search!(fromHex(c.prefix, 'prefix'), c.bits, c.start, c.count)).to.deep.equal(c.expect)
        })
      }

      for (const r of RANGES) {
        it(`finds every hit and no other nonce, like node:crypto: ${r.name}, bits ${r.bits}`, () => {
          const prefix = headerPrefix({ version: 1, index: 77, previous_hash: '5a'.repeat(32), tx_root: 'a5'.repeat(32), timestamp: 1767225600.25, bits: r.bits })
          const expected = referenceHits(prefix, r.bits, r.start, r.count)
          expect(expected.length, 'the range holds hits').to.be.greaterThan(10)
          expect(allHits(search!, prefix, r.bits, r.start, r.count)).to.deep.equal(expected)
        })
      }

      it('rejects bad arguments with errors naming them', () => {
        const prefix = new Uint8Array(83)
        expect(() => search!(new Uint8Array(82), 8, 0, 1)).to.throw(TypeError, /prefix/)
        expect(() => search!(prefix, 257, 0, 1)).to.throw(RangeError, /bits/)
        expect(() => search!(prefix, 8, -1, 1)).to.throw(RangeError, /startNonce/)
        expect(() => search!(prefix, 8, 2 ** 53, 1)).to.throw(RangeError, /startNonce/)
        expect(() => search!(prefix, 8, 0, 1.5)).to.throw(RangeError, /count/)
      })
    })
  }
})
