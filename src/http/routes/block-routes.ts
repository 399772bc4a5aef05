// POST /add_block (docs/design.md §3, §7): a block mined elsewhere; accepted blocks are gossiped on.
import { Hono } from 'hono'
import type { Chain } from '../../chain/chain.js'
import { ruleErrorOutcome } from '../../chain/error-outcome.js'
import type { InternalErrorLogger } from '../error-handler.js'
import { HttpError } from '../http-error.js'
import { readJsonObject } from '../json-body.js'
import type { NetworkApi } from '../types.js'

export interface BlockRoutesInit {
  chain: Chain
  network: NetworkApi
  logInternalError: InternalErrorLogger
}

/** The original node's words for a refused block, kept for old clients; `detail` says why. */
export const BLOCK_DISCARDED = 'The block was discarded by the node'

export function createBlockRoutes (init: BlockRoutesInit): Hono {
  if (init.chain === undefined || init.network === undefined) throw new TypeError('createBlockRoutes: "chain" and "network" are required')
  const { chain, network, logInternalError } = init
  const routes = new Hono()

  routes.post('/add_block', async c => {
    const body = await readJsonObject(c)
    let block
    try {
      ({ block } = await chain.submitBlock(body))
    } catch (err) {
      const outcome = ruleErrorOutcome(err)
      if (outcome === undefined) throw err
      throw new HttpError(outcome.httpStatus, outcome.code, BLOCK_DISCARDED, { detail: outcome.message })
    }
    try {
      network.publishBlock(block)
    } catch (err) {
      logInternalError(err, { method: c.req.method, path: c.req.path })
    }
    return c.json({ message: 'Block added to the chain' }, 201)
  })

  return routes
}
