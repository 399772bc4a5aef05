// The node's one signature verifier (docs/design.md §11): worker threads, one per core by default, each running
// the same OpenSSL checks as createNodeVerifier (verifyCheckSync, its own KeyObjects cache). Verification
// runs off the event loop AND off libuv's threadpool, which LevelDB and the file system share: a store read
// no longer queues behind eight verifies.
//
// Batching: every check asked for during one turn of the event loop (the POST bodies parsed in one poll
// phase, a sync batch's 100,000 signatures) waits in a FIFO queue; a lone check (one tx on its way into the
// mempool, answered to a waiting client) waits in a second one served first, so it never queues behind a
// block's or a sync batch's thousands (docs/design.md §12: the battery's expensive-signatures had honest
// POST /new_transaction wait 12-53 ms for its one signature behind an attacker's 200-signature blocks); chunks of up to `maxBatch` checks go to
// the workers as one transferred ArrayBuffer each (verifier-wire.ts), at most MAX_INFLIGHT chunks per
// worker, so a worker always has its next chunk while the pool reads the last answer. A chunk's size is the
// queue shared out over the workers with room, so one lone check goes out alone (latency) and a flood in
// chunks of maxBatch (throughput).
//
// verifyMany with stopOnFirstFailure: chunks leave in item order and nothing of a batch is sent after its
// first failure is known, so every item before the first failure is checked (every node names the same
// first failure) and at most MAX_INFLIGHT chunks per worker are checked past it.
//
// Workers start on the first check (an idle node holds none: docs/design.md §11 idle RSS) and stay; they do
// not keep the process alive while idle. A worker that dies is replaced and its chunks are sent again once;
// a chunk that kills a second worker fails its batches with an Error (never a false: that would blame the
// sender for our crash).
import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import type { BatchSignatureVerifier, SignatureCheck, SignatureVerifier, VerifyManyOptions } from '../core/signature.js'
import { checkKeyCacheSize, DEFAULT_KEY_CACHE_SIZE } from './node-verifier.js'
import { encodeChunk, SCHEME_ED25519, SCHEME_RSA, type ChunkResponse, type WireCheck } from './verifier-wire.js'
import type { VerifierWorkerData } from './verifier-worker.js'

/** Chunks posted to one worker and not answered yet. Two: the worker never waits for the pool between chunks. */
const MAX_INFLIGHT = 2
/**
 * A busy worker gets its second chunk only when this many checks wait: under a trickle a check goes out
 * at once to an idle worker (latency), under a flood checks gather while the workers are busy and go out
 * in large chunks. Each message costs both threads ~5-20 us and wakes a sleeping thread, more than a
 * third of an Ed25519 verify (profile of a node under ingest load, BENCHMARKS.md).
 */
const SECOND_CHUNK_MIN = 16
/**
 * Most checks in one message: ~3 ms of Ed25519 work (or of RSA-4096, ~60 us a check), so a lone check that
 * finds both chunks of every worker taken waits ~3-6 ms, not the ~16 ms of the 96 this was; each message
 * costs ~5-20 us, under 1% of a chunk's work.
 */
export const DEFAULT_MAX_BATCH = 32
/** A batch of at most this many checks is a lone check: it goes out before any larger batch waiting. */
export const LONE_CHECK_MAX = 1
/** The most worker threads a pool takes. */
export const MAX_VERIFIER_THREADS = 256

export interface VerifierPoolInit {
  /** Worker threads; default os.availableParallelism(). */
  threads?: number
  /** Checks per message at most; default DEFAULT_MAX_BATCH. */
  maxBatch?: number
  /** KeyObjects each worker keeps; default 10,000. */
  keyCacheSize?: number
}

export interface VerifierPoolStats {
  threads: number
  /** Workers running now (started on the first check). */
  started: number
  /** Checks waiting for a worker. */
  queued: number
  /** Chunks posted and not answered. */
  inFlight: number
  /** Checks verified by the workers since the pool was made. */
  checked: number
  /** Chunks posted since the pool was made (checked / chunks = the mean chunk size). */
  chunks: number
}

interface Batch {
  items: readonly SignatureCheck[]
  results: Array<boolean | undefined>
  stopOnFirstFailure: boolean
  firstFailure: number
  /** Next item to put into a chunk. */
  next: number
  /** Chunks of this batch posted and not answered. */
  inFlight: number
  settled: boolean
  resolve: (results: Array<boolean | undefined>) => void
  reject: (err: unknown) => void
  cleanup?: () => void
}

