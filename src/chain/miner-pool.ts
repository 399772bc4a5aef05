// The miner's worker threads (docs/design.md §4, §11): one per core by default, started when a search first needs
// them and kept for the next blocks (measured compiled: the first worker ~35 ms and ~17 MiB, each next
// one ~8 MiB; more than a block at low difficulty). A search splits the nonce space into interleaved slices, worker i taking slices
// i, i + N, i + 2N, ..., so together they walk up from nonce 0; the first nonce found wins and a
// shared control word stops the others within one slice.
import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import type { NonceHit } from '../core/nonce-search.js'
import type { MinerKernel, MinerWorkerData, MinerWorkerMessage, SearchJob } from './miner-worker.js'

/** Nonces per slice: ~4 ms of hashing, the longest a worker runs on after it was told to stop. */
export const SLICE_NONCES = 1 << 16
/**
 * Targets of at most this many bits go to one worker: 2^12 expected nonces fill a slice 16 times over
 * (a miss of the whole first slice: e^-16), so waking the others would only cost their start and stop.
 */
export const ONE_WORKER_BITS = 12
/** The most worker threads a miner takes (a config or flag asking for more is refused). */
export const MAX_MINER_THREADS = 1024

export interface MinerPoolInit {
  /** Worker threads (default: os.availableParallelism()). */
  threads?: number
  /** 'auto': WebAssembly SIMD where the runtime has it, else JS; 'js': the JS kernel (tests, benchmarks). */
  kernel?: 'auto' | 'js'
}

export interface MinerPoolStats {
  threads: number
  /** Workers running now (started as searches need them, kept until close). */
  started: number
  /** The kernel the workers run; undefined until they started. */
  kernel: MinerKernel | undefined
  /** Nonces hashed by all workers since the pool was made (counted live, slice by slice). */
  hashes: number
  /** Workers still running a search (a stopped search winds down within one slice). */
  busy: number
}

export function defaultMinerThreads (): number {
  return availableParallelism()
}

function spawn (data: MinerWorkerData): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./miner-worker.js', import.meta.url), { workerData: data })
  // Running from source under tsx (dev, tests): Node 20 does not carry tsx's loader into workers, so the
  // worker registers it before importing the TypeScript module.
  const url = new URL('./miner-worker.ts', import.meta.url).href
  return new Worker(`import('tsx/esm/api').then(m => { m.register(); return import(${JSON.stringify(url)}) })`, { eval: true, workerData: data })
}

interface Pending {
  gen: number
  running: number
  resolve: (hit: NonceHit | undefined) => void
  reject: (err: Error) => void
}

export class MinerPool {
  readonly threads: number
  private readonly kernelChoice: 'auto' | 'js'
  private readonly control = new Int32Array(new SharedArrayBuffer(4))
  /** Nonces hashed, one counter per worker slot, written by the workers as they go. */
  private readonly counters: BigUint64Array
  private workers: Worker[] = []
  /** Jobs posted to each worker and not answered yet. */
  private readonly outstanding = new Map<Worker, number>()
  private generation = 0
  private pending: Pending | undefined
  private kernel: MinerKernel | undefined
  private closed = false

  constructor (init: MinerPoolInit = {}) {
    const threads = init.threads ?? defaultMinerThreads()
    if (!Number.isInteger(threads) || threads < 1 || threads > MAX_MINER_THREADS) {
      throw new RangeError(`MinerPool: "threads" must be an integer from 1 to ${MAX_MINER_THREADS}`)
    }
    const kernel = init.kernel ?? 'auto'
    if (kernel !== 'auto' && kernel !== 'js') throw new RangeError('MinerPool: "kernel" must be "auto" or "js"')
    this.threads = threads
    this.kernelChoice = kernel
    this.counters = new BigUint64Array(new SharedArrayBuffer(8 * threads))
  }

  get stats (): MinerPoolStats {
    const hashes = Number(this.counters.reduce((sum, _, i) => sum + Atomics.load(this.counters, i), 0n))
    return { threads: this.threads, started: this.workers.length, kernel: this.kernel, hashes, busy: [...this.outstanding.values()].filter(n => n > 0).length }
  }

