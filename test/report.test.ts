// The figures of `gossipchain report` (src/report): definitions on a hand-made trace set, the same
// figures from either trace format, and the plots' data.
import { expect } from 'chai'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { pubsubTraceEncoder } from '../src/metrics/pubsub-trace.js'
import type { NodeEvent } from '../src/node/events.js'
import { analyze, percentile, readTraceSet, writeReport } from '../src/report/index.js'
import { cdfPoints, deliverySpec, nodeDelaySpec } from '../src/report/plots.js'

const hex = (n: number): string => n.toString(16).padStart(64, '0')

describe('report (src/report)', function () {
  this.timeout(30_000)
  const dirs: string[] = []
  after(async () => { await Promise.all(dirs.map(async d => { await rm(d, { recursive: true, force: true }) })) })

  it('percentiles are nearest-rank; a CDF keeps its first and last points', () => {
    const ten = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    for (const [q, v] of [[50, 5], [90, 9], [99, 10], [100, 10], [10, 1], [11, 2]] as const) expect(percentile(ten, q), `p${q}`).to.equal(v)
    expect(percentile([], 50)).to.equal(null)
    expect(percentile([7], 99)).to.equal(7)
    const many = Array.from({ length: 10_000 }, (_, i) => i)
    const points = cdfPoints(many, 100)
    expect(points.length).to.be.at.most(101)
    expect(points[0]).to.deep.equal({ delay: 0, share: 1 / 10_000 })
    expect(points.at(-1)).to.deep.equal({ delay: 9999, share: 1 })
    for (let i = 1; i < points.length; i++) expect(points[i].share).to.be.at.least(points[i - 1].share)
  })

  /**
   * Three nodes. tx A (node 0 publishes at 1000): node 1 at 1010, node 2 at 1030, 3 duplicates.
   * tx B (node 1 at 2000): node 0 at 2005 only; node 2 never. Block C (node 2 at 3000, re-announced by
   * node 0 at 3500 after it had it at 3040): nodes 0 and 1 at 3040 and 3100 (node 1 ignored it).
   * A receipt of a message nobody traced publishing is unattributed.
   */
  function events (): NodeEvent[][] {
    const gossip = (topic: 'tx' | 'block', msgId: string, at: number, result: 'accept' | 'ignore' | 'reject' = 'accept'): NodeEvent =>
      ({ type: 'gossip', at, topic, id: msgId, msgId, from: 'peer', receivedAt: at, result, bytes: 1 })
    const publish = (topic: 'tx' | 'block', msgId: string, at: number): NodeEvent =>
      ({ type: 'publish', at: at + 3, topic, id: msgId, msgId, recipients: 2, publishedAt: at, bytes: 1 })
    const dup = (msgId: string, at: number): NodeEvent => ({ type: 'duplicate', at, topic: 'tx', msgId, from: 'peer' })
    return [
      [publish('tx', hex(1), 1000), dup(hex(1), 1050), gossip('tx', hex(2), 2005), gossip('block', hex(3), 3040), publish('block', hex(3), 3500), gossip('tx', hex(9), 4000)],
      [gossip('tx', hex(1), 1010), dup(hex(1), 1040), dup(hex(1), 1060), publish('tx', hex(2), 2000), gossip('block', hex(3), 3100, 'ignore')],
      [gossip('tx', hex(1), 1030), publish('block', hex(3), 3000), { type: 'head', at: 3001, hash: hex(3), index: 1, work: '256', txs: 0 }]
    ]
  }

  it('defines messages, coverage, delays, percentiles and duplicates as README "Watch gossip" says', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gossipchain-report-'))
    dirs.push(dir)
    const traces = events()
    for (const [i, list] of traces.entries()) await writeFile(join(dir, `node-${i}.ndjson`), list.map(e => JSON.stringify(e) + '\n').join('') + '{"type":"gossip","trunc')
    const set = await readTraceSet(dir)
    expect(set.nodes.map(n => n.format)).to.deep.equal(['ndjson', 'ndjson', 'ndjson'])
    expect(set.nodes.map(n => n.badLines)).to.deep.equal([1, 1, 1]) // a line cut short by a kill is skipped
    const { report, nodeDelays } = analyze(set.nodes)
    expect(report.nodes).to.equal(3)
    expect(report.topics.tx).to.deep.include({ messages: 2, coverage: (2 / 2 + 1 / 2) / 2, p50: 10, p90: 30, p99: 30, max: 30, duplicates: 1.5, receipts: 3, unattributed: 1 })
    expect(report.topics.tx.verdicts).to.deep.equal({ accept: 3, ignore: 0, reject: 0 })
    // Node 0 got block C at 3040 (its re-announcement at 3500 is later); node 1 at 3100 (ignored, still reached).
    expect(report.topics.block).to.deep.include({ messages: 1, coverage: 1, p50: 40, p90: 100, max: 100, duplicates: 0 })
    expect(report.topics.block.verdicts).to.deep.equal({ accept: 1, ignore: 1, reject: 0 })
    expect(nodeDelays.tx.get(1)).to.deep.equal([10])
    expect(nodeDelays.tx.get(0)).to.deep.equal([5])
    // A node without a trace counts as never reached.
    expect(analyze(set.nodes, { nodeCount: 4 }).report.topics.block.coverage).to.be.closeTo(2 / 3, 1e-12)
    // The observation window: block C, published at 3000, is late for a window closing at 2999.
    const early = analyze(set.nodes, { until: 2999 }).report
    expect(early.topics.block).to.deep.include({ messages: 0, late: 1, coverage: null, receipts: 0, unattributed: 0 })
    expect(early.topics.block.verdicts).to.deep.equal({ accept: 0, ignore: 0, reject: 0 })
    expect(early.topics.tx).to.deep.equal(report.topics.tx)

    const written = await writeReport(dir)
    expect(written.files).to.deep.equal(['report.json', 'delay-cdf.svg', 'delivery.svg', 'node-delay.svg'])
    expect(written.table).to.match(/^tx +2 +0\.7500 +10 +30 +30 +30 +1\.5 +0\.50$/m)
    expect(written.warnings.join(' ')).to.include('3 trace lines were not events')
  })

  it('reads go-libp2p-pubsub traces (--trace-format pubsub) into the same figures', async () => {
    const ndjson = await mkdtemp(join(tmpdir(), 'gossipchain-report-nd-'))
    const pubsub = await mkdtemp(join(tmpdir(), 'gossipchain-report-ps-'))
    dirs.push(ndjson, pubsub)
    const topics = { tx: '/gossipchain/net-x/tx/1', block: '/gossipchain/net-x/block/1' }
    const peers = await Promise.all([0, 1, 2].map(async () => peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()))
    for (const [i, list] of events().entries()) {
      // In the pubsub format a receipt is stamped when validated (`at`); these events have at = receivedAt.
      const withPeers = list.map(e => 'from' in e ? { ...e, from: peers[(i + 1) % 3] } : e) as NodeEvent[]
      await writeFile(join(ndjson, `node-${i}.ndjson`), withPeers.map(e => JSON.stringify(e) + '\n').join(''))
      const encode = pubsubTraceEncoder({ peerId: peers[i], topics })
      await writeFile(join(pubsub, `node-${i}.ndjson`), withPeers.map(encode).join(''))
    }
    const a = await readTraceSet(ndjson)
    const b = await readTraceSet(pubsub)
    expect(b.nodes.map(n => n.format)).to.deep.equal(['pubsub', 'pubsub', 'pubsub'])
    expect(analyze(b.nodes).report).to.deep.equal(analyze(a.nodes).report)
  })

  it('plots: deliveries per second with empty seconds at 0; per-node median and p90', () => {
    const set = events().map((list, index) => ({
      index,
      file: '',
      format: 'ndjson' as const,
      publishes: list.flatMap(e => e.type === 'publish' ? [{ msgId: e.msgId, topic: e.topic, at: e.publishedAt }] : []),
      receipts: list.flatMap(e => e.type === 'gossip' ? [{ msgId: e.msgId, topic: e.topic, at: e.receivedAt, result: e.result }] : []),
      duplicates: new Map<string, number>(),
      badLines: 0
    }))
    const analysis = analyze(set)
    const delivery = deliverySpec(analysis, { nodes: 3, startedAt: 1000 }) as any
    const received = delivery.data.values.filter((v: any) => v.topic === 'tx' && v.kind === 'received')
    expect(received.map((v: any) => [v.second, v.count])).to.deep.equal([[0, 2], [1, 1], [2, 0]])
    const perNode = nodeDelaySpec(analysis, { nodes: 3 }) as any
    expect(perNode.data.values.filter((v: any) => v.topic === 'tx')).to.deep.equal([
      { node: 0, topic: 'tx', p50: 5, p90: 5, max: 5 }, { node: 1, topic: 'tx', p50: 10, p90: 10, max: 10 }, { node: 2, topic: 'tx', p50: 30, p90: 30, max: 30 }
    ])
  })
})
