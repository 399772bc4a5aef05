// `gossipchain devnet` and `gossipchain report` (docs/design.md §10), end to end through the CLI: 8 node
// processes with tx load and mining; every node stopped at the end and on Ctrl-C; a report whose
// figures are recomputed here from the raw trace files, and whose plots render in Chromium.
import { expect } from 'chai'
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { waitFor } from '../src/devnet/index.js'
import type { DevnetManifest } from '../src/devnet/manifest.js'
import { CHROMIUM, launchChromium, screenshot } from './helpers/browser.js'
import { cleanEnv, expectOneLineError, killAllCli, runCli } from './helpers/cli.js'

/** Processes whose command line mentions `text` (node processes name their trace file in --out). */
async function processesMentioning (text: string): Promise<number[]> {
  const found: number[] = []
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '')
    if (cmdline.includes(text)) found.push(Number(entry))
  }
  return found
}

async function lines (file: string): Promise<any[]> {
  return (await readFile(file, 'utf8')).split('\n').filter(l => l !== '').map(l => JSON.parse(l))
}

/**
 * The report's figures computed again from the raw NDJSON files, written apart from src/report (every
 * line parsed, no shortcuts), from the definitions in README "Watch gossip".
 */
function recompute (traces: any[][], until: number): Record<string, any> {
  const published = new Map<string, { topic: string, origin: number, at: number }>()
  traces.forEach((events, node) => {
    for (const e of events) {
      if (e.type !== 'publish') continue
      const known = published.get(e.msgId)
      if (known === undefined || e.publishedAt < known.at) published.set(e.msgId, { topic: e.topic, origin: node, at: e.publishedAt })
    }
  })
  const first = new Map<string, Map<number, number>>() // msgId -> node -> first time
  const dups = new Map<string, number>()
  traces.forEach((events, node) => {
    for (const e of events) {
      let at: number | undefined
      if (e.type === 'gossip') at = e.receivedAt
      else if (e.type === 'publish') at = e.publishedAt
      else if (e.type === 'duplicate') dups.set(e.msgId, (dups.get(e.msgId) ?? 0) + 1)
      if (at === undefined) continue
      const byNode = first.get(e.msgId) ?? new Map<number, number>()
      first.set(e.msgId, byNode)
      byNode.set(node, Math.min(byNode.get(node) ?? Infinity, at))
    }
  })
  const out: Record<string, any> = {}
  for (const topic of ['tx', 'block']) {
    // Published after the run settled (a block mined while the nodes stopped): late, left out.
    const ids = [...published.keys()].filter(id => published.get(id)!.topic === topic && published.get(id)!.at <= until)
    const delays: number[] = []
    let shares = 0
    let copies = 0
    for (const id of ids) {
      const { origin, at } = published.get(id)!
      const reached = [...(first.get(id) ?? new Map<number, number>()).entries()].filter(([node]) => node !== origin)
      shares += reached.length / (traces.length - 1)
      for (const [, t] of reached) delays.push(t - at)
      copies += dups.get(id) ?? 0
    }
    delays.sort((a, b) => a - b)
    const pct = (q: number): number => delays[Math.ceil(q * delays.length) - 1]
    out[topic] = { messages: ids.length, coverage: shares / ids.length, p50: pct(0.5), p90: pct(0.9), p99: pct(0.99), max: delays[delays.length - 1], duplicates: copies / ids.length }
  }
  return out
}