interface Chunk {
  id: number
  batches: Batch[]
  indices: number[]
  checks: WireCheck[]
  attempts: number
}

interface PoolWorker {
  worker: Worker
  chunks: Map<number, Chunk>
}

const pemEncoder = new TextEncoder()

/**
 * A worker's heap: its young generation capped. A worker allocates only short-lived views and answers, and
 * V8 otherwise grows its new space to 32-48 MB under load and keeps it: two workers that had verified
 * 30,000 txs held ~80 MB of RSS (docs/design.md §11 memory bar); capped, scavenges stay sub-millisecond.
 */
const WORKER_LIMITS = { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 128 }

function spawn (data: VerifierWorkerData): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./verifier-worker.js', import.meta.url), { workerData: data, resourceLimits: WORKER_LIMITS })
  // Running from source under tsx (dev, tests): Node 20 does not carry tsx's loader into workers, so the
  // worker registers it before importing the TypeScript module (as the miner's workers do).
  const url = new URL('./verifier-worker.ts', import.meta.url).href
  return new Worker(`import('tsx/esm/api').then(m => { m.register(); return import(${JSON.stringify(url)}) })`, { eval: true, workerData: data, resourceLimits: WORKER_LIMITS })
}

/** The wire form of a check, or undefined when it is malformed (answered false without a worker). */
function wireCheck (item: SignatureCheck): WireCheck | undefined {
  if (item === null || typeof item !== 'object' || !(item.message instanceof Uint8Array) || !(item.signature instanceof Uint8Array)) return undefined
  if (item.scheme === 'ed25519') {
    if (!(item.publicKey instanceof Uint8Array) || item.publicKey.length !== 32 || item.signature.length !== 64) return undefined
    return { scheme: SCHEME_ED25519, key: item.publicKey, message: item.message, signature: item.signature }
  }
  if (item.scheme === 'rsa-pkcs1-sha256' && typeof item.spkiPem === 'string') {
    return { scheme: SCHEME_RSA, key: pemEncoder.encode(item.spkiPem), message: item.message, signature: item.signature }
  }
  return undefined
}

export class VerifierPool implements SignatureVerifier, BatchSignatureVerifier {
  readonly threads: number
  private readonly maxBatch: number
  private readonly keyCacheSize: number
  private readonly workers: PoolWorker[] = []
  /** Batches with items not yet in a chunk, oldest first: lone checks, then the rest. */
  private lone: Batch[] = []
  private queue: Batch[] = []
  private queuedItems = 0
  /** Chunks of a dead worker, sent again before anything else. */
  private retry: Chunk[] = []
  private nextChunkId = 0
  private pumpScheduled = false
  private closed = false
  private checked = 0
  private chunks = 0

  constructor (init: VerifierPoolInit = {}) {
    const threads = init.threads ?? availableParallelism()
    if (!Number.isInteger(threads) || threads < 1 || threads > MAX_VERIFIER_THREADS) {
      throw new RangeError(`VerifierPool: "threads" must be an integer from 1 to ${MAX_VERIFIER_THREADS}`)
    }
    const maxBatch = init.maxBatch ?? DEFAULT_MAX_BATCH
    if (!Number.isInteger(maxBatch) || maxBatch < 1 || maxBatch > 65_536) throw new RangeError('VerifierPool: "maxBatch" must be an integer from 1 to 65536')
    this.threads = threads
    this.maxBatch = maxBatch
    this.keyCacheSize = checkKeyCacheSize(init.keyCacheSize ?? DEFAULT_KEY_CACHE_SIZE)
  }

  get stats (): VerifierPoolStats {
    return {
      threads: this.threads,
      started: this.workers.length,
      queued: this.queuedItems,
      inFlight: this.workers.reduce((n, w) => n + w.chunks.size, 0),
      checked: this.checked,
      chunks: this.chunks
    }
  }

  async verifyEd25519 (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): Promise<boolean> {
    const [ok] = await this.verifyMany([{ scheme: 'ed25519', publicKey, message, signature }])
    return ok === true
  }

  async verifyRsaPkcs1Sha256 (spkiPem: string, message: Uint8Array, signature: Uint8Array): Promise<boolean> {
    const [ok] = await this.verifyMany([{ scheme: 'rsa-pkcs1-sha256', spkiPem, message, signature }])
    return ok === true
  }

