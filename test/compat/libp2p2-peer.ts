// A third-party gossip peer on the previous libp2p generation (docs/design.md §5: "a peer built on libp2p 2
// with @chainsafe/libp2p-gossipsub 14 (StrictNoSign) must exchange txs and blocks with our nodes").
// Every import is an npm alias (package.json devDependencies) of a libp2p-2-era package, so this
// stack resolves its own @libp2p/interface 2 / multiaddr 12 copies and shares nothing with the
// libp2p 3 stack of src/p2p but @libp2p/crypto 5 (which a fresh libp2p 2 install gets too).
import { createHash } from 'node:crypto'
import { gossipsub } from 'libp2p-gossipsub-v14'
import { identify } from 'libp2p-identify-v3'
import { noise } from 'libp2p-noise-v16'
import { tcp } from 'libp2p-tcp-v10'
import { createLibp2p } from 'libp2p-v2'
import { mplex } from 'libp2p-mplex-v11'
import { yamux } from 'libp2p-yamux-v7'
import { multiaddr } from 'multiaddr-v12'
import type { GossipSub, GossipsubMessage } from 'libp2p-gossipsub-v14'

export interface ReceivedGossip {
  topic: string
  data: Uint8Array
  /** The peer (id string) that forwarded it. */
  from: string
  /** 'unsigned' for StrictNoSign traffic; a StrictNoSign peer never delivers a 'signed' one. */
  type: 'signed' | 'unsigned'
}

/** docs/design.md §5 names both muxers of the wire; a third-party peer may offer either. */
export type Libp2p2Muxer = 'yamux' | 'mplex'

export interface ConnectionProtocols {
  /** e.g. '/noise' */
  encryption?: string
  /** e.g. '/yamux/1.0.0', '/mplex/6.7.0' */
  multiplexer?: string
  /** Protocols of the streams open on it, e.g. '/meshsub/1.2.0', '/ipfs/id/1.0.0'. */
  streams: string[]
}

export interface Libp2p2Peer {
  peerId: string
  /** Every message received on a subscribed topic, in arrival order. */
  received: ReceivedGossip[]
  dial (address: string): Promise<void>
  /** What the open connection to `peerId` negotiated, or undefined when there is none. */
  connectionTo (peerId: string): ConnectionProtocols | undefined
  /** Peer ids in this peer's gossipsub mesh for `topic`. */
  meshPeers (topic: string): string[]
  /** Publishes raw bytes (the tx / block JSON); resolves with how many peers it was sent to. */
  publish (topic: string, data: Uint8Array): Promise<number>
  stop (): Promise<void>
}

/**
 * Starts a libp2p 2 node on 127.0.0.1 (random port) with tcp, noise, one muxer, identify and
 * gossipsub 14 configured as docs/design.md §5 asks of any peer on our topics (StrictNoSign, msg id =
 * sha256(data)), and subscribes it to `topics`.
 */
export async function startLibp2p2Peer (topics: string[], muxer: Libp2p2Muxer = 'yamux'): Promise<Libp2p2Peer> {
  if (!Array.isArray(topics) || topics.length === 0) throw new TypeError('topics must be a non-empty array of topic strings')
  if (muxer !== 'yamux' && muxer !== 'mplex') throw new TypeError(`muxer must be 'yamux' or 'mplex', got ${JSON.stringify(muxer)}`)
  const node = await createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    // Only one muxer, so the test shows which one carried the traffic.
    streamMuxers: [muxer === 'yamux' ? yamux() : mplex()],
    services: {
      identify: identify(),
      pubsub: gossipsub({
        globalSignaturePolicy: 'StrictNoSign',
        msgIdFn: (msg) => createHash('sha256').update(msg.data).digest(),
        allowPublishToZeroTopicPeers: false,
        emitSelf: false
      })
    }
  })
  const pubsub = node.services.pubsub as unknown as GossipSub
  const received: ReceivedGossip[] = []
  pubsub.addEventListener('gossipsub:message', (event: CustomEvent<GossipsubMessage>) => {
    const { msg, propagationSource } = event.detail
    received.push({ topic: msg.topic, data: msg.data, from: propagationSource.toString(), type: msg.type })
  })
  for (const topic of topics) pubsub.subscribe(topic)

  return {
    peerId: node.peerId.toString(),
    received,
    async dial (address: string): Promise<void> {
      // libp2p 2 needs a multiaddr 12 object: 13 (the libp2p 3 stack's) dropped methods it calls.
      await node.dial(multiaddr(address))
    },
    connectionTo (peerId: string): ConnectionProtocols | undefined {
      const connection = node.getConnections().find(c => c.remotePeer.toString() === peerId && c.status === 'open')
      if (connection === undefined) return undefined
      const streams = connection.streams.flatMap(stream => stream.protocol === undefined ? [] : [stream.protocol])
      return { encryption: connection.encryption, multiplexer: connection.multiplexer, streams }
    },
    meshPeers: (topic) => pubsub.getMeshPeers(topic),
    async publish (topic: string, data: Uint8Array): Promise<number> {
      const result = await pubsub.publish(topic, data)
      return result.recipients.length
    },
    async stop (): Promise<void> { await node.stop() }
  }
}
