// What a running compose network must do, checked over the nodes' facades (docs/design.md §13), whether it runs
// as processes in network namespaces (test/compose-netns.test.ts) or as containers under podman-compose
// (test/compose-podman.test.ts): bootstrap connections by service name, full gossip meshes, and a tx
// posted to one node mined by the miner and held on every node's head.
import { join } from 'node:path'
import { loadConfig } from '../../src/config.js'
import { containerArgv, readDockerfile, repoRoot, type ComposeFile } from './compose-files.js'
import { makeTx } from './fixtures.js'
import { waitFor } from '../../src/devnet/wait.js'

export interface ComposeNode {
  /** The compose service name (also its host name on the compose network). */
  name: string
  /** Where the test reaches its facade. */
  url: string
  peerId: string
}

interface PeerEntry { peerId: string, addresses: string[], mesh?: string[] }

export async function getJson<T> (node: { url: string }, path: string): Promise<T> {
  const res = await fetch(node.url + path, { signal: AbortSignal.timeout(5_000) })
  if (!res.ok) throw new Error(`GET ${node.url}${path} -> ${res.status}: ${await res.text()}`)
  return await res.json() as T
}

/** The bootstrap addresses of a service's config file (`start --config FILE`), each `/dns4/<service>/tcp/<port>`. */
export function bootstrapTargets (compose: ComposeFile, serviceName: string): Array<{ address: string, service: string }> {
  const args = containerArgv(compose, readDockerfile(), serviceName)
  const at = args.indexOf('--config')
  if (at < 0) throw new Error(`service ${serviceName} runs no --config file`)
  return loadConfig({ file: join(repoRoot, args[at + 1]), env: {} }).bootstrap.map(address => {
    const match = /^\/dns4?\/([^/]+)\/tcp\/\d+$/.exec(address)
    if (match === null) throw new Error(`service ${serviceName}: bootstrap ${address} is not /dns4/<service>/tcp/<port>`)
    return { address, service: match[1] }
  })
}

/**
 * Waits until every node lists each of its bootstrap peers in /peers, connected through the address of
 * its config (`/dns4/node-1/tcp/9000/p2p/<id>`: the name resolved, the peer id learned on the dial).
 */
export async function waitForBootstrapConnections (compose: ComposeFile, nodes: Map<string, ComposeNode>, timeoutMs = 30_000): Promise<void> {
  for (const node of nodes.values()) {
    for (const { address, service } of bootstrapTargets(compose, node.name)) {
      const target = nodes.get(service)
      if (target === undefined) throw new Error(`${node.name} bootstraps to ${service}, which is not running`)
      await waitFor(`${node.name} to list ${service} at ${address} in /peers`, async () => {
        const { peers } = await getJson<{ peers: PeerEntry[] }>(node, '/peers')
        const peer = peers.find(p => p.peerId === target.peerId)
        return peer?.addresses.includes(`${address}/p2p/${target.peerId}`) === true ? true : undefined
      }, timeoutMs)
    }
  }
}

/** Waits until every node has each network node it is connected to in its tx and block meshes. */
export async function waitForMeshes (nodes: Map<string, ComposeNode>, timeoutMs = 30_000): Promise<void> {
  const ours = new Set([...nodes.values()].map(node => node.peerId))
  await waitFor('every connection in the tx and block meshes', async () => {
    for (const node of nodes.values()) {
      const { peers } = await getJson<{ peers: PeerEntry[] }>(node, '/peers')
      const connected = peers.filter(peer => ours.has(peer.peerId))
      if (connected.length === 0) return undefined
      if (!connected.every(peer => peer.mesh?.includes('tx') === true && peer.mesh.includes('block'))) return undefined
    }
    return true
  }, timeoutMs)
}

/**
 * Posts a freshly signed tx to `postTo`, waits for `miner`'s own timer to mine it (nobody calls /mine),
 * then for every node's head to be that block, holding the tx. Returns the tx id and block hash.
 */
export async function txMinedEverywhere (
  nodes: Map<string, ComposeNode>, postTo: string, miner: string, data: string, timeoutMs = 40_000
): Promise<{ txId: string, blockHash: string }> {
  const node = (name: string): ComposeNode => {
    const found = nodes.get(name)
    if (found === undefined) throw new Error(`service ${name} is not running`)
    return found
  }
  const networkId = (await getJson<{ network: string }>(node(postTo), '/node_info')).network
  const tx = makeTx(networkId, data, { timestamp: Math.floor(Date.now() / 1000) })
  const posted = await fetch(`${node(postTo).url}/new_transaction`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(tx), signal: AbortSignal.timeout(5_000)
  })
  if (posted.status !== 201) throw new Error(`POST ${postTo}/new_transaction -> ${posted.status}: ${await posted.text()}`)

  const blockHash = await waitFor(`${miner} to mine tx ${tx.id}`, async () => {
    const found = await getJson<{ status: string, block?: { hash: string } }>(node(miner), `/tx/${tx.id}`).catch(() => undefined)
    return found?.status === 'confirmed' ? found.block?.hash : undefined
  }, timeoutMs, 200)
  await waitFor(`every head to be ${blockHash}, holding tx ${tx.id}`, async () => {
    for (const n of nodes.values()) {
      const { head } = await getJson<{ head: { hash: string } }>(n, '/node_info')
      const found = await getJson<{ status: string, block?: { hash: string } }>(n, `/tx/${tx.id}`).catch(() => undefined)
      if (head.hash !== blockHash || found?.status !== 'confirmed' || found.block?.hash !== blockHash) return undefined
    }
    return true
  }, timeoutMs, 200)
  return { txId: tx.id, blockHash }
}