describe('gossipchain devnet and report', function () {
  this.timeout(300_000)
  const dirs: string[] = []
  after(async () => {
    killAllCli()
    await Promise.all(dirs.map(async d => { await rm(d, { recursive: true, force: true }) }))
  })
  const workdir = async (): Promise<string> => {
    const dir = await mkdtemp(join(tmpdir(), 'gossipchain-devnet-cli-'))
    dirs.push(dir)
    return dir
  }

  it('8 nodes with tx load and mining: every node stopped, a report with coverage 1 whose figures match the raw traces, plots that render', async () => {
    const out = join(await workdir(), 'run')
    const run = await runCli(['devnet', '--nodes', '8', '--degree', '3', '--tx-rate', '20', '--duration', '6', '--mine-interval', '1500', '--out', out])
    expect(run.code, run.stderr).to.equal(0)
    expect(run.stdout).to.include(`next: gossipchain report ${out}`)
    expect(run.stderr).to.include('starting nodes') // the progress line, one line now and then into a pipe
    expect(await processesMentioning(out), 'node processes left running').to.deep.equal([])

    const manifest = JSON.parse(await readFile(join(out, 'devnet.json'), 'utf8')) as DevnetManifest
    expect(manifest.interrupted).to.equal(false)
    expect(manifest.settle?.quiet, 'the run ended once no node received anything new').to.equal(true)
    expect(manifest.nodes.map(n => n.index)).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7])
    expect(manifest.nodes.filter(n => n.miner)).to.have.length(1)
    expect(manifest.load?.sent).to.equal(120)
    expect(manifest.load?.accepted).to.equal(120)
    const traces = await Promise.all(manifest.nodes.map(async n => await lines(join(out, n.trace))))
    // Each node traced its topic joins, its links' meshes, and the run.
    for (const events of traces) {
      expect(events.filter(e => e.type === 'join').map(e => e.topic)).to.have.members(['tx', 'block'])
      expect(events.some(e => e.type === 'graft')).to.equal(true)
    }

    const report = await runCli(['report', out])
    expect(report.code, report.stderr).to.equal(0)
    expect(report.stdout).to.match(/^8 nodes\ntopic +messages +coverage +p50 ms +p90 ms +p99 ms +max ms/)
    expect(report.stdout).to.match(/^tx +120 +1\.0000 /m)
    const json = JSON.parse(await readFile(join(out, 'report.json'), 'utf8'))
    expect(Object.keys(json)).to.deep.equal(['nodes', 'topics'])
    expect(json.nodes).to.equal(8)
    const expected = recompute(traces, manifest.settle!.at)
    for (const topic of ['tx', 'block']) {
      const got = json.topics[topic]
      expect(got.coverage, `${topic} coverage`).to.equal(1)
      expect(got.messages, `${topic} messages`).to.equal(expected[topic].messages)
      for (const key of ['p50', 'p90', 'p99', 'max']) expect(got[key], `${topic} ${key}`).to.equal(expected[topic][key])
      expect(got.coverage).to.be.closeTo(expected[topic].coverage, 1e-12)
      expect(got.duplicates).to.be.closeTo(expected[topic].duplicates, 0.001)
      expect(got.p50).to.be.at.most(got.p90)
      expect(got.p90).to.be.at.most(got.p99)
      expect(got.p99).to.be.at.most(got.max)
    }
    expect(json.topics.tx.messages).to.equal(120)
    expect(json.topics.block.messages).to.be.greaterThan(0)
    // In a mesh of degree >= 3, a message reaches most nodes more than once.
    expect(json.topics.tx.duplicates).to.be.greaterThan(0)

    for (const [file, title] of [['delay-cdf.svg', 'Propagation delay CDF'], ['delivery.svg', 'Delivery over time'], ['node-delay.svg', 'First-receipt delay per node']]) {
      const svg = await readFile(join(out, file), 'utf8')
      expect(svg, file).to.match(/^<svg[^>]+xmlns="http:\/\/www\.w3\.org\/2000\/svg"/)
      expect(svg).to.include(title)
    }
    if (!existsSync(CHROMIUM)) return
    const browser = await launchChromium()
    try {
      const page = await browser.newPage({ viewport: { width: 900, height: 700 } })
      for (const file of ['delay-cdf.svg', 'delivery.svg', 'node-delay.svg']) {
        await page.setContent(`<!doctype html><body style="margin:0">${await readFile(join(out, file), 'utf8')}</body>`)
        const box = await page.evaluate(() => {
          const svg = document.querySelector('svg')!
          const marks = svg.querySelectorAll('path, line, circle, rect').length
          const r = svg.getBoundingClientRect()
          return { width: r.width, height: r.height, marks }
        })
        expect(box.width, file).to.be.greaterThan(600)
        expect(box.height, file).to.be.greaterThan(250)
        expect(box.marks, file).to.be.greaterThan(20)
        await screenshot(page, `report-${file.replace('.svg', '')}`)
      }
    } finally {
      await browser.close()
    }
  })

  it('Ctrl-C stops every node (traces flushed), exits 130 and marks the run interrupted', async () => {
    const out = join(await workdir(), 'run')
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'devnet', '--nodes', '3', '--degree', '2', '--tx-rate', '10', '--duration', '120', '--out', out],
      { cwd: new URL('..', import.meta.url).pathname, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
    const exited = new Promise<number | null>(resolve => child.once('exit', code => resolve(code)))
    try {
      await waitFor('the load to run', async () => {
        const manifest = JSON.parse(await readFile(join(out, 'devnet.json'), 'utf8')) as DevnetManifest
        return manifest.loadStartedAt !== undefined && Date.now() - manifest.loadStartedAt > 1500 ? true : undefined
      }, 120_000, 200).catch((err: Error) => { throw new Error(`${err.message}; exit ${child.exitCode}; stderr: ${stderr.slice(-500)}`) })
      child.kill('SIGINT')
      expect(await exited, stderr).to.equal(130)
    } finally {
      child.kill('SIGKILL')
    }
    expect(await processesMentioning(out), 'node processes left running').to.deep.equal([])
    const manifest = JSON.parse(await readFile(join(out, 'devnet.json'), 'utf8')) as DevnetManifest
    expect(manifest.interrupted).to.equal(true)
    expect(stderr).to.include('interrupted')
    for (const n of manifest.nodes) {
      const events = await lines(join(out, n.trace)) // every line whole: the nodes stopped cleanly
      expect(events.length).to.be.greaterThan(0)
    }
    // The report still reads an interrupted run, and says so.
    const report = await runCli(['report', out])
    expect(report.code, report.stderr).to.equal(0)
    expect(report.stderr).to.include('interrupted')
  })

  it('refuses bad options and an --out that already holds a run, with one-line errors', async () => {
    expectOneLineError(await runCli(['devnet', '--nodes', '1']), '--nodes')
    expectOneLineError(await runCli(['devnet', '--nodes', '3', '--degree', '3']), '--degree must be below --nodes')
    expectOneLineError(await runCli(['devnet', '--nodes', '3', '--tx-rate', 'fast']), '--tx-rate')
    expectOneLineError(await runCli(['devnet', '--nodes', '3', '--trace-format', 'xml']), '--trace-format')
    const taken = await workdir()
    await writeFile(join(taken, 'node-0.ndjson'), '')
    expectOneLineError(await runCli(['devnet', '--nodes', '3', '--degree', '2', '--out', taken]), 'already holds a devnet run')
    expectOneLineError(await runCli(['report', join(taken, 'nowhere')]), 'cannot read')
    expectOneLineError(await runCli(['report', await workdir()]), 'no trace files')
  })
})
