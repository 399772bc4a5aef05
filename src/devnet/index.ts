// A devnet (docs/design.md §10): N `gossipchain start` processes on 127.0.0.1, compiled code, linked in a
// random connected topology of degree D, each with its own data dir and (optionally) its own trace.
// Every process is stopped by devnet.stop(), and also on this process's exit, SIGINT and SIGTERM
// (src/devnet/node-process.ts), and a node whose launcher died stops by itself.
//
//   const net = await startDevnet({ nodes: 20, degree: 4, seed: 1, traceDir: 'runs/a' })
//   await net.waitForMeshes()
//   ... net.nodes[i].url, .peerId, .multiaddr, .pid ...
//   await net.stop()
import { mkdir, mkdtemp } from 'node:fs/promises'
import { availableParallelism, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { waitForFullMeshes } from './client.js'
import { compiledCli } from './compiled.js'
import { NodeProcess, registerTempDir, removeTempDir } from './node-process.js'
import { freePorts } from './ports.js'
import { prng } from './random.js'
import { adjacency, randomConnectedTopology, type Edge } from './topology.js'

export { chainOf, connect, headOf, mine, networkIdOf, peersOf, pendingOf, waitForFullMeshes, waitForMesh, waitForSameHead, type Facade, type PeerView } from './client.js'
export { compiledCli, PACKAGE_ROOT, SOURCE_CLI } from './compiled.js'
export { killAll, NodeProcess, registerTempDir, removeTempDir, runningNodes, stopAll, type StartOptions } from './node-process.js'
export { freePort, freePorts } from './ports.js'
export { prng } from './random.js'
export { adjacency, diameter, randomConnectedTopology, type Edge } from './topology.js'
export { waitFor } from './wait.js'

/** Gossipsub's mesh degree D on every node (src/p2p/host.ts default): a node with more links meshes with D of them. */
const GOSSIPSUB_D = 6

export interface DevnetOptions {
  /** Node processes, 1 to 1000. */
  nodes: number
  /** Links per node (at most; almost all get exactly this many), >= 2; default 4. */
  degree?: number
  /** Seed of the topology; default 1. */
  seed?: number
  /** Difficulty of the devnet's network; default 8. */
  bits?: number
  /** Auto-mining interval of every node in ms (0 = off, the default); see also `minerNodes`. */
  mineInterval?: number
  /** Which nodes auto-mine when mineInterval > 0; default all. */
  minerNodes?: number[]
  /** When set, node i writes its event trace to `<traceDir>/node-<i>.ndjson`. */
  traceDir?: string
  /** Data dirs go to `<dataRoot>/node-<i>`; default a temp dir, removed by stop(). */
  dataRoot?: string
  /** Keep the data dirs after stop() (always kept when `dataRoot` is given). */
  keepData?: boolean
  /** More `gossipchain start` flags for every node, or per node. */
  extraArgs?: string[] | ((index: number) => string[])
  /** Node.js flags of every node process (e.g. `--cpu-prof`), before the entry. */
  nodeArgs?: string[]
  /** Nodes starting at once; default 2 per core. */
  startConcurrency?: number
  /** Progress of the start, e.g. for a progress line. */
  onProgress?: (progress: { started: number, total: number }) => void
  /** 'compiled' (default) or 'source' (tsx: slower, more memory). */
  runtime?: 'compiled' | 'source'
  /** How long one node may take to serve its facade; default 120 s (a busy machine starts slowly). */
  readyTimeoutMs?: number
}

export interface Devnet {
  readonly nodes: readonly NodeProcess[]
  /** The links, as node indices a < b; node b bootstraps to node a (and keeps redialing it). */
  readonly edges: readonly Edge[]
  /** Where the data dirs are. */
  readonly dataRoot: string
  readonly traceDir: string | undefined
  /** Trace file of node i (when traceDir is set). */
  tracePath(index: number): string | undefined
  /** Wait until every link is up and every node has every peer in both gossip meshes. */
  waitForMeshes(opts?: { timeoutMs?: number }): Promise<void>
  /** Stop every node cleanly (traces flushed), then remove temp data. Idempotent. */
  stop(): Promise<void>
}

/** Start a devnet; resolves once every node serves its facade. On failure, whatever started is stopped. */
export async function startDevnet (opts: DevnetOptions): Promise<Devnet> {
  const n = opts.nodes
  if (!Number.isSafeInteger(n) || n < 1 || n > 1000) throw new RangeError('startDevnet: "nodes" must be an integer from 1 to 1000')
  const degree = opts.degree ?? 4
  if (!Number.isSafeInteger(degree) || degree < 2) throw new RangeError('startDevnet: "degree" must be an integer >= 2')
  const seed = opts.seed ?? 1
  if (!Number.isSafeInteger(seed)) throw new RangeError('startDevnet: "seed" must be an integer')
  const concurrency = opts.startConcurrency ?? Math.max(2, availableParallelism() * 2)
  if (!Number.isSafeInteger(concurrency) || concurrency < 1) throw new RangeError('startDevnet: "startConcurrency" must be a positive integer')
  const runtime = opts.runtime ?? 'compiled'
  if (runtime === 'compiled') await compiledCli() // build once here, not in every child

  const ownsData = opts.dataRoot === undefined && opts.keepData !== true
  const dataRoot = opts.dataRoot !== undefined ? resolve(opts.dataRoot) : await mkdtemp(join(tmpdir(), 'gossipchain-devnet-'))
  if (ownsData) registerTempDir(dataRoot) // removed on exit too, whatever happens
  const traceDir = opts.traceDir === undefined ? undefined : resolve(opts.traceDir)
  if (traceDir !== undefined) await mkdir(traceDir, { recursive: true })
  const tracePath = (i: number): string | undefined => traceDir === undefined ? undefined : join(traceDir, `node-${i}.ndjson`)

  const edges = randomConnectedTopology(n, degree, prng(seed))
  const ports = await freePorts(2 * n)
  const p2pPort = (i: number): number => ports[2 * i + 1]
  // Node b dials node a for every link a < b: addresses without a peer id (learned on the first dial),
  // so every node can start at once; the bootstrap dialer retries until its peer listens.
  const bootstrapOf = adjacency(n, edges).map((peers, b) => peers.filter(a => a < b).map(a => `/ip4/127.0.0.1/tcp/${p2pPort(a)}`))
  const miners = new Set(opts.minerNodes ?? Array.from({ length: n }, (_, i) => i))

  const nodes: NodeProcess[] = new Array(n)
  let stopped = false
  let stopping: Promise<void> | undefined
  const stop = async (): Promise<void> => {
    stopping ??= (async () => {
      stopped = true
      await Promise.all(nodes.filter(node => node !== undefined).map(async node => { await node.stop() }))
      if (ownsData) await removeTempDir(dataRoot)
    })()
    await stopping
  }

  let failure: unknown
  let next = 0
  let started = 0
  const lane = async (): Promise<void> => {
    try {
      while (failure === undefined && !stopped && next < n) {
        const i = next++
        const extra = typeof opts.extraArgs === 'function' ? opts.extraArgs(i) : opts.extraArgs ?? []
        nodes[i] = await NodeProcess.start({
          dataDir: join(dataRoot, `node-${i}`),
          httpPort: ports[2 * i],
          p2pPort: p2pPort(i),
          bootstrap: bootstrapOf[i],
          bits: opts.bits ?? 8,
          mineInterval: miners.has(i) ? opts.mineInterval ?? 0 : 0,
          trace: tracePath(i),
          extraArgs: extra,
          nodeArgs: opts.nodeArgs,
          runtime,
          readyTimeoutMs: opts.readyTimeoutMs ?? 120_000
        })
        opts.onProgress?.({ started: ++started, total: n })
      }
    } catch (err) {
      failure ??= err
    }
  }
  // Every lane settles before a failure is handled, so no node is still starting when stop() runs.
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, lane))
  if (failure !== undefined) {
    await stop()
    throw failure
  }

  return {
    nodes,
    edges,
    dataRoot,
    traceDir,
    tracePath,
    waitForMeshes: async ({ timeoutMs = 120_000 } = {}) => {
      const links = adjacency(n, edges)
      await waitForFullMeshes(nodes, { timeoutMs, everyMs: 500, meshDegree: GOSSIPSUB_D, expected: links.map(peers => peers.map(j => nodes[j].peerId)) })
    },
    stop
  }
}
