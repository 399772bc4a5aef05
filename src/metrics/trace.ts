// `--trace FILE` (docs/design.md §10): the node's events appended to FILE, one JSON object per line, for
// `gossipchain report` and for researchers: our own events as they are (`--trace-format ndjson`, the
// default), or go-libp2p-pubsub's tracer events (`--trace-format pubsub`, src/metrics/pubsub-trace.ts).
// The trace subscribes to the event stream with NodeEvents.on (src/node/events.ts): writes are buffered
// by the stream and never awaited on the hot path. The buffer is bounded: when the disk falls further
// behind than `maxBufferedBytes`, events are dropped and counted (`dropped`) rather than held in memory.
import { createWriteStream, type WriteStream } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { dirname } from 'node:path'
import type { NodeEvent, NodeEvents } from '../node/events.js'
import { pubsubTraceEncoder, type PubsubTraceInit } from './pubsub-trace.js'
import { TRACE_FORMATS, type TraceFormat } from './trace-format.js'

/** Default bound of the unwritten buffer: ~30k events of ~500 B. */
export const DEFAULT_TRACE_BUFFER_BYTES = 16 * 1024 * 1024

export { TRACE_FORMATS, type TraceFormat } from './trace-format.js'

export class TraceWriter {
  private droppedEvents = 0

  private constructor (private readonly out: WriteStream, private readonly maxBufferedBytes: number) {}

  static async open (path: string, opts: { maxBufferedBytes?: number } = {}): Promise<TraceWriter> {
    if (typeof path !== 'string' || path === '') throw new TypeError('TraceWriter: "path" must be a file path')
    const maxBufferedBytes = opts.maxBufferedBytes ?? DEFAULT_TRACE_BUFFER_BYTES
    if (!Number.isSafeInteger(maxBufferedBytes) || maxBufferedBytes < 1) throw new TypeError('TraceWriter: "maxBufferedBytes" must be a positive integer')
    await mkdir(dirname(path), { recursive: true })
    const out = createWriteStream(path, { flags: 'a' })
    await new Promise<void>((resolve, reject) => { out.once('open', () => resolve()); out.once('error', reject) })
    return new TraceWriter(out, maxBufferedBytes)
  }

  /** Events not written because the buffer was full. */
  get dropped (): number {
    return this.droppedEvents
  }

  /** Append `text` (whole lines), or count it dropped when the disk is too far behind. */
  writeLines (text: string): void {
    if (text === '') return
    if (this.out.writableLength >= this.maxBufferedBytes) {
      this.droppedEvents++
      return
    }
    this.out.write(text)
  }

  /** Append `event` as one NDJSON line. */
  write (event: object): void {
    this.writeLines(ndjsonLine(event))
  }

  async close (): Promise<void> {
    await new Promise<void>(resolve => this.out.end(resolve))
  }
}

/** One event as an NDJSON line (bigints as decimal strings). */
export function ndjsonLine (event: object): string {
  return JSON.stringify(event, (_k, v: unknown) => typeof v === 'bigint' ? v.toString() : v) + '\n'
}

export interface EventTraceInit {
  path: string
  format: TraceFormat
  events: NodeEvents
  /** For the pubsub format: our peer id and topic strings. */
  pubsub?: PubsubTraceInit
  maxBufferedBytes?: number
}

export interface EventTrace {
  readonly path: string
  readonly format: TraceFormat
  /** Events dropped so far because the disk was too far behind. */
  readonly dropped: number
  /** Stop tracing and flush what is buffered. */
  close(): Promise<void>
}

/** Opens `path` (appending) and writes every event of `events` to it in `format` until close(). */
export async function openEventTrace (init: EventTraceInit): Promise<EventTrace> {
  if (!TRACE_FORMATS.includes(init.format)) throw new TypeError(`openEventTrace: "format" must be one of ${TRACE_FORMATS.join(', ')}`)
  let encode: (event: NodeEvent) => string = ndjsonLine
  if (init.format === 'pubsub') {
    if (init.pubsub === undefined) throw new TypeError('openEventTrace: the pubsub format needs "pubsub" (peer id and topics)')
    encode = pubsubTraceEncoder(init.pubsub)
  }
  const writer = await TraceWriter.open(init.path, { maxBufferedBytes: init.maxBufferedBytes })
  const off = init.events.on(event => { writer.writeLines(encode(event)) })
  let closing: Promise<void> | undefined
  return {
    path: init.path,
    format: init.format,
    get dropped () { return writer.dropped },
    close: async () => {
      closing ??= (async () => {
        off()
        await writer.close()
      })()
      await closing
    }
  }
}
