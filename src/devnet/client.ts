// Reading and driving node processes through their facades (docs/design.md §7): peers, heads, chains,
// meshes. Shared by devnets, tests and benchmarks.
import type { Block, Tx } from '../core/types.js'
import type { NodeProcess } from './node-process.js'
import { waitFor } from './wait.js'

/** A facade to talk to: a NodeProcess, or anything with the same get/post. */
export type Facade = Pick<NodeProcess, 'url' | 'peerId' | 'get' | 'post'>

export interface PeerView { peerId: string, addresses: string[], mesh?: string[] }

export async function peersOf (node: Facade): Promise<PeerView[]> {
  return (await node.get<{ peers: PeerView[] }>('/peers')).peers
}

export async function headOf (node: Facade): Promise<{ hash: string, index: number, work: string }> {
  return (await node.get<{ head: { hash: string, index: number, work: string } }>('/node_info')).head
}

export async function chainOf (node: Facade): Promise<Block[]> {
  return (await node.get<{ chain: Block[] }>('/chain')).chain
}

export async function pendingOf (node: Facade): Promise<Tx[]> {
  return await node.get<Tx[]>('/pending_tx')
}

export async function networkIdOf (node: Facade): Promise<string> {
  return (await node.get<{ network: string }>('/node_info')).network
}

/** `from` registers with `to` (POST /register_with): it dials `to` over libp2p and syncs. */
export async function connect (from: Facade, to: Facade): Promise<void> {
  const res = await from.post('/register_with', { node_address: to.url })
  if (res.status !== 200) throw new Error(`register_with ${to.url} from ${from.url}: ${res.status} ${JSON.stringify(res.body)}`)
}

/** POST /mine; resolves with the block. */
export async function mine (node: Facade): Promise<Block> {
  const res = await node.post('/mine')
  if (res.status !== 200 || res.body?.block === undefined) throw new Error(`mine: ${res.status} ${JSON.stringify(res.body)}`)
  return res.body.block as Block
}

/** Wait until `a` has `b` in its gossip mesh for both topics (so a publish reaches b). */
export async function waitForMesh (a: Facade, b: Facade, timeoutMs = 30_000): Promise<void> {
  await waitFor(`${a.url} to have ${b.peerId} in its tx and block meshes`, async () => {
    const peer = (await peersOf(a)).find(p => p.peerId === b.peerId)
    return peer?.mesh?.includes('tx') === true && peer.mesh.includes('block') ? true : undefined
  }, timeoutMs)
}

export interface FullMeshOptions {
  timeoutMs?: number
  everyMs?: number
  /** Peer ids each node must be connected to (e.g. from a topology). */
  expected?: string[][]
  /** A node with more peers than this needs only this many in its meshes (gossipsub's D). Default: all. */
  meshDegree?: number
}

/**
 * Wait until every node has at least one peer and every peer it has (up to `meshDegree`) sits in both
 * of its gossip meshes (GET /peers `mesh: ['tx','block']`), polling every node every `everyMs`.
 */
export async function waitForFullMeshes (nodes: Facade[], opts: FullMeshOptions = {}): Promise<void> {
  const meshDegree = opts.meshDegree ?? Number.POSITIVE_INFINITY
  await waitFor(`${nodes.length} nodes to have every peer in both gossip meshes`, async () => {
    const views = await Promise.all(nodes.map(async n => await peersOf(n)))
    const behind = views.flatMap((peers, i) => {
      const meshed = peers.filter(p => p.mesh?.includes('tx') === true && p.mesh.includes('block')).length
      const missing = (opts.expected?.[i] ?? []).filter(id => !peers.some(p => p.peerId === id)).length
      return peers.length > 0 && meshed >= Math.min(peers.length, meshDegree) && missing === 0
        ? []
        : [`${nodes[i].url}: ${peers.length} peers, ${meshed} in both meshes, ${missing} expected links missing`]
    })
    // Thrown, not returned: waitFor's timeout error then says which nodes were still behind.
    if (behind.length > 0) throw new Error(`${behind.length} nodes not there yet, e.g. ${behind.slice(0, 3).join('; ')}`)
    return true
  }, opts.timeoutMs ?? 60_000, opts.everyMs ?? 250)
}

/** Wait until every node reports the same head hash (`expected` if given), and return it. */
export async function waitForSameHead (nodes: Facade[], timeoutMs = 60_000, expected?: string): Promise<string> {
  return await waitFor(`${nodes.length} nodes to agree on ${expected ?? 'one head'}`, async () => {
    const heads = await Promise.all(nodes.map(async n => (await headOf(n)).hash))
    const first = heads[0]
    return heads.every(h => h === first) && (expected === undefined || first === expected) ? first : undefined
  }, timeoutMs, 200)
}
