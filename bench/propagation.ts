// Benchmark 4, propagation (docs/design.md §11): N node processes on 127.0.0.1 in a random connected topology;
// txs posted at random nodes; per tx, the time from the POST until every node has it, from the nodes'
// `--trace` NDJSON gossip events (docs/design.md §10).
import { readFile } from 'node:fs/promises'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import { diameter as graphDiameter, peersOf, type Edge, type NodeProcess } from '../src/devnet/index.js'
import { cpuSeconds, fmt, log, median, percentile, pollUntil, prng, row, sleep, withResources, type BenchSection, type RunOptions } from './harness.js'
import { pendingCount, postRaw, startBenchNode, waitForFullMeshes } from './nodes.js'
import { signTxs } from './tx-pool.js'

const IDLE_WINDOW_MS = 1000
/** Nodes started at once: tsx start-up is CPU-bound and this machine may have 2 cores. */
const START_BATCH = 4

interface Posted { id: string, origin: number, postedAt: number, answeredAt: number, status: number }

/** First accepted gossip receipt per tx id in one node's trace. */
async function txReceipts (traceFile: string): Promise<Map<string, number>> {
  const out = new Map<string, number>()
  const text = await readFile(traceFile, 'utf8').catch(() => '')
  for (const line of text.split('\n')) {
    if (line === '') continue
    let event: { type?: string, topic?: string, id?: string, receivedAt?: number, result?: string }
    try { event = JSON.parse(line) } catch { continue }
    if (event.type !== 'gossip' || event.topic !== 'tx' || event.result !== 'accept' || typeof event.id !== 'string' || typeof event.receivedAt !== 'number') continue
    if (!out.has(event.id)) out.set(event.id, event.receivedAt)
  }
  return out
}

/** Longest shortest path of the connection graph (hops), from each node's GET /peers. */
async function diameter (nodes: NodeProcess[]): Promise<number> {
  const index = new Map(nodes.map((n, i) => [n.peerId, i]))
  const edges: Edge[] = []
  for (const [i, n] of nodes.entries()) {
    for (const p of await peersOf(n)) {
      const j = index.get(p.peerId)
      if (j !== undefined && i < j) edges.push([i, j])
    }
  }
  return graphDiameter(nodes.length, edges)
}

