// Streaming JSON responses: long chains go out in ~64 KiB pieces instead of one giant string.
import type { Context } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'

const PIECE_CHARS = 64 * 1024

/** The JSON text of an array of `items`, one item per chunk: serialized as the stream is read. */
export async function * jsonArrayChunks (items: readonly unknown[]): AsyncGenerator<string, void, undefined> {
  yield '['
  for (let i = 0; i < items.length; i++) yield (i === 0 ? '' : ',') + JSON.stringify(items[i])
  yield ']'
}

async function nextPiece (chunks: AsyncIterator<string>): Promise<{ piece: string, done: boolean }> {
  let piece = ''
  while (piece.length < PIECE_CHARS) {
    const r = await chunks.next()
    if (r.done === true) return { piece, done: true }
    piece += r.value
  }
  return { piece, done: false }
}

/**
 * Respond with JSON text produced by `chunks`. The first piece is produced before the response starts,
 * so an early failure still becomes a normal JSON error; a failure after that aborts the response
 * (the status is already sent) and is reported to `onLateError`.
 */
export async function streamJson (
  c: Context,
  chunks: AsyncGenerator<string, void, undefined>,
  status: ContentfulStatusCode,
  onLateError: (err: unknown) => void
): Promise<Response> {
  const first = await nextPiece(chunks)
  const headers = { 'Content-Type': 'application/json; charset=UTF-8' }
  if (first.done) return c.body(first.piece, status, headers)
  const encoder = new TextEncoder()
  let sentFirst = false
  const body = new ReadableStream<Uint8Array>({
    async pull (controller) {
      if (!sentFirst) {
        sentFirst = true
        controller.enqueue(encoder.encode(first.piece))
        return
      }
      try {
        const { piece, done } = await nextPiece(chunks)
        if (piece !== '') controller.enqueue(encoder.encode(piece))
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
