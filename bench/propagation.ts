// Benchmark 4, propagation (docs/design.md §11): a devnet (src/devnet startDevnet: node processes on 127.0.0.1,
// a random connected topology of degree 4, compiled code, `--trace` per node) with signed txs posted at 50 tx/s
// to random nodes and node 0 mining a block every 2 s; per tx and per block, the time until the last node
// received it, from the nodes' NDJSON traces (docs/design.md §10 gossip and publish events).
import { readFile } from 'node:fs/promises'
import { availableParallelism } from 'node:os'
import { startDevnet, diameter } from '../src/devnet/index.js'
import { cpuSeconds, fmt, log, median, percentile, pollUntil, prng, row, sleep, withResources, writeResult, type BenchSection, type RunOptions } from './harness.js'
import { benchNodeArgs, nodeHttpClient, pendingCount } from './nodes.js'
import { signTxs } from './tx-pool.js'

const DEGREE = 4
const TX_RATE = 50
const BLOCK_INTERVAL_MS = 2000
const BAR = 'p99 <= 50 ms at 20 nodes, coverage 100%'

interface Posted { id: string, origin: number, postedAt: number, answeredAt: number, status: number }
interface Trace {
  /** First accepted gossip receipt per item id, by topic. */
  first: { tx: Map<string, number>, block: Map<string, number> }
  /** Blocks this node published (mined): hash -> publishedAt. */
  published: Map<string, number>
}

async function readTrace (file: string): Promise<Trace> {
  const trace: Trace = { first: { tx: new Map(), block: new Map() }, published: new Map() }
  const text = await readFile(file, 'utf8').catch(() => '')
  for (const line of text.split('\n')) {
    if (line === '') continue
    let e: { type?: string, topic?: string, id?: string, receivedAt?: number, publishedAt?: number, at?: number, result?: string }
    try { e = JSON.parse(line) } catch { continue }
    if (typeof e.id !== 'string' || (e.topic !== 'tx' && e.topic !== 'block')) continue
    if (e.type === 'gossip' && e.result === 'accept' && typeof e.receivedAt === 'number' && !trace.first[e.topic].has(e.id)) trace.first[e.topic].set(e.id, e.receivedAt)
    if (e.type === 'publish' && e.topic === 'block') trace.published.set(e.id, e.publishedAt ?? e.at ?? Number.NaN)
  }
  return trace
}

/** Per item: the latest first receipt over every other node minus its start; coverage over all nodes. */
function spread (items: Array<{ id: string, origin: number, start: number }>, traces: Trace[], topic: 'tx' | 'block'): { perItem: number[], perDelivery: number[], delivered: number, expected: number } {
  const perItem: number[] = []
  const perDelivery: number[] = []
  let delivered = 0
  for (const item of items) {
    let worst = 0
    let complete = true
    for (const [i, t] of traces.entries()) {
      if (i === item.origin) { delivered++; continue }
      const at = t.first[topic].get(item.id)
      if (at === undefined) { complete = false; continue }
      delivered++
      perDelivery.push(at - item.start)
      worst = Math.max(worst, at - item.start)
    }
    if (complete) perItem.push(worst)
  }
  perItem.sort((a, b) => a - b)
  perDelivery.sort((a, b) => a - b)
  return { perItem, perDelivery, delivered, expected: items.length * traces.length }
}

