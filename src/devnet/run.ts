// One devnet experiment (docs/design.md §10; `gossipchain devnet`): start N nodes in a random connected
// topology, wait for their gossip meshes, send signed tx load for a duration while miners mine, let the
// last messages propagate, stop every node (each flushes its trace), and describe the run in
// <out>/devnet.json (manifest.ts) next to the traces <out>/node-<i>.ndjson, for `gossipchain report`.
import { readdirSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { resolve } from 'node:path'
import type { TraceFormat } from '../metrics/trace-format.js'
import { headOf, networkIdOf } from './client.js'
import { startDevnet, type Devnet } from './index.js'
import { startTxLoad, type TxLoad, type TxLoadStats } from './load.js'
import { MANIFEST_FILE, traceFileName, writeManifest, type DevnetManifest } from './manifest.js'
import { prng } from './random.js'

export interface DevnetRunOptions {
  nodes: number
  degree?: number
  seed?: number
  bits?: number
  /** Txs per second over the whole devnet; 0 = no load. */
  txRate?: number
  /** Auto-mining interval of the miners, ms; 0 = no mining. */
  mineIntervalMs?: number
  /** How many nodes mine (picked from the seed). */
  miners?: number
  durationMs: number
  /**
   * After the load, at most this long for the last messages to propagate (ms): the run ends sooner, once
   * no node has published or received a new message for SETTLE_QUIET_MS.
   */
  settleMs?: number
  out: string
  traceFormat?: TraceFormat
  startConcurrency?: number
  signal?: AbortSignal
  onStatus?: (status: DevnetRunStatus) => void
}

export type DevnetRunStatus =
  | { phase: 'starting', started: number, total: number }
  | { phase: 'meshing' }
  | { phase: 'running', elapsedMs: number, durationMs: number, load: TxLoadStats | undefined, height: number | undefined }
  | { phase: 'settling', elapsedMs: number, maxMs: number, received: number | undefined }
  | { phase: 'stopping' }

export interface DevnetRun {
  /** The manifest as it stands (for a last write when the process must exit now). */
  manifest(): DevnetManifest
  readonly done: Promise<DevnetManifest>
}

function check (ok: boolean, message: string): void {
  if (!ok) throw new RangeError(message)
}

/** Starts the run; `done` resolves with the manifest once every node has stopped. */
export function runDevnet (opts: DevnetRunOptions): DevnetRun {
  const nodes = opts.nodes
  check(Number.isSafeInteger(nodes) && nodes >= 2 && nodes <= 1000, '"nodes" must be an integer from 2 to 1000')
  const degree = opts.degree ?? 4
  check(Number.isSafeInteger(degree) && degree >= 2 && degree < nodes, `"degree" must be an integer from 2 to nodes - 1 (${nodes - 1})`)
  const seed = opts.seed ?? 1
  const txRate = opts.txRate ?? 0
  check(Number.isFinite(txRate) && txRate >= 0 && txRate <= 10_000, '"txRate" must be a number of txs per second from 0 to 10000')
  const mineIntervalMs = opts.mineIntervalMs ?? 0
  check(Number.isSafeInteger(mineIntervalMs) && mineIntervalMs >= 0, '"mineIntervalMs" must be an integer >= 0')
  const minerCount = opts.miners ?? 1
  check(Number.isSafeInteger(minerCount) && minerCount >= 1 && minerCount <= nodes, `"miners" must be an integer from 1 to nodes (${nodes})`)
  check(Number.isSafeInteger(opts.durationMs) && opts.durationMs >= 0, '"durationMs" must be an integer >= 0')
  const settleMs = opts.settleMs ?? 30_000
  check(Number.isSafeInteger(settleMs) && settleMs >= 0, '"settleMs" must be an integer >= 0')
  const traceFormat = opts.traceFormat ?? 'ndjson'
  const out = resolve(opts.out)
  // Traces are appended to: a directory with another run's traces would mix two runs.
  let existing: string[] = []
  try { existing = readdirSync(out).filter(f => /^node-\d+\.ndjson$/.test(f) || f === MANIFEST_FILE) } catch {}
  if (existing.length > 0) throw new Error(`${out} already holds a devnet run (${existing[0]}); choose another --out or remove it`)

  // Miners: a seeded pick, so a run repeats from its seed.
  const random = prng(seed ^ 0x5eed)
  const order = Array.from({ length: nodes }, (_, i) => i)
  for (let i = nodes - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[order[i], order[j]] = [order[j], order[i]]
  }
  const miners = new Set(mineIntervalMs > 0 ? order.slice(0, minerCount) : [])

  const manifest: DevnetManifest = {
    version: 1,
    startedAt: Date.now(),
    interrupted: false,
    options: { nodes, degree, seed, bits: opts.bits ?? 8, txRate, mineIntervalMs, miners: miners.size, durationMs: opts.durationMs, settleMs, traceFormat },
    nodes: [],
    edges: []
  }
  let devnet: Devnet | undefined
  let load: TxLoad | undefined
  const status = (s: DevnetRunStatus): void => { try { opts.onStatus?.(s) } catch {} }
  const aborted = (): boolean => opts.signal?.aborted === true
  const pause = async (ms: number): Promise<void> => {
    if (ms <= 0 || aborted()) return
    await new Promise<void>(resolve => {
      const timer = setTimeout(done, ms)
      function done (): void { clearTimeout(timer); opts.signal?.removeEventListener('abort', done); resolve() }
      opts.signal?.addEventListener('abort', done, { once: true })
    })
  }

  const done = (async () => {
    await mkdir(out, { recursive: true })
    writeManifest(out, manifest)
    try {
      devnet = await startDevnet({
        nodes,
        degree,
        seed,
        bits: opts.bits ?? 8,
        traceDir: out,
        mineInterval: mineIntervalMs,
        minerNodes: [...miners],
        startConcurrency: opts.startConcurrency,
        // Nodes log warnings only: 100 nodes' info lines cost CPU the devnet needs.
        extraArgs: ['--log-level', 'warn', '--trace-format', traceFormat],
        onProgress: ({ started, total }) => { status({ phase: 'starting', started, total }) }
      })
      manifest.nodes = devnet.nodes.map((node, index) => ({ index, peerId: node.peerId, url: node.url, miner: miners.has(index), trace: traceFileName(index) }))
      manifest.edges = devnet.edges.map(([a, b]) => [a, b])
      manifest.network = await networkIdOf(devnet.nodes[0])
      writeManifest(out, manifest)
      if (aborted()) return manifest

      status({ phase: 'meshing' })
      await devnet.waitForMeshes({ timeoutMs: 120_000 + nodes * 1000 })
      if (aborted()) return manifest

      manifest.loadStartedAt = Date.now()
      writeManifest(out, manifest)
      if (txRate > 0) {
        load = startTxLoad({ targets: devnet.nodes, network: manifest.network, rate: txRate, durationMs: opts.durationMs, seed, signal: opts.signal })
      }
      const started = performance.now()
      let height: number | undefined
      const ticker = setInterval(() => {
        status({ phase: 'running', elapsedMs: Math.min(opts.durationMs, performance.now() - started), durationMs: opts.durationMs, load: load?.stats, height })
        const probe = devnet?.nodes[0]
        if (probe !== undefined) headOf(probe).then(h => { height = h.index }, () => {})
      }, 250)
      try {
        await pause(opts.durationMs)
        if (load !== undefined) manifest.load = await load.done
      } finally {
        clearInterval(ticker)
      }
      if (!aborted()) {
        const settleStarted = performance.now()
        manifest.settle = await settle(devnet, settleMs, pause, aborted, (received) => {
          status({ phase: 'settling', elapsedMs: performance.now() - settleStarted, maxMs: settleMs, received })
        })
      }
      return manifest
    } finally {
      manifest.interrupted = aborted()
      manifest.load ??= load?.stats
      status({ phase: 'stopping' })
      await devnet?.stop()
      manifest.endedAt = Date.now()
      writeManifest(out, manifest)
    }
  })()
  return { manifest: () => ({ ...manifest, interrupted: manifest.interrupted || aborted(), load: manifest.load ?? load?.stats }), done }
}

/** The devnet is settled when no node published or received a new gossip message for this long. */
export const SETTLE_QUIET_MS = 3000
const SETTLE_POLL_MS = 500

/**
 * Messages published and first copies received by all nodes together (GET /metrics?name=...), or
 * undefined if a node did not answer.
 */
async function receivedByAll (devnet: Devnet): Promise<number | undefined> {
  const counts = await Promise.all(devnet.nodes.map(async node => {
    try {
      const res = await fetch(`${node.url}/metrics?name=gossipchain_gossip_messages_total,gossipchain_gossip_published_total`, { signal: AbortSignal.timeout(5000) })
      if (!res.ok) return undefined
      let sum = 0
      for (const line of (await res.text()).split('\n')) {
        if (line.startsWith('gossipchain_gossip_')) sum += Number(line.slice(line.lastIndexOf(' ') + 1))
      }
      return sum
    } catch {
      return undefined
    }
  }))
  return counts.some(c => c === undefined) ? undefined : counts.reduce((a, b) => a! + b!, 0)
}

/**
 * Waits until no node publishes or receives anything new for SETTLE_QUIET_MS, or `maxMs`; says which,
 * how long, and when it ended (`at`: the end of the run's observation window, for the report).
 */
async function settle (devnet: Devnet, maxMs: number, pause: (ms: number) => Promise<void>, aborted: () => boolean,
  onPoll: (received: number | undefined) => void): Promise<NonNullable<DevnetManifest['settle']>> {
  const started = performance.now()
  let last: number | undefined
  let quietSince = performance.now()
  while (!aborted() && performance.now() - started < maxMs) {
    const received = await receivedByAll(devnet)
    onPoll(received)
    if (received === undefined || received !== last) {
      last = received
      quietSince = performance.now()
    } else if (performance.now() - quietSince >= SETTLE_QUIET_MS) {
      return { quiet: true, ms: Math.round(performance.now() - started), at: Date.now(), received }
    }
    await pause(SETTLE_POLL_MS)
  }
  return { quiet: false, ms: Math.round(performance.now() - started), at: Date.now(), ...(last !== undefined ? { received: last } : {}) }
}
