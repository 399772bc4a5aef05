// The sync sub-app (docs/design.md §5): read-only routes a peer uses to find a fork point and download
// blocks. Served on libp2p streams (syncHandler) and mountable on the TCP facade under /p2p/v1.

import { Hono } from 'hono'
import { MAX_BLOCKS_PER_REQUEST, MAX_LOCATOR_HASHES, MAX_RESPONSE_BYTES, SYNC_BASE_PATH } from './constants.js'
import { jsonOf, jsonSizeOf } from '../core/serialized.js'
import type { Block } from '../core/types.js'
import type { Context } from 'hono'

/** What the sync server reads; the chain service implements it. */
export interface SyncSource {
  status(): SyncStatus
  /** Main-chain blocks after `hash`, at most `max`; undefined when `hash` is not on the main chain. */
  blocksAfter(hash: string, max: number): Promise<Block[] | undefined>
  /** The highest of `hashes` on our main chain. */
  locate(hashes: string[]): Promise<{ hash: string, index: number } | undefined>
  /** Bitcoin-style locator of our main chain: tip, tip-1, -2, -4, -8 ... genesis. */
  locator(): Promise<string[]>
}

export interface SyncStatus {
  network: string
  genesis: string
  /** work: cumulative work of the head, decimal bigint. */
  head: { hash: string, index: number, work: string }
}

export enum SyncRouteErrorCode {
  BAD_HASH = 'BAD_HASH',
  BAD_MAX = 'BAD_MAX',
  TOO_MANY_HASHES = 'TOO_MANY_HASHES',
  UNKNOWN_BLOCK = 'UNKNOWN_BLOCK',
  NO_COMMON_BLOCK = 'NO_COMMON_BLOCK',
  NOT_FOUND = 'NOT_FOUND',
  INTERNAL = 'INTERNAL'
}

const HASH = /^[0-9a-f]{64}$/

export interface SyncRoutesOptions {
  /** Largest response body; a batch of blocks is cut to fit. Default MAX_RESPONSE_BYTES. */
  maxResponseBytes?: number
}

function fail (c: Context, status: 400 | 404 | 500, code: SyncRouteErrorCode, error: string): Response {
  return c.json({ error, code }, status)
}

/** The `/p2p/v1` sub-app: mount it with `app.route('/p2p/v1', createSyncRoutes(chain))`. */
export function createSyncRoutes (source: SyncSource, opts: SyncRoutesOptions = {}): Hono {
  const maxResponseBytes = opts.maxResponseBytes ?? MAX_RESPONSE_BYTES
  const app = new Hono()

  app.get('/status', (c) => {
    const s = source.status()
    return c.json({ network: s.network, genesis: s.genesis, head: { hash: s.head.hash, index: s.head.index, work: s.head.work } })
  })

  app.get('/blocks/after/:hash/:max', async (c) => {
    const hash = c.req.param('hash')
    const maxParam = c.req.param('max')
    if (!HASH.test(hash)) return fail(c, 400, SyncRouteErrorCode.BAD_HASH, 'hash must be 64 lowercase hex characters')
    const max = /^[0-9]{1,3}$/.test(maxParam) ? Number(maxParam) : NaN
    if (!(max >= 1 && max <= MAX_BLOCKS_PER_REQUEST)) {
      return fail(c, 400, SyncRouteErrorCode.BAD_MAX, `max must be an integer from 1 to ${MAX_BLOCKS_PER_REQUEST}`)
    }
    const blocks = await source.blocksAfter(hash, max)
    if (blocks == null) return fail(c, 404, SyncRouteErrorCode.UNKNOWN_BLOCK, `block ${hash} is not on this node's main chain`)
    const body = jsonArrayWithin(blocks.slice(0, max), maxResponseBytes)
    if (body == null) return fail(c, 500, SyncRouteErrorCode.INTERNAL, 'the next block alone exceeds the response limit')
    return c.body(body, 200, { 'content-type': 'application/json' })
  })

  app.get('/locate/:hashes', async (c) => {
    const hashes = c.req.param('hashes').split(',')
    if (hashes.length > MAX_LOCATOR_HASHES) {
      return fail(c, 400, SyncRouteErrorCode.TOO_MANY_HASHES, `at most ${MAX_LOCATOR_HASHES} hashes`)
    }
    const bad = hashes.findIndex(h => !HASH.test(h))
    if (bad !== -1) return fail(c, 400, SyncRouteErrorCode.BAD_HASH, `hash ${bad} must be 64 lowercase hex characters`)
    const found = await source.locate(hashes)
    if (found == null) return fail(c, 404, SyncRouteErrorCode.NO_COMMON_BLOCK, 'none of these blocks is on this node\'s main chain')
    return c.json({ hash: found.hash, index: found.index })
  })

  // Hono applies a sub-app's onError under a mount but the parent's notFound: the facade keeps its
  // own 404, and syncHandler sets one for libp2p streams.
  app.notFound((c) => fail(c, 404, SyncRouteErrorCode.NOT_FOUND, `no sync route ${c.req.method} ${c.req.path}`))
  app.onError((_err, c) => fail(c, 500, SyncRouteErrorCode.INTERNAL, 'the node failed to answer this request'))
  return app
}

/**
 * Serializes the longest prefix of `items` whose JSON array fits in `maxBytes`. undefined when not
 * even the first item fits. Sizes are UTF-8 bytes.
 */
export function jsonArrayWithin (items: unknown[], maxBytes: number): string | undefined {
  const parts: string[] = []
  let size = 2 // [ and ]
  for (const item of items) {
    // Blocks keep their serialized text (src/core/serialized.ts): served as stored, not serialized again.
    const object = typeof item === 'object' && item !== null
    const json = object ? jsonOf(item) : JSON.stringify(item)
    const add = (object ? jsonSizeOf(item) : Buffer.byteLength(json)) + (parts.length > 0 ? 1 : 0)
    if (size + add > maxBytes) break
    parts.push(json)
    size += add
  }
  if (parts.length === 0 && items.length > 0) return undefined
  return `[${parts.join(',')}]`
}

/** A fetch handler serving the sync routes at SYNC_BASE_PATH, for the libp2p sync protocol. */
export function syncHandler (source: SyncSource, opts: SyncRoutesOptions = {}): (req: Request) => Response | Promise<Response> {
  const app = new Hono()
  app.route(SYNC_BASE_PATH, createSyncRoutes(source, opts))
  app.notFound((c) => fail(c, 404, SyncRouteErrorCode.NOT_FOUND, `no route ${c.req.method} ${c.req.path}`))
  return (req) => app.fetch(req)
}
