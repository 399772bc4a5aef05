// The libp2p host of a node (docs/design.md §5): TCP, noise, [yamux, mplex], identify, ping, gossipsub,
// our peer reputation and a bootstrap redialer. Protocol services (gossip topics, sync server and
// loop) plug in through `services` and receive these as components.

import { noise } from '@chainsafe/libp2p-noise'
import { gossipsub } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import { mplex } from '@libp2p/mplex'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { yamux } from '@libp2p/yamux'
import { createLibp2p } from 'libp2p'
import { nodeSha256 } from '../crypto/sha256.js'
import { bootstrapDialer } from './bootstrap.js'
import { blockTopic, txTopic } from './constants.js'
import { peerReputation } from './peer-reputation.js'
import type { BootstrapDialer, BootstrapInit } from './bootstrap.js'
import type { PeerReputation, PeerReputationInit } from './peer-reputation.js'
import type { GossipSub, GossipsubOpts, PublishResult, TopicValidatorResult } from '@libp2p/gossipsub'
import type { PeerScore } from '@libp2p/gossipsub/score'
import type { Identify } from '@libp2p/identify'
import type { Libp2p, PrivateKey, ServiceMap } from '@libp2p/interface'
import type { Ping } from '@libp2p/ping'
import type { Libp2pOptions, ServiceFactoryMap } from 'libp2p'

/**
 * What gossipsub 17's class offers but its exported `GossipSub` interface leaves out. The methods
 * exist on the instance (see node_modules/@libp2p/gossipsub/dist/src/gossipsub.d.ts).
 */
export interface GossipsubService extends GossipSub {
  /** Peer ids (strings) in our mesh for `topic`. */
  getMeshPeers(topic: string): string[]
  /** The peer's gossipsub score (P1..P7 with our app score as P5). */
  getScore(peerId: string): number
  publish(topic: string, data: Uint8Array, opts?: {
    allowPublishToZeroTopicPeers?: boolean
    ignoreDuplicatePublishError?: boolean
    batchPublish?: boolean
  }): Promise<PublishResult>
  reportMessageValidationResult(msgId: string, propagationSource: string, acceptance: TopicValidatorResult): void
  /** Its peer score, called where go-libp2p-pubsub calls its RawTracer (src/node/event-sources.ts taps it). */
  readonly score: PeerScore
}

export interface HostServices extends ServiceMap {
  identify: Identify
  ping: Ping
  pubsub: GossipsubService
  reputation: PeerReputation
  bootstrap: BootstrapDialer
}

export type Host<S extends ServiceMap = Record<string, never>> = Libp2p<HostServices & S>

/** libp2p's internal Components (not exported by the package), as its transports receive them. */
type Libp2pComponents = Parameters<NonNullable<Libp2pOptions['transports']>[number]>[0]

/** What a service plugged into the host receives: libp2p's components, the host's services and its peers. */
export type HostComponents<S extends ServiceMap = Record<string, never>> = Libp2pComponents & HostServices & S

export type HostServiceFactories<S extends ServiceMap> = {
  [K in keyof S]: (components: HostComponents<S>) => S[K]
}

export interface HostGossipsubInit {
  /** Mesh degree (docs/design.md §5: D/Dlo not below the wanted degree). Defaults 6 / 4 / 12. */
  D?: number
  Dlo?: number
  Dhi?: number
  /**
   * IPs exempt from gossipsub's IP-colocation penalty (P6). Defaults to loopback, where a devnet
   * runs every node on one address.
   */
  ipColocationWhitelist?: string[]
  /** Anything else for gossipsub, e.g. metricsRegister; applied last. */
  options?: Partial<GossipsubOpts>
}

export interface HostInit<S extends ServiceMap = Record<string, never>> {
  privateKey: PrivateKey
  /** e.g. /ip4/0.0.0.0/tcp/9000 */
  listen: string[]
  announce?: string[]
  /** Multiaddrs dialed at start and redialed when lost. */
  bootstrap: string[]
  /** When set, the network's topics get score parameters and are the only topics tracked. */
  network?: string
  gossipsub?: HostGossipsubInit
  reputation?: PeerReputationInit
  bootstrapOptions?: Omit<BootstrapInit, 'addresses'>
  connectionManager?: Libp2pOptions['connectionManager']
  /** libp2p's metrics implementation, e.g. @libp2p/prometheus-metrics (it must be given at creation). */
  metrics?: Libp2pOptions['metrics']
  /** Start the host before returning (default true); with false, call `host.start()` later. */
  start?: boolean
  /** Protocol services built on the host (gossip, sync server, sync loop ...). */
  services?: HostServiceFactories<S>
}

