// The node's gossipchain_* metrics (docs/design.md §10; names agreed in CONTRACTS.md, used by
// monitoring/grafana and monitoring/prometheus): counters and the propagation histogram fed by the
// node's event stream (an inline O(1) listener), gauges read when Prometheus scrapes, HTTP requests
// counted by a facade middleware, and GET /metrics serving the whole registry (gossipsub_*, libp2p_*,
// process_* and nodejs_* included).
//
// Labels are bounded: topics are 'tx' and 'block', results and outcomes are enums, HTTP routes are the
// registered route patterns ('/block/:hash', never the path asked for) or 'unmatched', methods are the
// standard ones or 'OTHER', statuses are numbers. No peer id or item id is ever a label.
import { Hono, type MiddlewareHandler } from 'hono'
import { matchedRoutes } from 'hono/route'
import { Counter, Gauge, Histogram, type Registry } from 'prom-client'
import { HttpError } from '../http/http-error.js'
import type { NodeEvent, NodeEvents, SyncEvent } from '../node/events.js'

/** What the scrape-time gauges read. */
export interface NodeMetricsSources {
  chain: {
    readonly height: number
    readonly head: { work: bigint }
    readonly mempool: { readonly count: number, readonly bytes: number }
  }
  /** Connected peers. */
  peerCount(): number
  /** Our mesh peers per topic. */
  meshPeers(): { tx: readonly unknown[], block: readonly unknown[] }
}

const TOPICS = ['tx', 'block'] as const
const RESULTS = ['accept', 'ignore', 'reject'] as const
const SYNC_REASONS: ReadonlyArray<SyncEvent['reason']> = ['connect', 'unknown-parent', 'interval', 'manual']
const SYNC_OUTCOMES: ReadonlyArray<SyncEvent['outcome']> = ['up-to-date', 'synced', 'wrong-network', 'failed', 'invalid-data', 'lied', 'stopped']
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]{0,199}$/
const HTTP_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'])

/**
 * Propagation delay buckets, seconds: a loopback devnet delivers in milliseconds, a WAN in tens to
 * hundreds of ms; a block's delay starts at its timestamp, before its proof of work, so it can take minutes.
 */
export const PROPAGATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300]
const HTTP_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

export interface NodeMetrics {
  readonly registry: Registry
  /** Counts every facade request (mount it in front of all routes). */
  readonly httpMiddleware: MiddlewareHandler
  /** GET / serves the registry in Prometheus' text format (?name=a,b: only those); mount at /metrics. */
  readonly routes: Hono
  /** Start reading the gauges from `sources` (they read 0 until then). */
  bindSources(sources: NodeMetricsSources): void
  /** Stop counting events. */
  close(): void
}

