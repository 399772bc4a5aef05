// Streaming JSON responses: long chains go out in pieces instead of one giant buffer, short ones in one write.
import type { ServerResponse } from 'node:http'
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response'
import type { Context } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { jsonBytesOf } from '../core/serialized.js'

/**
 * A response whose whole JSON fits in this many bytes goes out at once (GET /chain of 100 blocks: the
 * cached bytes of every block handed to the socket in one writev, no copy, instead of a web ReadableStream
 * through the adapter); a longer one streams in pieces of STREAM_PIECE_BYTES. Bounds what one request
 * holds at once.
 */
export const SINGLE_BODY_BYTES = 1024 * 1024
const STREAM_PIECE_BYTES = 256 * 1024

const encoder = new TextEncoder()
const OPEN = encoder.encode('[')
const COMMA = encoder.encode(',')
const CLOSE = encoder.encode(']')

/** JSON bytes of one value: a tx's or block's cached serialized bytes (src/core/serialized.ts), else stringified. */
function bytesOf (item: unknown): Uint8Array {
  return typeof item === 'object' && item !== null ? jsonBytesOf(item) : encoder.encode(JSON.stringify(item))
}

/** The JSON of an array of `items` as UTF-8 pieces, one item per piece, each serialized at most once per object. */
export async function * jsonArrayChunks (items: readonly unknown[]): AsyncGenerator<Uint8Array, void, undefined> {
  yield OPEN
  for (let i = 0; i < items.length; i++) {
    if (i > 0) yield COMMA
    yield bytesOf(items[i])
  }
  yield CLOSE
}

/** A piece of JSON: bytes, or several in order (a batch of blocks: one step of the generator, not one per block). */
export type JsonChunk = Uint8Array | Uint8Array[]

async function nextParts (chunks: AsyncIterator<JsonChunk>, bytes: number): Promise<{ parts: Uint8Array[], size: number, done: boolean }> {
  const parts: Uint8Array[] = []
  let size = 0
  let done = false
  while (size < bytes) {
    const r = await chunks.next()
    if (r.done === true) { done = true; break }
    for (const part of Array.isArray(r.value) ? r.value : [r.value]) {
      parts.push(part)
      size += part.byteLength
    }
  }
  return { parts, size, done }
}

function joined (parts: Uint8Array[], size: number): Uint8Array {
  return parts.length === 1 ? parts[0] : Buffer.concat(parts, size)
}

/** The Node response behind the request (@hono/node-server passes it as `c.env.outgoing`); undefined elsewhere. */
function outgoingOf (c: Context): ServerResponse | undefined {
  const outgoing = (c.env as { outgoing?: ServerResponse } | undefined)?.outgoing
  return outgoing !== undefined && typeof outgoing.writeHead === 'function' && !outgoing.headersSent ? outgoing : undefined
}

/**
 * Respond with JSON produced by `chunks` (UTF-8 pieces). The first piece is produced before the response
 * starts, so an early failure still becomes a normal JSON error; a failure after that aborts the response
 * (the status is already sent) and is reported to `onLateError`. Response headers go in `headers`, not through
 * `c.header()`: the one-writev path writes the Node response itself and never sees the context's headers (reading
 * `c.res` for them would make @hono/node-server write the response a second time).
 */
export async function streamJson (
  c: Context,
  chunks: AsyncGenerator<JsonChunk, void, undefined>,
  status: ContentfulStatusCode,
  onLateError: (err: unknown) => void,
  extraHeaders: Record<string, string> = {}
): Promise<Response> {
  const first = await nextParts(chunks, SINGLE_BODY_BYTES)
  const headers = { ...extraHeaders, 'Content-Type': 'application/json; charset=UTF-8' }
  if (first.done) {
    const outgoing = outgoingOf(c)
    if (outgoing === undefined) return c.body(joined(first.parts, first.size) as Uint8Array<ArrayBuffer>, status, headers)
    // Scatter-gather: the parts (cached block bytes) go to the socket in one writev, never copied into one buffer.
    outgoing.writeHead(status, { ...headers, 'Content-Length': String(first.size) })
    outgoing.cork()
    for (const part of first.parts) outgoing.write(part)
    outgoing.end()
    outgoing.uncork()
    return RESPONSE_ALREADY_SENT
  }
  const firstPiece = joined(first.parts, first.size)
  let sentFirst = false
  const body = new ReadableStream<Uint8Array>({
    async pull (controller) {
      if (!sentFirst) {
        sentFirst = true
        controller.enqueue(firstPiece)
        return
      }
      try {
        const { parts, size, done } = await nextParts(chunks, STREAM_PIECE_BYTES)
        if (size > 0) controller.enqueue(joined(parts, size))
        if (done) controller.close()
      } catch (err) {
        onLateError(err)
        controller.error(err)
      }
    },
    async cancel () {
      await chunks.return(undefined)
    }
  })
  return c.body(body, status, headers)
}
