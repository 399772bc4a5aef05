// The figures of `gossipchain report` (docs/design.md §10), from the traces of a devnet (traces.ts).
// Pure: no I/O. Every figure is defined here, once; README "Watch gossip" repeats the definitions.
//
//  - A message is a gossipsub message id (sha256 of the payload) that some node published. Its origin
//    is the node that published it first; its creation time is that publish: when the origin handed it
//    to gossipsub (publishedAt, the node's wall clock in ms).
//  - A node is reached by a message when its trace shows a first copy of it (a gossip receipt, whatever
//    its validator said) or its own publish of it (a re-announcement). The origin is not counted.
//  - delay(message, node) = the node's first receipt time - the message's creation time, for every
//    reached node but the origin, in ms. Receipt time: ndjson traces, when the node's validator got the
//    message (receivedAt, before validation); pubsub traces, the DELIVER/REJECT time (after it). Every
//    node of a devnet shares one host clock, so no clock offset enters a delay; traces from several hosts
//    need synchronised clocks.
//  - messages: how many messages of the topic were published within the observation window (a devnet
//    run closes it when it has settled, devnet.json settle.at: a block mined while the nodes stop
//    cannot propagate; such messages are counted `late` and left out of every other figure).
//  - coverage: the mean over messages of (nodes reached, origin excluded) / (nodes - 1). 1 = every
//    message reached every other node by gossip.
//  - p50, p90, p99, max: percentiles of all delays of the topic (nearest rank: the smallest delay with
//    at least that share of delays at or below it), ms.
//  - duplicates: copies received after the first, summed over all nodes, per message (gossipsub's
//    amplification); duplicatesPerNode = duplicates / nodes.
import type { NodeTrace, Topic } from './traces.js'

export const TOPICS: readonly Topic[] = ['tx', 'block']

export interface TopicFigures {
  messages: number
  /** null without messages (or with a single node). Exact, not rounded: 1 means every pair was reached. */
  coverage: number | null
  p50: number | null
  p90: number | null
  p99: number | null
  max: number | null
  /** Copies after the first, over all nodes, per message. */
  duplicates: number | null
  duplicatesPerNode: number | null
  /** (message, node) pairs with a delay. */
  receipts: number
  /** First copies by validator verdict. */
  verdicts: { accept: number, ignore: number, reject: number }
  /** First copies of messages no trace published (from outside the traced nodes). */
  unattributed: number
  /** Messages published after the observation window closed: left out of the figures. */
  late: number
}

export interface Report {
  nodes: number
  topics: Record<Topic, TopicFigures>
}

export interface MessageFacts {
  msgId: string
  topic: Topic
  origin: number
  createdAt: number
  /** Node index -> first receipt time (ms), for reached nodes other than the origin. */
  firstReceipt: Map<number, number>
  duplicates: number
}

/** Everything the figures and the plots are computed from. */
export interface Analysis {
  report: Report
  messages: MessageFacts[]
  /** Per topic: every delay, sorted ascending (ms). */
  delays: Record<Topic, number[]>
  /** Per topic and node index: that node's delays (ms, unsorted). */
  nodeDelays: Record<Topic, Map<number, number[]>>
}

/** Nearest-rank percentile of ascending `sorted` (q in (0, 100]); null when empty. */
export function percentile (sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null
  const rank = Math.ceil((q / 100) * sorted.length)
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]
}

const round3 = (v: number | null): number | null => v === null ? null : Math.round(v * 1000) / 1000

export interface AnalyzeOptions {
  /** The devnet's size; default the number of traces (a node without a trace counts as never reached). */
  nodeCount?: number
  /** End of the observation window (ms): messages published later are counted `late` and left out. */
  until?: number
}

