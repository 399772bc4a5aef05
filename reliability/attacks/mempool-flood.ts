// Defect 3, mempool monopoly: one key floods over HTTP (from its own address, 127.0.0.2) and one gossip
// peer floods with many keys, both far past the mempool's size. Honest txs from fresh senders must still
// be acknowledged, the next block must carry them, and the flooding peer must pay (penalised, banned).
import type { Ed25519Tx } from '../../src/core/types.js'
import { Agent } from 'node:http'
import { ATTACKER_ADDRESS, hostilePeer, joinVictim, loop, type HostilePeer } from '../attacker.js'
import { allPending, httpJson, signedTx } from '../harness.js'
import type { Attack, AttackEnv } from '../scenario.js'

/** The victim's mempool: small enough that a flood overfills it within the window on a busy 2-core machine. */
const mempoolSize = (quick: boolean): number => quick ? 400 : 2_000

export function mempoolFlood (): Attack {
  let httpFlood: Ed25519Tx[] = []
  let gossipFlood: Ed25519Tx[] = []
  let peer: HostilePeer | undefined
  let counts: Record<string, number> = {}
  let published = 0
  return {
    name: 'mempool-flood',
    defect: '3 mempool monopoly',
    description: 'one key over HTTP (127.0.0.2) and one gossip peer with a key per tx, each sending more txs than the whole mempool holds',
    victimArgs: ctx => ['--mempool-max-count', String(mempoolSize(ctx.quick))],
    prepare: async (env: AttackEnv) => {
      const n = Math.round(1.5 * mempoolSize(env.ctx.quick))
      httpFlood = Array.from({ length: n }, (_, i) => signedTx(`flood over http ${i}`, 9_000_001))
      gossipFlood = Array.from({ length: n }, (_, i) => signedTx(`flood over gossip ${i}`, 10_000_000 + i))
      peer = await hostilePeer({})
      await joinVictim(peer, env.victim)
    },
    start: async (env: AttackEnv) => {
      const agent = new Agent({ keepAlive: true, maxSockets: 8 })
      const http = loop(8, async (_lane, i) => {
        if (i >= httpFlood.length) { await new Promise(resolve => setTimeout(resolve, 50)); return 'done' }
        const r = await httpJson(`${env.victim.url}/new_transaction`, { body: httpFlood[i], agent, localAddress: ATTACKER_ADDRESS })
        return `http ${r.status}${typeof r.body?.code === 'string' ? ` ${r.body.code}` : ''}`
      })
      counts = http.counts
      let stopped = false
      const gossiping = (async () => {
        for (const tx of gossipFlood) {
          if (stopped) break
          await peer!.services.gossip.publishTx(tx).catch(() => undefined)
          published++
          if (published % 50 === 0) await new Promise(resolve => setImmediate(resolve))
        }
      })()
      return async () => {
        stopped = true
        await Promise.all([http.stop(), gossiping])
        agent.destroy()
      }
    },
    checks: async (env: AttackEnv) => {
      // What each flooder holds now: never more than half the mempool (its share among three sources is a third).
      const held = { http: 0, gossip: 0 }
      const capacity = mempoolSize(env.ctx.quick)
      const httpKey = httpFlood[0].senderPK
      const gossipKeys = new Set(gossipFlood.map(t => t.senderPK))
      for (const tx of await allPending(env.victim)) {
        if (tx.senderPK === httpKey) held.http++
        else if (gossipKeys.has(tx.senderPK)) held.gossip++
      }
      const peers = await httpJson(`${env.victim.url}/peers`)
      const stillConnected = (peers.body?.peers ?? []).some((p: { peerId: string }) => p.peerId === peer!.peerId.toString())
      const mined = await httpJson(`${env.victim.url}/mine`, { method: 'POST' })
      const inBlock = new Set<string>((mined.body?.block?.transactions ?? []).map((t: { id: string }) => t.id))
      const honestInBlock = env.client.acknowledged.filter(id => inBlock.has(id)).length
      env.figures.flood = { http: counts, gossipPublished: published, held, floodPeerDropped: !stillConnected, nextBlockTxs: inBlock.size, honestInNextBlock: honestInBlock }
      await peer?.stop()
      return {
        floodersHoldAtMostHalf: held.http <= capacity / 2 + 1 && held.gossip <= capacity / 2 + 1,
        floodPeerDropped: !stillConnected,
        honestInNextBlock: honestInBlock > 0
      }
    }
  }
}
