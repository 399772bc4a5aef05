// `--trace-format pubsub` (docs/design.md §10): the node's events as go-libp2p-pubsub's JSON tracer
// writes them (its JSONTracer: one encoding/json object per line), so tools built for go-libp2p-pubsub
// traces read a gossipchain network.
//
// Schema: pb/trace.proto of github.com/libp2p/go-libp2p-pubsub at b421b3ab05638f24085f4087787d20add09b1e3e
// (v0.12.0 .. v0.15.x; the one go-libp2p-pubsub-tracer's tools and the published notebooks read). Events 4
// and 5 are ADD_PEER/addPeer and REMOVE_PEER/removePeer there (renamed ON_NEW_OUTBOUND_STREAM /
// onNewOutboundStream, same numbers, in 5cde33c, 2026). How Go's encoding/json renders the generated
// structs (trace.pb.go):
//  - field names are the json tags (`json:"peerID,omitempty"` ...), in struct (= proto field) order;
//    unset optional fields are left out;
//  - `type` is the enum's NUMBER (the generated enum has UnmarshalJSON but no MarshalJSON), and it is
//    always present (a non-nil pointer, even to 0 = PUBLISH_MESSAGE);
//  - bytes fields are standard base64 with padding; peer ids are the bytes of the peer id (its
//    multihash), message ids the bytes of the message id;
//  - `timestamp` is time.Now().UnixNano(): an int64 of nanoseconds, written as a bare integer
//    (beyond 2^53, so it is built as a string of digits here);
//  - strings escape <, >, & and U+2028/U+2029 as \u003c etc. (Encoder.SetEscapeHTML defaults on).
//
// Which events (go-libp2p-pubsub's tracer points, as far as gossipsub 17 exposes them, see
// src/node/event-sources.ts): PUBLISH_MESSAGE then DELIVER_MESSAGE (receivedFrom = us) for what we
// publish, as Go traces its local messages; DELIVER_MESSAGE for an accepted gossip message,
// REJECT_MESSAGE for one our validator ignored ("validation ignored") or rejected ("validation
// failed"); DUPLICATE_MESSAGE; ADD_PEER / REMOVE_PEER (gossipsub's router; `proto` is left out:
// gossipsub 17 does not say which of its protocols the peer speaks at that point); JOIN; GRAFT; PRUNE.
// Not traced: RECV_RPC, SEND_RPC, DROP_RPC (no hook in gossipsub 17), LEAVE (only at shutdown).
// Our message ids are the sha256 of the payload (the gossipsub message id, hex in our events, raw
// 32 bytes here). Timestamps come from the node's wall clock in ms (times 10^6).
import { peerIdFromString } from '@libp2p/peer-id'
import type { NodeEvent } from '../node/events.js'

/** TraceEvent.Type of pb/trace.proto. */
export const TraceEventType = {
  PUBLISH_MESSAGE: 0,
  REJECT_MESSAGE: 1,
  DUPLICATE_MESSAGE: 2,
  DELIVER_MESSAGE: 3,
  ADD_PEER: 4,
  REMOVE_PEER: 5,
  RECV_RPC: 6,
  SEND_RPC: 7,
  DROP_RPC: 8,
  JOIN: 9,
  LEAVE: 10,
  GRAFT: 11,
  PRUNE: 12
} as const

/** go-libp2p-pubsub's rejection reasons (tracer.go) for what our validators decide. */
export const REJECT_VALIDATION_FAILED = 'validation failed'
export const REJECT_VALIDATION_IGNORED = 'validation ignored'

export interface PubsubTraceInit {
  /** Our peer id (string form). */
  peerId: string
  /** The full topic strings of our two topics. */
  topics: { tx: string, block: string }
}

/** Bounded cache of peer id strings -> base64 of their bytes (a node sees few peers; a ban list is bounded too). */
const PEER_CACHE_MAX = 4096

/**
 * Returns the encoder: a node event in, the lines go-libp2p-pubsub's JSONTracer would write for it
 * out (each ending in "\n"), or '' when the event has no pubsub trace equivalent.
 */
