// gossipsub's own metrics (its `metricsRegister` option) on a node's prom-client registry
// (docs/design.md §10). gossipsub 17 describes each metric through a small MetricsRegister interface
// (gauge, histogram, avgMinMax: node_modules/@libp2p/gossipsub/dist/src/metrics.d.ts); this adapts it
// to prom-client, one registry per node. Lodestar adapts the same interface the same way.
//
// Label cardinality stays bounded: topic labels ("topic", "topicStr") keep only our network's two
// topics, as 'tx' and 'block', and fold anything else into 'other'. gossipsub's other labels are its
// own enums (reasons, thresholds, protocols it speaks), never peer or message ids.
import { Gauge, Histogram, type Registry } from 'prom-client'
import type { MetricsRegister } from '@libp2p/gossipsub/metrics'

/** Label names that carry a topic in gossipsub 17's metrics. */
const TOPIC_LABELS = new Set(['topic', 'topicStr'])
/** The value of a topic label for a topic outside the map. */
export const OTHER_TOPIC = 'other'

type Labels = Record<string, string | number>

export interface GossipsubMetricsInit {
  registry: Registry
  /** Full topic string -> label (e.g. /gossipchain/<network>/tx/1 -> tx); gossipsub's metricsTopicStrToLabel. */
  topicLabels: ReadonlyMap<string, string>
}

/**
 * A gossipsub `metricsRegister` that creates prom-client metrics in `registry`. Pass it with
 * `metricsTopicStrToLabel: topicLabels` (gossipsubMetricsOptions() returns both).
 */
export function gossipsubMetricsRegister ({ registry, topicLabels }: GossipsubMetricsInit): MetricsRegister {
  if (registry == null || typeof registry.registerMetric !== 'function') throw new TypeError('gossipsubMetricsRegister: "registry" must be a prom-client Registry')
  if (!(topicLabels instanceof Map)) throw new TypeError('gossipsubMetricsRegister: "topicLabels" must be a Map of topic -> label')
  const known = new Set(topicLabels.values())
  const bound = (labels: Labels | undefined): Labels => {
    if (labels === undefined) return {}
    let out: Labels | undefined
    for (const name of TOPIC_LABELS) {
      const value = labels[name]
      if (value === undefined) continue
      const label = topicLabels.get(String(value)) ?? (known.has(String(value)) ? String(value) : OTHER_TOPIC)
      if (label !== value) {
        out ??= { ...labels }
        out[name] = label
      }
    }
    return out ?? labels
  }

  const register = {
    gauge (config: { name: string, help: string, labelNames?: string[] }) {
      const collectors: Array<(gauge: unknown) => void> = []
      const wrapper = {
        inc: (a?: Labels | number, b?: number) => {
          if (typeof a === 'object') gauge.inc(bound(a), b ?? 1)
          else gauge.inc(a ?? 1)
        },
        set: (a: Labels | number, b?: number) => {
          if (typeof a === 'object') gauge.set(bound(a), b ?? 0)
          else gauge.set(a)
        },
        addCollect: (fn: (gauge: unknown) => void) => { collectors.push(fn) }
      }
      const gauge: Gauge = new Gauge({
        name: config.name,
        help: config.help,
        labelNames: config.labelNames ?? [],
        registers: [registry],
        collect () {
          for (const fn of collectors) fn(wrapper)
        }
      })
      return wrapper
    },

    histogram (config: { name: string, help: string, labelNames?: string[], buckets?: number[] }) {
      const histogram = new Histogram({
        name: config.name,
        help: config.help,
        labelNames: config.labelNames ?? [],
        ...(config.buckets !== undefined ? { buckets: config.buckets } : {}),
        registers: [registry]
      })
      return {
        startTimer: () => histogram.startTimer(),
        observe: (a: Labels | number, b?: number) => {
          if (typeof a === 'object') histogram.observe(bound(a), b ?? 0)
          else histogram.observe(a)
        },
        reset: () => { histogram.reset() }
      }
    },

    /** Three gauges, <name>_avg, _min and _max, of the values of each set() (cleared when empty). */
    avgMinMax (config: { name: string, help: string, labelNames?: string[] }) {
      const labelNames = config.labelNames ?? []
      const make = (suffix: string, what: string): Gauge => new Gauge({
        name: `${config.name}_${suffix}`, help: `${config.help} (${what})`, labelNames, registers: [registry]
      })
      const avg = make('avg', 'average')
      const min = make('min', 'minimum')
      const max = make('max', 'maximum')
      return {
        set: (a: Labels | number[], b?: number[]) => {
          const labels = Array.isArray(a) ? {} : bound(a)
          const values = Array.isArray(a) ? a : b ?? []
          if (values.length === 0) {
            for (const g of [avg, min, max]) labelNames.length === 0 ? g.reset() : g.remove(labels)
            return
          }
          let sum = 0
          let lo = Infinity
          let hi = -Infinity
          for (const v of values) {
            sum += v
            if (v < lo) lo = v
            if (v > hi) hi = v
          }
          avg.set(labels, sum / values.length)
          min.set(labels, lo)
          max.set(labels, hi)
        }
      }
    }
  }
  return register as unknown as MetricsRegister
}

/** The gossipsub options that put its metrics on `registry`. */
export function gossipsubMetricsOptions (init: GossipsubMetricsInit): { metricsRegister: MetricsRegister, metricsTopicStrToLabel: Map<string, string> } {
  return { metricsRegister: gossipsubMetricsRegister(init), metricsTopicStrToLabel: new Map(init.topicLabels) }
}
