// Benchmark 2, signature verification and ingest (docs/design.md §11): the node's verifier pool, then
// POST /new_transaction on a real node process driven by a real load generator (autocannon, bench/load-client.ts,
// in its own process; every request a distinct tx signed before the run), node alone and as the hub of two
// peers, each against the machine's Ed25519 verify capacity (`openssl speed ed25519` verify/s x cores).
import { txSignatureCheck } from '../src/core/tx.js'
import { createNodeVerifier } from '../src/crypto/node-verifier.js'
import { VerifierPool } from '../src/crypto/verifier-pool.js'
import type { Ed25519Tx } from '../src/core/types.js'
import { waitForMesh, type NodeProcess } from '../src/devnet/index.js'
import { cpuSeconds, fmt, log, pollUntil, row, runPool, StopPool, withResources, writeResult, type BenchSection, type Resources, type RunOptions } from './harness.js'
import type { MachineInfo, OpensslReferences } from './machine.js'
import { BIG_MEMPOOL_ARGS, pendingCount, startBenchNode } from './nodes.js'
import { BENCH_NETWORK_ID } from './tx-pool.js'
import { CONNECTIONS, runLoad, startScriptServer, type LoadResult } from './load.js'

const INGEST_BAR = '>= 40% of machine verify capacity, nothing lost'
const CPU_BAR = 'node CPU per tx <= 2 verifies'
const HUB_BAR = 'hub CPU per tx <= 1.3x alone'



/** Every accepted tx must be pending at `node`: the ids that are not. GET /pending_tx is paged (Link: rel="next"). */
async function lostTxs (node: NodeProcess, txs: Ed25519Tx[], accepted: number[]): Promise<string[]> {
  const pending = new Set<string>()
  let path: string | undefined = '/pending_tx?limit=1000'
  for (let pages = 0; path !== undefined && pages < 10_000; pages++) {
    const res: Response = await fetch(`${node.url}${path}`)
    if (!res.ok) throw new Error(`GET ${path} answered ${res.status}`)
    for (const tx of await res.json() as Array<{ id: string }>) pending.add(tx.id)
    path = /<([^>]+)>;\s*rel="next"/.exec(res.headers.get('link') ?? '')?.[1]
  }
  return accepted.map(i => txs[i].id).filter(id => !pending.has(id))
}

/** A bare Node HTTP server in its own process that parses the JSON body and answers 201 {id}. */
const ECHO_SERVER = "const s = require('node:http').createServer((q, r) => { const c = []; q.on('data', d => c.push(d)); q.on('end', () => { " +
  "const b = JSON.parse(Buffer.concat(c).toString()); r.writeHead(201, { 'content-type': 'application/json' }); r.end(JSON.stringify({ message: 'Success', id: b.id })) }) }); " +
  "s.keepAliveTimeout = 60000; s.listen(0, '127.0.0.1', () => process.stdout.write(String(s.address().port) + '\\n'))"


