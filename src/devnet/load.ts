// Signed tx load for a devnet (docs/design.md §10): distinct Ed25519 txs at a steady rate, each POSTed to
// one node of the devnet (picked at random from a seed), for a duration. Each tx is signed just before it
// is sent, with its timestamp = now, so its createdAt is its submission time. The schedule is absolute
// (tx i is due at start + i/rate): a slow moment is caught up, never compounded; at most `maxInFlight`
// requests are open at once, so an overloaded devnet slows the load down instead of piling requests up;
// it ends with its duration, and what an overloaded devnet could not take is counted `unsent`.
import { randomBytes } from 'node:crypto'
import { signTx } from '../core/tx.js'
import type { Tx } from '../core/types.js'
import { nodeEd25519Signer } from '../crypto/node-ed25519.js'
import type { Facade } from './client.js'
import { prng } from './random.js'

export interface TxLoadOptions {
  /** Nodes to post to. */
  targets: ReadonlyArray<Pick<Facade, 'post'>>
  /** The devnet's network id (GET /node_info `network`): what txs are signed for. */
  network: string
  /** Txs per second, > 0. */
  rate: number
  /** How long to send, ms. */
  durationMs: number
  /** Seed of the target choice (default 1). */
  seed?: number
  /** Distinct signing keys, used in turn (default 16). */
  signers?: number
  /** Requests open at once at most (default 256). */
  maxInFlight?: number
  /** Stops the load early. */
  signal?: AbortSignal
  /** Called with each tx once its node answered (status 0 when the request failed). */
  onResult?: (result: { tx: Tx, target: number, status: number }) => void
}

export interface TxLoadStats {
  /** Txs posted (answered or not). */
  sent: number
  /** Answered 201. */
  accepted: number
  /** Answered otherwise (4xx/5xx). */
  refused: number
  /** No answer (connection error). */
  failed: number
  /** Why requests failed: error message -> count (the first 10 distinct messages). */
  errors: Record<string, number>
  /** Why txs were refused: "status CODE" (the error body's code) -> count (the first 10 distinct). */
  refusals: Record<string, number>
  /** Txs the schedule had due within the duration but that were not sent (the devnet fell behind). */
  unsent: number
  /** Requests not yet answered. */
  inFlight: number
  /** Longest a due tx waited for a free request slot, ms (0: the devnet kept up). */
  maxLagMs: number
  startedAt: number
  durationMs: number
}

const TICK_MS = 10
/** Attempts per tx when the connection fails (a kept-alive socket the node closed as we reused it). */
const ATTEMPTS = 3

/**
 * POST a tx, again on a connection failure: posting the same signed tx is idempotent, and a 409 after
 * a failed attempt means that attempt reached the node (the tx is known): counted as accepted.
 */
async function post (target: Pick<Facade, 'post'>, tx: Tx): Promise<{ status: number, code?: string }> {
  for (let attempt = 1; ; attempt++) {
    try {
      const { status, body } = await target.post('/new_transaction', tx)
      if (attempt > 1 && status === 409) return { status: 201 }
      return { status, code: typeof body?.code === 'string' ? body.code : undefined }
    } catch (err) {
      if (attempt >= ATTEMPTS) throw err
    }
  }
}

/** A running tx load: `stats` as it goes, `done` when the duration is over and every answer is in. */
export interface TxLoad {
  readonly stats: TxLoadStats
  readonly done: Promise<TxLoadStats>
}

/** Count `key`, keeping at most 10 distinct keys (a flood of distinct messages stays small). */
function countOnce (counts: Record<string, number>, key: string): void {
  if (key in counts || Object.keys(counts).length < 10) counts[key] = (counts[key] ?? 0) + 1
}

