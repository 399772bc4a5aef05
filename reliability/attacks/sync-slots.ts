// Defect 1, sync slots: peers that claim a far heavier chain (the work their claimed height weighs) and
// answer each block request with one valid block just under the request timeout, taking every sync slot;
// each one dropped comes back under a new identity. An honest peer with a heavier chain that connects
// meanwhile must get a slot and its blocks must reach the victim within 5 s; /register_with must really
// sync.
import { multiaddr } from '@multiformats/multiaddr'
import type { Block } from '../../src/core/types.js'
import { headOf, waitFor, type NodeProcess } from '../../src/devnet/index.js'
import { hostilePeer, mineBlock, type HostilePeer } from '../attacker.js'
import { httpJson, mineOne, NETWORK_ID, round, startNode } from '../harness.js'
import type { Attack, AttackEnv } from '../scenario.js'

/** Just under the victim's 10 s request timeout. */
const DRIBBLE_MS = 9_500

export function syncSlots (): Attack {
  let ahead: NodeProcess | undefined
  let stopped = false
  const peers = new Set<HostilePeer>()
  let identities = 0
  let dribbled = 0
  let syncDelayMs = Number.POSITIVE_INFINITY
  let registration: { status: number, outcome?: string, ms: number } | undefined

  /** One slot holder: serves one valid block per request, after DRIBBLE_MS. */
  async function slotHolder (env: AttackEnv): Promise<void> {
    const genesis = (await httpJson(`${env.victim.url}/node_info`)).body.genesis as string
    const head = await headOf(env.victim)
    const claim = head.index + 100_000
    const peer = await hostilePeer({
      source: {
        status: () => ({ network: NETWORK_ID, genesis, head: { hash: 'cd'.repeat(32), index: claim, work: (BigInt(claim) * 4096n).toString() } }),
        locate: async (hashes) => {
          const r = await httpJson(`${env.victim.url}/blocks/${hashes[0]}`)
          return r.status === 200 ? { hash: hashes[0], index: (r.body as Block).index } : undefined
        },
        blocksAfter: async (hash) => {
          await new Promise(resolve => setTimeout(resolve, DRIBBLE_MS))
          const parent = (await httpJson(`${env.victim.url}/blocks/${hash}`)).body as Block
          dribbled++
          return [mineBlock(parent, [], parent.timestamp + 0.001)]
        },
        locator: async () => [genesis]
      }
    })
    peers.add(peer)
    identities++
    await peer.dial(multiaddr(env.victim.multiaddr)).catch(() => undefined)
  }

  return {
    name: 'sync-slots',
    defect: '1 sync slots',
    description: 'six peers that claim far more work and dribble one valid block per request hold every sync slot, coming back under new identities when dropped',
    prepare: async () => {
      // The honest peer with a heavier chain: alone, it mines a few blocks the victim has never seen.
      ahead = await startNode()
      for (let i = 0; i < 6; i++) await mineOne(ahead, `ahead ${i}`)
    },
    start: async (env: AttackEnv) => {
      for (let i = 0; i < 6; i++) await slotHolder(env)
      // Replace every holder that was dropped by a fresh identity, for as long as the attack lasts.
      const refill = setInterval(() => {
        for (const peer of peers) {
          if (peer.getConnections().length === 0) {
            peers.delete(peer)
            void peer.stop()
            if (!stopped) void slotHolder(env).catch(() => undefined)
          }
        }
      }, 500)
      await new Promise(resolve => setTimeout(resolve, 1000))
      // The honest peer connects now: its chain must reach the victim despite the holders.
      const target = await headOf(ahead!)
      const started = performance.now()
      await httpJson(`${ahead!.url}/register_with`, { body: { node_address: env.victim.url }, timeoutMs: 30_000 })
      await waitFor('the honest chain on the victim', async () => (await headOf(env.victim)).hash === target.hash ? true : undefined, 30_000, 20)
        .then(() => { syncDelayMs = round(performance.now() - started, 1) }, () => undefined)
      // And /register_with from the victim really syncs (its own slots).
      const r = await httpJson(`${env.victim.url}/register_with`, { body: { node_address: env.honest.url }, timeoutMs: 30_000 })
      registration = { status: r.status, outcome: r.body?.sync?.outcome, ms: Math.round(r.ms) }
      return async () => {
        stopped = true
        clearInterval(refill)
        await Promise.all([...peers].map(async p => { await p.stop() }))
      }
    },
    checks: async (env: AttackEnv) => {
      env.figures.syncDelayMs = syncDelayMs
      env.figures.slotHolders = { identities, blocksDribbled: dribbled }
      env.figures.registration = registration
      await ahead?.kill()
      await ahead?.removeData()
      return {
        honestChainArrived: Number.isFinite(syncDelayMs),
        registerWithSynced: registration?.status === 200 && (registration.outcome === 'synced' || registration.outcome === 'up-to-date')
      }
    }
  }
}
