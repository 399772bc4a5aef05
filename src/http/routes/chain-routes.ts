// Read-only chain routes (docs/design.md §7): /chain, /pending_tx, /blocks/:hash, /tx/:id.
import { Hono } from 'hono'
import type { Chain } from '../../chain/chain.js'
import { chainResponse } from '../chain-response.js'
import { legacyView, legacyViewOfBlock } from '../legacy-view.js'
import type { InternalErrorLogger } from '../error-handler.js'
import { HttpError, HttpErrorCode } from '../http-error.js'
import { hex64Param, optionalCount } from '../query.js'
import type { NetworkApi } from '../types.js'

export interface ChainRoutesInit {
  chain: Chain
  network: NetworkApi
  logInternalError: InternalErrorLogger
  /** /chain and /pending_tx show only records the original frontend can read (config legacyChainView). */
  legacyChainView?: boolean
}

export function createChainRoutes (init: ChainRoutesInit): Hono {
  if (init.chain === undefined || init.network === undefined) throw new TypeError('createChainRoutes: "chain" and "network" are required')
  const { chain } = init
  const defaultView = init.legacyChainView === true ? 'legacy' : 'full'
  /** `?view=full|legacy`: the node's default is for old clients that send no query; the page asks for full. */
  const viewOf = (value: string | undefined): 'full' | 'legacy' => {
    if (value === undefined) return defaultView
    if (value === 'full' || value === 'legacy') return value
    throw new HttpError(400, HttpErrorCode.BAD_QUERY, `query parameter "view" must be full or legacy, got ${JSON.stringify(value.slice(0, 40))}`)
  }
  const routes = new Hono()

  routes.get('/chain', async c => {
    const from = optionalCount(c.req.query('from'), 'from') ?? 0
    const limit = optionalCount(c.req.query('limit'), 'limit') ?? Number.POSITIVE_INFINITY
    return await chainResponse(c, init, from, limit, viewOf(c.req.query('view')) === 'legacy' ? legacyViewOfBlock : undefined)
  })

  routes.get('/pending_tx', c => c.json(viewOf(c.req.query('view')) === 'legacy' ? legacyView(chain.pending()) : chain.pending()))

  routes.get('/blocks/:hash', async c => {
    const hash = hex64Param(c.req.param('hash'), 'hash', HttpErrorCode.BAD_HASH)
    const block = await chain.getBlock(hash)
    if (block === undefined) throw new HttpError(404, HttpErrorCode.BLOCK_NOT_FOUND, `no block ${hash} is known to this node`)
    return c.json(block)
  })

  routes.get('/tx/:id', async c => {
    const id = hex64Param(c.req.param('id'), 'id', HttpErrorCode.BAD_TX_ID)
    const found = await chain.lookupTx(id)
    if (found === undefined) throw new HttpError(404, HttpErrorCode.TX_NOT_FOUND, `no transaction ${id} is pending or in the main chain`)
    return c.json(found)
  })

  return routes
}