export function pubsubTraceEncoder (init: PubsubTraceInit): (event: NodeEvent) => string {
  if (typeof init?.peerId !== 'string') throw new TypeError('pubsubTraceEncoder: "peerId" must be a peer id string')
  if (typeof init.topics?.tx !== 'string' || typeof init.topics.block !== 'string') throw new TypeError('pubsubTraceEncoder: "topics" must name the tx and block topics')
  const peers = new Map<string, string>()
  const peerB64 = (id: string): string => {
    let b64 = peers.get(id)
    if (b64 === undefined) {
      b64 = Buffer.from(peerIdFromString(id).toMultihash().bytes).toString('base64')
      if (peers.size >= PEER_CACHE_MAX) peers.delete(peers.keys().next().value as string)
      peers.set(id, b64)
    }
    return b64
  }
  const self = peerB64(init.peerId)
  const topicJson = { tx: goString(init.topics.tx), block: goString(init.topics.block) }
  const head = (type: number, ms: number): string => `{"type":${type},"peerID":"${self}","timestamp":${nanos(ms)}`
  const msgB64 = (hex: string): string => Buffer.from(hex, 'hex').toString('base64')

  return (event: NodeEvent): string => {
    switch (event.type) {
      case 'publish': {
        const id = msgB64(event.msgId)
        const topic = topicJson[event.topic]
        return `${head(TraceEventType.PUBLISH_MESSAGE, event.publishedAt)},"publishMessage":{"messageID":"${id}","topic":${topic}}}\n` +
          `${head(TraceEventType.DELIVER_MESSAGE, event.publishedAt)},"deliverMessage":{"messageID":"${id}","topic":${topic},"receivedFrom":"${self}"}}\n`
      }
      case 'gossip': {
        const id = msgB64(event.msgId)
        const topic = topicJson[event.topic]
        const from = peerB64(event.from)
        if (event.result === 'accept') {
          return `${head(TraceEventType.DELIVER_MESSAGE, event.at)},"deliverMessage":{"messageID":"${id}","topic":${topic},"receivedFrom":"${from}"}}\n`
        }
        const reason = event.result === 'reject' ? REJECT_VALIDATION_FAILED : REJECT_VALIDATION_IGNORED
        return `${head(TraceEventType.REJECT_MESSAGE, event.at)},"rejectMessage":{"messageID":"${id}","receivedFrom":"${from}","reason":${goString(reason)},"topic":${topic}}}\n`
      }
      case 'duplicate':
        return `${head(TraceEventType.DUPLICATE_MESSAGE, event.at)},"duplicateMessage":{"messageID":"${msgB64(event.msgId)}","receivedFrom":"${peerB64(event.from)}","topic":${topicJson[event.topic]}}}\n`
      case 'pubsub:add-peer':
        return `${head(TraceEventType.ADD_PEER, event.at)},"addPeer":{"peerID":"${peerB64(event.peer)}"}}\n`
      case 'pubsub:remove-peer':
        return `${head(TraceEventType.REMOVE_PEER, event.at)},"removePeer":{"peerID":"${peerB64(event.peer)}"}}\n`
      case 'join':
        return `${head(TraceEventType.JOIN, event.at)},"join":{"topic":${topicJson[event.topic]}}}\n`
      case 'graft':
        return `${head(TraceEventType.GRAFT, event.at)},"graft":{"peerID":"${peerB64(event.peer)}","topic":${topicJson[event.topic]}}}\n`
      case 'prune':
        return `${head(TraceEventType.PRUNE, event.at)},"prune":{"peerID":"${peerB64(event.peer)}","topic":${topicJson[event.topic]}}}\n`
      default:
        return ''
    }
  }
}

/** Milliseconds since the epoch as Go's UnixNano() digits (exact: integer ms times 10^6, as a string). */
export function nanos (ms: number): string {
  return (BigInt(Math.trunc(ms)) * 1_000_000n).toString()
}

/** A string as Go's encoding/json writes it (HTML-safe escaping included). */
export function goString (value: string): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, c => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
}
