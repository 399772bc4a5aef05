// The reliability battery's common machinery (RELIABILITY.md): real node processes (src/devnet), an honest
// client posting signed txs at a steady rate and timing every answer, the victim's RSS, what was lost,
// and the result files. Each attack (reliability/attacks/*.ts) runs against a victim with an honest peer
// connected, measures the honest client without the attack, then during it, and checks the bars:
//   honest POST /new_transaction p99 during the attack <= 3x without it; an honest peer's block reaches
//   the victim within 5 s; the victim's RSS < 400 MB; no acknowledged tx or block lost.
import { readdirSync, readFileSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { request as httpRequest, type Agent } from 'node:http'
import { setPriority } from 'node:os'
import { Worker } from 'node:worker_threads'
import { join } from 'node:path'
import { networkId } from '../src/core/block.js'
import { signTx } from '../src/core/tx.js'
import type { Block, Ed25519Tx, NetworkParams, Tx } from '../src/core/types.js'
import { nodeEd25519Signer } from '../src/crypto/node-ed25519.js'
import { DEFAULT_CONFIG } from '../src/config.js'
import { NodeProcess, waitFor, type StartOptions } from '../src/devnet/index.js'

/** The battery's network: the default one at bits 12 (a block in ~4k hashes: honest mining and attack blocks stay cheap). */
export const BITS = 12
export const NETWORK: NetworkParams = { ...DEFAULT_CONFIG.network, bits: BITS }
export const NETWORK_ID = networkId(NETWORK)

/** The bars of issue 7 (RELIABILITY.md). */
export const BARS = { p99Ratio: 3, blockDelayMs: 5000, rssMb: 400, lost: 0 } as const

export interface RunContext {
  /** Short timings and smaller attacks, functional checks only (npm test). */
  quick: boolean
  log: (line: string) => void
}

export const sleep = async (ms: number): Promise<void> => await new Promise(resolve => setTimeout(resolve, ms))

export function percentile (values: number[], p: number): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p / 100 * sorted.length) - 1))]
}

export interface LatencySample { ms: number, status: number, /** when it was sent, ms since epoch */ at?: number }

export interface LatencyFigures {
  n: number
  p50: number
  p99: number
  max: number
  errors: Record<string, number>
  /** The five slowest answers: when they were sent (ISO time) and how long they took, to tell a burst from a trend. */
  slowest?: Array<{ at: string, ms: number }>
}

export function latencyFigures (samples: LatencySample[]): LatencyFigures {
  const okSamples = samples.filter(s => s.status === 201)
  const ok = okSamples.map(s => s.ms)
  const errors: Record<string, number> = {}
  for (const s of samples) if (s.status !== 201) errors[String(s.status)] = (errors[String(s.status)] ?? 0) + 1
  const slowest = [...okSamples].sort((a, b) => b.ms - a.ms).slice(0, 5)
    .map(s => ({ at: s.at !== undefined ? new Date(s.at).toISOString().slice(11, 23) : '', ms: round(s.ms) }))
  return { n: ok.length, p50: round(percentile(ok, 50)), p99: round(percentile(ok, 99)), max: round(Math.max(...ok, 0)), errors, slowest }
}

export function round (x: number, digits = 2): number {
  return Number.isFinite(x) ? Number(x.toFixed(digits)) : x
}

// ---- signing ---------------------------------------------------------------------------------

let nonce = 0

/** A freshly signed native tx of the battery's network; `signer` picks the key (1..2^31). */
export function signedTx (data: string, signer: number, opts: { item?: string, network?: string } = {}): Ed25519Tx {
  const seed = new Uint8Array(32)
  new DataView(seed.buffer).setUint32(0, signer)
  seed[31] = 0x5a
  return signTx({
    data,
    item: opts.item ?? null,
    receiverPK: null,
    timestamp: Math.floor(Date.now() / 1000),
    nonce: (++nonce).toString(16).padStart(32, '0')
  }, nodeEd25519Signer(seed), opts.network ?? NETWORK_ID)
}

// ---- raw HTTP -------------------------------------------------------------------------------

export interface HttpAnswer { status: number, body: any, ms: number, headers?: Record<string, string | string[] | undefined> }

/**
 * One HTTP request with node:http (an Agent per client keeps its connections apart), timing it from
 * send to the end of the body. `localAddress` picks the client's source address (127.0.0.2 is another
 * client than 127.0.0.1: the facade's per-client shares see two clients).
 */
