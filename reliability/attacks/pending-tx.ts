// Defect 4, unbounded responses: the mempool full of large txs, 20 clients reading GET /pending_tx as fast
// as they can and 60 that send the request and never read the answer. The node must keep answering
// honest clients and its memory must stay bounded (pages, streamed with backpressure).
import { Agent } from 'node:http'
import type { Socket } from 'node:net'
import { ATTACKER_ADDRESS, loop, rawSocket } from '../attacker.js'
import { httpJson, signedTx } from '../harness.js'
import type { Attack, AttackEnv } from '../scenario.js'

export function pendingTx (): Attack {
  const stalled: Socket[] = []
  let counts: Record<string, number> = {}
  return {
    name: 'pending-tx',
    defect: '4 unbounded responses',
    description: 'a mempool of ~16 KiB txs, 20 clients reading GET /pending_tx in a loop and 60 that never read',
    prepare: async (env: AttackEnv) => {
      // Large records from several clients and keys (each client within its share of the mempool).
      const n = env.ctx.quick ? 300 : 1500
      const data = 'x'.repeat(16_000)
      const agent = new Agent({ keepAlive: true, maxSockets: 8 })
      const sources = ['127.0.0.3', '127.0.0.4', '127.0.0.5', '127.0.0.6']
      let next = 0
      await Promise.all(Array.from({ length: 8 }, async () => {
        while (next < n) {
          const i = next++
          await httpJson(`${env.victim.url}/new_transaction`, { body: signedTx(`${data} ${i}`, 5_000_000 + i), agent, localAddress: sources[i % sources.length] })
        }
      }))
      agent.destroy()
      env.figures.pendingTxs = Number((await httpJson(`${env.victim.url}/node_info`)).body?.pending ?? 0)
    },
    start: async (env: AttackEnv) => {
      const port = Number(new URL(env.victim.url).port)
      for (let i = 0; i < 60; i++) {
        const s = await rawSocket(port, ATTACKER_ADDRESS)
        s.on('error', () => {})
        s.pause() // never read
        s.write('GET /pending_tx HTTP/1.1\r\nHost: victim\r\n\r\n')
        stalled.push(s)
      }
      const agent = new Agent({ keepAlive: true, maxSockets: 20 })
      const readers = loop(20, async () => {
        const r = await httpJson(`${env.victim.url}/pending_tx`, { agent, localAddress: ATTACKER_ADDRESS })
        return `${r.status}`
      })
      counts = readers.counts
      return async () => {
        await readers.stop()
        agent.destroy()
      }
    },
    checks: async (env: AttackEnv) => {
      const stillOpen = stalled.filter(s => !s.destroyed).length
      for (const s of stalled) s.destroy()
      env.figures.readers = counts
      env.figures.nonReadersStillOpen = stillOpen
      return {
        readersServed: (counts['200'] ?? 0) > 0
      }
    }
  }
}
