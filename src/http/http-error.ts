// Typed HTTP failures (docs/design.md §7). Routes throw them; the one `app.onError` (error-handler.ts) turns
// them into `{"error": "<human sentence>", "code": "<CODE>", ...extra}` responses.
import type { ContentfulStatusCode } from 'hono/utils/http-status'

/** Codes the facade itself produces; rule errors keep the codes of src/core/errors.ts. */
export const HttpErrorCode = {
  MALFORMED_JSON: 'MALFORMED_JSON',
  BODY_NOT_OBJECT: 'BODY_NOT_OBJECT',
  BODY_TOO_DEEP: 'BODY_TOO_DEEP',
  BODY_TOO_LARGE: 'BODY_TOO_LARGE',
  BODY_UNREADABLE: 'BODY_UNREADABLE',
  UNAUTHORIZED: 'UNAUTHORIZED',
  NOT_FOUND: 'NOT_FOUND',
  METHOD_NOT_ALLOWED: 'METHOD_NOT_ALLOWED',
  BAD_QUERY: 'BAD_QUERY',
  BAD_HASH: 'BAD_HASH',
  BAD_TX_ID: 'BAD_TX_ID',
  BAD_ITEM: 'BAD_ITEM',
  BLOCK_NOT_FOUND: 'BLOCK_NOT_FOUND',
  TX_NOT_FOUND: 'TX_NOT_FOUND',
  BAD_NODE_ADDRESS: 'BAD_NODE_ADDRESS',
  NETWORK_MISMATCH: 'NETWORK_MISMATCH',
  PEER_UNREACHABLE: 'PEER_UNREACHABLE',
  PEER_TIMEOUT: 'PEER_TIMEOUT',
  PEER_BAD_CHAIN: 'PEER_BAD_CHAIN',
  PEER_SYNC_FAILED: 'PEER_SYNC_FAILED',
  SYNC_BUSY: 'SYNC_BUSY',
  NODE_STOPPING: 'NODE_STOPPING',
  CHAIN_CHANGED: 'CHAIN_CHANGED',
  UI_UNAVAILABLE: 'UI_UNAVAILABLE',
  /** Node's HTTP parser refused the request (docs/design.md §7: still a JSON body). */
  BAD_REQUEST: 'BAD_REQUEST',
  BAD_HOST: 'BAD_HOST',
  HEADERS_TOO_LARGE: 'HEADERS_TOO_LARGE',
  BAD_CONTENT_LENGTH: 'BAD_CONTENT_LENGTH',
  REQUEST_TIMEOUT: 'REQUEST_TIMEOUT',
  /** More requests of a costly kind than the facade works on at once (docs/design.md §12). */
  BUSY: 'BUSY',
  /** One client sent more of a costly kind than the facade takes from one client (docs/design.md §12). */
  RATE_LIMITED: 'RATE_LIMITED',
  /** More connections than the facade serves at once (docs/design.md §12). */
  TOO_MANY_CONNECTIONS: 'TOO_MANY_CONNECTIONS',
  INTERNAL: 'INTERNAL'
} as const

export type HttpErrorCode = typeof HttpErrorCode[keyof typeof HttpErrorCode]

/**
 * Headers of a refusal sent before the request's body was read: the connection closes after it. Kept
 * open, Node would read and discard the rest of the body to reuse the connection (a refused 1 MiB upload
 * costs the node the same reading as an accepted one; the battery's expensive-signatures attack sent
 * 300 MB/s of refused blocks).
 */
export const UNREAD_BODY = Object.freeze({ Connection: 'close' })

/** Extra JSON members next to `error` and `code` (e.g. `detail` of /add_block). */
export type HttpErrorExtra = Record<string, string | number | boolean>

export class HttpError extends Error {
  override readonly name = 'HttpError'

  constructor (
    readonly status: ContentfulStatusCode,
    /** A facade code, or a rule code passed through (TX_*, BLOCK_*). */
    readonly code: string,
    message: string,
    readonly extra: HttpErrorExtra = {},
    readonly headers: Record<string, string> = {}
  ) {
    super(message)
  }
}
