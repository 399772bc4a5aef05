// The node's one typed event stream (docs/design.md §10): what a node sees and does, one shape per kind.
// The trace file, /events (SSE), the metrics and the log all subscribe here; nothing else listens to
// chain or libp2p events one by one (src/node/event-sources.ts is the only adapter).
//
// Pure: no libp2p, no I/O. Cheap to import from a browser bundle or a report tool for the types.
//
// Subscriber rules (emitters never wait for a subscriber):
//  - `on(listener)` runs the listener inline, inside emit(), for every event. It must be O(1), never
//    await and never wait on I/O (a buffered stream write is fine when the buffer is bounded, see
//    src/metrics/trace.ts). A listener that throws is reported through `onListenerError` and keeps its
//    subscription; the emitter and the other listeners carry on.
//  - `subscribe({capacity})` is for consumers that do I/O per event (an SSE client, a socket): events
//    are queued for it, up to `capacity`. A subscription that falls `capacity` events behind is ended
//    with endReason 'overflow' and its queue freed, so a slow or vanished consumer costs the node at
//    most `capacity` events of memory and never blocks it. The consumer sees the end of its iteration
//    and decides (an SSE route drops the client).

/** The two gossip topics of a network, by kind (the full topic is /gossipchain/<network>/<kind>/1). */
export type GossipTopicKind = 'tx' | 'block'

/** A gossip message received and validated (docs/design.md §5 Accept/Ignore/Reject). */
export interface GossipEvent {
  type: 'gossip'
  at: number
  topic: GossipTopicKind
  /** tx id or block hash when the validator parsed the payload, else `msgId`. */
  id: string
  /** Hex sha256 of the payload: the gossipsub message id. */
  msgId: string
  /** Peer id of the peer that forwarded it to us. */
  from: string
  /** When our validator received it (ms since epoch). */
  receivedAt: number
  /** The item's own time in ms (tx or block timestamp) when the validator parsed it. */
  createdAt?: number
  result: 'accept' | 'ignore' | 'reject'
  /** The coded error behind ignore/reject (TX_DUPLICATE, BLOCK_UNKNOWN_PARENT, ...). */
  code?: string
  bytes: number
}

/** We published a tx or a block on its topic (an HTTP submission, a mined block, a head announcement). */
export interface PublishEvent {
  type: 'publish'
  at: number
  topic: GossipTopicKind
  id: string
  msgId: string
  /** Peers gossipsub sent it to directly. */
  recipients: number
  /** When we handed it to gossipsub (ms since epoch): the start of its propagation (`at` comes after the send). */
  publishedAt: number
  createdAt?: number
  bytes: number
}

/**
 * A copy of a message gossipsub had seen already, dropped before validation (go-libp2p-pubsub's
 * DUPLICATE_MESSAGE). The first copy is the `gossip` event (or our own `publish`).
 */
export interface DuplicateEvent {
  type: 'duplicate'
  at: number
  topic: GossipTopicKind
  msgId: string
  /** The peer that forwarded the copy. */
  from: string
}

/**
 * gossipsub put `peer` into our mesh of `topic` (we grafted it, or accepted its GRAFT), or took it out
 * (a PRUNE either way): go-libp2p-pubsub's GRAFT and PRUNE trace events, at the same points.
 */
export interface GraftEvent { type: 'graft', at: number, topic: GossipTopicKind, peer: string }
export interface PruneEvent { type: 'prune', at: number, topic: GossipTopicKind, peer: string }

/** We joined a topic (subscribed; gossipsub builds its mesh): go-libp2p-pubsub's JOIN. */
export interface JoinEvent { type: 'join', at: number, topic: GossipTopicKind }

/**
 * gossipsub added a peer to its router (a connection whose peer speaks gossipsub) or removed it:
 * go-libp2p-pubsub's ADD_PEER and REMOVE_PEER. `peer:connect` is the libp2p connection itself.
 */
export interface PubsubPeerAddedEvent { type: 'pubsub:add-peer', at: number, peer: string }
export interface PubsubPeerRemovedEvent { type: 'pubsub:remove-peer', at: number, peer: string }

/** The main chain has a new head. */
export interface HeadEvent {
  type: 'head'
  at: number
  hash: string
  index: number
  /** Cumulative work, decimal string (it outgrows 2^53). */
  work: string
  /** Txs in the head block. */
  txs: number
}

/** The main chain switched branches (docs/design.md §4). */
export interface ReorgEvent {
  type: 'reorg'
  at: number
  /** Hash of the last block both branches share. */
  forkPoint: string
  disconnected: string[]
  connected: string[]
  /** Txs of disconnected blocks returned to the mempool. */
  restoredTxs: number
}

