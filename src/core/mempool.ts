// docs/design.md §4 mempool, §12 fairness: bounded by count and bytes, shared fairly between parties.
// A party is a sender (senderPK) and, separately, a source (the gossip peer that relayed the tx, the
// HTTP client's address, or 'local'). Policy:
// - Below half full (by count or bytes) anyone is admitted.
// - Above it, a tx is refused (TX_MEMPOOL_SHARE_EXCEEDED) when its sender or its source would then hold
//   more than a fair share: capacity / (parties of that kind, the newcomer counted), never less than a
//   small floor. This refusal comes before any signature work (the caller asks `admission` first).
// - A source that has been refused more than a whole fair share (count or bytes) since a block last
//   took any of its txs is flooding: its refusals become TX_MEMPOOL_FLOOD (which costs a gossip peer
//   reputation). Being over a share is not enough: a relay can get there honestly (admitted while it
//   was alone, or relaying many senders each past its part), and then refuses at the network's pace.
// - When full, a newcomer whose sender and source are within their shares takes the room of the newest
//   tx of the party most over its fair share (ratio held / share). That tx is returned to the caller,
//   who keeps it durable and pending (src/chain parks it and brings it back when room frees): nothing
//   acknowledged is dropped. With no party over its share, the newcomer is refused (TX_MEMPOOL_FULL).
// - Blocks take txs round-robin over sources, and over senders within a source, arrival order within a
//   sender, so a flood cannot fill every block either.
// Maps keep arrival order and give O(1) add/has/remove.
import { TxError, TxErrorCode } from './errors.js'
import { txSize } from './tx.js'
import type { Tx } from './types.js'

export interface MempoolLimits {
  maxCount: number
  maxBytes: number
}

export interface MempoolFairness {
  /** Fill (the larger of count and bytes, 0..1) above which shares apply. Default 0.5. */
  threshold?: number
  /** A fair share is never below this many txs. Default 16. */
  minShareCount?: number
  /** ... nor below this many bytes. Default 64 KiB. */
  minShareBytes?: number
}

export interface AddOptions {
  /** Txs a newcomer may displace at most (the caller's room to keep them); default no limit. */
  displaceAtMost?: number
}

/** Where a tx came from when its relay is unknown (a restart, a reorg, the node itself). */
export const LOCAL_SOURCE = 'local'

interface Entry { tx: Tx, size: number, seq: number, source: string }

/**
 * What one sender or one source holds; a source also per sender (ids in arrival order), and what it was
 * refused for its shares since a block last took any of its txs (the flood rule).
 */
interface Holding { count: number, bytes: number, ids: Set<string>, bySender?: Map<string, Holding>, refusedCount?: number, refusedBytes?: number }

type PartyKind = 'sender' | 'source'

export interface MempoolPage {
  txs: Tx[]
  /** The `from` of the next page; undefined on the last one. */
  next: number | undefined
}

function holdingOf (map: Map<string, Holding>, key: string): Holding {
  let h = map.get(key)
  if (h === undefined) {
    h = { count: 0, bytes: 0, ids: new Set() }
    map.set(key, h)
  }
  return h
}

export class Mempool {
  private readonly entries = new Map<string, Entry>()
  private readonly senders = new Map<string, Holding>()
  private readonly sources = new Map<string, Holding>()
  private totalBytes = 0
  private nextSeq = 0
  readonly maxCount: number
  readonly maxBytes: number
  readonly threshold: number
  readonly minShareCount: number
  readonly minShareBytes: number

  constructor (opts: MempoolLimits & MempoolFairness) {
    if (!Number.isSafeInteger(opts.maxCount) || opts.maxCount < 1) throw new TypeError('maxCount must be a positive integer')
    if (!Number.isSafeInteger(opts.maxBytes) || opts.maxBytes < 1) throw new TypeError('maxBytes must be a positive integer')
    this.maxCount = opts.maxCount
    this.maxBytes = opts.maxBytes
    this.threshold = opts.threshold ?? 0.5
    if (!(this.threshold > 0 && this.threshold <= 1)) throw new TypeError('threshold must be in (0, 1]')
    this.minShareCount = opts.minShareCount ?? 16
    if (!Number.isSafeInteger(this.minShareCount) || this.minShareCount < 1) throw new TypeError('minShareCount must be a positive integer')
    this.minShareBytes = opts.minShareBytes ?? 64 * 1024
    if (!Number.isSafeInteger(this.minShareBytes) || this.minShareBytes < 1) throw new TypeError('minShareBytes must be a positive integer')
  }

