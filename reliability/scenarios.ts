// Every scenario of the battery by name (`npm run reliability -- NAME`), in the order they run.
import type { RunContext, ScenarioResult } from './harness.js'
import { runAttack } from './scenario.js'
import { connections } from './attacks/connections.js'
import { fuzz } from './attacks/fuzz.js'
import { killLoop, partition } from './guarantees.js'
import { expensiveSignatures } from './attacks/expensive-signatures.js'
import { registerWith } from './attacks/register-with.js'
import { sideBranches } from './attacks/side-branches.js'
import { syncSlots } from './attacks/sync-slots.js'
import { errorBodies } from './attacks/error-bodies.js'
import { mempoolFlood } from './attacks/mempool-flood.js'
import { pendingTx } from './attacks/pending-tx.js'

export type Scenario = (ctx: RunContext) => Promise<ScenarioResult>

export const SCENARIOS: Record<string, Scenario> = {
  'sync-slots': async ctx => await runAttack(syncSlots(), ctx),
  'expensive-signatures': async ctx => await runAttack(expensiveSignatures(), ctx),
  'mempool-flood': async ctx => await runAttack(mempoolFlood(), ctx),
  'pending-tx': async ctx => await runAttack(pendingTx(), ctx),
  connections: async ctx => await runAttack(connections(), ctx),
  'register-with': async ctx => await runAttack(registerWith(), ctx),
  'side-branches': async ctx => await runAttack(sideBranches(), ctx),
  'error-bodies': async ctx => await runAttack(errorBodies(), ctx),
  'kill-9': killLoop,
  partition,
  fuzz: async ctx => await runAttack(fuzz(), ctx)
}

export function scenarioNames (): string[] {
  return Object.keys(SCENARIOS)
}
