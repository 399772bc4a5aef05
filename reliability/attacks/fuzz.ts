// Old guarantee, fuzz: thousands of random requests (methods, paths, queries, headers, bodies from
// fast-check, mutations of valid txs and blocks) at a real node while honest clients post. Not one 5xx,
// every error JSON.
import fc from 'fast-check'
import { Agent } from 'node:http'
import { ATTACKER_ADDRESS, loop, GENESIS, mineBlock } from '../attacker.js'
import { httpJson, signedTx } from '../harness.js'
import type { Attack, AttackEnv } from '../scenario.js'

const ROUTES = ['/new_transaction', '/add_block', '/register_with', '/register_node', '/mine', '/chain', '/pending_tx', '/tx/x', '/blocks/y',
  '/items/a/history', '/node_info', '/peers', '/p2p/v1/status', '/p2p/v1/blocks/after/zz/1', '/p2p/v1/locate/a,b', '/nope', '/']
const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD']

export function fuzz (): Attack {
  let counts: Record<string, number> = {}
  const bad: string[] = []
  return {
    name: 'fuzz',
    defect: 'old guarantee: fuzz',
    description: 'random methods, paths, queries and bodies (fast-check), and field mutations of valid txs and blocks, at a node with an API token (as any node open to others)',
    victimArgs: () => ['--api-token', 'fuzz-victim-token'],
    start: async (env: AttackEnv) => {
      const total = env.ctx.quick ? 300 : 3000
      const body = fc.oneof(
        fc.json(),
        fc.string(),
        fc.anything().map(v => { try { return JSON.stringify(v) ?? '' } catch { return '' } }),
        fc.record({ node_address: fc.string() }).map(v => JSON.stringify(v)),
        fc.constantFrom(...Object.keys(signedTx('base', 1))).chain(field => fc.anything().map(v => JSON.stringify({ ...signedTx('mutated', 2), [field]: v }) ?? '')),
        fc.constantFrom(...Object.keys(mineBlock(GENESIS, []))).chain(field => fc.anything().map(v => JSON.stringify({ ...mineBlock(GENESIS, []), [field]: v }) ?? ''))
      )
      const requests = fc.sample(fc.record({
        method: fc.constantFrom(...METHODS),
        path: fc.oneof(fc.constantFrom(...ROUTES), fc.string().map(s => '/' + encodeURIComponent(s))),
        query: fc.option(fc.string().map(s => '?' + encodeURIComponent(s).replace(/%3D/g, '=').replace(/%26/g, '&')), { nil: '' }),
        body: fc.option(body, { nil: undefined })
      }), total)
      const agent = new Agent({ keepAlive: true, maxSockets: 4 })
      const sender = loop(4, async (_lane, i) => {
        if (i >= requests.length) { await new Promise(resolve => setTimeout(resolve, 50)); return 'done' }
        const r = requests[i]
        const method = r.body !== undefined && (r.method === 'GET' || r.method === 'HEAD') ? 'POST' : r.method
        const a = await httpJson(`${env.victim.url}${r.path}${r.query}`, { method, body: r.body, agent, localAddress: ATTACKER_ADDRESS, timeoutMs: 30_000 })
        const json = method === 'HEAD' || a.status === 204 || (typeof a.body === 'object' && a.body !== null) || a.status < 400 // the page and CSVs are not JSON
        if (a.status >= 500 || !json) {
          if (bad.length < 20) bad.push(`${method} ${r.path}${r.query} -> ${a.status} ${String(typeof a.body === 'string' ? a.body : JSON.stringify(a.body)).slice(0, 120)}`)
        }
        return a.status >= 500 ? '5xx' : !json ? 'not JSON' : `${Math.floor(a.status / 100)}xx`
      })
      counts = sender.counts
      return async () => {
        // Let the whole sample go out, then stop.
        const deadline = Date.now() + 120_000
        while ((counts.done ?? 0) === 0 && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 100))
        await sender.stop()
        agent.destroy()
      }
    },
    checks: async (env: AttackEnv) => {
      const { done: _done, ...answers } = counts
      env.figures.answers = answers
      env.figures.requests = Object.values(answers).reduce((a, b) => a + b, 0)
      env.figures.bad = bad
      return {
        no5xx: (counts['5xx'] ?? 0) === 0,
        everyErrorJson: (counts['not JSON'] ?? 0) === 0
      }
    }
  }
}