  get count (): number { return this.entries.size }
  get bytes (): number { return this.totalBytes }
  /** The larger of the count and byte fill, 0..1 (above 1 after restores). */
  get fill (): number { return Math.max(this.entries.size / this.maxCount, this.totalBytes / this.maxBytes) }

  /** Pending txs of one source (e.g. a gossip peer), for penalties and tests. */
  held (kind: PartyKind, key: string): { count: number, bytes: number } {
    const h = (kind === 'sender' ? this.senders : this.sources).get(key)
    return { count: h?.count ?? 0, bytes: h?.bytes ?? 0 }
  }

  /** The fair share of one party when `parties` parties of its kind hold txs. */
  share (parties: number): { count: number, bytes: number } {
    const n = Math.max(1, parties)
    // The floor keeps a share useful among many parties; it never exceeds half the mempool.
    return {
      count: Math.max(Math.min(this.minShareCount, Math.floor(this.maxCount / 2)), Math.floor(this.maxCount / n), 1),
      bytes: Math.max(Math.min(this.minShareBytes, Math.floor(this.maxBytes / 2)), Math.floor(this.maxBytes / n), 1)
    }
  }

  /**
   * The cheap part of add, to run before the signature is checked (docs/design.md §12): throws
   * TX_DUPLICATE, TX_MEMPOOL_SHARE_EXCEEDED, TX_MEMPOOL_FLOOD or TX_MEMPOOL_FULL as add would, changing
   * nothing but the source's count of refusals (the flood rule).
   */
  admission (tx: Tx, source = LOCAL_SOURCE, opts: AddOptions = {}): void {
    this.plan(tx, txSize(tx), source, opts.displaceAtMost ?? Number.POSITIVE_INFINITY)
  }

  /**
   * Adds a verified tx from `source`; throws TX_DUPLICATE, TX_MEMPOOL_SHARE_EXCEEDED, TX_MEMPOOL_FLOOD or
   * TX_MEMPOOL_FULL.
   * Returns the txs it displaced (see the policy above): the caller keeps them pending.
   */
  add (tx: Tx, source = LOCAL_SOURCE, opts: AddOptions = {}): Tx[] {
    const size = txSize(tx)
    const victims = this.plan(tx, size, source, opts.displaceAtMost ?? Number.POSITIVE_INFINITY)
    const displaced = victims.map(id => this.entries.get(id)!.tx)
    this.drop(victims)
    this.insert(tx, size, source)
    return displaced
  }

  /** Checks a newcomer; returns the ids it would displace, or throws. */
  private plan (tx: Tx, size: number, source: string, displaceAtMost: number): string[] {
    if (this.entries.has(tx.id)) throw new TxError(TxErrorCode.DUPLICATE, 'the transaction is already pending', { txId: tx.id })
    const victims: string[] = []
    const taken = new Set<string>()
    let count = this.entries.size + 1
    let bytes = this.totalBytes + size
    if (Math.max(count / this.maxCount, bytes / this.maxBytes) > this.threshold) {
      const senderOver = this.senderOverShare(tx.senderPK, source, size)
      if (senderOver !== undefined) throw this.refused(source, size, senderOver)
      const sourceOver = this.overShare('source', source, size)
      if (sourceOver !== undefined) {
        // A source over its share (every local client shares one) may still take the room of its own
        // most over-share sender: the source holds no more, and its senders share it fairly.
        const own = this.newestOfOverShareSenderIn(source, tx.senderPK)
        if (own === undefined) throw this.refused(source, size, sourceOver)
        if (victims.length >= displaceAtMost) throw this.full()
        victims.push(own)
        taken.add(own)
        count--
        bytes -= this.entries.get(own)!.size
      }
    }
    // Full: take the room of the newest txs of whoever is most over its share.
    while (count > this.maxCount || bytes > this.maxBytes) {
      const id = victims.length < displaceAtMost ? this.victim(tx.senderPK, source, taken) : undefined
      if (id === undefined) throw this.full()
      taken.add(id)
      victims.push(id)
      count--
      bytes -= this.entries.get(id)!.size
    }
    return victims
  }

