// GET /metrics (src/metrics, docs/design.md §10): the gossipchain_* metrics fed by the event stream,
// gossipsub's metrics through its metricsRegister, libp2p's through @libp2p/prometheus-metrics, one
// registry per node; Prometheus' own parser (promtool) reads the output; figures move with traffic;
// labels stay bounded.
import { expect } from 'chai'
import { spawnSync } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { multiaddr } from '@multiformats/multiaddr'
import { Hono } from 'hono'
import { Registry } from 'prom-client'
import { loadConfig } from '../src/config.js'
import { gossipsubMetricsRegister, OTHER_TOPIC } from '../src/metrics/gossipsub-metrics.js'
import { createNodeMetrics } from '../src/metrics/node-metrics.js'
import { NodeEventStream } from '../src/node/events.js'
import { createNode, type GossipchainNode } from '../src/node/index.js'
import { makeTx } from './helpers/fixtures.js'
import { waitFor } from '../src/devnet/index.js'

/** Samples of a Prometheus text exposition: `name{labels}` -> value. */
function samples (text: string): Map<string, number> {
  const out = new Map<string, number>()
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const i = line.lastIndexOf(' ')
    out.set(line.slice(0, i), Number(line.slice(i + 1)))
  }
  return out
}

function value (text: string, series: string): number | undefined {
  return samples(text).get(series)
}

/** Series of `name` (any labels). */
function seriesOf (text: string, name: string): string[] {
  return [...samples(text).keys()].filter(k => k === name || k.startsWith(`${name}{`))
}

/** promtool check metrics: exit 0 (clean) or 3 (lint remarks); 1 means it could not parse. */
function promtool (text: string): { status: number | null, remarks: string[] } {
  const run = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' })
  if (run.error !== undefined) throw run.error
  return { status: run.status, remarks: `${run.stdout}${run.stderr}`.split('\n').filter(l => l.trim() !== '') }
}

