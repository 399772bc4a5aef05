// One attack run the same way every time (RELIABILITY.md "Method"): a victim node and an honest peer
// (real processes), the honest client at a steady rate; a window without the attack, then one with it,
// an honest block mined in each; then the attack's own checks, what was lost, and the bars.
import { connect, waitForMesh, type NodeProcess } from '../src/devnet/index.js'
import {
  barsOf, HonestClient, latencyFigures, lostOn, mineOne, round, RssSampler, sleep, startNode, timeUntilHead,
  type RunContext, type ScenarioResult
} from './harness.js'

export interface AttackEnv {
  ctx: RunContext
  victim: NodeProcess
  /** An honest node connected to the victim (it mines the honest blocks). */
  honest: NodeProcess
  client: HonestClient
  /** Block hashes the honest side was told are mined (/mine answered 200): none may be lost. */
  acknowledgedBlocks: string[]
  /** Figures the attack reports besides the common ones. */
  figures: Record<string, unknown>
}

export interface Attack {
  name: string
  /** The issue 7 defect it exercises (1-8), or 'old guarantee'. */
  defect: string
  description: string
  /** Extra `gossipchain start` flags for the victim. */
  victimArgs?: (ctx: RunContext) => string[]
  /** Work done before the baseline window: precomputed payloads, attacker hosts, chain length. */
  prepare?: (env: AttackEnv) => Promise<void>
  /** Start the attack; resolves with its stop function. */
  start: (env: AttackEnv) => Promise<() => Promise<void>>
  /** Functional checks once the attack window is over (npm test asserts these). */
  checks: (env: AttackEnv) => Promise<Record<string, boolean>>
}

/** Honest txs per second: enough samples for a p99 in each window. */
const HONEST_INTERVAL_MS = 25

export async function runAttack (attack: Attack, ctx: RunContext): Promise<ScenarioResult> {
  const windowMs = ctx.quick ? 3_000 : 12_000
  const victim = await startNode({ extraArgs: attack.victimArgs?.(ctx), ...(process.env.RELIABILITY_PROFILE_DIR ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${process.env.RELIABILITY_PROFILE_DIR}`, '--cpu-prof-interval', process.env.RELIABILITY_PROFILE_INTERVAL ?? '500'] } : {}) }, 'victim')
  const honest = await startNode({ bootstrap: [victim.multiaddr] })
  const rss = new RssSampler(victim.pid)
  const client = new HonestClient(victim.url)
  const env: AttackEnv = { ctx, victim, honest, client, acknowledgedBlocks: [], figures: {} }
  try {
    await waitForMesh(victim, honest, 60_000)
    await attack.prepare?.(env)
    ctx.log(`${attack.name}: baseline ${windowMs} ms`)
    client.start(HONEST_INTERVAL_MS)
    await sleep(2000)
    await client.take() // warm-up (the worker's and the node's first requests, JIT): not counted
    await sleep(windowMs / 2)
    const baselineBlock = await mineOne(honest, 'baseline')
    env.acknowledgedBlocks.push(baselineBlock.hash)
    const baselineBlockMs = await timeUntilHead(victim, baselineBlock.hash, 30_000)
    await sleep(windowMs / 2)
    const before = await client.take()

    ctx.log(`${attack.name}: attack ${windowMs} ms`)
    const stop = await attack.start(env)
    let attackSamples
    let blockDelayMs: number
    try {
      await sleep(windowMs / 2)
      const block = await mineOne(honest, 'attack')
      env.acknowledgedBlocks.push(block.hash)
      blockDelayMs = await timeUntilHead(victim, block.hash, 30_000).catch(() => Number.POSITIVE_INFINITY)
      await sleep(windowMs / 2)
      attackSamples = await client.take()
    } finally {
      await stop()
    }
    // The window after the attack is part of the baseline: a neighbour's burst on the shared machine then
    // has to hit both sides to move the ratio.
    await sleep(windowMs / 2)
    const after = await client.take()
    await client.stop()
    const checks = await attack.checks(env)
    checks.victimAlive = victim.running
    const lost = await lostOn(victim, client.acknowledged, env.acknowledgedBlocks)
    const baseline = latencyFigures([...before, ...after])
    const attackFigures = latencyFigures(attackSamples)
    const figures: ScenarioResult['figures'] = {
      baseline,
      attack: attackFigures,
      p99Ratio: round(attackFigures.p99 / baseline.p99),
      baselineBlockMs,
      blockDelayMs,
      rssMaxMb: rss.stop(),
      lost,
      honestAcknowledged: client.acknowledged.length,
      ...env.figures
    }
    checks.nothingLost = lost.txs === 0 && lost.blocks === 0
    checks.honestBlockArrived = Number.isFinite(blockDelayMs)
    checks.honestTxsAccepted = attackFigures.n > 0
    const bars = barsOf(figures)
    const met = Object.values(checks).every(Boolean) && (ctx.quick || Object.values(bars).every(b => b.met))
    return { name: attack.name, defect: attack.defect, description: attack.description, quick: ctx.quick, at: new Date().toISOString(), figures, checks, bars, met }
  } finally {
    rss.stop()
    await client.stop().catch(() => undefined)
    await Promise.all([process.env.RELIABILITY_PROFILE_DIR ? victim.stop() : victim.kill(), honest.kill()])
    await Promise.all([victim.removeData(), honest.removeData()])
  }
}

export { connect }