  /**
   * Counts a share refusal against `source`; the refusal itself, or TX_MEMPOOL_FLOOD once the source has
   * been refused more than a whole fair share since a block last took any of its txs.
   */
  private refused (source: string, size: number, err: TxError): TxError {
    const src = this.sources.get(source)
    if (src === undefined) return err // holds nothing: refused as a sender alone, nothing to count against
    src.refusedCount = (src.refusedCount ?? 0) + 1
    src.refusedBytes = (src.refusedBytes ?? 0) + size
    const share = this.share(this.sources.size)
    if (src.refusedCount <= share.count && src.refusedBytes <= share.bytes) return err
    return new TxError(TxErrorCode.MEMPOOL_FLOOD,
      `this client or peer keeps pushing past its fair share of the mempool (refused ${src.refusedCount} txs, ${src.refusedBytes} bytes since a block last took one of its txs, more than a whole share of ${share.count} txs, ${share.bytes} bytes); try again after the next block`,
      { ...err.meta, refusedCount: src.refusedCount, refusedBytes: src.refusedBytes })
  }

  private full (): TxError {
    return new TxError(TxErrorCode.MEMPOOL_FULL, 'the mempool is full and every sender and source holds no more than its fair share; try again after the next block',
      { count: this.entries.size, bytes: this.totalBytes, maxCount: this.maxCount, maxBytes: this.maxBytes })
  }

  /**
   * TX_MEMPOOL_SHARE_EXCEEDED when the party would hold more than its fair share after admitting `size`
   * bytes more. A party alone shares with nobody: what stops it is the mempool's size (TX_MEMPOOL_FULL).
   */
  private overShare (kind: PartyKind, key: string, size: number): TxError | undefined {
    const map = kind === 'sender' ? this.senders : this.sources
    const h = map.get(key)
    const parties = map.size + (h === undefined ? 1 : 0)
    if (parties <= 1) return undefined
    const share = this.share(parties)
    const count = (h?.count ?? 0) + 1
    const bytes = (h?.bytes ?? 0) + size
    if (count <= share.count && bytes <= share.bytes) return undefined
    return new TxError(TxErrorCode.MEMPOOL_SHARE_EXCEEDED,
      `this ${kind === 'sender' ? 'sender' : 'client or peer'} holds its fair share of the mempool (${h?.count ?? 0} txs, ${h?.bytes ?? 0} bytes of ${share.count} txs, ${share.bytes} bytes while ${parties} share it); try again after the next block`,
      { party: kind, count: h?.count ?? 0, bytes: h?.bytes ?? 0, shareCount: share.count, shareBytes: share.bytes, parties })
  }

  /**
   * A sender's share is a share of its source's (docs/design.md §12): the source's fair share among
   * sources, split evenly among the source's senders. So keys are free but cost a flooder only its own
   * source's room: a peer relaying ten thousand keys does not shrink the share of a client's four.
   */
  private senderOverShare (sender: string, source: string, size: number): TxError | undefined {
    const src = this.sources.get(source)
    const sources = this.sources.size + (src === undefined ? 1 : 0)
    const mine = src?.bySender?.get(sender)
    const senders = (src?.bySender?.size ?? 0) + (mine === undefined ? 1 : 0)
    if (senders <= 1 && sources <= 1) return undefined // alone: only the mempool's size stops it
    const sourceShare = this.share(sources)
    const share = {
      count: Math.max(1, Math.floor(sourceShare.count / senders)),
      bytes: Math.max(1, Math.floor(sourceShare.bytes / senders))
    }
    const count = (mine?.count ?? 0) + 1
    const bytes = (mine?.bytes ?? 0) + size
    if (count <= share.count && bytes <= share.bytes) return undefined
    return new TxError(TxErrorCode.MEMPOOL_SHARE_EXCEEDED,
      `this sender holds its fair share of the mempool (${count - 1} txs, ${bytes - size} bytes of ${share.count} txs, ${share.bytes} bytes: its client's share split among ${senders} senders); try again after the next block`,
      { party: 'sender', count: count - 1, bytes: bytes - size, shareCount: share.count, shareBytes: share.bytes, parties: senders })
  }