  async verifyMany (items: readonly SignatureCheck[], opts: VerifyManyOptions = {}): Promise<Array<boolean | undefined>> {
    if (this.closed) throw new Error('the verifier pool is closed')
    if (!Array.isArray(items)) throw new TypeError('verifyMany: "items" must be an array')
    const { signal, stopOnFirstFailure = false } = opts
    signal?.throwIfAborted()
    if (items.length === 0) return []
    return await new Promise((resolve, reject) => {
      const batch: Batch = {
        items, results: new Array(items.length), stopOnFirstFailure, firstFailure: Number.POSITIVE_INFINITY, next: 0, inFlight: 0, settled: false, resolve, reject
      }
      if (signal !== undefined) {
        const onAbort = (): void => { this.settle(batch, signal.reason ?? new Error('aborted')) }
        signal.addEventListener('abort', onAbort, { once: true })
        batch.cleanup = () => { signal.removeEventListener('abort', onAbort) }
      }
      const lone = items.length <= LONE_CHECK_MAX
      ;(lone ? this.lone : this.queue).push(batch)
      this.queuedItems += items.length
      // A lone check finding a worker idle goes out now: at the end of the turn it would wait behind
      // everything else queued for the check phase (a large block's validation slices, a journal write).
      if (lone && !this.pumpScheduled && this.workers.some(w => w.chunks.size === 0)) this.pump()
      else this.schedulePump()
    })
  }

  /** Fails what waits, ends every worker. */
  async close (): Promise<void> {
    if (this.closed) return
    this.closed = true
    const err = new Error('the verifier pool is closed')
    for (const b of [...this.lone, ...this.queue]) this.settle(b, err)
    for (const w of this.workers) for (const chunk of w.chunks.values()) for (const b of chunk.batches) this.settle(b, err)
    for (const chunk of this.retry) for (const b of chunk.batches) this.settle(b, err)
    this.lone = []
    this.queue = []
    this.queuedItems = 0
    this.retry = []
    const workers = this.workers.splice(0)
    for (const { worker } of workers) worker.removeAllListeners('exit').removeAllListeners('error').on('error', () => {})
    await Promise.all(workers.map(async ({ worker }) => await worker.terminate()))
  }

  /** Checks asked for during this turn of the event loop go out together, at the end of it. */
  private schedulePump (): void {
    if (this.pumpScheduled) return
    this.pumpScheduled = true
    setImmediate(() => {
      this.pumpScheduled = false
      this.pump()
    })
  }

  private pump (): void {
    if (this.closed) return
    while (this.queuedItems > 0 || this.retry.length > 0) {
      const target = this.freeWorker()
      if (target === undefined) return
      const retried = this.retry.shift()
      if (retried !== undefined) {
        this.post(target, retried)
        continue
      }
      const idle = this.workers.filter(w => w.chunks.size === 0).length + this.threads - this.workers.length
      const size = Math.min(this.maxBatch, Math.max(1, Math.ceil(this.queuedItems / Math.max(1, idle))))
      const chunk = this.takeChunk(size)
      if (chunk === undefined) continue // only malformed items or stopped batches were left
      this.post(target, chunk)
    }
  }

  /** The running worker with the fewest chunks in flight (starting another while some are busy), if any has room. */
  private freeWorker (): PoolWorker | undefined {
    let best: PoolWorker | undefined
    for (const w of this.workers) if (best === undefined || w.chunks.size < best.chunks.size) best = w
    if ((best === undefined || best.chunks.size > 0) && this.workers.length < this.threads) return this.startWorker()
    if (best === undefined || best.chunks.size >= MAX_INFLIGHT) return undefined
    return best.chunks.size === 0 || this.queuedItems >= SECOND_CHUNK_MIN || this.lone.length > 0 || this.retry.length > 0 ? best : undefined
  }

  private startWorker (): PoolWorker {
    const worker = spawn({ keyCacheSize: this.keyCacheSize })
    const w: PoolWorker = { worker, chunks: new Map() }
    worker.on('message', (message: ChunkResponse) => { this.onAnswer(w, message) })
    worker.on('error', (err: Error) => { this.onDeath(w, err) })
    worker.on('exit', (code: number) => { this.onDeath(w, new Error(`a verifier worker exited (code ${code})`)) })
    worker.unref()
    this.workers.push(w)
    return w
  }

