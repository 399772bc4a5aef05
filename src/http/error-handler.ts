// The ONE place where failures become responses (docs/design.md §7): typed HttpErrors, rule errors of the
// ledger (mapped by src/chain/error-outcome.ts, never by switching on codes here), Hono's own
// HTTPExceptions, and anything else as a logged 500 that no client input may reach.
import type { Context, ErrorHandler, NotFoundHandler } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { ruleErrorOutcome } from '../chain/error-outcome.js'
import { HttpError, HttpErrorCode } from './http-error.js'

/** Told about every failure that became a 500: a bug or a broken disk, never a client's doing. */
export type InternalErrorLogger = (err: unknown, request: { method: string, path: string }) => void

export const logInternalErrorToConsole: InternalErrorLogger = (err, request) => {
  console.error(`gossipchain http: internal error on ${request.method} ${request.path}:`, err)
}

function errorBody (message: string, code: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { error: message, code, ...extra }
}

export function createErrorHandler (logInternalError: InternalErrorLogger): ErrorHandler {
  if (typeof logInternalError !== 'function') throw new TypeError('createErrorHandler: "logInternalError" must be a function')
  return (err: unknown, c: Context) => {
    if (err instanceof HttpError) {
      return c.json(errorBody(err.message, err.code, err.extra), err.status, err.headers)
    }
    const outcome = ruleErrorOutcome(err)
    if (outcome !== undefined) {
      return c.json(errorBody(outcome.message, outcome.code), outcome.httpStatus)
    }
    if (err instanceof HTTPException && err.status < 500) {
      const status = err.status as ContentfulStatusCode
      return c.json(errorBody(err.message !== '' ? err.message : 'the request was refused', `HTTP_${status}`), status)
    }
    logInternalError(err, { method: c.req.method, path: c.req.path })
    return c.json(errorBody('internal error', HttpErrorCode.INTERNAL), 500)
  }
}

export const notFoundHandler: NotFoundHandler = (c: Context) => {
  return c.json(errorBody(`no route ${c.req.method} ${c.req.path}`, HttpErrorCode.NOT_FOUND), 404)
}

export function methodNotAllowedResponse (c: Context, allowed: string[]): Response {
  const allow = allowed.join(', ')
  return c.json(errorBody(`${c.req.method} is not allowed on ${c.req.path}; use ${allow}`, HttpErrorCode.METHOD_NOT_ALLOWED), 405, { Allow: allow })
}
