// Benchmark 6, reads (docs/design.md §11): GET /chain of a 100-block chain on a node process against a bare Node
// HTTP server (its own process) sending the same bytes, both driven by the same load generator (autocannon,
// bench/load-client.ts, in its own process). A block's serialized text is kept with it (src/core/serialized.ts):
// GET /chain concatenates the cached texts instead of serializing the blocks again.
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Ed25519Tx } from '../src/core/types.js'
import { cpuSeconds, fmt, log, row, withResources, writeResult, type BenchSection, type RunOptions } from './harness.js'
import { runGetLoad, startScriptServer } from './load.js'
import { startBenchNode } from './nodes.js'
import { buildChain } from './sync.js'

const BAR = '>= 50% of a bare Node HTTP server sending the same bytes'
const BLOCKS = 100
const TXS_PER_BLOCK = 10
const CONNECTIONS = 16

/** A bare Node HTTP server (its own process) answering every request with the bytes of FILE. */
const BARE_SERVER = "const body = require('node:fs').readFileSync(process.argv[1]); const s = require('node:http').createServer((q, r) => { " +
  "r.writeHead(200, { 'content-type': 'application/json; charset=UTF-8', 'content-length': body.length }); r.end(body) }); " +
  "s.keepAliveTimeout = 60000; s.listen(0, '127.0.0.1', () => process.stdout.write(String(s.address().port) + '\\n'))"


export async function readsBenchmark (opts: RunOptions, pool: Ed25519Tx[]): Promise<BenchSection> {
  const seconds = opts.quick ? 3 : 8
  const rounds = opts.quick ? 1 : 2
  const section: BenchSection = {
    id: 'reads',
    title: '6. Reads',
    method: [
      `A chain of ${BLOCKS} blocks of ${TXS_PER_BLOCK} signed txs each (mined at bits 8, imported in-process into a data dir) is served by a node`,
      'process (src/devnet, compiled); the body of its GET /chain is fetched once and written to a file that a bare Node HTTP server',
      '(`http.createServer`, `res.end(bytes)`, its own process) sends for every request. The same load generator (autocannon, its own',
      `process, ${CONNECTIONS} keep-alive connections, ${seconds} s per round) GETs /chain from each, ${rounds} round(s) each, alternating, node first;`,
      'the best round of each counts. Reference: the bare server\'s requests per second in the same run.'
    ].join(' '),
    rows: [],
    details: []
  }
  await withResources(async res => {
    const built = await buildChain(res, BLOCKS, TXS_PER_BLOCK, pool)
    const node = await startBenchNode(res, { dataDir: built.dataDir })
    const body = Buffer.from(await (await fetch(`${node.url}/chain`)).arrayBuffer())
    const parsed = JSON.parse(body.toString()) as { length: number, chain: unknown[] }
    if (parsed.length !== BLOCKS + 1 || parsed.chain.length !== BLOCKS + 1) throw new Error(`GET /chain answered ${parsed.chain.length} blocks, expected ${BLOCKS + 1}`)
    const file = join(await res.tempDir('reads'), 'chain.json')
    await writeFile(file, body)
    const bare = await startScriptServer(res, BARE_SERVER, [file])
    const check = Buffer.from(await (await fetch(`${bare.url}/chain`)).arrayBuffer())
    if (!check.equals(body)) throw new Error('the bare server does not send the same bytes')
    await runGetLoad(res, node.url, '/chain', 1, CONNECTIONS) // warm-up: JIT, caches
    await runGetLoad(res, bare.url, '/chain', 1, CONNECTIONS)
    const nodeRates: number[] = []
    const bareRates: number[] = []
    let nodeCpu = 0
    let bareCpu = 0
    let nodeRequests = 0
    let bareRequests = 0
    for (let r = 0; r < rounds; r++) {
      for (const [target, rates] of [[node, nodeRates], [bare, bareRates]] as const) {
        const pid = 'child' in target ? target.child.pid : target.pid
        const c0 = cpuSeconds(pid)
        const load = await runGetLoad(res, target.url, '/chain', seconds, CONNECTIONS)
        if (Object.keys(load.statuses).some(s => s !== '200')) throw new Error(`GET /chain statuses ${JSON.stringify(load.statuses)}`)
        rates.push(load.requestsPerSecond)
        if (target === node) { nodeCpu += cpuSeconds(pid) - c0; nodeRequests += load.requests } else { bareCpu += cpuSeconds(pid) - c0; bareRequests += load.requests }
        log(`reads: ${target === node ? 'node' : 'bare server'} ${fmt(load.requestsPerSecond)} req/s`)
      }
    }
    const value = Math.max(...nodeRates)
    const reference = Math.max(...bareRates)
    const r = row({
      group: section.title, metric: `GET /chain, ${BLOCKS} blocks x ${TXS_PER_BLOCK} txs (${fmt(body.length / 1024)} KiB), autocannon x${CONNECTIONS}`, value, unit: 'req/s',
      reference: { label: 'bare Node HTTP server sending the same bytes', value: reference, unit: 'req/s' }, ratioLabel: 'x bare server', bar: BAR, meets: value / reference >= 0.5,
      note: `rounds: node ${nodeRates.map(v => fmt(v)).join(' / ')}, bare ${bareRates.map(v => fmt(v)).join(' / ')} req/s`
    })
    section.rows.push(r)
    await writeResult('chain-read', r)
    section.details.push(`CPU per request: node ${(nodeCpu / nodeRequests * 1e6).toFixed(0)} us, bare server ${(bareCpu / bareRequests * 1e6).toFixed(0)} us (${body.length} bytes per response).`)
  })
  return section
}
