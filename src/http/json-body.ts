// The one reader of request bodies (docs/design.md §7). Old clients post JSON without a Content-Type, so the
// type is not required; the body must be UTF-8 JSON holding an object, of at most the facade's body limit.
//
// Hot path (docs/design.md §11): on the Node server the body is read straight from the IncomingMessage that
// @hono/node-server hands over as `c.env.incoming`, counted as it arrives. Reading it through `c.req.raw`
// (as hono's bodyLimit middleware does on every request) makes the adapter build a WHATWG Request, a
// ReadableStream over the socket, Headers and an AbortController per request: ~16 % of a node's CPU under
// ingest load (BENCHMARKS.md item 7). Elsewhere (app.request() in tests) the web body is read, capped alike.
import type { IncomingMessage } from 'node:http'
import type { Context, MiddlewareHandler } from 'hono'
import { readCapped, StreamTooLargeError } from '../util/read-capped.js'
import { HttpError, HttpErrorCode } from './http-error.js'

/** Deeper nesting than any tx or block needs; refused before rules that recurse (JCS) can see it. */
export const MAX_JSON_DEPTH = 32

const utf8Decoder = new TextDecoder('utf-8', { fatal: true })

/** Depth of nested arrays/objects, walked with an explicit stack so a hostile body cannot blow ours. */
function exceedsDepth (value: unknown, limit: number): boolean {
  const stack: Array<{ v: unknown, depth: number }> = [{ v: value, depth: 1 }]
  while (stack.length > 0) {
    const { v, depth } = stack.pop()!
    if (v === null || typeof v !== 'object') continue
    if (depth > limit) return true
    for (const child of Object.values(v)) {
      if (child !== null && typeof child === 'object') stack.push({ v: child, depth: depth + 1 })
    }
  }
  return false
}

/** Parse text as a JSON object or throw a 400 HttpError naming what is wrong with it. */
export function parseJsonObject (text: string): Record<string, unknown> {
  if (text.trim() === '') {
    throw new HttpError(400, HttpErrorCode.MALFORMED_JSON, 'the request body is empty: send a JSON object')
  }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err)
    throw new HttpError(400, HttpErrorCode.MALFORMED_JSON, `the request body is not valid JSON: ${reason}`)
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    const got = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`
    throw new HttpError(400, HttpErrorCode.BODY_NOT_OBJECT, `the request body must be a JSON object, got ${got}`)
  }
  if (exceedsDepth(value, MAX_JSON_DEPTH)) {
    throw new HttpError(400, HttpErrorCode.BODY_TOO_DEEP, `the request body nests deeper than ${MAX_JSON_DEPTH} levels`)
  }
  return value as Record<string, unknown>
}

const LIMIT_KEY = 'gossipchain.bodyLimitBytes'

function tooLarge (limit: number): HttpError {
  return new HttpError(413, HttpErrorCode.BODY_TOO_LARGE, `the request body is larger than ${limit} bytes`)
}

function incomingOf (c: Context): IncomingMessage | undefined {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming
  return incoming !== undefined && typeof incoming.on === 'function' && typeof incoming.headers === 'object' ? incoming : undefined
}

/**
 * The facade's body cap (every route): a declared Content-Length over `limit` is 413 before anything is
 * read; a body without one is counted as readJsonObject reads it. Reads no header through the adapter.
 */
export function bodyLimit (limit: number): MiddlewareHandler {
  return async (c, next) => {
    const incoming = incomingOf(c)
    const declared = incoming !== undefined ? incoming.headers['content-length'] : c.req.header('content-length')
    if (declared !== undefined && Number(declared) > limit) throw tooLarge(limit)
    c.set(LIMIT_KEY as never, limit as never)
    await next()
  }
}

/** The body of a Node IncomingMessage, at most `limit` bytes (413 beyond, before reading further). */
async function readIncoming (incoming: IncomingMessage, limit: number): Promise<Uint8Array> {
  return await new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let total = 0
    const done = (err?: HttpError): void => {
      incoming.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose)
      if (err !== undefined) { reject(err); return }
      resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, total))
    }
    const onData = (chunk: Buffer): void => {
      total += chunk.length
      if (total > limit) done(tooLarge(limit))
      else chunks.push(chunk)
    }
    const onEnd = (): void => { done() }
    const unreadable = (): void => { done(new HttpError(400, HttpErrorCode.BODY_UNREADABLE, 'the request body could not be read')) }
    const onError = unreadable
    const onClose = (): void => { if (!incoming.readableEnded) unreadable() }
    if (incoming.readableEnded) { resolve(new Uint8Array(0)); return }
    incoming.on('data', onData).on('end', onEnd).on('error', onError).on('close', onClose)
  })
}

/** The request body's bytes, capped at the facade's body limit (413 BODY_TOO_LARGE beyond). */
export async function readBody (c: Context): Promise<Uint8Array> {
  const limit = (c.get(LIMIT_KEY as never) as number | undefined) ?? Number.MAX_SAFE_INTEGER
  const incoming = incomingOf(c)
  if (incoming !== undefined) return await readIncoming(incoming, limit)
  try {
    return await readCapped(c.req.raw.body, limit)
  } catch (err) {
    if (err instanceof StreamTooLargeError) throw tooLarge(limit)
    throw new HttpError(400, HttpErrorCode.BODY_UNREADABLE, 'the request body could not be read')
  }
}

/** Read the request body as a JSON object (400 MALFORMED_JSON / BODY_NOT_OBJECT otherwise). */
export async function readJsonObject (c: Context): Promise<Record<string, unknown>> {
  return parseJsonBytes(await readBody(c))
}

/** A body's bytes as a JSON object (400 MALFORMED_JSON / BODY_NOT_OBJECT otherwise). */
export function parseJsonBytes (bytes: Uint8Array): Record<string, unknown> {
  let text: string
  try {
    text = utf8Decoder.decode(bytes)
  } catch {
    throw new HttpError(400, HttpErrorCode.MALFORMED_JSON, 'the request body is not valid UTF-8')
  }
  return parseJsonObject(text)
}
