// The plots of `gossipchain report` (docs/design.md §10): vega-lite specs rendered to SVG in Node by vega
// (no browser, no canvas): the propagation delay CDF per topic, deliveries over time, and each node's
// first-receipt delays. The specs are plain data, so a test can read what a plot shows.
import { percentile, TOPICS, type Analysis } from './analyze.js'
import type { Topic } from './traces.js'

type Spec = Record<string, unknown>

/** Points of a CDF drawn from ascending `sorted`: at most `max`, always the first and the last. */
export function cdfPoints (sorted: readonly number[], max = 400): Array<{ delay: number, share: number }> {
  const n = sorted.length
  if (n === 0) return []
  const points: Array<{ delay: number, share: number }> = [{ delay: sorted[0], share: 1 / n }]
  const steps = Math.min(max, n)
  for (let k = 1; k <= steps; k++) {
    const i = Math.max(0, Math.ceil((k * n) / steps) - 1)
    points.push({ delay: sorted[i], share: (i + 1) / n })
  }
  return points
}

const WIDTH = 640
const HEIGHT = 300
const COLORS = { domain: ['tx', 'block'], range: ['#1f77b4', '#d62728'] }
const base = (title: string, subtitle: string): Spec => ({
  $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
  title: { text: title, subtitle, anchor: 'start' },
  background: 'white',
  config: { font: 'sans-serif', view: { stroke: '#ddd' } }
})

/** One row per topic (tx above block), each with its own y scale, drawing `spec` from `values`. */
const rowPerTopic = (title: string, subtitle: string, values: unknown[], spec: Spec): Spec => ({
  ...base(title, subtitle),
  data: { values },
  facet: { row: { field: 'topic', type: 'nominal', title: 'topic', sort: ['tx', 'block'] } },
  resolve: { scale: { y: 'independent' } },
  spec: { width: WIDTH, height: 160, ...spec }
})

export interface PlotContext {
  /** ms: time zero of "over time" plots (the load's start), default the first message. */
  startedAt?: number
  nodes: number
}

/** Share of (message, node) receipts with at most a given delay, per topic. */
export function delayCdfSpec (analysis: Analysis, ctx: PlotContext): Spec {
  const values = TOPICS.flatMap(topic => cdfPoints(analysis.delays[topic]).map(p => ({ topic, ...p })))
  const longest = values.reduce((max, v) => Math.max(max, v.delay), 0)
  const ticks = [0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 20_000, 50_000, 100_000, 200_000, 500_000]
    .filter((t, i, all) => i === 0 || all[i - 1] <= longest)
  return {
    ...base('Propagation delay CDF', `${ctx.nodes} nodes; delay = first receipt at a node - publish at the origin`),
    width: WIDTH,
    height: HEIGHT,
    data: { values },
    mark: { type: 'line', interpolate: 'step-after', strokeWidth: 2 },
    encoding: {
      x: { field: 'delay', type: 'quantitative', title: 'delay (ms, symlog scale)', scale: { type: 'symlog' }, axis: { values: ticks } },
      y: { field: 'share', type: 'quantitative', title: 'share of receipts with at most this delay', scale: { domain: [0, 1] } },
      color: { field: 'topic', type: 'nominal', title: 'topic', scale: COLORS }
    }
  }
}