/** A sync with one peer ended (docs/design.md §5 sync loop). */
export interface SyncEvent {
  type: 'sync'
  at: number
  peer: string
  reason: 'connect' | 'unknown-parent' | 'interval' | 'manual'
  outcome: 'up-to-date' | 'synced' | 'wrong-network' | 'failed' | 'invalid-data' | 'lied' | 'stopped'
  imported: number
  batches: number
  durationMs: number
  /** The coded error (SyncErrorCode, src/p2p/sync-errors.ts) when the sync failed or the peer misbehaved. */
  code?: string
  /** With SYNC_INVALID_BLOCK / SYNC_BLOCK_IGNORED: the rule the served block broke (BLOCK_*). */
  ruleCode?: string
}

export interface PeerConnectEvent { type: 'peer:connect', at: number, peer: string }
export interface PeerDisconnectEvent { type: 'peer:disconnect', at: number, peer: string }

/** Our reputation of a peer dropped (src/p2p/peer-reputation.ts). */
export interface PenaltyEvent {
  type: 'penalty'
  at: number
  peer: string
  points: number
  reason: string
  /** The peer's score after the penalty (<= 0). */
  score: number
}

/** A peer was disconnected and is refused until `untilMs`. */
export interface BanEvent {
  type: 'ban'
  at: number
  peer: string
  reason: string
  untilMs: number
}

export type NodeEvent =
  | GossipEvent | PublishEvent | HeadEvent | ReorgEvent | SyncEvent
  | PeerConnectEvent | PeerDisconnectEvent | PenaltyEvent | BanEvent
  | DuplicateEvent | GraftEvent | PruneEvent | JoinEvent | PubsubPeerAddedEvent | PubsubPeerRemovedEvent

export type NodeEventType = NodeEvent['type']

/** Every event type, in a stable order (for filters, metrics labels, validation). */
export const NODE_EVENT_TYPES: readonly NodeEventType[] = [
  'gossip', 'publish', 'head', 'reorg', 'sync', 'peer:connect', 'peer:disconnect', 'penalty', 'ban',
  'duplicate', 'graft', 'prune', 'join', 'pubsub:add-peer', 'pubsub:remove-peer'
]

type WithoutAt<E> = E extends unknown ? Omit<E, 'at'> : never
/** An event as its source hands it over; the stream stamps `at`. */
export type NodeEventInput = WithoutAt<NodeEvent>

export type NodeEventListener = (event: NodeEvent) => void

export type SubscriptionEndReason = 'closed' | 'overflow' | 'stopped'

/** A pull subscription with a bounded queue; iterate it with `for await`, or call next(). */
export interface NodeEventSubscription extends AsyncIterableIterator<NodeEvent> {
  /** undefined while open; why it ended otherwise. */
  readonly endReason: SubscriptionEndReason | undefined
  /** Events waiting to be read. */
  readonly queued: number
  /** End it now: pending and future next() calls resolve done. */
  close(): void
}

export interface SubscribeOptions {
  /** Most events queued for this subscriber before it is ended with 'overflow'. Default 1024. */
  capacity?: number
  /** Only these types (default all). */
  types?: readonly NodeEventType[]
  /**
   * Told once when the subscription ends, whatever ended it (an overflow happens inside emit(): a
   * consumer stuck in a write learns it at once, not at its next read). Runs inline: O(1), no throw.
   */
  onEnd?: (reason: SubscriptionEndReason) => void
}

export interface NodeEventStreamInit {
  /** Wall clock in ms for `at`. Default Date.now. */
  now?: () => number
  /** Where a throwing `on` listener is reported. Default: ignored. */
  onListenerError?: (err: unknown, event: NodeEvent) => void
}

export const DEFAULT_SUBSCRIPTION_CAPACITY = 1024
/** Upper bound of one subscription's queue: a subscriber may not ask the node for unbounded memory. */
export const MAX_SUBSCRIPTION_CAPACITY = 1_000_000

/** The read side, handed to subscribers. */
export interface NodeEvents {
  /** Run `listener` inline for each event (see the rules at the top). Returns the unsubscribe function. */
  on(listener: NodeEventListener, types?: readonly NodeEventType[]): () => void
  /** A bounded pull subscription (see the rules at the top). */
  subscribe(opts?: SubscribeOptions): NodeEventSubscription
}

/** One node's event stream: the write side (emit, close) for the node, the read side for everyone. */
export class NodeEventStream implements NodeEvents {
  private readonly listeners = new Set<{ fn: NodeEventListener, types: ReadonlySet<NodeEventType> | undefined }>()
  private readonly subscriptions = new Set<QueueSubscription>()
  private readonly now: () => number
  private readonly onListenerError: (err: unknown, event: NodeEvent) => void
  private closed = false

  constructor (init: NodeEventStreamInit = {}) {
    this.now = init.now ?? Date.now
    if (typeof this.now !== 'function') throw new TypeError('NodeEventStream: "now" must be a function')
    this.onListenerError = init.onListenerError ?? (() => {})
  }

