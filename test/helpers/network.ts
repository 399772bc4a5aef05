// Helpers for multi-node tests over the facade of real node processes.
import { makeTx } from './fixtures.js'
import { type NodeProcess, waitFor } from './node-process.js'
import type { Block, Tx } from '../../src/core/types.js'

export interface PeerView { peerId: string, addresses: string[], mesh?: string[] }

export async function peersOf (node: NodeProcess): Promise<PeerView[]> {
  return (await node.get<{ peers: PeerView[] }>('/peers')).peers
}

/** Wait until `a` has `b` in its gossip mesh for both topics (so a publish reaches b). */
export async function waitForMesh (a: NodeProcess, b: NodeProcess, timeoutMs = 30_000): Promise<void> {
  await waitFor(`${a.url} to have ${b.peerId} in its tx and block meshes`, async () => {
    const peer = (await peersOf(a)).find(p => p.peerId === b.peerId)
    return peer?.mesh?.includes('tx') === true && peer.mesh.includes('block') ? true : undefined
  }, timeoutMs)
}

export async function connect (from: NodeProcess, to: NodeProcess): Promise<void> {
  const res = await from.post('/register_with', { node_address: to.url })
  if (res.status !== 200) throw new Error(`register_with ${to.url} from ${from.url}: ${res.status} ${JSON.stringify(res.body)}`)
}

export async function chainOf (node: NodeProcess): Promise<Block[]> {
  return (await node.get<{ chain: Block[] }>('/chain')).chain
}

export async function headOf (node: NodeProcess): Promise<{ hash: string, index: number, work: string }> {
  return (await node.get<{ head: { hash: string, index: number, work: string } }>('/node_info')).head
}

export async function pendingOf (node: NodeProcess): Promise<Tx[]> {
  return await node.get<Tx[]>('/pending_tx')
}

export async function networkIdOf (node: NodeProcess): Promise<string> {
  return (await node.get<{ network: string }>('/node_info')).network
}

/** Post a freshly signed tx; returns it once the node answered 201. */
export async function postTx (node: NodeProcess, data: string, signer = 1): Promise<Tx> {
  const tx = makeTx(await networkIdOf(node), data, { signer, timestamp: Math.floor(Date.now() / 1000) })
  const res = await node.post('/new_transaction', tx)
  if (res.status !== 201) throw new Error(`new_transaction: ${res.status} ${JSON.stringify(res.body)}`)
  return tx
}

export async function mine (node: NodeProcess): Promise<Block> {
  const res = await node.post('/mine')
  if (res.status !== 200 || res.body?.block === undefined) throw new Error(`mine: ${res.status} ${JSON.stringify(res.body)}`)
  return res.body.block as Block
}

/** Wait until every node reports the same head hash, and return it. */
export async function waitForSameHead (nodes: NodeProcess[], timeoutMs = 60_000, expected?: string): Promise<string> {
  return await waitFor(`${nodes.length} nodes to agree on ${expected ?? 'one head'}`, async () => {
    const heads = await Promise.all(nodes.map(async n => (await headOf(n)).hash))
    const first = heads[0]
    return heads.every(h => h === first) && (expected === undefined || first === expected) ? first : undefined
  }, timeoutMs, 200)
}
