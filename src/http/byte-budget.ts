// A budget of request-body bytes per second for a costly unauthenticated route (POST /add_block,
// docs/design.md §12): a token bucket per client address and one for all clients. A request is let in
// only while its client's bucket and the shared one are not in debt, before its body is read; what it
// read is then taken from both (a bucket may go into debt by one body). So a refusal costs nothing but
// the headers, and one client or many together spend on the route at most the rates set here, whatever
// they send: the body's parse and checks cost the node about 10 ms per MiB (JSON of a 1 MiB block).
import { LRUCache } from 'lru-cache'
import { HttpError, HttpErrorCode, UNREAD_BODY } from './http-error.js'

export interface ByteBudgetInit {
  /** What the budget is for, in refusals ("blocks"). */
  what: string
  /** Bytes per second one client may send, and the most it may send at once (the bucket's size). */
  perClient: { rate: number, burst: number }
  /** The same for all clients together. */
  total: { rate: number, burst: number }
  /** Clients remembered at once (least recently seen forgotten first: a fresh client starts full). */
  maxClients?: number
  now?: () => number
}

interface Bucket { tokens: number, at: number }

function positive (value: number, name: string): void {
  if (!(Number.isFinite(value) && value > 0)) throw new TypeError(`ByteBudget: "${name}" must be a positive number`)
}

export class ByteBudget {
  private readonly clients: LRUCache<string, Bucket>
  private readonly total: Bucket
  private readonly now: () => number

  constructor (private readonly init: ByteBudgetInit) {
    positive(init.perClient.rate, 'perClient.rate')
    positive(init.perClient.burst, 'perClient.burst')
    positive(init.total.rate, 'total.rate')
    positive(init.total.burst, 'total.burst')
    this.now = init.now ?? Date.now
    this.clients = new LRUCache({ max: init.maxClients ?? 10_000 })
    this.total = { tokens: init.total.burst, at: this.now() }
  }

  private refill (b: Bucket, limits: { rate: number, burst: number }, now: number): Bucket {
    b.tokens = Math.min(limits.burst, b.tokens + (now - b.at) / 1000 * limits.rate)
    b.at = now
    return b
  }

  /** Let `client` in, or throw 429 RATE_LIMITED (its own budget) or 503 BUSY (everyone's), with Retry-After. */
  admit (client: string): void {
    const now = this.now()
    const own = this.refill(this.clients.get(client) ?? { tokens: this.init.perClient.burst, at: now }, this.init.perClient, now)
    this.clients.set(client, own)
    this.refill(this.total, this.init.total, now)
    if (own.tokens < 0) {
      throw new HttpError(429, HttpErrorCode.RATE_LIMITED, `this client sent more ${this.init.what} than this node reads from one client (${this.init.perClient.rate} bytes a second); try again later`,
        {}, { 'Retry-After': String(Math.ceil(-own.tokens / this.init.perClient.rate)), ...UNREAD_BODY })
    }
    if (this.total.tokens < 0) {
      throw new HttpError(503, HttpErrorCode.BUSY, `clients sent more ${this.init.what} than this node reads (${this.init.total.rate} bytes a second); try again later`,
        {}, { 'Retry-After': String(Math.ceil(-this.total.tokens / this.init.total.rate)), ...UNREAD_BODY })
    }
  }

  /** Charge `bytes` read for `client` (after admit). */
  charge (client: string, bytes: number): void {
    const own = this.clients.get(client)
    if (own !== undefined) own.tokens -= bytes
    this.total.tokens -= bytes
  }
}