export async function propagationBenchmark (opts: RunOptions): Promise<BenchSection> {
  const n = opts.nodes
  const m = opts.quick ? 50 : 200
  const section: BenchSection = {
    id: 'propagation',
    title: '4. Propagation',
    method: [
      `${n} node processes (src/devnet, compiled, \`--trace FILE\`) on 127.0.0.1; node i bootstraps 2 random`,
      `earlier nodes (seed ${opts.seed}); the run waits until every node has every connected peer in both gossip meshes`,
      `(GET /peers \`mesh: ['tx','block']\`). Then ${m} pre-signed txs are POSTed one at a time, one every ${opts.postIntervalMs} ms`,
      `(light load)${opts.quick ? '' : `, then ${m} more at one every ${Math.max(1, Math.round(opts.postIntervalMs / 5))} ms (heavy load)`}, each to a`,
      'random node. A tx\'s arrival at a node is the `receivedAt` of its first accepted `{type:"gossip"}` trace event there',
      '(the moment the validator received it; the origin node counts from its 201 answer); its propagation time is the',
      'latest arrival minus the wall-clock time just before its POST (one clock: every process runs on this machine).',
      'Coverage is checked twice: trace events, and every node\'s mempool count (GET /node_info) at the end.',
      'Reference: the median POST /new_transaction answer time at the origin (one node verifying, pooling and answering).'
    ].join(' '),
    rows: [],
    details: []
  }

  await withResources(async res => {
    const rng = prng(opts.seed)
    const dirs: string[] = []
    const nodes: NodeProcess[] = []
    const tStart = performance.now()
    const startOne = async (i: number, bootstrap: string[]): Promise<NodeProcess> => {
      const dataDir = await res.tempDir(`prop${i}`)
      dirs[i] = dataDir
      return await startBenchNode(res, { dataDir, bootstrap, extraArgs: ['--trace', join(dataDir, 'trace.ndjson')] })
    }
    nodes.push(await startOne(0, []))
    for (let first = 1; first < n; first += START_BATCH) {
      // Each node of a batch bootstraps 2 random nodes started before the batch (node 0 only, for the first batch).
      const batch = Array.from({ length: Math.min(START_BATCH, n - first) }, (_, k) => first + k)
      const choices = batch.map(() => {
        const candidates = Array.from({ length: first }, (_, j) => j)
        const picks: number[] = []
        while (picks.length < Math.min(2, first)) picks.push(candidates.splice(Math.floor(rng() * candidates.length), 1)[0])
        return picks
      })
      const started = await Promise.all(batch.map(async (i, k) => await startOne(i, choices[k].map(j => nodes[j].multiaddr))))
      nodes.push(...started)
    }
    log(`propagation: ${n} nodes started in ${((performance.now() - tStart) / 1000).toFixed(1)} s`)
    const meshed = await waitForFullMeshes(nodes, 60_000)
    const hops = await diameter(nodes)
    const degrees = await Promise.all(nodes.map(async node => (await peersOf(node)).length))
    log(`propagation: meshes ${meshed ? 'formed' : 'NOT formed'}, diameter ${hops} hops`)

    // What the idle network costs: CPU of every node process over a quiet second.
    const pids = nodes.map(node => node.child.pid)
    const idle0 = pids.map(pid => cpuSeconds(pid))
    await sleep(IDLE_WINDOW_MS)
    const idleShare = pids.reduce<number>((sum, pid, i) => sum + cpuSeconds(pid) - idle0[i], 0) / (IDLE_WINDOW_MS / 1000) / availableParallelism()

    // Phases share the network: light load first (the latency the bar is about), then the same count 5x faster.
    const phases = opts.quick
      ? [{ name: 'light load', intervalMs: opts.postIntervalMs }]
      : [{ name: 'light load', intervalMs: opts.postIntervalMs }, { name: 'heavy load', intervalMs: Math.max(1, Math.round(opts.postIntervalMs / 5)) }]
    const txs = await signTxs(m * phases.length, { tag: 7, timestamp: Math.floor(Date.now() / 1000) })
    const bodies = txs.map(tx => JSON.stringify(tx))
    const posted: Posted[][] = []
    const networkCpu: number[] = []
    const phaseSeconds: number[] = []
    const counts: number[][] = []
    let acceptedSoFar = 0
    for (const [phase, { intervalMs }] of phases.entries()) {
      const batch: Posted[] = []
      const busy0 = pids.map(pid => cpuSeconds(pid))
      const phaseStart = performance.now()
      for (let k = phase * m; k < (phase + 1) * m; k++) {
        const origin = Math.floor(rng() * n)
        const t = performance.now()
        const postedAt = Date.now()
        const status = await postRaw(`${nodes[origin].url}/new_transaction`, bodies[k]).catch(() => 0)
        batch.push({ id: txs[k].id, origin, postedAt, answeredAt: Date.now(), status })
        const wait = intervalMs - (performance.now() - t)
        if (wait > 0) await sleep(wait)
      }
      acceptedSoFar += batch.filter(p => p.status === 201).length
      const target = acceptedSoFar
      counts.push(await pollUntil(async () => {
        const c = await Promise.all(nodes.map(pendingCount))
        return c.every(x => x >= target) ? c : undefined
      }, 15_000, 100) ?? await Promise.all(nodes.map(async node => await pendingCount(node).catch(() => -1))))
      networkCpu.push(pids.reduce<number>((sum, pid, i) => sum + cpuSeconds(pid) - busy0[i], 0))
      phaseSeconds.push((performance.now() - phaseStart) / 1000)
      posted.push(batch)
    }
    // Stop cleanly so every trace is flushed and closed before it is read.
    await Promise.all(nodes.map(async node => await node.stop()))
    const receipts = await Promise.all(dirs.map(async dir => await txReceipts(join(dir, 'trace.ndjson'))))

    section.details.push(`Topology: ${n} nodes, connections per node min ${Math.min(...degrees)} / median ${median(degrees)} / max ${Math.max(...degrees)}, ` +
      `diameter ${hops} hops; meshes ${meshed ? 'formed' : 'NOT all formed within 60 s'}. The ${n} idle nodes together use ${(idleShare * 100).toFixed(0)}% of the machine.`)
    const barNote = n >= 20 ? undefined : `the bar is set for 20 nodes; this run has ${n}`
    for (const [phase, { name, intervalMs }] of phases.entries()) {
      const ok = posted[phase].filter(p => p.status === 201)
      const perTx: number[] = []
      const perDelivery: number[] = []
      let delivered = 0
      for (const p of ok) {
        let worst = p.answeredAt - p.postedAt
        let complete = true
        for (let i = 0; i < n; i++) {
          if (i === p.origin) { delivered++; continue }
          const at = receipts[i].get(p.id)
          if (at === undefined) { complete = false; continue }
          delivered++
          perDelivery.push(at - p.postedAt)
          worst = Math.max(worst, at - p.postedAt)
        }
        if (complete) perTx.push(worst)
      }
      perTx.sort((a, b) => a - b)
      perDelivery.sort((a, b) => a - b)
      const expected = m * n
      const coverage = delivered / expected
      const ref = { label: 'median POST answer at the origin', value: median(ok.map(p => p.answeredAt - p.postedAt)), unit: 'ms' }
      const label = `${name}, 1 tx / ${intervalMs} ms`
      section.rows.push(row({
        group: section.title, metric: `${label}: coverage, ${n} nodes x ${m} txs`, value: delivered, unit: 'deliveries',
        reference: { label: 'txs x nodes', value: expected, unit: 'deliveries' }, ratioLabel: 'coverage', bar: '100% coverage', meets: coverage === 1,
        note: `${perTx.length}/${m} txs reached every node; mempool counts after the phase (cumulative, expected ${posted.slice(0, phase + 1).flat().filter(p => p.status === 201).length}): min ${Math.min(...counts[phase])}, max ${Math.max(...counts[phase])}`
      }))
      for (const p of [50, 90, 99]) {
        const v = percentile(perTx, p)
        section.rows.push(row({
          group: section.title, metric: `${label}: p${p} time to every node`, value: v, unit: 'ms', reference: ref, ratioLabel: 'x one-node ingest',
          bar: p === 99 ? 'p99 <= 50 ms at 20 nodes' : undefined,
          meets: p === 99 ? (v <= 50 && coverage === 1 ? (n >= 20 ? true : undefined) : false) : undefined,
          note: p === 99 ? barNote : undefined
        }))
      }
      section.rows.push(row({ group: section.title, metric: `${label}: max time to every node`, value: perTx[perTx.length - 1] ?? Number.NaN, unit: 'ms', reference: ref, ratioLabel: 'x one-node ingest' }))
      section.details.push(`${label}: ${ok.length}/${m} POSTs answered 201; all nodes together spent ${(networkCpu[phase] / m * 1000).toFixed(1)} ms of CPU per tx ` +
        `(${(networkCpu[phase] / m / n * 1e6).toFixed(0)} us per node); the nodes kept ${(networkCpu[phase] / phaseSeconds[phase] / availableParallelism() * 100).toFixed(0)}% ` +
        `of the machine busy (${(m / phaseSeconds[phase]).toFixed(1)} tx/s achieved, ${(1000 / intervalMs).toFixed(0)} asked). ` +
        `Single deliveries (one tx at one non-origin node): p50 ${fmt(percentile(perDelivery, 50))} ms, p90 ${fmt(percentile(perDelivery, 90))} ms, ` +
        `p99 ${fmt(percentile(perDelivery, 99))} ms, max ${fmt(perDelivery[perDelivery.length - 1] ?? Number.NaN)} ms.`)
      log(`propagation ${label}: coverage ${(coverage * 100).toFixed(2)}%, p50 ${fmt(percentile(perTx, 50))} ms, p99 ${fmt(percentile(perTx, 99))} ms`)
    }
  })
  return section
}