/** First receipts per second over the run, per topic, with the messages published per second. */
export function deliverySpec (analysis: Analysis, ctx: PlotContext): Spec {
  const t0 = ctx.startedAt ?? analysis.messages.reduce((min, m) => Math.min(min, m.createdAt), Infinity)
  const bins = new Map<string, { second: number, topic: Topic, kind: string, count: number }>()
  const add = (at: number, topic: Topic, kind: string): void => {
    const second = Math.floor((at - t0) / 1000)
    const key = `${second}|${topic}|${kind}`
    const bin = bins.get(key)
    if (bin === undefined) bins.set(key, { second, topic, kind, count: 1 })
    else bin.count++
  }
  let last = 0
  for (const m of analysis.messages) {
    add(m.createdAt, m.topic, 'published')
    last = Math.max(last, Math.floor((m.createdAt - t0) / 1000))
    for (const at of m.firstReceipt.values()) {
      add(at, m.topic, 'received')
      last = Math.max(last, Math.floor((at - t0) / 1000))
    }
  }
  // Seconds without any count are 0, not a gap the line would bridge.
  for (let second = 0; second <= last; second++) {
    for (const topic of TOPICS) {
      for (const kind of ['published', 'received']) {
        const key = `${second}|${topic}|${kind}`
        if (!bins.has(key)) bins.set(key, { second, topic, kind, count: 0 })
      }
    }
  }
  const values = [...bins.values()].filter(b => b.second >= 0).sort((a, b) => a.second - b.second)
  return rowPerTopic('Delivery over time', `${ctx.nodes} nodes; per second since the load started; received = first copies, all nodes together`, values, {
    mark: { type: 'line', interpolate: 'linear', strokeWidth: 2 },
    encoding: {
      x: { field: 'second', type: 'quantitative', title: 'time (s)', axis: { tickMinStep: 1, format: 'd' } },
      y: { field: 'count', type: 'quantitative', title: 'messages per second' },
      color: { field: 'topic', type: 'nominal', scale: COLORS, legend: null },
      strokeDash: { field: 'kind', type: 'nominal', title: 'messages', scale: { domain: ['published', 'received'], range: [[1, 0], [4, 3]] } }
    }
  })
}

/** Each node's median and 90th percentile first-receipt delay, per topic. */
export function nodeDelaySpec (analysis: Analysis, ctx: PlotContext): Spec {
  const values: Array<{ node: number, topic: Topic, p50: number, p90: number, max: number }> = []
  for (const topic of TOPICS) {
    for (const [node, list] of analysis.nodeDelays[topic]) {
      const sorted = [...list].sort((a, b) => a - b)
      values.push({ node, topic, p50: percentile(sorted, 50)!, p90: percentile(sorted, 90)!, max: sorted[sorted.length - 1] })
    }
  }
  values.sort((a, b) => a.node - b.node)
  return rowPerTopic('First-receipt delay per node', `${ctx.nodes} nodes; bar from median to 90th percentile, dot at the median`, values, {
    layer: [
      { mark: { type: 'rule', strokeWidth: 2, opacity: 0.6 }, encoding: { x: { field: 'node', type: 'quantitative', title: 'node', axis: { tickMinStep: 1, format: 'd' } }, y: { field: 'p50', type: 'quantitative', title: 'delay (ms)' }, y2: { field: 'p90' }, color: { field: 'topic', type: 'nominal', scale: COLORS, legend: null } } },
      { mark: { type: 'point', filled: true, size: 18 }, encoding: { x: { field: 'node', type: 'quantitative' }, y: { field: 'p50', type: 'quantitative' }, color: { field: 'topic', type: 'nominal', scale: COLORS, legend: null }, tooltip: [{ field: 'node' }, { field: 'p50' }, { field: 'p90' }, { field: 'max' }] } }
    ]
  })
}

/** Renders a vega-lite spec to an SVG document (vega's 'none' renderer: no canvas needed). */
export async function renderSvg (spec: Spec): Promise<string> {
  const [vl, vega] = await Promise.all([import('vega-lite'), import('vega')])
  const view = new vega.View(vega.parse(vl.compile(spec as never).spec), { renderer: 'none' })
  try {
    return await view.toSVG()
  } finally {
    view.finalize()
  }
}

/** The report's plots: file name -> spec. */
export function reportPlots (analysis: Analysis, ctx: PlotContext): Record<string, Spec> {
  return {
    'delay-cdf.svg': delayCdfSpec(analysis, ctx),
    'delivery.svg': deliverySpec(analysis, ctx),
    'node-delay.svg': nodeDelaySpec(analysis, ctx)
  }
}