  /** Up to `size` items from the front of the queue; malformed ones are answered false on the way. */
  private takeChunk (size: number): Chunk | undefined {
    const batches: Batch[] = []
    const indices: number[] = []
    const checks: WireCheck[] = []
    while (indices.length < size && (this.lone.length > 0 || this.queue.length > 0)) {
      const from = this.lone.length > 0 ? this.lone : this.queue
      const b = from[0]
      while (indices.length < size && b.next < b.items.length && !(b.stopOnFirstFailure && b.next > b.firstFailure)) {
        const i = b.next++
        this.queuedItems--
        const check = wireCheck(b.items[i])
        if (check === undefined) {
          this.record(b, i, false)
          continue
        }
        if (batches[batches.length - 1] !== b) b.inFlight++ // counted before maybeSettle can see it
        batches.push(b)
        indices.push(i)
        checks.push(check)
      }
      if (b.next >= b.items.length || (b.stopOnFirstFailure && b.next > b.firstFailure)) {
        from.shift()
        this.queuedItems -= b.items.length - b.next
        b.next = b.items.length
        this.maybeSettle(b)
      }
    }
    if (indices.length === 0) return undefined
    return { id: this.nextChunkId++, batches, indices, checks, attempts: 0 }
  }

  private post (w: PoolWorker, chunk: Chunk): void {
    const buffer = encodeChunk(chunk.checks)
    chunk.attempts++
    w.chunks.set(chunk.id, chunk)
    if (w.chunks.size === 1) w.worker.ref()
    this.chunks++
    w.worker.postMessage({ id: chunk.id, buffer, count: chunk.checks.length }, [buffer])
  }

  private onAnswer (w: PoolWorker, { id, results }: ChunkResponse): void {
    const chunk = w.chunks.get(id)
    if (chunk === undefined) return
    w.chunks.delete(id)
    if (w.chunks.size === 0) w.worker.unref()
    this.checked += chunk.indices.length
    for (let k = 0; k < chunk.indices.length; k++) this.record(chunk.batches[k], chunk.indices[k], results[k] === 1)
    for (const b of new Set(chunk.batches)) {
      b.inFlight--
      this.maybeSettle(b)
    }
    this.pump()
  }

  private record (b: Batch, i: number, ok: boolean): void {
    if (b.settled) return
    b.results[i] = ok
    if (!ok && i < b.firstFailure) b.firstFailure = i
  }

  /** A batch is answered when nothing of it is in flight and nothing more of it will be sent. */
  private maybeSettle (b: Batch): void {
    if (b.settled || b.inFlight > 0) return
    const more = b.next < b.items.length && !(b.stopOnFirstFailure && b.next > b.firstFailure)
    if (more) return
    this.settle(b)
  }

  private settle (b: Batch, err?: unknown): void {
    if (b.settled) return
    b.settled = true
    b.cleanup?.()
    const from = b.items.length <= LONE_CHECK_MAX ? this.lone : this.queue
    const at = from.indexOf(b)
    if (at !== -1) {
      from.splice(at, 1)
      this.queuedItems -= b.items.length - b.next
      b.next = b.items.length
    }
    if (err !== undefined) b.reject(err)
    else b.resolve(b.results)
  }

  private onDeath (w: PoolWorker, err: Error): void {
    const at = this.workers.indexOf(w)
    if (at === -1) return
    this.workers.splice(at, 1)
    w.worker.removeAllListeners('exit').removeAllListeners('error').on('error', () => {})
    void w.worker.terminate()
    if (this.closed) return
    for (const chunk of w.chunks.values()) {
      if (chunk.attempts < 2) {
        this.retry.push(chunk)
        continue
      }
      const failure = new Error(`a verifier worker died twice on the same checks: ${err.message}`)
      for (const b of new Set(chunk.batches)) {
        b.inFlight--
        this.settle(b, failure)
      }
    }
    w.chunks.clear()
    this.schedulePump()
  }
}

let shared: VerifierPool | undefined

/**
 * The process's verifier pool, made on first use: every node of a process (tests, an in-process devnet)
 * verifies through the same workers, so N nodes do not start N x cores threads. Its workers do not keep
 * the process alive when idle, so it is never closed.
 */
export function sharedVerifierPool (): VerifierPool {
  shared ??= new VerifierPool()
  return shared
}