export async function httpJson (url: string, opts: { method?: string, body?: unknown, agent?: Agent, localAddress?: string, timeoutMs?: number, headers?: Record<string, string> } = {}): Promise<HttpAnswer> {
  const started = performance.now()
  const payload = opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body)
  return await new Promise((resolve) => {
    const req = httpRequest(url, {
      method: opts.method ?? (payload === undefined ? 'GET' : 'POST'),
      agent: opts.agent,
      localAddress: opts.localAddress,
      headers: { ...(payload !== undefined ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}), ...opts.headers },
      timeout: opts.timeoutMs ?? 30_000
    }, res => {
      const chunks: Buffer[] = []
      res.on('data', (d: Buffer) => chunks.push(d))
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8')
        let body: unknown
        try { body = JSON.parse(text) } catch { body = text }
        resolve({ status: res.statusCode ?? 0, body, ms: performance.now() - started, headers: res.headers })
      })
      res.on('error', () => { resolve({ status: -1, body: undefined, ms: performance.now() - started }) })
    })
    req.on('timeout', () => { req.destroy(new Error('timeout')) })
    req.on('error', (err: NodeJS.ErrnoException) => { resolve({ status: -1, body: err.code ?? err.message, ms: performance.now() - started }) })
    if (payload !== undefined) req.write(payload)
    req.end()
  })
}

// ---- the honest client ------------------------------------------------------------------------

/**
 * Posts a signed tx to `url` every `intervalMs` (open loop: a slow answer does not slow the load) from
 * 127.0.0.1, records each latency and status, and keeps the ids the node acknowledged (201). It runs in
 * its own worker thread (reliability/honest-worker.ts), so an attack on the main thread cannot delay it.
 */
export class HonestClient {
  acknowledged: string[] = []
  private readonly worker: Worker
  private stopped?: Promise<void>

  constructor (url: string, signer = 424242) {
    const entry = new URL('./honest-worker.ts', import.meta.url).href
    this.worker = new Worker(`import('tsx/esm/api').then(m => { m.register(); return import(${JSON.stringify(entry)}) })`, { eval: true, workerData: { url, signer } })
    this.worker.unref()
  }

  start (intervalMs: number): void {
    this.worker.postMessage({ op: 'start', intervalMs })
  }

  /** The samples so far, and a fresh window. */
  async take (): Promise<LatencySample[]> {
    return await new Promise(resolve => {
      const onMessage = (msg: { op: string, samples: LatencySample[] }): void => {
        if (msg.op !== 'samples') return
        this.worker.off('message', onMessage)
        resolve(msg.samples)
      }
      this.worker.on('message', onMessage)
      this.worker.postMessage({ op: 'take' })
    })
  }

  /** Stop posting, wait for the answers in flight; the acknowledged ids are then complete. */
  async stop (): Promise<void> {
    this.stopped ??= new Promise<void>(resolve => {
      const onMessage = (msg: { op: string, acknowledged: string[] }): void => {
        if (msg.op !== 'stopped') return
        this.acknowledged = msg.acknowledged
        void this.worker.terminate().then(() => { resolve() })
      }
      this.worker.on('message', onMessage)
      this.worker.on('error', () => { resolve() })
      this.worker.postMessage({ op: 'stop' })
    })
    await this.stopped
  }
}

// ---- the victim's memory ------------------------------------------------------------------------

export function rssMb (pid: number | undefined): number {
  if (pid === undefined) return Number.NaN
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const kb = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1])
    return kb / 1024
  } catch {
    return Number.NaN
  }
}

/** Samples a process's RSS every 200 ms; `max` is the largest seen. */
export class RssSampler {
  max = 0
  private readonly timer: ReturnType<typeof setInterval>
  constructor (private readonly pid: number | undefined) {
    this.sample()
    this.timer = setInterval(() => { this.sample() }, 200)
  }

  private sample (): void {
    const v = rssMb(this.pid)
    if (Number.isFinite(v) && v > this.max) this.max = v
  }

  stop (): number {
    clearInterval(this.timer)
    this.sample()
    return round(this.max, 1)
  }
}

// ---- nodes ---------------------------------------------------------------------------------

/**
 * Who a node stands for in a scenario: the `victim` (attacked, measured) or a `peer` of the network (the
 * honest peer that mines and relays, a node that serves a heavier chain). They get different priorities.
 */