export async function ingestBenchmark (opts: RunOptions, refs: OpensslReferences, machine: MachineInfo, pool: Ed25519Tx[]): Promise<BenchSection> {
  const capacity = refs.ed25519VerifiesPerSec * machine.cores
  const capacityRef = { label: `openssl ed25519 verify x ${machine.cores} cores`, value: capacity, unit: 'verify/s' }
  const verifyUs = 1e6 / refs.ed25519VerifiesPerSec
  const warmCount = opts.quick ? 1000 : 2000
  const rate = opts.quick ? 500 : 1000
  const rateCount = rate * (opts.quick ? 4 : 8)
  const mainCount = Math.min(pool.length - warmCount - 2 * rateCount, opts.quick ? 8000 : 40_000)
  const section: BenchSection = {
    id: 'ingest',
    title: '2. Signature verification and ingest',
    method: [
      `Reference: machine verify capacity = \`openssl speed -seconds ${refs.seconds} ed25519\` verify/s (one core) x ${machine.cores} cores.`,
      'Txs are signed before any timing (src/core/tx.ts signTx, 4 signer seeds, in worker threads).',
      '(a) The node\'s verifier, `VerifierPool` (src/crypto/verifier-pool.ts: one worker thread per core, chunks of checks per',
      'message), over the txs\' signature checks as one batch and as one call per check, and the per-item threadpool verifier',
      '(`createNodeVerifier`, async crypto.verify on libuv\'s threadpool) with 256 in flight, for comparison.',
      '(b) A node process (src/devnet, compiled, `--mempool-max-count 1000000`) and a load generator in its own process',
      `(bench/load-client.ts: autocannon, ${CONNECTIONS} keep-alive connections, one request per pre-signed tx, every request a`,
      `distinct tx): ${warmCount.toLocaleString('en')} txs of warm-up, then ${mainCount.toLocaleString('en')} as fast as they are answered. Rate = 201 answers / the`,
      'load generator\'s duration. Afterwards every tx answered 201 must be listed by GET /pending_tx (nothing lost). CPU per tx',
      'is the node process\'s CPU time (all threads: verifier workers included) over the run / 201 answers, against one OpenSSL',
      `verify. (c) The same node first alone, then with 2 peers bootstrapped to it (meshes formed), each time ${rateCount.toLocaleString('en')} other`,
      `txs at a fixed ${rate} tx/s: the hub's CPU per tx with peers against alone; each peer must hold every tx afterwards.`,
      'The load generator, the node and its peers share the machine\'s cores: their CPU per tx is listed. The "ceiling" row',
      'runs the same load generator against a bare Node HTTP server that only parses the body and answers 201.'
    ].join(' '),
    rows: [],
    details: []
  }

  // (a) the verifier
  const checks = pool.slice(0, opts.quick ? 5000 : 20_000).map(tx => txSignatureCheck(tx, BENCH_NETWORK_ID))
  const verifier = new VerifierPool()
  try {
    await verifier.verifyMany(checks.slice(0, 500)) // workers started, keys cached, JIT warm
    for (const shape of ['one batch', 'one call per check'] as const) {
      const t0 = performance.now()
      const cpu0 = process.cpuUsage()
      const results = shape === 'one batch'
        ? await verifier.verifyMany(checks)
        : await Promise.all(checks.map(async c => (await verifier.verifyMany([c]))[0]))
      const seconds = (performance.now() - t0) / 1000
      const cpu = process.cpuUsage(cpu0)
      if (results.some(r => r !== true)) throw new Error('a valid signature did not verify')
      const value = checks.length / seconds
      section.rows.push(row({
        group: section.title, metric: `(a) VerifierPool, ${shape} (${verifier.threads} workers)`, value, unit: 'verify/s', reference: capacityRef, ratioLabel: 'x capacity',
        note: `${checks.length} checks, process CPU ${((cpu.user + cpu.system) / checks.length).toFixed(0)} us/check`
      }))
      log(`ingest: verifier pool, ${shape}: ${fmt(value)} verify/s`)
    }
  } finally {
    await verifier.close()
  }
  {
    const threadpool = createNodeVerifier()
    const windowMs = (opts.quick ? 0.7 : 2) * 1000
    let done = 0
    const t0 = performance.now()
    await runPool(Number.MAX_SAFE_INTEGER, 256, async i => {
      if (performance.now() - t0 > windowMs) throw new StopPool()
      const c = checks[i % checks.length]
      if (c.scheme === 'ed25519' && await threadpool.verifyEd25519(c.publicKey, c.message, c.signature)) done++
    })
    const value = done / ((performance.now() - t0) / 1000)
    section.rows.push(row({ group: section.title, metric: '(a) createNodeVerifier (libuv threadpool), 256 in flight', value, unit: 'verify/s', reference: capacityRef, ratioLabel: 'x capacity' }))
  }

  // (b) the node alone, as fast as it answers; (c) the same node alone and as a hub at a fixed rate
  await withResources(async res => {
    const a = await startBenchNode(res, { extraArgs: BIG_MEMPOOL_ARGS })
    let used = 0
    const take = (n: number): Ed25519Tx[] => { const out = pool.slice(used, used + n); used += n; return out }
    const body = (txs: Ed25519Tx[]): string[] => txs.map(tx => JSON.stringify(tx))

    const warm = await runLoad(res, `${a.url}`, body(take(warmCount)))
    if ((warm.statuses[201] ?? 0) !== warmCount) throw new Error(`warm-up: statuses ${JSON.stringify(warm.statuses)}`)
    const txs = take(mainCount)
    const cpu0 = cpuSeconds(a.child.pid)
    const load = await runLoad(res, a.url, body(txs))
    const cpuA = cpuSeconds(a.child.pid) - cpu0
    const accepted = load.statuses[201] ?? 0
    const lost = await lostTxs(a, txs, load.accepted)
    const ingestRate = accepted / load.seconds
    const perTxUs = cpuA / accepted * 1e6
    const ingestRow = row({
      group: section.title, metric: `(b) POST /new_transaction, node alone, autocannon x${CONNECTIONS}`, value: ingestRate, unit: 'tx/s', reference: capacityRef,
      ratioLabel: 'x capacity', bar: INGEST_BAR, meets: ingestRate / capacity >= 0.4 && lost.length === 0 && accepted === txs.length,
      note: `${accepted}/${txs.length} answered 201, ${lost.length} of them not pending afterwards; latency p50 ${load.latency.p50} ms, p99 ${load.latency.p99} ms`
    })
    const cpuRow = row({
      group: section.title, metric: '(b) node CPU per tx (all its threads), node alone', value: perTxUs, unit: 'us', reference: { label: 'one openssl ed25519 verify', value: verifyUs, unit: 'us' },
      ratioLabel: 'verifies', bar: CPU_BAR, meets: perTxUs <= 2 * verifyUs, note: `load generator ${(load.clientCpu / accepted * 1e6).toFixed(0)} us per tx`
    })
    section.rows.push(ingestRow, cpuRow)
    await writeResult('ingest', ingestRow)
    await writeResult('ingest-cpu', cpuRow)
    section.details.push(`(b) statuses ${JSON.stringify(load.statuses)}, errors ${load.errors}, timeouts ${load.timeouts}; ${lost.length} accepted txs missing from GET /pending_tx; ` +
      `latency p50 ${load.latency.p50} / p90 ${load.latency.p90} / p99 ${load.latency.p99} / max ${load.latency.max} ms; CPU per tx: node ${perTxUs.toFixed(0)} us, ` +
      `load generator ${(load.clientCpu / accepted * 1e6).toFixed(0)} us (the machine has ${(machine.cores / (0.4 * capacity) * 1e6).toFixed(0)} us of CPU per tx at the bar's rate).`)
    log(`ingest: node alone ${fmt(ingestRate)} tx/s, ${perTxUs.toFixed(0)} us CPU/tx, ${lost.length} lost`)

    // (c) fixed rate, alone then hub
    const fixed = async (label: string, peers: NodeProcess[]): Promise<{ perTx: number, peerPerTx: number[], load: LoadResult, missing: number[] }> => {
      const batch = take(rateCount)
      const before = await Promise.all(peers.map(pendingCount))
      const c0 = cpuSeconds(a.child.pid)
      const p0 = peers.map(p => cpuSeconds(p.child.pid))
      const r = await runLoad(res, a.url, body(batch), { rate })
      const ok = r.statuses[201] ?? 0
      // Each peer must end up with every accepted tx (gossip), within a deadline.
      const missing = await Promise.all(peers.map(async (p, i) => {
        const want = before[i] + ok
        const got = await pollUntil(async () => { const n = await pendingCount(p); return n >= want ? n : undefined }, 30_000, 100)
        return got === undefined ? want - await pendingCount(p) : 0
      }))
      const perTx = (cpuSeconds(a.child.pid) - c0) / ok * 1e6
      const peerPerTx = peers.map((p, i) => (cpuSeconds(p.child.pid) - p0[i]) / ok * 1e6)
      log(`ingest: ${label} at ${rate} tx/s: hub ${perTx.toFixed(0)} us CPU/tx${peers.length > 0 ? `, peers ${peerPerTx.map(v => v.toFixed(0)).join('/')} us` : ''}`)
      return { perTx, peerPerTx, load: r, missing }
    }
    const alone = await fixed('alone', [])
    const b = await startBenchNode(res, { extraArgs: BIG_MEMPOOL_ARGS, bootstrap: [a.multiaddr] })
    const c = await startBenchNode(res, { extraArgs: BIG_MEMPOOL_ARGS, bootstrap: [a.multiaddr] })
    for (const p of [b, c]) { await waitForMesh(a, p, 30_000); await waitForMesh(p, a, 30_000) }
    const hub = await fixed('hub of 2 peers', [b, c])
    const hubRow = row({
      group: section.title, metric: `(c) hub CPU per tx with 2 peers, ${rate} tx/s`, value: hub.perTx, unit: 'us',
      reference: { label: `the same node alone, ${rate} tx/s`, value: alone.perTx, unit: 'us' }, ratioLabel: 'x alone', bar: HUB_BAR,
      meets: hub.perTx <= 1.3 * alone.perTx && hub.missing.every(m => m === 0),
      note: `peers ${hub.peerPerTx.map(v => v.toFixed(0)).join(' / ')} us CPU per tx; ${hub.missing.every(m => m === 0) ? 'both peers got every tx' : `missing at the peers: ${hub.missing.join(', ')}`}`
    })
    section.rows.push(hubRow)
    await writeResult('ingest-hub', hubRow)
    section.details.push(`(c) alone: statuses ${JSON.stringify(alone.load.statuses)}, latency p50 ${alone.load.latency.p50} / p99 ${alone.load.latency.p99} ms; ` +
      `hub: statuses ${JSON.stringify(hub.load.statuses)}, latency p50 ${hub.load.latency.p50} / p99 ${hub.load.latency.p99} ms.`)
  })

  // the ceiling of this load generator and loopback HTTP
  await withResources(async res => {
    const echo = await startScriptServer(res, ECHO_SERVER)
    const bodies = pool.slice(0, Math.min(pool.length, opts.quick ? 5000 : 20_000)).map(tx => JSON.stringify(tx))
    const cpu0 = cpuSeconds(echo.pid)
    const r = await runLoad(res, echo.url, bodies)
    const perReq = (cpuSeconds(echo.pid) - cpu0) / bodies.length * 1e6
    section.rows.push(row({
      group: section.title, metric: `ceiling: bare Node HTTP server, same bodies, autocannon x${CONNECTIONS}`, value: r.requestsPerSecond, unit: 'req/s', reference: capacityRef,
      ratioLabel: 'x capacity', note: `no verification: what this load generator and loopback HTTP allow here; server ${perReq.toFixed(0)} us, load generator ${(r.clientCpu / bodies.length * 1e6).toFixed(0)} us CPU per request`
    }))
    log(`ingest: ceiling ${fmt(r.requestsPerSecond)} req/s`)
  })
  return section
}
