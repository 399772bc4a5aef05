// GET /events (docs/design.md §10): the node's event stream as Server-Sent Events, one JSON object per
// event in a `data:` line (the default "message" event of an EventSource), optionally filtered with
// ?types=gossip,publish. Hono's streamSSE writes it; @hono/node-server waits for the socket to drain.
//
// A client costs the node a bounded amount and never blocks it (docs/design.md §12):
//  - each client reads a NodeEvents subscription with a bounded queue (`capacity` events). The node
//    never waits for it; a client that falls `capacity` events behind is dropped (its socket closed);
//  - a write that has not completed after `stallMs` (the client stopped reading and the socket buffers
//    are full) drops the client too, whatever the traffic;
//  - at most `maxClients` at once; one more gets 503 TOO_MANY_EVENT_CLIENTS;
//  - a comment line every `heartbeatMs` keeps proxies from timing the stream out and makes a dead
//    peer show up as a failed write (RST) instead of a socket held forever.
import { Hono, type Context } from 'hono'
import { streamSSE, type SSEStreamingApi } from 'hono/streaming'
import { HttpError } from '../http/http-error.js'
import { NODE_EVENT_TYPES, type NodeEvents, type NodeEventType, type SubscriptionEndReason } from '../node/events.js'

export const DEFAULT_MAX_EVENT_CLIENTS = 32
/** Events queued per client: ~0.5 MB of events at ~500 B each. */
export const DEFAULT_EVENT_CLIENT_CAPACITY = 1024
export const DEFAULT_HEARTBEAT_MS = 15_000
export const DEFAULT_STALL_MS = 30_000

export const EventsErrorCode = {
  TOO_MANY_EVENT_CLIENTS: 'TOO_MANY_EVENT_CLIENTS'
} as const

/** Why a client's stream ended. */
export type EventClientEnd = SubscriptionEndReason | 'stalled' | 'disconnected'

export interface EventsRouteInit {
  events: NodeEvents
  maxClients?: number
  capacity?: number
  heartbeatMs?: number
  stallMs?: number
  /** Told when a client goes (metrics, tests). */
  onClientEnd?: (reason: EventClientEnd) => void
}

export interface EventsRoute {
  /** GET / streams events; mount at /events. */
  readonly routes: Hono
  /** Clients connected now. */
  readonly clients: number
  /** End every client's stream (the node is stopping). */
  close(): void
}

function positiveInteger (value: number | undefined, fallback: number, name: string): number {
  const v = value ?? fallback
  if (!Number.isSafeInteger(v) || v < 1) throw new TypeError(`createEventsRoute: "${name}" must be a positive integer`)
  return v
}

/** The event types a ?types= query asks for (all when absent). Throws HttpError 400 on an unknown one. */
export function parseTypesQuery (raw: string | undefined): NodeEventType[] | undefined {
  if (raw === undefined || raw === '') return undefined
  const types = raw.split(',').map(t => t.trim()).filter(t => t !== '')
  const unknown = types.filter(t => !(NODE_EVENT_TYPES as readonly string[]).includes(t))
  if (unknown.length > 0 || types.length === 0) {
    throw new HttpError(400, 'BAD_QUERY', `unknown event type ${JSON.stringify(unknown[0] ?? raw).slice(0, 80)} in ?types; known: ${NODE_EVENT_TYPES.join(', ')}`)
  }
  return [...new Set(types)] as NodeEventType[]
}

export function createEventsRoute (init: EventsRouteInit): EventsRoute {
  if (init?.events == null || typeof init.events.subscribe !== 'function') throw new TypeError('createEventsRoute: "events" must be a node event stream')
  const maxClients = positiveInteger(init.maxClients, DEFAULT_MAX_EVENT_CLIENTS, 'maxClients')
  const capacity = positiveInteger(init.capacity, DEFAULT_EVENT_CLIENT_CAPACITY, 'capacity')
  const heartbeatMs = positiveInteger(init.heartbeatMs, DEFAULT_HEARTBEAT_MS, 'heartbeatMs')
  const stallMs = positiveInteger(init.stallMs, DEFAULT_STALL_MS, 'stallMs')
  const clients = new Set<{ drop: (reason: EventClientEnd) => void }>()
  let closed = false

  /** How often a client's timer checks for an overflow, a stalled write or a due heartbeat. */
  const checkMs = Math.max(10, Math.min(1000, Math.floor(heartbeatMs / 2), Math.floor(stallMs / 4)))

  const serve = async (c: Context, stream: SSEStreamingApi, client: { drop: (reason: EventClientEnd) => void }, types: NodeEventType[] | undefined): Promise<void> => {
    let end: EventClientEnd | undefined
    // An overflow is known inside the emit that caused it: the client is dropped right after (not inside
    // the node's emit), even while its write is stuck, so it holds at most `capacity` events.
    const sub = init.events.subscribe({
      capacity,
      types,
      onEnd: reason => { if (reason === 'overflow') queueMicrotask(() => { client.drop('overflow') }) }
    })
    let writingSince: number | undefined
    let lastWrite = performance.now()
    client.drop = (reason) => {
      end ??= reason
      sub.close()
      stream.abort()
      // Under @hono/node-server: close the socket now, even if the client never reads again.
      const outgoing = (c.env as { outgoing?: { destroy?: () => void } } | undefined)?.outgoing
      outgoing?.destroy?.()
    }
    stream.onAbort(() => { client.drop('disconnected') })
    c.req.raw.signal.addEventListener('abort', () => { client.drop('disconnected') }, { once: true })

    const write = async (text: string): Promise<void> => {
      writingSince = performance.now()
      await stream.write(text)
      writingSince = undefined
      lastWrite = performance.now()
    }
    // Checked on a timer, not in the write path: a client stuck in a write is noticed all the same.
    const timer = setInterval(() => {
      if (end !== undefined) return
      const now = performance.now()
      if (writingSince !== undefined) {
        if (now - writingSince > stallMs) client.drop('stalled')
      } else if (now - lastWrite >= heartbeatMs) {
        void write(': heartbeat\n\n')
      }
    }, checkMs)
    timer.unref()
    try {
      await write(': gossipchain events\n\n')
      for await (const event of sub) {
        if (end !== undefined) break
        await write(`data: ${JSON.stringify(event)}\n\n`)
      }
      if (sub.endReason === 'overflow') client.drop('overflow')
      end ??= sub.endReason ?? 'closed'
    } finally {
      clearInterval(timer)
      sub.close()
      init.onClientEnd?.(end ?? 'closed')
    }
  }

  const routes = new Hono().get('/', (c) => {
    const types = parseTypesQuery(c.req.query('types'))
    if (closed) throw new HttpError(503, 'NODE_STOPPING', 'the node is stopping')
    if (clients.size >= maxClients) {
      throw new HttpError(503, EventsErrorCode.TOO_MANY_EVENT_CLIENTS, `this node serves at most ${maxClients} event streams at once; try again later`, {}, { 'Retry-After': '10' })
    }
    // The slot is taken now, before the stream starts, so concurrent requests cannot pass the cap.
    const client = { drop: (_reason: EventClientEnd): void => {} }
    clients.add(client)
    return streamSSE(c, async (stream) => {
      try {
        await serve(c, stream, client, types)
      } finally {
        clients.delete(client)
      }
    })
  })

  return {
    routes,
    get clients () { return clients.size },
    close: () => {
      closed = true
      for (const client of [...clients]) client.drop('stopped')
    }
  }
}
