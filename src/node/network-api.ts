// What the HTTP facade asks of the p2p side (src/http/types.ts NetworkApi), built on the libp2p host,
// the gossip service and the sync loop. The facade never imports src/p2p (docs/design.md §1).
import { multiaddr } from '@multiformats/multiaddr'
import { peerIdFromString } from '@libp2p/peer-id'
import type { Block, Tx } from '../core/types.js'
import type { NetworkApi, PeerInfo } from '../http/types.js'
import type { Logger } from '../logger.js'
import type { Gossip } from '../p2p/gossip.js'
import type { SyncLoop } from '../p2p/sync-loop.js'
import type { Connection, PeerId } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

export interface NetworkApiModules {
  host: {
    readonly peerId: PeerId
    getMultiaddrs(): Multiaddr[]
    getConnections(): Connection[]
    dial(ma: Multiaddr, options?: { signal?: AbortSignal }): Promise<unknown>
  }
  gossip: Pick<Gossip, 'publishTx' | 'publishBlock' | 'meshPeers'>
  sync: Pick<SyncLoop, 'requestSync'>
  /** The network id (docs/design.md §3 Genesis). */
  network: string
  logger: Pick<Logger, 'warn'>
}

/** Fire-and-forget publishing: the caller (an HTTP answer, the miner) never waits for gossip. */
export interface Publisher {
  tx(tx: Tx): void
  block(block: Block): void
}

export function createPublisher ({ gossip, logger }: Pick<NetworkApiModules, 'gossip' | 'logger'>): Publisher {
  const send = (what: string, publish: () => Promise<unknown>): void => {
    publish().catch(err => { logger.warn(`gossip: could not publish ${what}: ${(err as Error).message}`) })
  }
  return {
    tx: (tx) => { send(`tx ${tx.id}`, async () => await gossip.publishTx(tx)) },
    block: (block) => { send(`block #${block.index}`, async () => await gossip.publishBlock(block)) }
  }
}

export function createNetworkApi (modules: NetworkApiModules, publisher: Publisher = createPublisher(modules)): NetworkApi {
  const { host, gossip, sync, network } = modules
  const peerId = host.peerId.toString()
  return {
    nodeInfo: () => ({ peerId, addresses: host.getMultiaddrs().map(String), network }),
    peers: (): PeerInfo[] => {
      const byPeer = new Map<string, string[]>()
      for (const conn of host.getConnections()) {
        const id = conn.remotePeer.toString()
        byPeer.set(id, [...(byPeer.get(id) ?? []), conn.remoteAddr.toString()])
      }
      const mesh = gossip.meshPeers()
      return [...byPeer].map(([id, addresses]) => ({
        peerId: id,
        addresses,
        // Which of our gossip meshes the peer is in: a publish reaches it directly.
        mesh: [...(mesh.tx.includes(id) ? ['tx'] : []), ...(mesh.block.includes(id) ? ['block'] : [])]
      }))
    },
    connect: async (address: string, signal: AbortSignal) => {
      const ma = multiaddr(address)
      const target = ma.getComponents().findLast(c => c.name === 'p2p')?.value
      if (target === undefined) throw new TypeError('the multiaddr must end in /p2p/<peer id>')
      if (target === peerId) throw new TypeError('that address is this node itself')
      await host.dial(ma, { signal })
      return target
    },
    syncWith: async (peer: string, signal: AbortSignal) => {
      const result = await sync.requestSync(peerIdFromString(peer), 'manual', { signal })
      if (result === undefined) return undefined
      return { outcome: result.outcome, imported: result.imported, ...(result.error !== undefined ? { code: result.error.code } : {}) }
    },
    publishTx: publisher.tx,
    publishBlock: publisher.block
  }
}
