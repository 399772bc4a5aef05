// `npm run bench` (docs/design.md §11): measures the node as it is and reports every figure as a ratio against a
// reference measured in the same run on the same machine; writes the results into BENCHMARKS.md.
//   --quick        ~1 minute: shorter timings, smaller chains, 5 nodes
//   --nodes N      node processes of the propagation benchmark (default 20, the design's; 5 with --quick)
//   --only a,b     run some of: mining, ingest, reads, sync, propagation, idle
//   --seed S       seed of the random topology and targets (default 42)
//   --no-write     print only, leave BENCHMARKS.md alone
//   --cpu-prof DIR every node process a benchmark starts writes V8 CPU profiles into DIR (summarise them with
//                  `node --import tsx bench/profile-summary.ts FILE.cpuprofile`); the figures then include the profiler's cost
import '../src/polyfill.js'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { useNativeSha256 } from '../src/crypto/sha256.js'
import { stopAll } from '../src/devnet/index.js'
import { log, releaseAll, type BenchSection, type RunOptions } from './harness.js'
import { idleBenchmark } from './idle.js'
import { ingestBenchmark } from './ingest.js'
import { machineInfo, opensslReferences } from './machine.js'
import { miningBenchmark } from './mining.js'
import { profileNodesInto } from './nodes.js'
import { propagationBenchmark } from './propagation.js'
import { readsBenchmark } from './reads.js'
import { consoleTable, markdownSection, writeGeneratedSection } from './report.js'
import { syncBenchmark } from './sync.js'
import { signTxs } from './tx-pool.js'

const BENCHMARKS = ['mining', 'ingest', 'reads', 'sync', 'propagation', 'idle'] as const

function options (): RunOptions {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      nodes: { type: 'string' },
      seed: { type: 'string', default: '42' },
      only: { type: 'string', default: '' },
      'no-write': { type: 'boolean', default: false },
      'cpu-prof': { type: 'string' }
    }
  })
  const quick = values.quick === true
  const nodes = values.nodes === undefined ? (quick ? 5 : 20) : Number(values.nodes)
  if (!Number.isInteger(nodes) || nodes < 2 || nodes > 64) throw new RangeError('--nodes must be an integer from 2 to 64')
  const seed = Number(values.seed)
  if (!Number.isInteger(seed)) throw new RangeError('--seed must be an integer')
  const only = values.only === '' ? [] : values.only.split(',').map(s => s.trim())
  for (const id of only) if (!(BENCHMARKS as readonly string[]).includes(id)) throw new RangeError(`--only: unknown benchmark "${id}" (one of ${BENCHMARKS.join(', ')})`)
  profileNodesInto(values['cpu-prof'] === undefined ? undefined : resolve(values['cpu-prof']))
  return { quick, nodes, seed, only, write: values['no-write'] !== true && values['cpu-prof'] === undefined }
}

async function main (): Promise<number> {
  useNativeSha256() // the in-process benchmarks hash as the node does (src/node.ts)
  const opts = options()
  const selected = (id: string): boolean => opts.only.length === 0 || opts.only.includes(id)
  let interrupted = false
  const onSignal = (signal: NodeJS.Signals): void => {
    if (interrupted) process.exit(130)
    interrupted = true
    log(`${signal}: stopping every process and removing temp dirs`)
    void Promise.all([stopAll(), releaseAll()]).finally(() => process.exit(130))
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)

  const t0 = performance.now()
  const machine = await machineInfo()
  log(`${machine.cpuModel}, ${machine.cores} cores, Node ${machine.node}, ${machine.openssl}`)
  const refs = await opensslReferences(opts.quick ? 1 : 3)
  log(`openssl: sha256/96B ${refs.sha256HashesPerSec.toFixed(0)} hash/s, ed25519 ${refs.ed25519VerifiesPerSec} verify/s (1 core)`)

  // Signed once, on first use (after the idle benchmark, which wants a quiet machine), shared by the benchmarks that POST or sync txs.
  let signed: Promise<Awaited<ReturnType<typeof signTxs>>> | undefined
  const txPool = async (): Promise<Awaited<ReturnType<typeof signTxs>>> => {
    signed ??= (async () => {
      const count = opts.quick ? 10_000 : 100_000
      const ts = performance.now()
      const txs = await signTxs(count, { tag: 1, timestamp: Math.floor(Date.now() / 1000) - 60 })
      log(`signed ${txs.length} txs in ${((performance.now() - ts) / 1000).toFixed(1)} s (not timed)`)
      return txs
    })()
    return await signed
  }

  const sections: BenchSection[] = []
  // Idle first: start-up time and idle RSS are what a fresh `npm start` gets on a quiet machine, not in the
  // wake of a 20-node devnet (measured after the propagation benchmark: ready 1.17 s; first: ~0.5 s).
  const runs: Array<[string, () => Promise<BenchSection>]> = [
    ['idle', async () => await idleBenchmark(opts)],
    ['mining', async () => await miningBenchmark(opts, refs)],
    ['ingest', async () => await ingestBenchmark(opts, refs, machine, await txPool())],
    ['reads', async () => await readsBenchmark(opts, await txPool())],
    ['sync', async () => await syncBenchmark(opts, refs, await txPool())],
    ['propagation', async () => await propagationBenchmark(opts)]
  ]
  for (const [id, bench] of runs) {
    if (!selected(id)) continue
    log(`--- ${id}`)
    try {
      sections.push(await bench())
    } catch (err) {
      log(`${id} FAILED: ${(err as Error).stack ?? String(err)}`)
      sections.push({ id, title: id, method: '', rows: [], details: [], error: (err as Error).message })
    } finally {
      await stopAll() // belt and braces: no node process outlives its benchmark
    }
  }
  const totalSeconds = (performance.now() - t0) / 1000
  // Reported in the usual order (mining first), whatever order they ran in.
  sections.sort((a, b) => (BENCHMARKS as readonly string[]).indexOf(a.id) - (BENCHMARKS as readonly string[]).indexOf(b.id))

  process.stdout.write(`\n${consoleTable(sections)}\n\ntotal ${totalSeconds.toFixed(0)} s\n`)
  if (opts.write) {
    const file = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..', 'BENCHMARKS.md')
    await writeGeneratedSection(file, markdownSection(sections, machine, refs, opts, totalSeconds))
    log(`wrote ${file}`)
  }
  return sections.some(s => s.error !== undefined) ? 1 : 0
}

main().then(code => process.exit(code), err => {
  process.stderr.write(`bench: ${(err as Error).stack ?? String(err)}\n`)
  void Promise.all([stopAll(), releaseAll()]).finally(() => process.exit(2))
})