  /**
   * The first nonce found for the 83-byte header prefix at `bits`, or undefined when `signal` aborted
   * the search first (or, in theory, every nonce below 2^53 failed). One search at a time.
   */
  async search (prefix: Uint8Array, bits: number, signal?: AbortSignal): Promise<NonceHit | undefined> {
    if (this.closed) throw new Error('the miner pool is closed')
    if (this.pending !== undefined) throw new Error('MinerPool: one search at a time')
    if (signal?.aborted === true) return undefined
    const workers = this.start(bits <= ONE_WORKER_BITS ? 1 : this.threads)
    const gen = this.nextGeneration()
    return await new Promise<NonceHit | undefined>((resolve, reject) => {
      const onAbort = (): void => { this.finish(gen, undefined) }
      signal?.addEventListener('abort', onAbort, { once: true })
      this.pending = {
        gen,
        running: workers.length,
        resolve: hit => { signal?.removeEventListener('abort', onAbort); resolve(hit) },
        reject: err => { signal?.removeEventListener('abort', onAbort); reject(err) }
      }
      workers.forEach((worker, i) => {
        const job: SearchJob = { gen, prefix, bits, first: i, stride: workers.length, slice: SLICE_NONCES }
        worker.postMessage(job)
        this.outstanding.set(worker, (this.outstanding.get(worker) ?? 0) + 1)
      })
    })
  }

  /** Stops any search and ends every worker. */
  async close (): Promise<void> {
    this.closed = true
    this.nextGeneration()
    this.pending?.resolve(undefined)
    this.pending = undefined
    await this.stopWorkers()
  }

  /** The first `count` workers, starting those not running yet. */
  private start (count: number): Worker[] {
    for (let i = this.workers.length; i < count; i++) {
      const worker = spawn({ control: this.control.buffer as SharedArrayBuffer, counters: this.counters.buffer as SharedArrayBuffer, index: i, kernel: this.kernelChoice })
      worker.on('message', (message: MinerWorkerMessage) => { this.onMessage(worker, message) })
      worker.on('error', (err: Error) => { this.fail(err) })
      worker.on('exit', (code: number) => { this.fail(new Error(`a miner worker exited (code ${code})`)) })
      this.workers.push(worker)
    }
    return this.workers.slice(0, count)
  }

  /** A new generation in the control word: whatever the workers run now stops at its next slice. */
  private nextGeneration (): number {
    this.generation = (this.generation + 1) | 0
    Atomics.store(this.control, 0, this.generation)
    return this.generation
  }

  private onMessage (worker: Worker, message: MinerWorkerMessage): void {
    if (message.type === 'ready') {
      this.kernel = message.kernel
      return
    }
    this.outstanding.set(worker, (this.outstanding.get(worker) ?? 1) - 1)
    const pending = this.pending
    if (pending === undefined || message.gen !== pending.gen) return // a stopped search winding down
    if (message.status === 'found') {
      this.finish(pending.gen, { nonce: message.nonce, hash: message.hash })
    } else if (--pending.running === 0) {
      this.finish(pending.gen, undefined)
    }
  }

  private finish (gen: number, hit: NonceHit | undefined): void {
    const pending = this.pending
    if (pending === undefined || pending.gen !== gen) return
    this.pending = undefined
    this.nextGeneration() // the other workers stop
    pending.resolve(hit)
  }

  /** A worker died: the search fails, every worker goes, and the next search starts new ones. */
  private fail (err: Error): void {
    if (this.closed) return
    const pending = this.pending
    this.pending = undefined
    this.nextGeneration()
    void this.stopWorkers()
    pending?.reject(err)
  }

  private async stopWorkers (): Promise<void> {
    const workers = this.workers
    this.workers = []
    this.outstanding.clear()
    for (const worker of workers) worker.removeAllListeners('exit').removeAllListeners('error').on('error', () => {})
    await Promise.all(workers.map(async worker => await worker.terminate()))
  }
}
