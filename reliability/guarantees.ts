// The old guarantees, run again with everything above in place (RELIABILITY.md): kill -9 in a loop under
// load, and a partition that heals. Nothing acknowledged may be lost.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect, headOf, waitForMesh, waitForSameHead, type NodeProcess } from '../src/devnet/index.js'
import {
  barsOf, HonestClient, latencyFigures, lostOn, mineOne, round, rssMb, RssSampler, sleep, startNode, type RunContext, type ScenarioResult
} from './harness.js'

export async function killLoop (ctx: RunContext): Promise<ScenarioResult> {
  const rounds = ctx.quick ? 2 : 20
  const dataDir = await mkdtemp(join(tmpdir(), 'gossipchain-kill9-'))
  let victim = await startNode({ dataDir, mineInterval: 300 }, 'victim')
  const ports = { httpPort: victim.httpPort, p2pPort: victim.p2pPort }
  const honest = await startNode({ bootstrap: [victim.multiaddr] })
  const client = new HonestClient(victim.url)
  const heads: string[] = []
  let maxRss = 0
  try {
    await waitForMesh(victim, honest, 60_000)
    client.start(25)
    for (let i = 0; i < rounds; i++) {
      await sleep(300 + Math.floor(Math.random() * 1200))
      heads.push((await headOf(victim)).hash) // what it answered as its head: acknowledged
      maxRss = Math.max(maxRss, rssMb(victim.pid))
      await victim.kill()
      ctx.log(`kill-9: round ${i + 1} of ${rounds}`)
      victim = await startNode({ dataDir, mineInterval: 300, ...ports }, 'victim')
    }
    await sleep(1000)
    const samples = latencyFigures(await client.take())
    await client.stop()
    const lost = await lostOn(victim, client.acknowledged, heads)
    const figures: ScenarioResult['figures'] = { rounds, honestAcknowledged: client.acknowledged.length, honestAnswers: samples, rssMaxMb: round(maxRss, 1), lost }
    const checks = { nothingLost: lost.txs === 0 && lost.blocks === 0, restartedEveryTime: victim.running, acknowledgedSome: client.acknowledged.length > 0 }
    const bars = barsOf({ lost, rssMaxMb: figures.rssMaxMb })
    return {
      name: 'kill-9', defect: 'old guarantee: kill -9', description: `kill -9 the victim ${rounds} times while it mines every 300 ms and takes honest txs`,
      quick: ctx.quick, at: new Date().toISOString(), figures, checks, bars,
      met: Object.values(checks).every(Boolean) && (ctx.quick || Object.values(bars).every(b => b.met))
    }
  } finally {
    await client.stop().catch(() => undefined)
    await Promise.all([victim.kill(), honest.kill()])
    await honest.removeData()
    await rm(dataDir, { recursive: true, force: true })
  }
}

export async function partition (ctx: RunContext): Promise<ScenarioResult> {
  // Both halves are measured (nothing either acknowledged may be lost): all four are victims.
  const a = await startNode({}, 'victim')
  const b = await startNode({ bootstrap: [a.multiaddr] }, 'victim')
  const c = await startNode({}, 'victim')
  const d = await startNode({ bootstrap: [c.multiaddr] }, 'victim')
  const nodes: NodeProcess[] = [a, b, c, d]
  const clients = [new HonestClient(a.url, 100_000), new HonestClient(c.url, 200_000)]
  const rss = new RssSampler(a.pid)
  try {
    await Promise.all([waitForMesh(a, b, 60_000), waitForMesh(c, d, 60_000)])
    for (const client of clients) client.start(50)
    // Two halves mine apart: the second mines more, so it is the heavier chain after the heal.
    const mined: string[] = []
    for (let i = 0; i < (ctx.quick ? 2 : 4); i++) mined.push((await mineOne(a, `left ${i}`)).hash)
    for (let i = 0; i < (ctx.quick ? 4 : 7); i++) mined.push((await mineOne(c, `right ${i}`)).hash)
    await sleep(ctx.quick ? 1000 : 3000)
    for (const client of clients) await client.stop()
    const started = performance.now()
    await connect(a, c)
    const head = await waitForSameHead(nodes, 60_000)
    const convergeMs = round(performance.now() - started, 1)
    // Every tx is still held by the node that acknowledged it: in the merged main chain, or pending again
    // (a reorg puts the txs of the lighter half's blocks back in its mempool, for its next block).
    const lost = { txs: 0, blocks: 0, examples: [] as string[] }
    for (const [i, node] of [a, c].entries()) {
      const l = await lostOn(node, clients[i].acknowledged, [])
      lost.txs += l.txs
      lost.examples.push(...l.examples)
    }
    // Blocks: the heavier half's are on every main chain; the lighter half's stay stored where they were mined.
    const heavier = await lostOn(a, [], mined.slice(ctx.quick ? 2 : 4))
    const lighter = await lostOn(a, [], mined.slice(0, ctx.quick ? 2 : 4))
    lost.blocks = heavier.blocks + lighter.blocks
    const figures: ScenarioResult['figures'] = {
      convergeMs, head, honestAcknowledged: clients.reduce((n, c) => n + c.acknowledged.length, 0), rssMaxMb: rss.stop(), lost
    }
    const checks = { nothingLost: lost.txs === 0 && lost.blocks === 0, converged: head === (await headOf(c)).hash }
    const bars = barsOf({ lost, rssMaxMb: figures.rssMaxMb })
    return {
      name: 'partition', defect: 'old guarantee: partition and heal', description: 'two halves of two nodes each mine apart, then reconnect',
      quick: ctx.quick, at: new Date().toISOString(), figures, checks, bars,
      met: Object.values(checks).every(Boolean) && (ctx.quick || Object.values(bars).every(b => b.met))
    }
  } finally {
    rss.stop()
    for (const client of clients) await client.stop().catch(() => undefined)
    await Promise.all(nodes.map(async n => { await n.kill(); await n.removeData() }))
  }
}