export async function propagationBenchmark (opts: RunOptions): Promise<BenchSection> {
  const n = opts.nodes
  const seconds = opts.quick ? 6 : 10
  const m = TX_RATE * seconds
  const section: BenchSection = {
    id: 'propagation',
    title: '4. Propagation',
    method: [
      `${n} node processes (src/devnet \`startDevnet\`: compiled, 127.0.0.1, \`--trace FILE\` each) in a random connected topology of degree ${DEGREE}`,
      `(seed ${opts.seed}); the run waits until every link is up and in both gossip meshes. Node 0 auto-mines every ${BLOCK_INTERVAL_MS / 1000} s`,
      `(\`--mine-interval ${BLOCK_INTERVAL_MS}\`, bits 8); ${m} pre-signed txs are POSTed at ${TX_RATE} tx/s for ${seconds} s, each to a random node, from`,
      'a keep-alive node:http client, each POST at its scheduled time. A tx\'s or block\'s arrival at a node is the `receivedAt` of its',
      'first accepted `{type:"gossip"}` trace event there; a tx\'s time to every node is the latest arrival minus the wall-clock',
      'time just before its POST, a block\'s the latest arrival minus its `publish` event at the miner (one clock: every process',
      'runs on this machine). Blocks published during the load count. Coverage: deliveries / (items x nodes). Reference: the',
      'median POST /new_transaction answer time at the origin (one node verifying, pooling and answering).'
    ].join(' '),
    rows: [],
    details: []
  }

  await withResources(async res => {
    const traceDir = await res.tempDir('traces')
    const t0 = performance.now()
    const devnet = await startDevnet({ nodes: n, degree: DEGREE, seed: opts.seed, traceDir, mineInterval: BLOCK_INTERVAL_MS, minerNodes: [0], nodeArgs: benchNodeArgs() })
    res.defer(async () => await devnet.stop())
    const nodes = devnet.nodes
    log(`propagation: ${n} nodes started in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
    let meshed = true
    await devnet.waitForMeshes({ timeoutMs: 120_000 }).catch(() => { meshed = false })
    const hops = diameter(n, [...devnet.edges])
    log(`propagation: meshes ${meshed ? 'formed' : 'NOT formed'}, diameter ${hops} hops`)

    const txs = await signTxs(m, { tag: 7, timestamp: Math.floor(Date.now() / 1000) })
    const bodies = txs.map(tx => JSON.stringify(tx))
    const rng = prng(opts.seed)
    const client = nodeHttpClient(64)
    res.defer(async () => { client.close() })
    const posters = nodes.map(node => client.poster(`${node.url}/new_transaction`))
    const pids = nodes.map(node => node.child.pid)
    const busy0 = pids.map(pid => cpuSeconds(pid))
    const posted: Posted[] = []
    const loadStart = Date.now()
    const start = performance.now()
    const inFlight: Array<Promise<void>> = []
    for (let k = 0; k < m; k++) {
      const due = start + k * 1000 / TX_RATE
      const wait = due - performance.now()
      if (wait > 0) await sleep(wait)
      const origin = Math.floor(rng() * n)
      const postedAt = Date.now()
      inFlight.push(posters[origin](bodies[k]).catch(() => 0).then(status => { posted.push({ id: txs[k].id, origin, postedAt, answeredAt: Date.now(), status }) }))
    }
    await Promise.all(inFlight)
    const loadSeconds = (performance.now() - start) / 1000
    const loadEnd = Date.now()
    // Let every accepted tx reach every node (pending or already in a block; a saturated machine queues
    // them), then one more block interval for the last block, then stop cleanly so every trace is flushed.
    const known = async (id: string): Promise<boolean> => (await Promise.all(nodes.map(async node =>
      await fetch(`${node.url}/tx/${id}`).then(async r => { await r.arrayBuffer(); return r.ok }, () => false)))).every(Boolean)
    const drained = await pollUntil(async () => {
      for (const p of posted) if (p.status === 201 && !await known(p.id)) return undefined
      return performance.now()
    }, 90_000, 500)
    const drainSeconds = drained === undefined ? Number.NaN : (drained - start) / 1000 - loadSeconds
    await sleep(BLOCK_INTERVAL_MS + 500)
    const networkCpu = pids.reduce<number>((sum, pid, i) => sum + cpuSeconds(pid) - busy0[i], 0)
    const counts = await Promise.all(nodes.map(async node => await pendingCount(node).catch(() => -1)))
    await devnet.stop()
    const traces = await Promise.all(nodes.map(async (_, i) => await readTrace(devnet.tracePath(i)!)))

    const ok = posted.filter(p => p.status === 201)
    const txSpread = spread(ok.map(p => ({ id: p.id, origin: p.origin, start: p.postedAt })), traces, 'tx')
    const blocks = [...traces[0].published].filter(([, at]) => at >= loadStart && at <= loadEnd + BLOCK_INTERVAL_MS).map(([id, at]) => ({ id, origin: 0, start: at }))
    const blockSpread = spread(blocks, traces, 'block')
    const ref = { label: 'median POST answer at the origin', value: median(ok.map(p => p.answeredAt - p.postedAt)), unit: 'ms' }
    const barNote = n >= 20 ? undefined : `the bar is set for 20 nodes; this run has ${n}`
    for (const [topic, s, items] of [['tx', txSpread, ok.length], ['block', blockSpread, blocks.length]] as const) {
      const coverage = s.expected === 0 ? 0 : s.delivered / s.expected
      section.rows.push(row({
        group: section.title, metric: `${topic}s: coverage, ${n} nodes x ${items} ${topic}s`, value: s.delivered, unit: 'deliveries',
        reference: { label: `${topic}s x nodes`, value: s.expected, unit: 'deliveries' }, ratioLabel: 'coverage', bar: '100% coverage', meets: coverage === 1,
        note: `${s.perItem.length}/${items} reached every node`
      }))
      for (const p of [50, 90, 99]) {
        const v = percentile(s.perItem, p)
        const r = row({
          group: section.title, metric: `${topic}s: p${p} time to every node (${n} nodes, ${TX_RATE} tx/s + a block every ${BLOCK_INTERVAL_MS / 1000} s)`, value: v, unit: 'ms',
          reference: ref, ratioLabel: 'x one-node ingest',
          bar: p === 99 ? BAR : undefined, meets: p === 99 ? v <= 50 && coverage === 1 && n >= 20 : undefined, note: p === 99 ? barNote : undefined
        })
        section.rows.push(r)
        if (p === 99) await writeResult(`propagation-${topic}`, r)
      }
      section.details.push(`${topic}s: ${items} items, max time to every node ${fmt(s.perItem[s.perItem.length - 1] ?? Number.NaN)} ms; single deliveries (one item at one non-origin node): ` +
        `p50 ${fmt(percentile(s.perDelivery, 50))} ms, p99 ${fmt(percentile(s.perDelivery, 99))} ms.`)
      log(`propagation ${topic}: coverage ${(coverage * 100).toFixed(2)}%, p50 ${fmt(percentile(s.perItem, 50))} ms, p99 ${fmt(percentile(s.perItem, 99))} ms`)
    }
    section.details.push(`Topology: ${n} nodes, ${devnet.edges.length} links, diameter ${hops} hops; meshes ${meshed ? 'formed' : 'NOT all formed within 120 s'}. ` +
      `${ok.length}/${m} POSTs answered 201 (${(m / loadSeconds).toFixed(1)} tx/s achieved); all nodes together spent ${(networkCpu / Math.max(1, ok.length) * 1000).toFixed(1)} ms of CPU per tx ` +
      `(${(networkCpu / Math.max(1, ok.length) / n * 1e6).toFixed(0)} us per node) and kept ${(networkCpu / (loadSeconds + (Number.isNaN(drainSeconds) ? 90 : drainSeconds) + BLOCK_INTERVAL_MS / 1000 + 0.5) / availableParallelism() * 100).toFixed(0)}% of the machine busy; ` +
      `${Number.isNaN(drainSeconds) ? 'NOT every tx reached every node within 90 s after the load' : `every tx was at every node ${drainSeconds.toFixed(1)} s after the load ended`}; mempool counts at the end min ${Math.min(...counts)}, max ${Math.max(...counts)} (blocks confirm txs meanwhile).`)
  })
  return section
}
