// The one reader of request bodies (docs/design.md §7). Old clients post JSON without a Content-Type, so the
// type is not required; the body must be UTF-8 JSON holding an object. The size is capped earlier by
// the body-limit middleware.
import type { Context } from 'hono'
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

/** Read the request body as a JSON object (400 MALFORMED_JSON / BODY_NOT_OBJECT otherwise). */
export async function readJsonObject (c: Context): Promise<Record<string, unknown>> {
  let bytes: ArrayBuffer
  try {
    bytes = await c.req.arrayBuffer()
  } catch {
    throw new HttpError(400, HttpErrorCode.BODY_UNREADABLE, 'the request body could not be read')
  }
  let text: string
  try {
    text = utf8Decoder.decode(bytes)
  } catch {
    throw new HttpError(400, HttpErrorCode.MALFORMED_JSON, 'the request body is not valid UTF-8')
  }
  return parseJsonObject(text)
}
