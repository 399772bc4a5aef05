// Defect 6, /register_with without a deadline (and defect 1's "answers 200 without syncing"): the victim is
// asked to register with a peer that speaks the sync protocol, claims a heavier chain and never serves a
// block. Every request must end within the one deadline (15 s) with a 4xx that says what happened, and
// the registration slots must not starve: a registration with the honest peer still succeeds.
import { hostilePeer, loop, type HostilePeer } from '../attacker.js'
import { httpJson, NETWORK_ID } from '../harness.js'
import type { Attack, AttackEnv } from '../scenario.js'
import { headOf } from '../../src/devnet/index.js'

export function registerWith (): Attack {
  let peer: HostilePeer | undefined
  let counts: Record<string, number> = {}
  const durations: number[] = []
  let honestRegistration: { status: number, ms: number, outcome?: string } | undefined
  return {
    name: 'register-with',
    defect: '6 /register_with without a deadline',
    description: 'POST /register_with to a peer that claims more work and never serves it, two at a time',
    prepare: async (env: AttackEnv) => {
      const head = await headOf(env.victim)
      const genesis = (await httpJson(`${env.victim.url}/node_info`)).body.genesis as string
      const claimIndex = head.index + 1000
      peer = await hostilePeer({
        source: {
          status: () => ({ network: NETWORK_ID, genesis, head: { hash: 'ab'.repeat(32), index: claimIndex, work: (BigInt(claimIndex) * 4096n).toString() } }),
          blocksAfter: async () => await new Promise(() => {}), // never answers
          locate: async () => ({ hash: genesis, index: 0 }),
          locator: async () => [genesis]
        }
      })
    },
    start: async (env: AttackEnv) => {
      const target = `${peer!.getMultiaddrs()[0].toString()}`
      const posts = loop(2, async () => {
        const r = await httpJson(`${env.victim.url}/register_with`, { body: { node_address: target }, timeoutMs: 60_000 })
        durations.push(r.ms)
        return `${r.status} ${String(r.body?.code ?? '')}`
      })
      counts = posts.counts
      // Meanwhile an honest registration (its own slot) must still work.
      await new Promise(resolve => setTimeout(resolve, 500))
      const honest = await httpJson(`${env.victim.url}/register_with`, { body: { node_address: env.honest.url }, timeoutMs: 60_000 })
      honestRegistration = { status: honest.status, ms: Math.round(honest.ms), outcome: honest.body?.sync?.outcome }
      return async () => { await posts.stop() }
    },
    checks: async (env: AttackEnv) => {
      await peer?.stop()
      env.figures.answers = counts
      env.figures.maxRegistrationMs = Math.round(Math.max(0, ...durations))
      env.figures.honestRegistration = honestRegistration
      const keys = Object.keys(counts)
      return {
        everyRegistrationAnswered4xx: keys.length > 0 && keys.every(k => /^4\d\d /.test(k)),
        withinTheDeadline: Math.max(0, ...durations) < 20_000,
        honestRegistrationSynced: honestRegistration?.status === 200
      }
    }
  }
}