  /** The newest tx, within `source`, of the sender (other than `except`) holding the most there, if that sender is over its share. */
  private newestOfOverShareSenderIn (source: string, except: string): string | undefined {
    const bySender = this.sources.get(source)?.bySender
    if (bySender === undefined) return undefined
    let top: [string, Holding] | undefined
    for (const [sender, h] of bySender) if (sender !== except && (top === undefined || h.count > top[1].count)) top = [sender, h]
    if (top === undefined) return undefined
    const senders = bySender.size + (bySender.has(except) ? 0 : 1)
    const sourceShare = this.share(this.sources.size)
    if (top[1].count <= Math.max(1, Math.floor(sourceShare.count / senders)) && top[1].bytes <= Math.max(1, Math.floor(sourceShare.bytes / senders))) return undefined
    let newest: string | undefined
    for (const id of top[1].ids) newest = id
    return newest
  }

  /**
   * Whose room a newcomer takes when the mempool is full: the source (other than the newcomer's) most
   * over its fair share, and within it the sender most over its part of that share; else, within the
   * newcomer's own source, a sender (other than the newcomer's) over its part. Their newest tx.
   */
  private victim (sender: string, source: string, taken: Set<string>): string | undefined {
    const sourceShare = this.share(this.sources.size + (this.sources.has(source) ? 0 : 1))
    let worst: Holding | undefined
    let worstRatio = 1
    for (const [key, h] of this.sources) {
      if (key === source) continue
      const ratio = Math.max(h.count / sourceShare.count, h.bytes / sourceShare.bytes)
      if (ratio > worstRatio) { worst = h; worstRatio = ratio }
    }
    const pick = (src: Holding, except?: string): string | undefined => {
      const bySender = src.bySender!
      const senders = bySender.size + (except !== undefined && !bySender.has(except) ? 1 : 0)
      const part = { count: Math.max(1, Math.floor(sourceShare.count / senders)), bytes: Math.max(1, Math.floor(sourceShare.bytes / senders)) }
      let top: Holding | undefined
      let topRatio = except === undefined ? 0 : 1 // in our own source, only a sender over its part
      for (const [key, h] of bySender) {
        if (key === except) continue
        const ratio = Math.max(h.count / part.count, h.bytes / part.bytes)
        if (ratio > topRatio) { top = h; topRatio = ratio }
      }
      if (top === undefined) return undefined
      let newest: string | undefined
      for (const id of top.ids) if (!taken.has(id)) newest = id // Set order is arrival order
      return newest
    }
    if (worst !== undefined) return pick(worst)
    const own = this.sources.get(source)
    return own === undefined ? undefined : pick(own, sender)
  }

  /**
   * Txs of blocks a reorg took off the main chain, or journaled ones at start: they were acknowledged
   * once, so the limits do not apply (nothing acknowledged is lost). Ids already present are skipped.
   */
  restore (txs: Tx[], source = LOCAL_SOURCE): void {
    for (const tx of txs) {
      if (!this.entries.has(tx.id)) this.insert(tx, txSize(tx), source)
    }
  }

  private insert (tx: Tx, size: number, source: string): void {
    this.entries.set(tx.id, { tx, size, seq: this.nextSeq++, source })
    this.totalBytes += size
    const src = holdingOf(this.sources, source)
    src.bySender ??= new Map()
    for (const h of [holdingOf(this.senders, tx.senderPK), src, holdingOf(src.bySender, tx.senderPK)]) {
      h.count++
      h.bytes += size
      h.ids.add(tx.id)
    }
  }

