// POST /add_block (docs/design.md §3, §7): a block mined elsewhere; accepted blocks are gossiped on.
import { Hono } from 'hono'
import type { Chain } from '../../chain/chain.js'
import { ruleErrorOutcome } from '../../chain/error-outcome.js'
import type { InternalErrorLogger } from '../error-handler.js'
import { ByteBudget } from '../byte-budget.js'
import { clientSource } from '../client-source.js'
import { ConcurrencyGate } from '../concurrency-gate.js'
import { HttpError } from '../http-error.js'
import { parseJsonBytes, readBody } from '../json-body.js'
import type { NetworkApi } from '../types.js'

export interface BlockRoutesInit {
  chain: Chain
  network: NetworkApi
  logInternalError: InternalErrorLogger
}

/** POST /add_block requests validated at once, and waiting (docs/design.md §12). */
export const ADD_BLOCK_RUNNING = 1
export const ADD_BLOCK_WAITING = 8
/**
 * POST /add_block body bytes read a second from one client and from all (docs/design.md §12), and the
 * most at once: a 1 MiB block costs ~10 ms to decode and parse, so all clients together take at most
 * ~4% of the event loop, one client ~1% (a block every second or so: far more than a miner posts).
 */
export const ADD_BLOCK_CLIENT_BYTES = { rate: 1024 * 1024, burst: 2 * 1024 * 1024 }
export const ADD_BLOCK_TOTAL_BYTES = { rate: 4 * 1024 * 1024, burst: 8 * 1024 * 1024 }

/** The original node's words for a refused block, kept for old clients; `detail` says why. */
export const BLOCK_DISCARDED = 'The block was discarded by the node'

export function createBlockRoutes (init: BlockRoutesInit): Hono {
  if (init.chain === undefined || init.network === undefined) throw new TypeError('createBlockRoutes: "chain" and "network" are required')
  const { chain, network, logInternalError } = init
  const routes = new Hono()

  // docs/design.md §12: anyone may post a block, and a block may hold 2,000 signatures to check. One is
  // validated at a time, a few wait, the rest are told to come back; the line is passed before the body
  // is read, so a refused request costs nothing but its headers.
  // A client (or all of them) past its byte budget is refused before the line, also before its body is read.
  const gate = new ConcurrencyGate('blocks', ADD_BLOCK_RUNNING, ADD_BLOCK_WAITING)
  const budget = new ByteBudget({ what: 'block bytes', perClient: ADD_BLOCK_CLIENT_BYTES, total: ADD_BLOCK_TOTAL_BYTES })
  routes.post('/add_block', async c => {
    const client = clientSource(c)
    budget.admit(client)
    const block = await gate.run(async () => {
      const bytes = await readBody(c)
      budget.charge(client, bytes.length)
      const body = parseJsonBytes(bytes)
      try {
        return (await chain.submitBlock(body)).block
      } catch (err) {
        const outcome = ruleErrorOutcome(err)
        if (outcome === undefined) throw err
        throw new HttpError(outcome.httpStatus, outcome.code, BLOCK_DISCARDED, { detail: outcome.message })
      }
    })
    try {
      network.publishBlock(block)
    } catch (err) {
      logInternalError(err, { method: c.req.method, path: c.req.path })
    }
    return c.json({ message: 'Block added to the chain' }, 201)
  })

  return routes
}
