// `--trace FILE` (docs/design.md §10): the node's events appended as NDJSON, one object per line, for
// `gossipchain report` and for researchers. Writes are buffered by the stream, never awaited on the hot
// path (it subscribes with NodeEvents.on, src/node/events.ts). The buffer is bounded: when the disk
// falls further behind than `maxBufferedBytes`, events are dropped and counted (`dropped`) rather than
// held in memory.
import { createWriteStream, type WriteStream } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { dirname } from 'node:path'

/** Default bound of the unwritten buffer: ~30k events of ~500 B. */
export const DEFAULT_TRACE_BUFFER_BYTES = 16 * 1024 * 1024

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

  write (event: object): void {
    if (this.out.writableLength >= this.maxBufferedBytes) {
      this.droppedEvents++
      return
    }
    this.out.write(JSON.stringify(event, (_k, v: unknown) => typeof v === 'bigint' ? v.toString() : v) + '\n')
  }

  async close (): Promise<void> {
    await new Promise<void>(resolve => this.out.end(resolve))
  }
}
