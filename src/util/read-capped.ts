// The one capped read of a byte stream (HTTP bodies from other nodes, sync answers over libp2p): read a web
// ReadableStream into one buffer of at most `maxBytes`, and stop, cancel the stream and throw as soon
// as it goes past, so a peer that sends too much costs us at most maxBytes + one chunk of memory.
// Web streams only: runs in the node and in the browser alike.

/** The stream went past the ceiling. */
export class StreamTooLargeError extends Error {
  override readonly name = 'StreamTooLargeError'
  constructor (readonly limit: number) {
    super(`the stream holds more than ${limit} bytes`)
  }
}

export interface ReadCappedOptions {
  /** Aborts the read: rejects with the signal's reason and cancels the stream. */
  signal?: AbortSignal
}

/**
 * All bytes of `stream` (an empty array for null), at most `maxBytes` of them: StreamTooLargeError
 * beyond. Cancels the stream on every failure.
 */
export async function readCapped (stream: ReadableStream<Uint8Array> | null | undefined, maxBytes: number, opts: ReadCappedOptions = {}): Promise<Uint8Array> {
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) throw new TypeError('readCapped: "maxBytes" must be a non-negative integer')
  if (stream == null) return new Uint8Array(0)
  const { signal } = opts
  signal?.throwIfAborted()
  const reader = stream.getReader()
  let onAbort: (() => void) | undefined
  const aborted = signal === undefined
    ? undefined
    : new Promise<never>((_resolve, reject) => {
      onAbort = () => { reject(signal.reason) }
      signal.addEventListener('abort', onAbort, { once: true })
    })
  aborted?.catch(() => {})
  const chunks: Uint8Array[] = []
  let total = 0
  try {
    for (;;) {
      const { done, value } = await (aborted === undefined ? reader.read() : Promise.race([reader.read(), aborted]))
      if (done) break
      total += value.byteLength
      if (total > maxBytes) throw new StreamTooLargeError(maxBytes)
      chunks.push(value)
    }
  } catch (err) {
    void reader.cancel(err).catch(() => {})
    throw err
  } finally {
    if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort)
  }
  if (chunks.length === 1) return chunks[0]
  const out = new Uint8Array(total)
  let offset = 0
  for (const chunk of chunks) {
    out.set(chunk, offset)
    offset += chunk.byteLength
  }
  return out
}