/** Computes the report from the node traces. */
export function analyze (traces: readonly NodeTrace[], opts: AnalyzeOptions = {}): Analysis {
  const nodeCount = opts.nodeCount ?? traces.length
  if (!Number.isSafeInteger(nodeCount) || nodeCount < traces.length) throw new RangeError('analyze: "nodeCount" must be at least the number of traces')
  const until = opts.until ?? Infinity
  const messages = new Map<string, MessageFacts>()
  for (const t of traces) {
    for (const p of t.publishes) {
      const m = messages.get(p.msgId)
      if (m === undefined) messages.set(p.msgId, { msgId: p.msgId, topic: p.topic, origin: t.index, createdAt: p.at, firstReceipt: new Map(), duplicates: 0 })
      else if (p.at < m.createdAt) { m.origin = t.index; m.createdAt = p.at }
    }
  }
  const late: Record<Topic, number> = { tx: 0, block: 0 }
  const lateIds = new Set<string>()
  for (const m of [...messages.values()]) {
    if (m.createdAt > until) {
      late[m.topic]++
      lateIds.add(m.msgId)
      messages.delete(m.msgId)
    }
  }
  const unattributed: Record<Topic, number> = { tx: 0, block: 0 }
  const verdicts: Record<Topic, TopicFigures['verdicts']> = { tx: { accept: 0, ignore: 0, reject: 0 }, block: { accept: 0, ignore: 0, reject: 0 } }
  const reach = (m: MessageFacts, node: number, at: number): void => {
    const known = m.firstReceipt.get(node)
    if (known === undefined || at < known) m.firstReceipt.set(node, at)
  }
  for (const t of traces) {
    for (const r of t.receipts) {
      if (lateIds.has(r.msgId)) continue
      const m = messages.get(r.msgId)
      if (m === undefined) { unattributed[r.topic]++; continue }
      verdicts[m.topic][r.result]++
      reach(m, t.index, r.at)
    }
    // A node that published a message it did not originate had it too (a re-announced block).
    for (const p of t.publishes) {
      const m = messages.get(p.msgId)
      if (m !== undefined) reach(m, t.index, p.at)
    }
    for (const [msgId, n] of t.duplicates) {
      const m = messages.get(msgId)
      if (m !== undefined) m.duplicates += n
    }
  }
  for (const m of messages.values()) m.firstReceipt.delete(m.origin)

  const delays: Record<Topic, number[]> = { tx: [], block: [] }
  const nodeDelays: Record<Topic, Map<number, number[]>> = { tx: new Map(), block: new Map() }
  const report: Report = { nodes: nodeCount, topics: {} as Record<Topic, TopicFigures> }
  for (const topic of TOPICS) {
    const ofTopic = [...messages.values()].filter(m => m.topic === topic)
    let reachedShare = 0
    let duplicates = 0
    for (const m of ofTopic) {
      if (nodeCount > 1) reachedShare += m.firstReceipt.size / (nodeCount - 1)
      duplicates += m.duplicates
      for (const [node, at] of m.firstReceipt) {
        const delay = at - m.createdAt
        delays[topic].push(delay)
        let list = nodeDelays[topic].get(node)
        if (list === undefined) nodeDelays[topic].set(node, list = [])
        list.push(delay)
      }
    }
    const sorted = delays[topic].sort((a, b) => a - b)
    const n = ofTopic.length
    report.topics[topic] = {
      messages: n,
      coverage: n === 0 || nodeCount < 2 ? null : reachedShare / n,
      p50: round3(percentile(sorted, 50)),
      p90: round3(percentile(sorted, 90)),
      p99: round3(percentile(sorted, 99)),
      max: round3(sorted.length === 0 ? null : sorted[sorted.length - 1]),
      duplicates: n === 0 ? null : round3(duplicates / n),
      duplicatesPerNode: n === 0 ? null : round3(duplicates / n / nodeCount),
      receipts: sorted.length,
      verdicts: verdicts[topic],
      unattributed: unattributed[topic],
      late: late[topic]
    }
  }
  return { report, messages: [...messages.values()], delays, nodeDelays }
}