export type NodeRole = 'victim' | 'peer'

export async function startNode (opts: StartOptions = {}, role: NodeRole = 'peer'): Promise<NodeProcess> {
  const node = await NodeProcess.start({ bits: BITS, ...opts, extraArgs: ['--log-level', 'warn', ...(opts.extraArgs ?? [])] })
  if (priorities !== undefined && node.pid !== undefined) setProcessPriority(node.pid, role === 'victim' ? priorities.victim : priorities.others)
  return node
}

/**
 * How the battery shares the machine's 2 cores (RELIABILITY.md "Priorities"). `own-machines` (the
 * default): the victim's threads at VICTIM_NICE, everything else (this process's main thread, where the
 * attackers run, and the honest peers) at OTHERS_NICE, so they run on what the victim leaves, as if on
 * machines of their own; the honest client's thread above all (HONEST_CLIENT_NICE). `equal`: victim,
 * peers and attackers at VICTIM_NICE alike, the attackers' own CPU (noise-encrypting a gossip flood,
 * sending 1 MiB blocks) taken from the victim's cores.
 */
export type PriorityModel = 'own-machines' | 'equal'

/** The victim's threads (nice). */
export const VICTIM_NICE = -10
/** The attackers (this process's main thread) and the honest peers, under `own-machines` (nice). */
export const OTHERS_NICE = 19
/** The honest client's thread, above the rest (reliability/honest-worker.ts). */
export const HONEST_CLIENT_NICE = -15

let priorities: { model: PriorityModel, victim: number, others: number } | undefined

/** The priorities in force, for the results (undefined: not set, or not allowed here). */
export function priorityModel (): { model: PriorityModel, victim: number, others: number, honestClient: number } | undefined {
  return priorities === undefined ? undefined : { ...priorities, honestClient: HONEST_CLIENT_NICE }
}

/**
 * Set the model for this run: this process's main thread now (the honest client's thread sets its own when
 * it starts), each node's threads when it starts. Needs root (or CAP_SYS_NICE) to go below 0; otherwise everything
 * keeps its priority and the results say so (no `priorities`).
 */
export function setPriorityModel (model: PriorityModel): void {
  const wanted = { model, victim: VICTIM_NICE, others: model === 'own-machines' ? OTHERS_NICE : VICTIM_NICE }
  try {
    setPriority(process.pid, VICTIM_NICE) // the probe: raising a priority is what needs the right
  } catch {
    return
  }
  priorities = wanted
  // The main thread only (where the attackers run): the process's other threads (V8's GC and compiler
  // helpers, which the honest client's thread needs too) stay at VICTIM_NICE.
  setPriority(process.pid, wanted.others)
}

/** Every thread of a process (Linux nice is per thread; threads made later inherit their maker's). */
function setProcessPriority (pid: number, nice: number): void {
  let tids: string[]
  try {
    tids = readdirSync(`/proc/${pid}/task`)
  } catch {
    tids = [String(pid)]
  }
  for (const tid of tids) {
    try { setPriority(Number(tid), nice) } catch { /* gone meanwhile */ }
  }
}

/** POST /mine with a tx in the mempool first (a node does not mine an empty block); the block. */
export async function mineOne (node: NodeProcess, tag: string): Promise<Block> {
  await httpJson(`${node.url}/new_transaction`, { body: signedTx(`block filler ${tag}`, 77) })
  const r = await httpJson(`${node.url}/mine`, { method: 'POST' })
  if (r.status !== 200 || r.body?.block === undefined) throw new Error(`mine on ${node.url}: ${r.status} ${JSON.stringify(r.body)}`)
  return r.body.block as Block
}

/** ms until `node` holds `hash` (as head or anywhere on its main chain). */
export async function timeUntilHead (node: NodeProcess, hash: string, timeoutMs: number): Promise<number> {
  const started = performance.now()
  await waitFor(`${node.url} to hold ${hash}`, async () => {
    const block = await httpJson(`${node.url}/blocks/${hash}`)
    return block.status === 200 ? true : undefined
  }, timeoutMs, 20)
  return round(performance.now() - started, 1)
}

/**
 * What the victim lost: acknowledged txs it holds neither as pending nor in its main chain, and
 * acknowledged blocks it does not hold.
 */