  on (listener: NodeEventListener, types?: readonly NodeEventType[]): () => void {
    if (typeof listener !== 'function') throw new TypeError('NodeEventStream.on: "listener" must be a function')
    const entry = { fn: listener, types: typeSet(types, 'NodeEventStream.on') }
    this.listeners.add(entry)
    return () => { this.listeners.delete(entry) }
  }

  subscribe (opts: SubscribeOptions = {}): NodeEventSubscription {
    const capacity = opts.capacity ?? DEFAULT_SUBSCRIPTION_CAPACITY
    if (!Number.isSafeInteger(capacity) || capacity < 1 || capacity > MAX_SUBSCRIPTION_CAPACITY) {
      throw new RangeError(`NodeEventStream.subscribe: "capacity" must be an integer from 1 to ${MAX_SUBSCRIPTION_CAPACITY}`)
    }
    const onEnd = opts.onEnd
    if (onEnd !== undefined && typeof onEnd !== 'function') throw new TypeError('NodeEventStream.subscribe: "onEnd" must be a function')
    const sub = new QueueSubscription(capacity, typeSet(opts.types, 'NodeEventStream.subscribe'), (reason) => {
      this.subscriptions.delete(sub)
      try { onEnd?.(reason) } catch {}
    })
    if (this.closed) sub.end('stopped')
    else this.subscriptions.add(sub)
    return sub
  }

  /** Stamp `at` and hand the event to every listener and subscription. Never waits, never throws. */
  emit (input: NodeEventInput): void {
    if (this.closed) return
    const event = { ...input, at: this.now() } as NodeEvent
    for (const { fn, types } of this.listeners) {
      if (types !== undefined && !types.has(event.type)) continue
      try {
        fn(event)
      } catch (err) {
        try { this.onListenerError(err, event) } catch {}
      }
    }
    for (const sub of this.subscriptions) sub.push(event)
  }

  /** Number of `on` listeners and open subscriptions (for tests and metrics). */
  get subscriberCount (): number {
    return this.listeners.size + this.subscriptions.size
  }

  /** The node stopped: end every subscription ('stopped'), drop every listener, ignore later emits. */
  close (): void {
    this.closed = true
    this.listeners.clear()
    for (const sub of [...this.subscriptions]) sub.end('stopped')
  }
}

function typeSet (types: readonly NodeEventType[] | undefined, where: string): ReadonlySet<NodeEventType> | undefined {
  if (types === undefined) return undefined
  if (!Array.isArray(types) || !types.every(t => NODE_EVENT_TYPES.includes(t))) {
    throw new TypeError(`${where}: "types" must be a list of ${NODE_EVENT_TYPES.join(', ')}`)
  }
  return new Set(types)
}

class QueueSubscription implements NodeEventSubscription {
  private queue: NodeEvent[] = []
  private head = 0
  private waiter: ((result: IteratorResult<NodeEvent>) => void) | undefined
  endReason: SubscriptionEndReason | undefined

  constructor (
    private readonly capacity: number,
    private readonly types: ReadonlySet<NodeEventType> | undefined,
    private readonly onEnd: (reason: SubscriptionEndReason) => void
  ) {}

  get queued (): number {
    return this.queue.length - this.head
  }

  push (event: NodeEvent): void {
    if (this.endReason !== undefined) return
    if (this.types !== undefined && !this.types.has(event.type)) return
    if (this.waiter !== undefined) {
      const resolve = this.waiter
      this.waiter = undefined
      resolve({ value: event, done: false })
      return
    }
    if (this.queued >= this.capacity) {
      this.end('overflow')
      return
    }
    this.queue.push(event)
  }

  end (reason: SubscriptionEndReason): void {
    if (this.endReason !== undefined) return
    this.endReason = reason
    // When the node stops, what is queued can still be read. An overflowed subscriber lost events (what it
    // still holds would mislead it, and is the memory we free); a closed one asked for nothing more.
    if (reason !== 'stopped') {
      this.queue = []
      this.head = 0
    }
    this.onEnd(reason)
    const resolve = this.waiter
    this.waiter = undefined
    resolve?.({ value: undefined, done: true })
  }

  close (): void {
    this.end('closed')
  }

  async next (): Promise<IteratorResult<NodeEvent>> {
    if (this.head < this.queue.length) {
      const value = this.queue[this.head++]
      // Compact now and then, so a long-lived subscription's array does not grow with its history.
      if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue = this.queue.slice(this.head)
        this.head = 0
      }
      return { value, done: false }
    }
    if (this.endReason !== undefined) return { value: undefined, done: true }
    if (this.waiter !== undefined) throw new Error('NodeEventSubscription: next() called again before the previous call settled')
    return await new Promise(resolve => { this.waiter = resolve })
  }

  async return (): Promise<IteratorResult<NodeEvent>> {
    this.close()
    return { value: undefined, done: true }
  }

  [Symbol.asyncIterator] (): this {
    return this
  }
}