/** Creates the gossipchain_* metrics in `registry` and subscribes them to `events`. */
export function createNodeMetrics ({ registry, events }: { registry: Registry, events: NodeEvents }): NodeMetrics {
  if (registry == null || typeof registry.registerMetric !== 'function') throw new TypeError('createNodeMetrics: "registry" must be a prom-client Registry')
  if (events == null || typeof events.on !== 'function') throw new TypeError('createNodeMetrics: "events" must be a node event stream')
  const registers = [registry]
  let sources: NodeMetricsSources | undefined

  const gauge = (name: string, help: string, read: (s: NodeMetricsSources) => number): Gauge => new Gauge({
    name, help, registers, collect () { this.set(sources === undefined ? 0 : read(sources)) }
  })
  gauge('gossipchain_chain_height', 'Index of the main chain head', s => s.chain.height)
  gauge('gossipchain_chain_work', 'Cumulative proof of work of the main chain (as a float; exact value in GET /node_info)', s => Number(s.chain.head.work))
  gauge('gossipchain_mempool_txs', 'Pending transactions', s => s.chain.mempool.count)
  gauge('gossipchain_mempool_bytes', 'Bytes of pending transactions', s => s.chain.mempool.bytes)
  gauge('gossipchain_peers', 'Connected peers', s => s.peerCount())
  new Gauge({
    name: 'gossipchain_mesh_peers',
    help: 'Peers in our gossipsub mesh, per topic',
    labelNames: ['topic'],
    registers,
    collect () {
      const mesh = sources?.meshPeers()
      for (const topic of TOPICS) this.set({ topic }, mesh?.[topic].length ?? 0)
    }
  })

  const reorgs = new Counter({ name: 'gossipchain_reorgs_total', help: 'Main chain reorganisations', registers })
  const syncRequests = new Counter({ name: 'gossipchain_sync_requests_total', help: 'Syncs with a peer, by what started them', labelNames: ['reason'], registers })
  const syncOutcomes = new Counter({ name: 'gossipchain_sync_outcomes_total', help: 'Syncs with a peer, by how they ended', labelNames: ['outcome'], registers })
  const gossipMessages = new Counter({ name: 'gossipchain_gossip_messages_total', help: 'Gossip messages validated (first copies), by topic and verdict', labelNames: ['topic', 'result'], registers })
  const duplicates = new Counter({ name: 'gossipchain_gossip_duplicates_total', help: 'Copies of gossip messages already seen, dropped before validation', labelNames: ['topic'], registers })
  const published = new Counter({ name: 'gossipchain_gossip_published_total', help: 'Messages this node published, by topic', labelNames: ['topic'], registers })
  const propagation = new Histogram({
    name: 'gossipchain_gossip_propagation_delay_seconds',
    help: 'First receipt of an accepted gossip message minus its creation time (tx or block timestamp); clock skew below 0 counts as 0',
    labelNames: ['topic'],
    buckets: PROPAGATION_BUCKETS,
    registers
  })
  const penalties = new Counter({ name: 'gossipchain_peer_penalties_total', help: 'Reputation penalties given to peers', registers })
  const bans = new Counter({ name: 'gossipchain_peer_bans_total', help: 'Peers banned', registers })
  const httpRequests = new Counter({ name: 'gossipchain_http_requests_total', help: 'Facade requests, by route pattern, method and status', labelNames: ['route', 'method', 'status'], registers })
  const httpDuration = new Histogram({
    name: 'gossipchain_http_request_duration_seconds',
    help: 'Facade request time until the response starts (a streamed body, such as /events, is not included)',
    labelNames: ['route', 'method'],
    buckets: HTTP_BUCKETS,
    registers
  })

  // Every series exists from the start (at 0), so rate() and the dashboard see them before the first event.
  for (const topic of TOPICS) {
    published.inc({ topic }, 0)
    duplicates.inc({ topic }, 0)
    propagation.zero({ topic })
    for (const result of RESULTS) gossipMessages.inc({ topic, result }, 0)
  }
  for (const reason of SYNC_REASONS) syncRequests.inc({ reason }, 0)
  for (const outcome of SYNC_OUTCOMES) syncOutcomes.inc({ outcome }, 0)

  // The per-message series, bound once: a labelled inc() hashes its labels every time.
  const perTopic = Object.fromEntries(TOPICS.map(topic => [topic, {
    results: Object.fromEntries(RESULTS.map(result => [result, gossipMessages.labels({ topic, result })])) as Record<typeof RESULTS[number], Counter.Internal>,
    duplicates: duplicates.labels({ topic }),
    published: published.labels({ topic }),
    propagation: propagation.labels({ topic })
  }])) as Record<typeof TOPICS[number], { results: Record<typeof RESULTS[number], Counter.Internal>, duplicates: Counter.Internal, published: Counter.Internal, propagation: Histogram.Internal<string> }>

  const off = events.on((event: NodeEvent) => {
    switch (event.type) {
      case 'gossip': {
        const series = perTopic[event.topic]
        series.results[event.result].inc()
        if (event.result === 'accept' && event.createdAt !== undefined) {
          series.propagation.observe(Math.max(0, event.receivedAt - event.createdAt) / 1000)
        }
        return
      }
      case 'duplicate':
        perTopic[event.topic].duplicates.inc()
        return
      case 'publish':
        perTopic[event.topic].published.inc()
        return
      case 'reorg':
        reorgs.inc()
        return
      case 'sync':
        syncRequests.inc({ reason: event.reason })
        syncOutcomes.inc({ outcome: event.outcome })
        return
      case 'penalty':
        penalties.inc()
        return
      case 'ban':
        bans.inc()
    }
  }, ['gossip', 'duplicate', 'publish', 'reorg', 'sync', 'penalty', 'ban'])

  const httpMiddleware: MiddlewareHandler = async (c, next) => {
    const started = performance.now()
    try {
      await next()
    } finally {
      const route = routeOf(c)
      const method = HTTP_METHODS.has(c.req.method) ? c.req.method : 'OTHER'
      httpRequests.inc({ route, method, status: String(c.res.status) })
      httpDuration.observe({ route, method }, (performance.now() - started) / 1000)
    }
  }

  // GET /metrics?name=a,b serves only those metrics (a cheap poll, e.g. the devnet's settle check).
  const routes = new Hono().get('/', async (c) => {
    const names = c.req.query('name')
    let text: string
    if (names === undefined) {
      text = await registry.metrics()
    } else {
      const wanted = [...new Set(names.split(','))]
      if (wanted.length > 64 || !wanted.every(name => METRIC_NAME.test(name))) {
        throw new HttpError(400, 'BAD_QUERY', '?name must be a comma-separated list of at most 64 metric names')
      }
      const parts = await Promise.all(wanted.filter(name => registry.getSingleMetric(name) !== undefined).map(async name => await registry.getSingleMetricAsString(name)))
      text = parts.map(part => part + '\n').join('')
    }
    return c.body(text, 200, { 'Content-Type': registry.contentType })
  })

  return {
    registry,
    httpMiddleware,
    routes,
    bindSources: (s) => { sources = s },
    close: off
  }
}

/**
 * The registered pattern of the last route matched other than the catch-all middleware (e.g.
 * /block/:hash, /metrics), or 'unmatched' (a 404, a 405): a bounded set, whatever paths clients ask for.
 */
function routeOf (c: Parameters<MiddlewareHandler>[0]): string {
  let route = 'unmatched'
  try {
    for (const r of matchedRoutes(c)) {
      if (r.path !== '*' && r.path !== '/*') route = r.path
    }
  } catch {}
  return route
}
