// Read-only chain routes (docs/design.md §7): /chain, /pending_tx, /blocks/:hash, /tx/:id.
import { Hono } from 'hono'
import type { Chain } from '../../chain/chain.js'
import { chainResponse } from '../chain-response.js'
import { legacyView, legacyViewOfBlock } from '../legacy-view.js'
import type { InternalErrorLogger } from '../error-handler.js'
import { HttpError, HttpErrorCode } from '../http-error.js'
import { jsonArrayChunks, SINGLE_BODY_BYTES, streamJson } from '../json-stream.js'
import { hex64Param, optionalCount } from '../query.js'
import type { NetworkApi } from '../types.js'

/** GET /pending_tx without `limit` (docs/design.md §7). */
export const DEFAULT_PENDING_PAGE = 1000
/** The largest page by count. */
export const MAX_PENDING_PAGE = 1000
/**
 * ... and by bytes (docs/design.md §12): a page fits in one write of the txs' cached bytes (no copy, see
 * src/http/json-stream.ts). Counted by txs alone, a page of 16 KiB txs was 16 MiB, copied into pieces:
 * the battery's pending-tx (20 clients reading in a loop) drove the victim's RSS to 440 MB and honest
 * POST /new_transaction p99 from 29 to 395 ms.
 */
export const MAX_PENDING_PAGE_BYTES = SINGLE_BODY_BYTES

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

  // docs/design.md §7, §12: one page at a time (the original shape `[tx...]`, so old clients read the
  // first page as before), streamed in pieces with backpressure; `Link: <...>; rel="next"` names the next
  // page and X-Total-Count the whole mempool. `from` is an arrival sequence number, not an offset, so a
  // page boundary never shifts while blocks take txs away.
  routes.get('/pending_tx', async c => {
    const view = viewOf(c.req.query('view'))
    const from = optionalCount(c.req.query('from'), 'from') ?? 0
    const limit = optionalCount(c.req.query('limit'), 'limit', MAX_PENDING_PAGE) ?? DEFAULT_PENDING_PAGE
    const page = chain.mempool.page(from, Math.max(1, limit), MAX_PENDING_PAGE_BYTES)
    const txs = view === 'legacy' ? legacyView(page.txs) : page.txs
    const headers: Record<string, string> = { 'X-Total-Count': String(chain.mempool.count) }
    if (page.next !== undefined) {
      const params = new URLSearchParams({ from: String(page.next), limit: String(limit) })
      if (c.req.query('view') !== undefined) params.set('view', view)
      headers.Link = `</pending_tx?${params.toString()}>; rel="next"`
    }
    const request = { method: c.req.method, path: c.req.path }
    return await streamJson(c, jsonArrayChunks(txs), 200, err => { init.logInternalError(err, request) }, headers)
  })

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