export function startTxLoad (opts: TxLoadOptions): TxLoad {
  const targets = opts.targets
  if (!Array.isArray(targets) || targets.length === 0) throw new TypeError('startTxLoad: "targets" must be a non-empty list of nodes')
  if (!(typeof opts.rate === 'number' && opts.rate > 0 && Number.isFinite(opts.rate))) throw new RangeError('startTxLoad: "rate" must be a positive number of txs per second')
  if (!(Number.isSafeInteger(opts.durationMs) && opts.durationMs >= 0)) throw new RangeError('startTxLoad: "durationMs" must be an integer >= 0')
  const signerCount = opts.signers ?? 16
  if (!Number.isSafeInteger(signerCount) || signerCount < 1) throw new RangeError('startTxLoad: "signers" must be a positive integer')
  const maxInFlight = opts.maxInFlight ?? 256
  if (!Number.isSafeInteger(maxInFlight) || maxInFlight < 1) throw new RangeError('startTxLoad: "maxInFlight" must be a positive integer')
  const pick = prng(opts.seed ?? 1)
  // Keys of this run only: a devnet's txs never collide with another run's.
  const signers = Array.from({ length: signerCount }, () => nodeEd25519Signer(new Uint8Array(randomBytes(32))))
  const runId = randomBytes(4).toString('hex')

  const stats: TxLoadStats = { sent: 0, accepted: 0, refused: 0, failed: 0, errors: {}, refusals: {}, unsent: 0, inFlight: 0, maxLagMs: 0, startedAt: Date.now(), durationMs: opts.durationMs }
  const total = Math.floor(opts.rate * opts.durationMs / 1000)

  const send = (i: number): void => {
    const nowMs = Date.now()
    const tx = signTx({
      data: `devnet load ${runId} #${i}`,
      timestamp: Math.round(nowMs) / 1000,
      nonce: randomBytes(16).toString('hex')
    }, signers[i % signers.length], opts.network)
    const target = Math.floor(pick() * targets.length)
    stats.sent++
    stats.inFlight++
    post(targets[target], tx).then(({ status, code }) => {
      if (status === 201) stats.accepted++
      else {
        stats.refused++
        countOnce(stats.refusals, `${status} ${code ?? ''}`.trim())
      }
      opts.onResult?.({ tx, target, status })
    }, (err: unknown) => {
      stats.failed++
      const cause = (err as { cause?: { code?: string, message?: string } })?.cause
      const why = `${(err as Error)?.message ?? String(err)}${cause !== undefined ? ` (${cause.code ?? cause.message ?? ''})` : ''}`
      countOnce(stats.errors, why)
      opts.onResult?.({ tx, target, status: 0 })
    }).finally(() => {
      stats.inFlight--
      wake?.()
    })
  }

  const dueAt = (i: number): number => stats.startedAt + (i * 1000) / opts.rate
  let wake: (() => void) | undefined
  opts.signal?.addEventListener('abort', () => { wake?.() }, { once: true })
  const done = (async () => {
    let next = 0
    const endsAt = stats.startedAt + opts.durationMs
    while (next < total && opts.signal?.aborted !== true && Date.now() < endsAt) {
      const due = Math.min(total, Math.floor((Date.now() - stats.startedAt) * opts.rate / 1000) + 1)
      while (next < due && stats.inFlight < maxInFlight) send(next++)
      if (next < due) stats.maxLagMs = Math.max(stats.maxLagMs, Date.now() - dueAt(next))
      if (next >= total) break
      // Sleep until the next tx is due (or a request slot frees when we are at the limit).
      const waitMs = stats.inFlight >= maxInFlight ? TICK_MS : Math.max(1, dueAt(next) - Date.now())
      await new Promise<void>(resolve => {
        const timer = setTimeout(resolve, Math.min(waitMs, 250))
        wake = () => { clearTimeout(timer); resolve() }
      })
      wake = undefined
    }
    // The duration is over: what the schedule still had is not sent (the run lasts what was asked).
    if (opts.signal?.aborted !== true) stats.unsent = total - next
    while (stats.inFlight > 0) await new Promise<void>(resolve => { wake = resolve })
    return stats
  })()
  return { stats, done }
}
