// `--trace FILE` (docs/design.md §10): the node's events appended as NDJSON, one object per line, for
// `gossipchain report` and for researchers. Writes are buffered by the stream, never awaited on the hot path.
import { createWriteStream, type WriteStream } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { dirname } from 'node:path'

export class TraceWriter {
  private constructor (private readonly out: WriteStream) {}

  static async open (path: string): Promise<TraceWriter> {
    if (typeof path !== 'string' || path === '') throw new TypeError('TraceWriter: "path" must be a file path')
    await mkdir(dirname(path), { recursive: true })
    const out = createWriteStream(path, { flags: 'a' })
    await new Promise<void>((resolve, reject) => { out.once('open', () => resolve()); out.once('error', reject) })
    return new TraceWriter(out)
  }

  write (event: Record<string, unknown>): void {
    this.out.write(JSON.stringify(event, (_k, v: unknown) => typeof v === 'bigint' ? v.toString() : v) + '\n')
  }

  async close (): Promise<void> {
    await new Promise<void>(resolve => this.out.end(resolve))
  }
}