describe('metrics (src/metrics)', function () {
  describe('gossipsub metricsRegister on prom-client', function () {
    it('creates gauges, histograms and avg/min/max gauges; topic labels are tx, block or other', async () => {
      const registry = new Registry()
      const topics = new Map([['/gossipchain/n/tx/1', 'tx'], ['/gossipchain/n/block/1', 'block']])
      const register = gossipsubMetricsRegister({ registry, topicLabels: topics }) as any
      const peers = register.gauge({ name: 'gossipsub_topic_peer_count', help: 'peers', labelNames: ['topicStr'] })
      peers.set({ topicStr: '/gossipchain/n/tx/1' }, 3)
      peers.set({ topicStr: 'block' }, 2) // gossipsub maps some labels itself
      for (let i = 0; i < 50; i++) peers.inc({ topicStr: `/spam/${i}` }) // a peer's made-up topics
      let collected = 0
      const plain = register.gauge({ name: 'gossipsub_cache_size', help: 'size' })
      plain.addCollect((g: any) => { collected++; g.set(7) })
      const histogram = register.histogram({ name: 'gossipsub_msg_publish_seconds', help: 'publish', labelNames: ['topic'], buckets: [0.1, 1] })
      histogram.observe({ topic: '/gossipchain/n/block/1' }, 0.5)
      histogram.startTimer()()
      const score = register.avgMinMax({ name: 'gossipsub_score', help: 'scores' })
      score.set([1, -3, 8])
      const weights = register.avgMinMax({ name: 'gossipsub_score_weights', help: 'weights', labelNames: ['topic', 'p'] })
      weights.set({ topic: '/gossipchain/n/tx/1', p: 'p1' }, [2, 4])

      const text = await registry.metrics()
      expect(collected).to.equal(1)
      expect(value(text, 'gossipsub_cache_size')).to.equal(7)
      expect(seriesOf(text, 'gossipsub_topic_peer_count').sort()).to.deep.equal([
        'gossipsub_topic_peer_count{topicStr="block"}', `gossipsub_topic_peer_count{topicStr="${OTHER_TOPIC}"}`, 'gossipsub_topic_peer_count{topicStr="tx"}'
      ])
      expect(value(text, `gossipsub_topic_peer_count{topicStr="${OTHER_TOPIC}"}`)).to.equal(50)
      expect(value(text, 'gossipsub_msg_publish_seconds_bucket{le="1",topic="block"}')).to.equal(1)
      expect(value(text, 'gossipsub_score_avg')).to.equal(2)
      expect(value(text, 'gossipsub_score_min')).to.equal(-3)
      expect(value(text, 'gossipsub_score_max')).to.equal(8)
      expect(value(text, 'gossipsub_score_weights_avg{topic="tx",p="p1"}')).to.equal(3)
      weights.set({ topic: '/gossipchain/n/tx/1', p: 'p1' }, [])
      expect(seriesOf(await registry.metrics(), 'gossipsub_score_weights_avg')).to.deep.equal([])
    })
  })

  describe('gossipchain_* metrics from the event stream', function () {
    it('count gossip verdicts, publishes, duplicates, syncs, reorgs, penalties, bans; observe propagation delay', async () => {
      const registry = new Registry()
      const events = new NodeEventStream({ now: () => 1_000_000 })
      const metrics = createNodeMetrics({ registry, events })
      const before = await registry.metrics()
      expect(value(before, 'gossipchain_gossip_messages_total{topic="tx",result="accept"}')).to.equal(0)
      expect(value(before, 'gossipchain_chain_height')).to.equal(0)

      const msg = { topic: 'tx' as const, id: 'i', msgId: 'm', from: 'p', bytes: 10 }
      events.emit({ type: 'gossip', ...msg, receivedAt: 1_000_000, createdAt: 1_000_000 - 30, result: 'accept' })
      events.emit({ type: 'gossip', ...msg, receivedAt: 1_000_000, createdAt: 1_000_000 + 5000, result: 'accept' }) // clock skew: counts as 0
      events.emit({ type: 'gossip', ...msg, topic: 'block', receivedAt: 1_000_000, result: 'reject', code: 'BLOCK_BAD_POW' })
      events.emit({ type: 'duplicate', topic: 'tx', msgId: 'm', from: 'q' })
      events.emit({ type: 'publish', topic: 'block', id: 'b', msgId: 'n', recipients: 2, publishedAt: 1, bytes: 5 })
      events.emit({ type: 'sync', peer: 'p', reason: 'unknown-parent', outcome: 'synced', imported: 2, batches: 1, durationMs: 5 })
      events.emit({ type: 'reorg', forkPoint: 'f', disconnected: ['x'], connected: ['y', 'z'], restoredTxs: 0 })
      events.emit({ type: 'penalty', peer: 'p', points: 20, reason: 'r', score: -20 })
      events.emit({ type: 'ban', peer: 'p', reason: 'r', untilMs: 5 })
      metrics.bindSources({
        chain: { height: 12, head: { work: 2n ** 60n }, mempool: { count: 3, bytes: 1500 } },
        peerCount: () => 4,
        meshPeers: () => ({ tx: ['a', 'b'], block: ['a'] })
      })

      const text = await registry.metrics()
      expect(value(text, 'gossipchain_gossip_messages_total{topic="tx",result="accept"}')).to.equal(2)
      expect(value(text, 'gossipchain_gossip_messages_total{topic="block",result="reject"}')).to.equal(1)
      expect(value(text, 'gossipchain_gossip_duplicates_total{topic="tx"}')).to.equal(1)
      expect(value(text, 'gossipchain_gossip_published_total{topic="block"}')).to.equal(1)
      expect(value(text, 'gossipchain_gossip_propagation_delay_seconds_count{topic="tx"}')).to.equal(2)
      expect(value(text, 'gossipchain_gossip_propagation_delay_seconds_bucket{le="0.025",topic="tx"}')).to.equal(1) // the skewed one, at 0
      expect(value(text, 'gossipchain_gossip_propagation_delay_seconds_bucket{le="0.05",topic="tx"}')).to.equal(2)
      expect(value(text, 'gossipchain_gossip_propagation_delay_seconds_sum{topic="tx"}')).to.be.closeTo(0.03, 1e-9)
      expect(value(text, 'gossipchain_sync_requests_total{reason="unknown-parent"}')).to.equal(1)
      expect(value(text, 'gossipchain_sync_outcomes_total{outcome="synced"}')).to.equal(1)
      expect(value(text, 'gossipchain_reorgs_total')).to.equal(1)
      expect(value(text, 'gossipchain_peer_penalties_total')).to.equal(1)
      expect(value(text, 'gossipchain_peer_bans_total')).to.equal(1)
      expect(value(text, 'gossipchain_chain_height')).to.equal(12)
      expect(value(text, 'gossipchain_chain_work')).to.equal(2 ** 60)
      expect(value(text, 'gossipchain_mempool_txs')).to.equal(3)
      expect(value(text, 'gossipchain_mempool_bytes')).to.equal(1500)
      expect(value(text, 'gossipchain_peers')).to.equal(4)
      expect(value(text, 'gossipchain_mesh_peers{topic="tx"}')).to.equal(2)
      expect(value(text, 'gossipchain_mesh_peers{topic="block"}')).to.equal(1)

      metrics.close()
      events.emit({ type: 'reorg', forkPoint: 'f', disconnected: [], connected: [], restoredTxs: 0 })
      expect(value(await registry.metrics(), 'gossipchain_reorgs_total')).to.equal(1)
    })

    it('labels HTTP requests by route pattern, never by the path asked for', async () => {
      const registry = new Registry()
      const metrics = createNodeMetrics({ registry, events: new NodeEventStream() })
      const app = new Hono()
      app.use('*', metrics.httpMiddleware)
      app.get('/blocks/:hash', c => c.json({ hash: c.req.param('hash') }, c.req.param('hash') === 'missing' ? 404 : 200))
      app.route('/metrics', metrics.routes)
      for (let i = 0; i < 40; i++) expect((await app.request(`/blocks/${i.toString(16).padStart(64, '0')}`)).status).to.equal(200)
      expect((await app.request('/blocks/missing')).status).to.equal(404)
      for (let i = 0; i < 40; i++) expect((await app.request(`/nowhere/${i}`)).status).to.equal(404)
      expect((await app.request('/blocks/x', { method: 'BREW' })).status).to.equal(404)
      const res = await app.request('/metrics')
      expect(res.headers.get('content-type')).to.equal('text/plain; version=0.0.4; charset=utf-8')
      const text = await res.text()
      expect(seriesOf(text, 'gossipchain_http_requests_total').sort()).to.deep.equal([
        'gossipchain_http_requests_total{route="/blocks/:hash",method="GET",status="200"}',
        'gossipchain_http_requests_total{route="/blocks/:hash",method="GET",status="404"}',
        'gossipchain_http_requests_total{route="unmatched",method="GET",status="404"}',
        'gossipchain_http_requests_total{route="unmatched",method="OTHER",status="404"}'
      ])
      expect(value(text, 'gossipchain_http_requests_total{route="/blocks/:hash",method="GET",status="200"}')).to.equal(40)
      expect(value(text, 'gossipchain_http_requests_total{route="unmatched",method="GET",status="404"}')).to.equal(40)
      expect(value(text, 'gossipchain_http_request_duration_seconds_count{route="/blocks/:hash",method="GET"}')).to.equal(41)
    })
  })

  describe('GET /metrics of live nodes', function () {
    this.timeout(90_000)
    const nodes: GossipchainNode[] = []
    const dirs: string[] = []
    after(async () => {
      await Promise.all(nodes.map(async n => { await n.stop() }))
      await Promise.all(dirs.map(async d => { await rm(d, { recursive: true, force: true }) }))
    })

    it('two nodes in one process: each registry has its own libp2p, gossipsub and gossipchain figures, which move with a tx; promtool parses them', async () => {
      const make = async (): Promise<GossipchainNode> => {
        const dataDir = await mkdtemp(join(tmpdir(), 'gossipchain-metrics-'))
        dirs.push(dataDir)
        const n = await createNode(loadConfig({
          env: {}, flags: { dataDir, httpHost: '127.0.0.1', httpPort: 0, p2pHost: '127.0.0.1', p2pPort: 0, bits: 8, logLevel: 'silent' }
        }), { log: () => {} })
        nodes.push(n)
        return n
      }
      // Both created before either starts: the order that mixed up a shared libp2p metrics map.
      const a = await make()
      const b = await make()
      await a.start()
      await b.start()
      const scrape = async (n: GossipchainNode): Promise<string> => {
        const res = await fetch(`${n.httpUrl}/metrics`)
        expect(res.status).to.equal(200)
        return await res.text()
      }
      const idleB = await scrape(b)
      expect(value(idleB, 'gossipchain_peers')).to.equal(0)
      expect(value(idleB, 'gossipchain_gossip_messages_total{topic="tx",result="accept"}')).to.equal(0)

      await b.host.dial(multiaddr(a.host.getMultiaddrs()[0].toString()))
      await waitFor('a and b in each other\'s tx mesh', () =>
        a.host.services.gossip.meshPeers().tx.includes(b.peerId) && b.host.services.gossip.meshPeers().tx.includes(a.peerId) ? true : undefined)
      const tx = makeTx(a.chain.networkId, 'metered record', { timestamp: Math.floor(Date.now() / 1000) })
      const posted = await fetch(`${a.httpUrl}/new_transaction`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(tx) })
      expect(posted.status).to.equal(201)
      const textB = await waitFor('b to count the tx', async () => {
        const text = await scrape(b)
        return value(text, 'gossipchain_gossip_messages_total{topic="tx",result="accept"}') === 1 ? text : undefined
      })
      const textA = await scrape(a)

      expect(value(textB, 'gossipchain_peers')).to.equal(1)
      expect(value(textB, 'gossipchain_mesh_peers{topic="tx"}')).to.equal(1)
      expect(value(textB, 'gossipchain_mempool_txs')).to.equal(1)
      expect(value(textB, 'gossipchain_gossip_propagation_delay_seconds_count{topic="tx"}')).to.equal(1)
      expect(value(textA, 'gossipchain_gossip_published_total{topic="tx"}')).to.equal(1)
      expect(value(textA, 'gossipchain_gossip_messages_total{topic="tx",result="accept"}')).to.equal(0)
      expect(value(textA, 'gossipchain_http_requests_total{route="/new_transaction",method="POST",status="201"}')).to.equal(1)
      expect(value(textB, 'gossipchain_http_requests_total{route="/new_transaction",method="POST",status="201"}')).to.equal(undefined)
      // libp2p's metrics, per node: b dialed a.
      expect(value(textA, 'libp2p_connection_manager_connections{libp2p_connection_manager_connections="inbound"}')).to.equal(1)
      expect(value(textB, 'libp2p_connection_manager_connections{libp2p_connection_manager_connections="outbound"}')).to.equal(1)
      expect(value(textA, 'libp2p_connection_manager_connections{libp2p_connection_manager_connections="outbound"}')).to.equal(0)
      // gossipsub's, per node, topics as tx/block.
      expect(value(textA, 'gossipsub_msg_publish_count_total{topic="tx"}')).to.equal(1)
      expect(value(textB, 'gossipsub_pre_validation_valid_total{topic="tx"}')).to.equal(1)
      expect(value(textB, 'gossipsub_topic_subscription_status{topicStr="tx"}')).to.equal(1)
      // process defaults.
      expect(seriesOf(textB, 'process_cpu_user_seconds_total')).to.have.length(1)
      expect(seriesOf(textB, 'nodejs_heap_size_used_bytes')).to.have.length(1)

      for (const text of [textA, textB]) {
        // No peer id or item id in any label of any metric.
        for (const id of [a.peerId, b.peerId, tx.id]) expect(text).to.not.include(id)
        const { status, remarks } = promtool(text)
        expect(status, remarks.join('\n')).to.be.oneOf([0, 3]) // 3: lint remarks only, about gossipsub's and nodejs' own names
        expect(remarks.filter(r => r.startsWith('gossipchain_')), 'lint remarks on our metrics').to.deep.equal([])
      }
      // ?name= serves only the metrics named (the devnet polls it); anything but metric names is refused.
      const some = await (await fetch(`${b.httpUrl}/metrics?name=gossipchain_peers,gossipchain_chain_height,nope`)).text()
      expect([...samples(some).keys()].sort()).to.deep.equal(['gossipchain_chain_height', 'gossipchain_peers'])
      const bad = await fetch(`${b.httpUrl}/metrics?name=gossipchain_peers,${encodeURIComponent('x{y="1"}')}`)
      expect(bad.status).to.equal(400)
      expect(await bad.json()).to.include({ code: 'BAD_QUERY' })
      // The check can fail: a broken exposition is refused.
      expect(promtool('gossipchain_x{a="1" 2\n').status).to.equal(1)
    })
  })
})
