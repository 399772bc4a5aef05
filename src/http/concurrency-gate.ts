// A bound on how many requests of one kind the facade works on at once (docs/design.md §12): `running` at
// a time, `waiting` more in line, and a clear 503 for the rest, before their body is even read. For
// routes whose work is large and unauthenticated (POST /add_block), so a flood of them costs the node a
// bounded share of its time.
import { HttpError, HttpErrorCode, UNREAD_BODY } from './http-error.js'

export class ConcurrencyGate {
  private active = 0
  private readonly queue: Array<() => void> = []

  constructor (private readonly what: string, readonly running: number, readonly waiting: number) {
    if (!Number.isSafeInteger(running) || running < 1) throw new TypeError('ConcurrencyGate: "running" must be a positive integer')
    if (!Number.isSafeInteger(waiting) || waiting < 0) throw new TypeError('ConcurrencyGate: "waiting" must be a non-negative integer')
  }

  /** Run `work` when a place is free; 503 BUSY at once when the line is full. */
  async run<T> (work: () => Promise<T>): Promise<T> {
    if (this.active >= this.running) {
      if (this.queue.length >= this.waiting) {
        throw new HttpError(503, HttpErrorCode.BUSY, `this node works on at most ${this.running} ${this.what} at once and ${this.waiting} are waiting; try again shortly`,
          {}, { 'Retry-After': '1', ...UNREAD_BODY })
      }
      await new Promise<void>(resolve => { this.queue.push(resolve) })
    } else {
      this.active++
    }
    try {
      return await work()
    } finally {
      const next = this.queue.shift()
      if (next !== undefined) next() // the place passes on; active stays
      else this.active--
    }
  }
}
