// Worker thread of the miner (docs/design.md §4): searches its share of the nonce space off the event loop, in
// slices, and gives up between two slices as soon as the shared control word no longer names its job
// (another worker found a nonce, a block took the height, the miner stopped).
import '../polyfill.js'
import { parentPort, workerData } from 'node:worker_threads'
import { searchNonce, type NonceSearch } from '../core/nonce-search.js'
import { createSimdNonceSearch } from '../core/pow-simd.js'

export type MinerKernel = 'simd' | 'js'

export interface MinerWorkerData {
  /** Int32Array view: [0] = the generation of the job that may run; anything else stops it. */
  control: SharedArrayBuffer
  /** BigUint64Array view: [index] = nonces this worker hashed so far (read live by the pool). */
  counters: SharedArrayBuffer
  index: number
  /** 'auto': the WebAssembly SIMD kernel where the runtime has it, else JS. */
  kernel: 'auto' | 'js'
}

/**
 * Search slices first, first + stride, first + 2 * stride, ... of `slice` nonces each (slice k holds
 * nonces k * slice .. (k + 1) * slice - 1), up to 2^53 - 1.
 */
export interface SearchJob { gen: number, prefix: Uint8Array, bits: number, first: number, stride: number, slice: number }

export type MinerWorkerMessage =
  | { type: 'ready', kernel: MinerKernel }
  | { type: 'result', gen: number, status: 'found', nonce: number, hash: string }
  | { type: 'result', gen: number, status: 'stopped' | 'exhausted' }

const { control, counters, index, kernel: wanted } = workerData as MinerWorkerData
const generation = new Int32Array(control)
const hashed = new BigUint64Array(counters)
const simd = wanted === 'auto' ? createSimdNonceSearch() : undefined
const search: NonceSearch = simd ?? searchNonce

function run (job: SearchJob): MinerWorkerMessage {
  for (let k = job.first; ; k += job.stride) {
    const start = k * job.slice
    if (start > Number.MAX_SAFE_INTEGER) return { type: 'result', gen: job.gen, status: 'exhausted' }
    if (Atomics.load(generation, 0) !== job.gen) return { type: 'result', gen: job.gen, status: 'stopped' }
    const found = search(job.prefix, job.bits, start, job.slice)
    const tried = found === null ? Math.min(job.slice, Number.MAX_SAFE_INTEGER - start + 1) : found.nonce - start + 1
    Atomics.add(hashed, index, BigInt(tried))
    if (found !== null) return { type: 'result', gen: job.gen, status: 'found', nonce: found.nonce, hash: found.hash }
  }
}

parentPort!.on('message', (job: SearchJob) => { parentPort!.postMessage(run(job)) })
parentPort!.postMessage({ type: 'ready', kernel: simd === undefined ? 'js' : 'simd' } satisfies MinerWorkerMessage)