/** Creates the host and starts it unless `start: false`. Stop it with `host.stop()`. */
export async function createHost<S extends ServiceMap = Record<string, never>> (init: HostInit<S>): Promise<Host<S>> {
  if (init.privateKey == null) throw new TypeError('privateKey is required')
  if (!Array.isArray(init.listen)) throw new TypeError('listen must be an array of multiaddr strings')
  if (!Array.isArray(init.bootstrap)) throw new TypeError('bootstrap must be an array of multiaddr strings')

  // The gater and gossipsub's score function are built before the service exists; both read it
  // through this variable once libp2p has constructed it.
  let reputation: PeerReputation | undefined
  const gs = init.gossipsub ?? {}
  const D = gs.D ?? 6
  const Dlo = gs.Dlo ?? Math.min(4, D)
  const Dhi = gs.Dhi ?? Math.max(12, D * 2)
  const topics = init.network != null ? [txTopic(init.network), blockTopic(init.network)] : []

  const services = {
    identify: identify(),
    ping: ping(),
    reputation: (components: Parameters<ReturnType<typeof peerReputation>>[0]) => {
      reputation = peerReputation(init.reputation)(components)
      return reputation
    },
    pubsub: gossipsub({
      // Payloads authenticate themselves (signed txs, proof-of-work blocks): docs/design.md §5.
      globalSignaturePolicy: 'StrictNoSign',
      msgIdFn: (msg) => nodeSha256(msg.data),
      allowPublishToZeroTopicPeers: true,
      // Re-announcing something the network already has (a tx back in the mempool after a reorg)
      // is not an error.
      ignoreDuplicatePublishError: true,
      // IDONTWANT (gossipsub 1.2) costs a control frame to every mesh peer per message over this size;
      // at the default 512 B nearly every ~520 B tx paid it. Only large payloads (blocks) are worth it.
      idontwantMinDataSize: 16 * 1024,
      // docs/design.md §12: each peer's messages are validated one at a time, in order, and its stream is
      // read no faster than that (gossipsub otherwise starts every message's validation at once: a
      // flood of ten thousand txs is ten thousand signature checks queued ahead of everyone else's).
      // Peers are still validated in parallel with one another, so a flooder slows only itself.
      awaitRpcHandler: true,
      awaitRpcMessageHandler: true,
      emitSelf: false,
      D,
      Dlo,
      Dhi,
      Dout: Math.min(2, Math.floor(D / 2), Math.max(0, Dlo - 1)),
      scoreParams: {
        appSpecificScore: (peer: string) => reputation?.score(peer) ?? 0,
        appSpecificWeight: 1,
        IPColocationFactorWhitelist: new Set(gs.ipColocationWhitelist ?? ['127.0.0.1', '::1']),
        topics: Object.fromEntries(topics.map(topic => [topic, {
          topicWeight: 1,
          timeInMeshWeight: 0.01,
          timeInMeshQuantum: 1000,
          timeInMeshCap: 300,
          firstMessageDeliveriesWeight: 1,
          firstMessageDeliveriesDecay: 0.9,
          firstMessageDeliveriesCap: 50,
          // A ledger's topics are quiet for long stretches: never punish a mesh peer for having
          // nothing to deliver.
          meshMessageDeliveriesWeight: 0,
          meshMessageDeliveriesDecay: 0.5,
          meshMessageDeliveriesCap: 100,
          meshMessageDeliveriesThreshold: 1,
          meshMessageDeliveriesWindow: 10,
          meshMessageDeliveriesActivation: 5000,
          meshFailurePenaltyWeight: 0,
          meshFailurePenaltyDecay: 0.5,
          // P4: each rejected message counts, squared; decays by 1% a second. Kept mild: our own
          // reputation (P5) bans persistent offenders (see PENALTY_INVALID_GOSSIP).
          invalidMessageDeliveriesWeight: -1,
          invalidMessageDeliveriesDecay: 0.99
        }]))
      },
      ...(topics.length > 0 ? { allowedTopics: topics } : {}),
      ...gs.options
    }) as unknown as (components: any) => GossipsubService,
    bootstrap: bootstrapDialer({ ...init.bootstrapOptions, addresses: init.bootstrap }),
    ...init.services
  }

  const node = await createLibp2p({
    start: init.start ?? true,
    privateKey: init.privateKey,
    ...(init.metrics != null ? { metrics: init.metrics } : {}),
    addresses: {
      listen: init.listen,
      ...(init.announce != null ? { announce: init.announce } : {})
    },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    // Same order on every node: noise 17 picks the wrong muxer when orders differ (docs/design.md §5).
    streamMuxers: [yamux(), mplex()],
    connectionManager: init.connectionManager,
    connectionMonitor: { abortConnectionOnPingFailure: false },
    connectionGater: {
      denyDialPeer: (peerId) => reputation?.isBanned(peerId) ?? false,
      denyInboundEncryptedConnection: (peerId) => reputation?.isBanned(peerId) ?? false,
      denyOutboundEncryptedConnection: (peerId) => reputation?.isBanned(peerId) ?? false
    },
    services: services as unknown as ServiceFactoryMap<HostServices & S>
  })
  return node
}
