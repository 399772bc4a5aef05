// Item provenance APIs (docs/design.md §7, §9): GET /items/:item/history (JSON, paged, with Merkle proofs),
// GET /items/:item/history.csv (RFC 4180) and GET /address_book. Everything an item's records carry is
// attacker-controlled text: it leaves here as JSON strings or as quoted, formula-escaped CSV cells, and
// the item itself reaches a response header only percent-encoded.
import { stringify } from 'csv-stringify/sync'
import { Hono, type Context } from 'hono'
import type { Chain, ItemRecord } from '../../chain/chain.js'
import { isValidItem, recordItem, recordReceiver } from '../../core/record.js'
import type { ItemCursor } from '../../store/block-store.js'
import type { InternalErrorLogger } from '../error-handler.js'
import { HttpError, HttpErrorCode } from '../http-error.js'
import { optionalCount } from '../query.js'

/** Records per JSON page: each may cost a Merkle tree of a full block (~15 ms, then cached). */
export const DEFAULT_HISTORY_PAGE = 50
export const MAX_HISTORY_PAGE = 100
/** Rows per CSV response; a longer history continues at the `Link: rel="next"` URL. */
export const MAX_CSV_ROWS = 10_000
/** Records resolved per store read while a CSV streams: at most this many blocks in memory at once. */
const CSV_CHUNK = 32

export const CSV_COLUMNS = ['time', 'block_index', 'confirmations', 'sender', 'receiver', 'item', 'data', 'tx_id'] as const

export interface ItemRoutesInit {
  chain: Chain
  /** Entity name -> Ed25519 public key (config addressBook). */
  addressBook: Record<string, string>
  logInternalError: InternalErrorLogger
}

function itemParam (c: Context): string {
  const item = c.req.param('item')
  if (!isValidItem(item)) {
    throw new HttpError(400, HttpErrorCode.BAD_ITEM, 'the item id must be 1 to 128 characters of valid Unicode')
  }
  return item
}

/** `after=<block index>.<position>`, the `next` of the previous page. */
function cursorParam (value: string | undefined): ItemCursor | undefined {
  if (value === undefined) return undefined
  const m = /^(\d{1,15})\.(\d{1,9})$/.exec(value)
  if (m === null) {
    throw new HttpError(400, HttpErrorCode.BAD_QUERY, `query parameter "after" must be <block index>.<position> as given in "next", got ${JSON.stringify(value.slice(0, 40))}`)
  }
  return { index: Number(m[1]), position: Number(m[2]) }
}

function limitParam (value: string | undefined, fallback: number, max: number): number {
  const limit = optionalCount(value, 'limit', max) ?? fallback
  if (limit === 0) throw new HttpError(400, HttpErrorCode.BAD_QUERY, `query parameter "limit" must be an integer from 1 to ${max}`)
  return limit
}

export function formatCursor (cursor: ItemCursor): string {
  return `${cursor.index}.${cursor.position}`
}

/** encodeURIComponent, plus the characters RFC 5987 attr-char does not allow. */
function rfc5987 (text: string): string {
  return encodeURIComponent(text).replace(/['()*]/g, ch => '%' + ch.charCodeAt(0).toString(16).toUpperCase())
}

/** `attachment` with an ASCII fallback name and the exact item in filename* (RFC 6266). */
function csvDisposition (item: string): string {
  const ascii = item.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 100)
  return `attachment; filename="${ascii}-history.csv"; filename*=UTF-8''${rfc5987(item)}-history.csv`
}

export function createItemRoutes (init: ItemRoutesInit): Hono {
  if (init.chain === undefined) throw new TypeError('createItemRoutes: "chain" is required')
  if (init.addressBook === null || typeof init.addressBook !== 'object') throw new TypeError('createItemRoutes: "addressBook" must be an object')
  const { chain, logInternalError } = init
  const addressBook = { ...init.addressBook }
  const names = new Map(Object.entries(addressBook).map(([name, key]) => [key, name]))
  const nameOf = (key: string | null): string => key === null ? '' : names.get(key) ?? key

  const csvRow = (r: Omit<ItemRecord, 'proof'>): unknown[] => [
    new Date(Math.round(r.tx.timestamp * 1000)).toISOString(),
    r.block.index,
    r.confirmations,
    nameOf(r.tx.senderPK),
    nameOf(recordReceiver(r.tx)),
    recordItem(r.tx) ?? '',
    r.tx.data,
    r.tx.id
  ]
  // RFC 4180: CRLF between records, every text cell quoted (a bare LF in a cell stays inside its quotes),
  // quotes doubled. escape_formulas prefixes ' to cells starting with = + - @ TAB CR (and their
  // full-width forms), so a spreadsheet shows an attacker's "=HYPERLINK(...)" as text (OWASP CSV injection).
  const toCsv = (rows: unknown[][]): string => stringify(rows, { record_delimiter: '\r\n', quoted_string: true, escape_formulas: true })

  const routes = new Hono()

  routes.get('/address_book', c => c.json(addressBook))

  routes.get('/items/:item/history', async c => {
    const item = itemParam(c)
    const limit = limitParam(c.req.query('limit'), DEFAULT_HISTORY_PAGE, MAX_HISTORY_PAGE)
    const page = await chain.itemHistory(item, limit, cursorParam(c.req.query('after')))
    return c.json({ item, records: page.records, next: page.next === undefined ? null : formatCursor(page.next) })
  })

  routes.get('/items/:item/history.csv', async c => {
    const item = itemParam(c)
    const limit = limitParam(c.req.query('limit'), MAX_CSV_ROWS, MAX_CSV_ROWS)
    // One snapshot of the index: every row belongs to the same chain, however long the download takes.
    const read = await chain.readItemIndex(item, limit, cursorParam(c.req.query('after')))
    const headers: Record<string, string> = {
      'Content-Type': 'text/csv; charset=utf-8; header=present',
      'Content-Disposition': csvDisposition(item),
      'X-Content-Type-Options': 'nosniff'
    }
    const last = read.entries[read.entries.length - 1]
    if (read.more && last !== undefined) {
      headers.Link = `</items/${encodeURIComponent(item)}/history.csv?after=${formatCursor(last)}&limit=${limit}>; rel="next"`
    }
    const encoder = new TextEncoder()
    let offset = 0
    let headerSent = false
    const body = new ReadableStream<Uint8Array>({
      async pull (controller) {
        if (!headerSent) {
          headerSent = true
          controller.enqueue(encoder.encode(toCsv([[...CSV_COLUMNS]])))
          return
        }
        if (offset >= read.entries.length) { controller.close(); return }
        const entries = read.entries.slice(offset, offset + CSV_CHUNK)
        offset += entries.length
        try {
          const records = await chain.itemRecords({ head: read.head, entries }, { proofs: false })
          controller.enqueue(encoder.encode(toCsv(records.map(csvRow))))
        } catch (err) {
          logInternalError(err, { method: c.req.method, path: c.req.path })
          controller.error(err)
        }
      }
    })
    return c.body(body, 200, headers)
  })

  return routes
}