  has (id: string): boolean { return this.entries.has(id) }

  get (id: string): Tx | undefined { return this.entries.get(id)?.tx }

  /**
   * Removes txs (a block took them, or their journal write failed). A source a block took txs from
   * starts its count of refusals afresh (the flood rule).
   */
  remove (ids: Iterable<string>): void {
    for (const source of this.drop(ids)) {
      const h = this.sources.get(source)
      if (h !== undefined) { h.refusedCount = 0; h.refusedBytes = 0 }
    }
  }

  /** Removes txs without touching any count of refusals (displacement); the sources they came from. */
  private drop (ids: Iterable<string>): Set<string> {
    const sources = new Set<string>()
    for (const id of ids) {
      const entry = this.entries.get(id)
      if (entry === undefined) continue
      this.entries.delete(id)
      sources.add(entry.source)
      this.totalBytes -= entry.size
      const src = this.sources.get(entry.source)!
      for (const [map, key] of [[this.senders, entry.tx.senderPK], [src.bySender!, entry.tx.senderPK], [this.sources, entry.source]] as const) {
        const h = map.get(key)!
        h.count--
        h.bytes -= entry.size
        h.ids.delete(id)
        if (h.count === 0) map.delete(key)
      }
    }
    return sources
  }

  /** Pending txs in arrival order. */
  list (): Tx[] {
    return Array.from(this.entries.values(), e => e.tx)
  }

  /**
   * At most `limit` pending txs (and at most `maxBytes` of them, one at least) in arrival order, from the one with sequence number `from` on (a cursor
   * that stays valid while txs come and go; docs/design.md §7 GET /pending_tx). O(count) to find the
   * start, O(limit) memory: the txs themselves are shared, not copied.
   */
  page (from: number, limit: number, maxBytes = Number.POSITIVE_INFINITY): MempoolPage {
    const txs: Tx[] = []
    let bytes = 0
    for (const e of this.entries.values()) {
      if (e.seq < from) continue
      // At least one tx a page, however large: a cursor always moves on.
      if (txs.length === limit || (txs.length > 0 && bytes + e.size > maxBytes)) return { txs, next: e.seq }
      txs.push(e.tx)
      bytes += e.size
    }
    return { txs, next: undefined }
  }

  /**
   * Txs for the next block (docs/design.md §4, §12): round-robin over sources, and over senders within a
   * source, each sender's txs in arrival order; stops at the first tx that does not fit. Each tx costs
   * txSize + 1 against maxBytes (its comma in the block's array), so maxBytes = BLOCK_TX_BYTES_BUDGET
   * keeps the block under 1 MiB.
   */
  select (limits: { maxTxs: number, maxBytes: number }): Tx[] {
    // Per source (first-seen order), its senders (first-seen order), each with its txs in arrival order.
    const bySource = new Map<string, Map<string, Entry[]>>()
    for (const e of this.entries.values()) {
      let senders = bySource.get(e.source)
      if (senders === undefined) { senders = new Map(); bySource.set(e.source, senders) }
      let queue = senders.get(e.tx.senderPK)
      if (queue === undefined) { queue = []; senders.set(e.tx.senderPK, queue) }
      queue.push(e)
    }
    const sources = [...bySource.values()].map(senders => ({ queues: [...senders.values()], turn: 0, taken: new Map<Entry[], number>() }))
    const out: Tx[] = []
    let bytes = 0
    while (sources.length > 0) {
      for (let s = 0; s < sources.length; s++) {
        const src = sources[s]
        const queue = src.queues[src.turn % src.queues.length]
        const at = src.taken.get(queue) ?? 0
        const e = queue[at]
        if (out.length >= limits.maxTxs || bytes + e.size + 1 > limits.maxBytes) return out
        out.push(e.tx)
        bytes += e.size + 1
        if (at + 1 === queue.length) {
          src.queues.splice(src.turn % src.queues.length, 1)
        } else {
          src.taken.set(queue, at + 1)
          src.turn++
        }
        if (src.queues.length === 0) { sources.splice(s, 1); s-- }
      }
    }
    return out
  }
}
