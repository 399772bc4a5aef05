// docs/design.md §4 mempool: bounded by count and bytes; full -> a clear refusal, never a silent drop.
// A Map keeps arrival order and gives O(1) add/has/remove.
import { TxError, TxErrorCode } from './errors.js'
import { txSize } from './tx.js'
import type { Tx } from './types.js'

export interface MempoolLimits {
  maxCount: number
  maxBytes: number
}

interface Entry { tx: Tx, size: number }

export class Mempool {
  private readonly entries = new Map<string, Entry>()
  private totalBytes = 0
  readonly maxCount: number
  readonly maxBytes: number

  constructor (opts: MempoolLimits) {
    if (!Number.isSafeInteger(opts.maxCount) || opts.maxCount < 1) throw new TypeError('maxCount must be a positive integer')
    if (!Number.isSafeInteger(opts.maxBytes) || opts.maxBytes < 1) throw new TypeError('maxBytes must be a positive integer')
    this.maxCount = opts.maxCount
    this.maxBytes = opts.maxBytes
  }

  get count (): number { return this.entries.size }
  get bytes (): number { return this.totalBytes }

  /** Adds a verified tx; throws TX_DUPLICATE or TX_MEMPOOL_FULL. */
  add (tx: Tx): void {
    if (this.entries.has(tx.id)) throw new TxError(TxErrorCode.DUPLICATE, 'the transaction is already pending', { txId: tx.id })
    const size = txSize(tx)
    if (this.entries.size + 1 > this.maxCount || this.totalBytes + size > this.maxBytes) {
      throw new TxError(TxErrorCode.MEMPOOL_FULL, 'the mempool is full; try again after the next block',
        { count: this.entries.size, bytes: this.totalBytes, maxCount: this.maxCount, maxBytes: this.maxBytes })
    }
    this.insert(tx, size)
  }

  /**
   * Txs of blocks a reorg took off the main chain: they were acknowledged once, so the limits do
   * not apply (nothing acknowledged is lost). Ids already present are skipped; the rest are appended.
   */
  restore (txs: Tx[]): void {
    for (const tx of txs) {
      if (!this.entries.has(tx.id)) this.insert(tx, txSize(tx))
    }
  }

  private insert (tx: Tx, size: number): void {
    this.entries.set(tx.id, { tx, size })
    this.totalBytes += size
  }

  has (id: string): boolean { return this.entries.has(id) }

  get (id: string): Tx | undefined { return this.entries.get(id)?.tx }

  remove (ids: Iterable<string>): void {
    for (const id of ids) {
      const entry = this.entries.get(id)
      if (entry === undefined) continue
      this.entries.delete(id)
      this.totalBytes -= entry.size
    }
  }

  /** Pending txs in arrival order. */
  list (): Tx[] {
    return Array.from(this.entries.values(), e => e.tx)
  }

  /**
   * Txs for the next block in arrival order, stopping at the first that does not fit (docs/design.md §4:
   * arrival order). Each tx costs txSize + 1 against maxBytes (its comma in the block's array), so
   * maxBytes = BLOCK_TX_BYTES_BUDGET keeps the block under 1 MiB.
   */
  select (limits: { maxTxs: number, maxBytes: number }): Tx[] {
    const out: Tx[] = []
    let bytes = 0
    for (const { tx, size } of this.entries.values()) {
      if (out.length >= limits.maxTxs || bytes + size + 1 > limits.maxBytes) break
      out.push(tx)
      bytes += size + 1
    }
    return out
  }
}
