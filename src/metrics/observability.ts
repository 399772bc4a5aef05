// What a node shows researchers and operators (docs/design.md §10), built in one place for the
// composition root (src/node/index.ts): one prom-client registry per node (never the global one, so
// several nodes in one process keep apart) holding the gossipchain_* metrics, gossipsub's (its
// metricsRegister) and libp2p's (@libp2p/prometheus-metrics) with the process defaults; GET /metrics
// and GET /events; and the --trace file in its format. Everything reads the node's event stream.
import { Registry } from 'prom-client'
import type { NodeConfig } from '../config.js'
import type { Logger } from '../logger.js'
import type { NodeEvents } from '../node/events.js'
import { createEventsRoute, type EventsRoute, type EventsRouteInit } from './events-route.js'
import { gossipsubMetricsOptions } from './gossipsub-metrics.js'
import { libp2pPrometheusMetrics } from './libp2p-metrics.js'
import { createNodeMetrics, type NodeMetrics, type NodeMetricsSources } from './node-metrics.js'
import { openEventTrace, type EventTrace } from './trace.js'

export interface ObservabilityInit {
  config: Pick<NodeConfig, 'trace' | 'traceFormat'>
  events: NodeEvents
  /** The full topic strings of the node's network. */
  topics: { tx: string, block: string }
  logger: Pick<Logger, 'warn'>
  /** Limits of GET /events (defaults in events-route.ts). */
  eventsRoute?: Omit<EventsRouteInit, 'events'>
}

export interface Observability {
  readonly registry: Registry
  readonly metrics: NodeMetrics
  readonly eventsRoute: EventsRoute
  /** libp2p's `metrics` option. */
  readonly libp2pMetrics: Awaited<ReturnType<typeof libp2pPrometheusMetrics>>
  /** gossipsub options: metricsRegister and metricsTopicStrToLabel. */
  readonly gossipsubOptions: ReturnType<typeof gossipsubMetricsOptions>
  /** Once the host exists: read gauges from `sources`, open the trace (it needs our peer id). */
  attach(sources: NodeMetricsSources & { peerId: string }): Promise<void>
  /** End every /events stream (before the facade closes, so it need not wait for them). */
  closeStreams(): void
  /** Stop everything and flush the trace. */
  close(): Promise<void>
}

export async function createObservability (init: ObservabilityInit): Promise<Observability> {
  const registry = new Registry()
  const metrics = createNodeMetrics({ registry, events: init.events })
  const eventsRoute = createEventsRoute({ ...init.eventsRoute, events: init.events })
  const topicLabels = new Map([[init.topics.tx, 'tx'], [init.topics.block, 'block']])
  const gossipsubOptions = gossipsubMetricsOptions({ registry, topicLabels })
  const libp2pMetrics = await libp2pPrometheusMetrics(registry)
  let trace: EventTrace | undefined

  return {
    registry,
    metrics,
    eventsRoute,
    libp2pMetrics,
    gossipsubOptions,
    attach: async (sources) => {
      metrics.bindSources(sources)
      if (init.config.trace !== undefined && trace === undefined) {
        trace = await openEventTrace({
          path: init.config.trace,
          format: init.config.traceFormat,
          events: init.events,
          pubsub: { peerId: sources.peerId, topics: init.topics }
        })
      }
    },
    closeStreams: () => { eventsRoute.close() },
    close: async () => {
      eventsRoute.close()
      metrics.close()
      if (trace !== undefined) {
        await trace.close()
        if (trace.dropped > 0) init.logger.warn(`trace: ${trace.dropped} events dropped because ${trace.path} could not keep up`)
      }
    }
  }
}
