// Real node processes for the benchmarks, through src/devnet (compiled code), each one registered
// for cleanup (killed and its data dir removed) in the benchmark's Resources, also on failure.
import { Agent, request } from 'node:http'
import { NodeProcess, waitForFullMeshes as waitForMeshes, type StartOptions } from '../src/devnet/index.js'
import type { Resources } from './harness.js'

let profileDir: string | undefined

/** `npm run bench -- --cpu-prof DIR`: every node a benchmark starts writes V8 CPU profiles (one per thread) into DIR. */
export function profileNodesInto (dir: string | undefined): void {
  profileDir = dir
}

/** Node flags of benchmark nodes: `--cpu-prof` into the profile dir when one is set. */
export function benchNodeArgs (): string[] {
  return profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profileDir}`]
}

export async function startBenchNode (res: Resources, opts: StartOptions = {}): Promise<NodeProcess> {
  const dataDir = opts.dataDir ?? await res.tempDir('node')
  const node = await NodeProcess.start({ bits: 8, nodeArgs: benchNodeArgs(), ...opts, dataDir })
  // Stopped cleanly (SIGTERM) so that a profile is written; killed if it hangs.
  res.defer(async () => { if (profileDir === undefined) await node.kill(); else await node.stop() })
  return node
}

/** Mempool limits high enough that a benchmark never hits "mempool full". */
export const BIG_MEMPOOL_ARGS = ['--mempool-max-count', '1000000', '--mempool-max-bytes', String(2 ** 30)]

export async function pendingCount (node: NodeProcess): Promise<number> {
  return (await node.get<{ pending: number }>('/node_info')).pending
}

/**
 * Wait until every node has at least one peer and every peer it has sits in both of its gossip meshes
 * (GET /peers `mesh: ['tx','block']`). Returns whether that happened before the deadline.
 */
export async function waitForFullMeshes (nodes: NodeProcess[], timeoutMs: number): Promise<boolean> {
  return await waitForMeshes(nodes, { timeoutMs, everyMs: 200 }).then(() => true, () => false)
}

/** POST a pre-serialized JSON body; status only (the body is drained so the keep-alive socket is reused). */
export async function postRaw (url: string, body: string): Promise<number> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
  await res.arrayBuffer()
  return res.status
}

/** POSTs one JSON body to a fixed URL and resolves with the status. */
export type Poster = (body: string) => Promise<number>

export interface HttpClient { name: string, poster: (url: string) => Poster, close: () => void }

/** Node's fetch (undici, keep-alive by default). */
export function fetchClient (): HttpClient {
  return { name: 'fetch', poster: url => async body => await postRaw(url, body), close: () => {} }
}

/** node:http with a keep-alive Agent: far less client CPU per request than fetch on Node 20. */
export function nodeHttpClient (maxSockets: number): HttpClient {
  const agent = new Agent({ keepAlive: true, maxSockets })
  return {
    name: 'node:http',
    poster: (target) => {
      const url = new URL(target)
      return async body => await new Promise<number>((resolve, reject) => {
        const req = request({
          host: url.hostname, port: url.port, path: url.pathname, method: 'POST', agent,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }
        }, res => {
          res.resume()
          res.on('end', () => resolve(res.statusCode ?? 0))
          res.on('error', reject)
        })
        req.on('error', reject)
        req.end(body)
      })
    },
    close: () => agent.destroy()
  }
}
