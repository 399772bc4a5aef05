// Admin routes (docs/design.md §7: /mine, /save, /register_with, /register_node) need
// `Authorization: Bearer <apiToken>` when a token is configured.
import { timingSafeEqual } from 'node:crypto'
import type { MiddlewareHandler } from 'hono'
import { nodeSha256 as digest } from '../crypto/sha256.js'
import { HttpError, HttpErrorCode } from './http-error.js'

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i

/**
 * Middleware that lets a request through only with the right bearer token; with no token configured
 * every request passes (the facade then binds 127.0.0.1 by default).
 */
export function requireApiToken (apiToken: string | undefined): MiddlewareHandler {
  if (apiToken === undefined) return async (_c, next) => { await next() }
  if (typeof apiToken !== 'string' || apiToken.trim() === '' || /\s/.test(apiToken)) {
    throw new TypeError('requireApiToken: "apiToken" must be a non-empty string without whitespace')
  }
  // Comparing fixed-size digests keeps the comparison constant-time whatever the length sent.
  const expected = digest(apiToken)
  return async (c, next) => {
    const match = BEARER.exec(c.req.header('authorization') ?? '')
    const presented = digest(match?.[1] ?? '')
    if (match === null || !timingSafeEqual(expected, presented)) {
      throw new HttpError(401, HttpErrorCode.UNAUTHORIZED,
        match === null ? 'this route needs "Authorization: Bearer <apiToken>"' : 'the API token is wrong',
        {}, { 'WWW-Authenticate': 'Bearer realm="gossipchain"' })
    }
    await next()
  }
}