export async function lostOn (node: NodeProcess, txIds: string[], blockHashes: string[]): Promise<{ txs: number, blocks: number, examples: string[] }> {
  const examples: string[] = []
  let txs = 0
  for (const id of txIds) {
    const r = await httpJson(`${node.url}/tx/${id}`)
    if (r.status !== 200) { txs++; if (examples.length < 5) examples.push(`tx ${id}: ${r.status}`) }
  }
  let blocks = 0
  for (const hash of blockHashes) {
    const r = await httpJson(`${node.url}/blocks/${hash}`)
    if (r.status !== 200) { blocks++; if (examples.length < 5) examples.push(`block ${hash}: ${r.status}`) }
  }
  return { txs, blocks, examples }
}

/** Every pending tx of `node`, following GET /pending_tx's Link rel="next" pages. */
export async function allPending (node: NodeProcess): Promise<Tx[]> {
  const out: Tx[] = []
  for (let path: string | undefined = '/pending_tx?limit=1000'; path !== undefined;) {
    const page = await httpJson(`${node.url}${path}`)
    if (page.status !== 200) throw new Error(`GET ${path}: ${page.status}`)
    out.push(...(page.body as Tx[]))
    const link = page.headers?.link
    path = typeof link === 'string' ? /^<([^>]+)>; rel="next"$/.exec(link)?.[1] : undefined
  }
  return out
}

// ---- results -------------------------------------------------------------------------------

export interface ScenarioResult {
  name: string
  /** Which defect of issue 7 (1-8), or the old guarantee, the scenario exercises. */
  defect: string
  description: string
  quick: boolean
  at: string
  figures: {
    baseline?: LatencyFigures
    attack?: LatencyFigures
    /** attack p99 / baseline p99 */
    p99Ratio?: number
    /** ms for an honest peer's block to reach the victim during the attack */
    blockDelayMs?: number
    rssMaxMb?: number
    lost?: { txs: number, blocks: number, examples: string[] }
    [key: string]: unknown
  }
  /** The nice values the run used (RELIABILITY.md, Priorities); absent where they could not be set. */
  priorities?: ReturnType<typeof priorityModel>
  /** Functional checks (what npm test asserts): name -> passed. */
  checks: Record<string, boolean>
  /** The timing and memory bars (the battery only). */
  bars: Record<string, { value: number, limit: number, met: boolean }>
  met: boolean
}

export function barsOf (figures: ScenarioResult['figures']): ScenarioResult['bars'] {
  const bars: ScenarioResult['bars'] = {}
  if (figures.p99Ratio !== undefined) bars.p99Ratio = { value: figures.p99Ratio, limit: BARS.p99Ratio, met: figures.p99Ratio <= BARS.p99Ratio }
  if (figures.blockDelayMs !== undefined) bars.blockDelayMs = { value: figures.blockDelayMs, limit: BARS.blockDelayMs, met: figures.blockDelayMs <= BARS.blockDelayMs }
  // An honest chain that can only arrive by sync (the sync-slot attack): the same 5 s.
  const syncDelayMs = figures.syncDelayMs
  if (typeof syncDelayMs === 'number') bars.syncDelayMs = { value: syncDelayMs, limit: BARS.blockDelayMs, met: syncDelayMs <= BARS.blockDelayMs }
  if (figures.rssMaxMb !== undefined) bars.rssMb = { value: figures.rssMaxMb, limit: BARS.rssMb, met: figures.rssMaxMb < BARS.rssMb }
  if (figures.lost !== undefined) {
    const lost = figures.lost.txs + figures.lost.blocks
    bars.lost = { value: lost, limit: BARS.lost, met: lost === 0 }
  }
  return bars
}

export const RESULTS_DIR = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, 'results')

/**
 * reliability/results/NAME.json (committed: the figures RELIABILITY.md gives), or NAME.quick.json for a
 * --quick run (git-ignored: a smoke run never overwrites the measured figures).
 */
export async function writeResult (result: ScenarioResult): Promise<string> {
  await mkdir(RESULTS_DIR, { recursive: true })
  // The table of RELIABILITY.md is the default model's; an --equal-priority run is kept beside it.
  const suffix = `${result.priorities?.model === 'equal' ? '.equal-priority' : ''}${result.quick ? '.quick' : ''}`
  const path = join(RESULTS_DIR, `${result.name}${suffix}.json`)
  await writeFile(path, JSON.stringify(result, null, 2) + '\n')
  return path
}

export type { Tx }
