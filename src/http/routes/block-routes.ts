// POST /add_block (docs/design.md §3, §7): a block mined elsewhere; accepted blocks are gossiped on.
import { Hono } from 'hono'
import type { Chain } from '../../chain/chain.js'
import { ruleErrorOutcome } from '../../chain/error-outcome.js'
import type { InternalErrorLogger } from '../error-handler.js'
import { ConcurrencyGate } from '../concurrency-gate.js'
import { HttpError } from '../http-error.js'
import { readJsonObject } from '../json-body.js'
import type { NetworkApi } from '../types.js'

export interface BlockRoutesInit {
  chain: Chain
  network: NetworkApi
  logInternalError: InternalErrorLogger
}

/** POST /add_block requests validated at once, and waiting (docs/design.md §12). */
export const ADD_BLOCK_RUNNING = 1
export const ADD_BLOCK_WAITING = 8

/** The original node's words for a refused block, kept for old clients; `detail` says why. */
export const BLOCK_DISCARDED = 'The block was discarded by the node'

export function createBlockRoutes (init: BlockRoutesInit): Hono {
  if (init.chain === undefined || init.network === undefined) throw new TypeError('createBlockRoutes: "chain" and "network" are required')
  const { chain, network, logInternalError } = init
  const routes = new Hono()

  // docs/design.md §12: anyone may post a block, and a block may hold 2,000 signatures to check. One is
  // validated at a time, a few wait, the rest are told to come back; the line is passed before the body
  // is read, so a refused request costs nothing but its headers.
  const gate = new ConcurrencyGate('blocks', ADD_BLOCK_RUNNING, ADD_BLOCK_WAITING)
  routes.post('/add_block', async c => {
    const block = await gate.run(async () => {
      const body = await readJsonObject(c)
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
