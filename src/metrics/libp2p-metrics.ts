// libp2p's metrics (@libp2p/prometheus-metrics) on a node's own prom-client registry (docs/design.md §10).
//
// @libp2p/prometheus-metrics 5 keeps the metrics it created in a MODULE-level map keyed by name, and
// hands an existing entry back whenever a name is registered again, whatever the registry. With two
// nodes in one process (in-process tests), the second node's libp2p would then record into the first
// node's metrics, and its start-time gauges (connections, streams per protocol) would never reach its
// own registry. So each further node in a process loads its own instance of the module (an import
// URL with a distinct query string is a distinct ES module instance): its map is per node, and its
// registry is ours. A node process (one node) uses the module as imported, nothing is loaded twice.
import type { Registry } from 'prom-client'
import * as firstInstance from '@libp2p/prometheus-metrics'

type PrometheusMetricsModule = typeof firstInstance
type PrometheusMetricsFactory = ReturnType<PrometheusMetricsModule['prometheusMetrics']>

let instances = 0

/**
 * libp2p's `metrics` option for one node: everything libp2p and its transports register goes to
 * `registry`, with prom-client's default process_* and nodejs_* metrics.
 */
export async function libp2pPrometheusMetrics (registry: Registry): Promise<PrometheusMetricsFactory> {
  if (registry == null || typeof registry.registerMetric !== 'function') throw new TypeError('libp2pPrometheusMetrics: "registry" must be a prom-client Registry')
  const module = ++instances === 1
    ? firstInstance
    : await import(`${import.meta.resolve('@libp2p/prometheus-metrics')}?gossipchain-node=${instances}`) as PrometheusMetricsModule
  return module.prometheusMetrics({
    registry,
    collectDefaultMetrics: true,
    // prom-client samples event loop delay with a timer every 10 ms by default: 100 wake-ups a second
    // of an idle node, times 100 nodes on a devnet. Every 100 ms is plenty for a 15 s scrape.
    defaultMetrics: { eventLoopMonitoringPrecision: 100 },
    // Never clear prom-client's global registry: it is not ours (and ours is not global).
    preserveExistingMetrics: true
  })
}
