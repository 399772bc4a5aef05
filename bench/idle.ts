// Benchmark 5, idle node (docs/design.md §11): time from spawn to GET /health answering, and RSS once idle,
// of `gossipchain start` from source (tsx) and compiled (node dist/cli.js), against a bare Node HTTP server.
import { spawn, type ChildProcess } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { compiledCli as buildCompiledCli, freePort } from '../src/devnet/index.js'
import { log, median, memoryMiB, row, sleep, withResources, writeResult, type BenchSection, type Resources, type RunOptions } from './harness.js'

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..')
const SETTLE_MS = 2000
const READY_TIMEOUT_MS = 30_000

const BARE_SERVER = "require('node:http').createServer((q, s) => { s.setHeader('content-type', 'application/json'); s.end('{\"status\":\"ok\"}') }).listen(Number(process.env.PORT), '127.0.0.1')"

interface Launch { readyMs: number, rssMiB: number, peakMiB: number }

async function stopChild (child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise(resolve => child.once('exit', resolve))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
  await exited
  clearTimeout(timer)
}

/** Spawn, poll /health every 10 ms until it answers 200, let it idle, read its memory, stop it. */
async function launch (res: Resources, args: (port: number, dataDir: string) => string[], env: Record<string, string> = {}): Promise<Launch> {
  const port = await freePort()
  const dataDir = await res.tempDir('idle')
  let output = ''
  const t0 = performance.now()
  const child = spawn(process.execPath, args(port, dataDir), {
    cwd: repoRoot, env: { ...process.env, GOSSIPCHAIN_P2P_HOST: '127.0.0.1', PORT: String(port), ...env }, stdio: ['ignore', 'pipe', 'pipe']
  })
  child.stdout?.on('data', (d: Buffer) => { output += d.toString() })
  child.stderr?.on('data', (d: Buffer) => { output += d.toString() })
  try {
    let readyMs: number | undefined
    const deadline = Date.now() + READY_TIMEOUT_MS
    while (readyMs === undefined && Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode}: ${output.slice(-2000)}`)
      const ok = await fetch(`http://127.0.0.1:${port}/health`).then(async r => { await r.arrayBuffer(); return r.ok }, () => false)
      if (ok) readyMs = performance.now() - t0
      else await sleep(10)
    }
    if (readyMs === undefined) throw new Error(`no /health answer within ${READY_TIMEOUT_MS} ms: ${output.slice(-2000)}`)
    await sleep(SETTLE_MS)
    const mem = memoryMiB(child.pid)
    return { readyMs, rssMiB: mem.rss, peakMiB: mem.peak }
  } finally {
    await stopChild(child)
  }
}

function startArgs (port: number, dataDir: string): string[] {
  return ['start', '--data-dir', dataDir, '--http-host', '127.0.0.1', '--http-port', String(port), '--p2p-port', '0', '--bits', '8']
}

/** dist/cli.js, rebuilt by bin/build.js first when src/ changed: the code `npm start` runs. */
async function compiledCli (): Promise<{ cli: string, how: string }> {
  const t0 = performance.now()
  const cli = await buildCompiledCli()
  return { cli, how: `dist/ as bin/build.js leaves it, fresh from src/ (checked or rebuilt in ${((performance.now() - t0) / 1000).toFixed(1)} s)` }
}

export async function idleBenchmark (opts: RunOptions): Promise<BenchSection> {
  const runs = opts.quick ? 1 : 3
  const section: BenchSection = {
    id: 'idle',
    title: '5. Idle node',
    method: [
      `A fresh node (empty data dir, bits 8, p2p on 127.0.0.1:0) is spawned ${runs} time(s) per variant; "ready" is the time from`,
      'spawn() to the first 200 of GET /health (polled every 10 ms); RSS is VmRSS of /proc/<pid>/status after',
      `${SETTLE_MS / 1000} s of idling (VmHWM, the peak, in the notes). Variants: \`node bin/gossipchain.js start\` (what \`npm start\` runs:`,
      'compiled dist/, checked fresh against src/ first) and `node --import tsx src/cli.ts start` (what the tests run). Reference: a bare Node HTTP server answering /health,',
      'spawned and polled the same way. Medians over the runs.'
    ].join(' '),
    rows: [],
    details: []
  }

  await withResources(async res => {
    const measure = async (what: string, args: (port: number, dataDir: string) => string[]): Promise<Launch> => {
      const all: Launch[] = []
      for (let i = 0; i < runs; i++) all.push(await launch(res, args))
      const out = { readyMs: median(all.map(l => l.readyMs)), rssMiB: median(all.map(l => l.rssMiB)), peakMiB: median(all.map(l => l.peakMiB)) }
      log(`idle: ${what}: ready ${out.readyMs.toFixed(0)} ms, RSS ${out.rssMiB.toFixed(0)} MiB`)
      return out
    }
    const bare = await measure('bare node', () => ['-e', BARE_SERVER])
    const readyRef = { label: 'bare Node HTTP server ready', value: bare.readyMs, unit: 'ms' }
    const rssRef = { label: 'bare Node HTTP server RSS', value: bare.rssMiB, unit: 'MiB' }
    const compiled = await compiledCli()
    section.details.push(`Compiled: ${compiled.how}.`)
    // What `npm start` runs (package.json "start"), without npm's own process around it; then the tests' runtime.
    const variants: Array<{ name: string, args: (port: number, dataDir: string) => string[], bars: boolean }> = [
      { name: 'npm start (node bin/gossipchain.js start)', args: (port, dataDir) => [join(repoRoot, 'bin', 'gossipchain.js'), ...startArgs(port, dataDir)], bars: true },
      { name: 'tsx src/cli.ts (the tests\' runtime)', args: (port, dataDir) => ['--import', 'tsx', join(repoRoot, 'src', 'cli.ts'), ...startArgs(port, dataDir)], bars: false }
    ]
    for (const v of variants) {
      const r = await measure(v.name, v.args)
      const ready = row({
        group: section.title, metric: `ready, ${v.name}`, value: r.readyMs, unit: 'ms', reference: readyRef, ratioLabel: 'x bare node',
        bar: v.bars ? '<= 1 s' : undefined, meets: v.bars ? r.readyMs <= 1000 : undefined
      })
      const rss = row({
        group: section.title, metric: `idle RSS, ${v.name}`, value: r.rssMiB, unit: 'MiB', reference: rssRef, ratioLabel: 'x bare node',
        bar: v.bars ? '<= 120 MB (114.4 MiB)' : undefined, meets: v.bars ? r.rssMiB * 2 ** 20 <= 120e6 : undefined, note: `peak ${r.peakMiB.toFixed(0)} MiB`
      })
      section.rows.push(ready, rss)
      if (v.bars) {
        await writeResult('ready', ready)
        await writeResult('idle-rss', rss)
      }
    }
  })
  return section
}
