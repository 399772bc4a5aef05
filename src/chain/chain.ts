// The Chain service (docs/design.md §1, §4, §6): owns the block index (main chain and side branches), the store
// and the mempool; imports blocks, follows the most work, reorgs, journals pending txs, emits events.
// It knows nothing of the network or HTTP: edges call it and map its coded errors.
import { EventEmitter } from 'node:events'
import { BlockError, BlockErrorCode, TxError, TxErrorCode } from '../core/errors.js'
import { BLOCK_TX_BYTES_BUDGET, blockSize, blockWork, createBlockTemplate, genesisBlock, networkId, parseBlock, type UnminedBlock } from '../core/block.js'
import { isHeavier, mempoolChanges, planReorg, type HeaderInfo } from '../core/fork-choice.js'
import { Mempool } from '../core/mempool.js'
import type { MerkleProof } from '../core/merkle.js'
import { checkTxRules, isLegacySubmission, parseLegacySubmission, parseTx, verifyTxSignature, type SignatureVerifier } from '../core/tx.js'
import { medianTimePast, validateBlock, type BlockContext } from '../core/validate-block.js'
import { MAX_BLOCK_TXS, MEDIAN_TIME_SPAN, type Block, type NetworkParams, type Tx } from '../core/types.js'
import { BlockStore, StoreBatch, type ItemCursor, type ItemRead, type StoredHeader } from '../store/block-store.js'
import { BlockCache } from './block-cache.js'
import { MerkleProofs } from './merkle-proofs.js'
import { ruleErrorOutcome } from './error-outcome.js'
import { VerifiedSignatures } from './verified-signatures.js'
import { Mutex } from './mutex.js'

export interface IndexEntry extends HeaderInfo {
  timestamp: number
}

export interface HeadInfo {
  hash: string
  index: number
  work: bigint
}

export interface ReorgEvent {
  forkPoint: string
  disconnected: string[]
  connected: string[]
  restoredTxs: number
}

export type BlockImportStatus = 'head' | 'side'

/** What one sync answer may carry (docs/design.md §5: response <= 8 MiB). */
const DEFAULT_SYNC_RESPONSE_BYTES = 8 * 1024 * 1024

export interface ChainEvents {
  head: [HeadInfo & { block: Block }]
  reorg: [ReorgEvent]
  tx: [Tx]
  block: [{ block: Block, status: BlockImportStatus }]
}

export interface ChainInit {
  store: BlockStore
  network: NetworkParams
  verifier: SignatureVerifier
  /** Wall clock in ms; injected so tests can move time. */
  now: () => number
  mempool: { maxCount: number, maxBytes: number }
  legacyTransactions: boolean
  /** Progress of long start-up work (an item index rebuild); default silent. */
  log?: (line: string) => void
}

/** The header fields of a block: enough to recompute its hash (docs/design.md §3) and check a proof against tx_root. */
export type BlockHeader = Omit<Block, 'transactions'>

/** One main-chain record of an item's history (docs/design.md §7 /items/:item/history). */
export interface ItemRecord {
  tx: Tx
  block: BlockHeader
  /** Blocks on top of the record's block (0 while it is in the head block). */
  confirmations: number
  /** Inclusion proof of the tx against block.tx_root. */
  proof: MerkleProof
}

export interface ItemHistoryPage {
  records: ItemRecord[]
  /** Where the next page starts; undefined on the last page. */
  next: ItemCursor | undefined
}

/** Blocks per store read while the item index is rebuilt: bounded memory with 1 MiB blocks. */
const REBUILD_BATCH = 64

export function blockHeaderOf (block: Block): BlockHeader {
  const { transactions: _, ...header } = block
  return header
}

/** A tx as the facade reports it: where it stands, with its Merkle inclusion proof. */
export type TxLookup =
  | { status: 'pending', tx: Tx }
  | { status: 'confirmed', tx: Tx, block: { hash: string, index: number }, txRoot: string, proof: MerkleProof }

function roundToMs (seconds: number): number {
  return Math.round(seconds * 1000) / 1000
}

export class Chain extends EventEmitter<ChainEvents> {
  readonly networkId: string
  readonly genesis: Block
  readonly mempool: Mempool
  private readonly index = new Map<string, IndexEntry>()
  /** main[i] = hash of the main-chain block at height i. */
  private main: string[] = []
  /** Journal sequence of each pending tx, so a confirmed tx's journal entry can be deleted. */
  private readonly pendingSeq = new Map<string, number>()
  private nextSeq = 0
  private readonly lock = new Mutex()
  /** Bounded by count; a block is at most 1 MiB, so at most 256 MiB even when every block is full. */
  private readonly blocks = new BlockCache(256)
  /**
   * Tx ids of blocks off the main chain: ancestry checks on a side branch walk headers and these
   * instead of reading every branch block from the store for every new block.
   */
  private readonly sideTxIds = new Map<string, string[]>()
  private readonly verified = new VerifiedSignatures(50_000)
  private readonly proofs = new MerkleProofs()
  private journalQueue: Array<{ seq: number, tx: Tx, resolve: () => void, reject: (err: unknown) => void }> = []

  private constructor (private readonly init: ChainInit) {
    super()
    this.genesis = genesisBlock(init.network)
    this.networkId = networkId(init.network)
    this.mempool = new Mempool(init.mempool)
  }

  /** Open the chain on its store: write genesis on first start, else rebuild the index from disk. */
  static async open (init: ChainInit): Promise<Chain> {
    const chain = new Chain(init)
    await chain.load()
    return chain
  }

  private async load (): Promise<void> {
    const { store } = this.init
    const genesisHeader: StoredHeader = {
      hash: this.genesis.hash, previous_hash: this.genesis.previous_hash, index: 0, timestamp: this.genesis.timestamp, work: '0'
    }
    const storedGenesis = await store.getMainHash(0)
    if (storedGenesis === undefined) {
      await store.commit(new StoreBatch().putBlock(this.genesis, genesisHeader).connect(this.genesis).setHead(this.genesis.hash))
    } else if (storedGenesis !== this.genesis.hash) {
      throw new Error(`the data dir holds another network's chain (genesis ${storedGenesis}, expected ${this.genesis.hash}): use another --data-dir`)
    }
    for await (const h of store.headers()) {
      this.index.set(h.hash, { hash: h.hash, previous_hash: h.previous_hash, index: h.index, timestamp: h.timestamp, work: BigInt(h.work) })
    }
    const headHash = await store.getHead()
    const head = headHash === undefined ? undefined : this.index.get(headHash)
    if (head === undefined) throw new Error('the store has no head block: the data dir is damaged')
    // Rebuild the main chain by walking back from the head through the in-memory index.
    const main = new Array<string>(head.index + 1)
    for (let e: IndexEntry | undefined = head; e !== undefined; e = e.index === 0 ? undefined : this.index.get(e.previous_hash)) {
      main[e.index] = e.hash
    }
    this.main = main
    if (!await store.itemIndexIsCurrent()) await this.rebuildItemIndex()
    const stale = new StoreBatch()
    for (const { seq, tx } of await store.pending()) {
      this.nextSeq = Math.max(this.nextSeq, seq + 1)
      // Every import removes the journal entries of the txs it confirms in the same batch; this only
      // guards against a journal written by an older version or by hand.
      if (this.mempool.has(tx.id) || store.getTxLocationSync(tx.id) !== undefined || !this.passesRulesNow(tx)) {
        stale.deletePending(seq)
        continue
      }
      this.mempool.restore([tx])
      this.pendingSeq.set(tx.id, seq)
    }
    await store.commit(stale)
  }

  /**
   * The item index of a store last written by a version without it (or with another layout): rebuilt
   * once, from the main chain, before the node serves anything. Every later import keeps it.
   */
  private async rebuildItemIndex (): Promise<void> {
    const { store } = this.init
    const log = this.init.log ?? (() => {})
    const started = Date.now()
    log(`item index: rebuilding from ${this.main.length} main-chain blocks`)
    await store.clearItemIndex()
    let nextReport = started + 5000
    for (let from = 0; from < this.main.length; from += REBUILD_BATCH) {
      const batch = new StoreBatch()
      for (const block of await this.getBlocksByHash(this.main.slice(from, from + REBUILD_BATCH))) batch.indexItems(block)
      await store.commit(batch)
      if (Date.now() >= nextReport) {
        log(`item index: ${Math.min(from + REBUILD_BATCH, this.main.length)} of ${this.main.length} blocks`)
        nextReport = Date.now() + 5000
      }
    }
    // Last: a crash before this line leaves the marker absent, and the next start rebuilds again.
    await store.commit(new StoreBatch().markItemIndex(this.main[this.main.length - 1]))
    log(`item index: rebuilt in ${Date.now() - started} ms`)
  }

  /** A journaled tx may predate a config change (legacy turned off): it must not poison every template. */
  private passesRulesNow (tx: Tx): boolean {
    try {
      checkTxRules(tx, { network: this.networkId, nowMs: this.init.now(), legacyTransactions: this.init.legacyTransactions })
      return true
    } catch {
      return false
    }
  }

  // ---- reads ----------------------------------------------------------------------------------

  get head (): HeadInfo {
    const e = this.index.get(this.main[this.main.length - 1])!
    return { hash: e.hash, index: e.index, work: e.work }
  }

  get height (): number {
    return this.main.length - 1
  }

  headWork (): bigint {
    return this.head.work
  }

  hasBlock (hash: string): boolean {
    return this.index.has(hash)
  }

  header (hash: string): IndexEntry | undefined {
    return this.index.get(hash)
  }

  isOnMainChain (hash: string): boolean {
    const e = this.index.get(hash)
    return e !== undefined && this.main[e.index] === hash
  }

  async getBlock (hash: string): Promise<Block | undefined> {
    const cached = this.blocks.get(hash)
    if (cached !== undefined) return cached
    const block = await this.init.store.getBlock(hash)
    if (block !== undefined) this.blocks.set(block)
    return block
  }

  private async getBlocksByHash (hashes: string[]): Promise<Block[]> {
    const out: Block[] = []
    const missing: number[] = []
    for (const [i, h] of hashes.entries()) {
      const b = this.blocks.get(h)
      if (b === undefined) missing.push(i)
      out[i] = b!
    }
    const loaded = await this.init.store.getBlocks(missing.map(i => hashes[i]))
    for (const [j, i] of missing.entries()) {
      const b = loaded[j]
      if (b === undefined) throw new Error(`block ${hashes[i]} is indexed but not stored`)
      out[i] = b
    }
    return out
  }

  /** Main-chain blocks from height `from`, at most `limit` of them. */
  async mainChain (from = 0, limit = this.main.length): Promise<Block[]> {
    return await this.getBlocksByHash(this.main.slice(Math.max(0, from), Math.max(0, from) + Math.max(0, limit)))
  }

  async blockAt (index: number): Promise<Block | undefined> {
    const hash = this.main[index]
    return hash === undefined ? undefined : await this.getBlock(hash)
  }

  /** Sync server: main-chain blocks after `hash`; undefined when `hash` is not on our main chain. */
  async blocksAfter (hash: string, max: number, maxBytes = DEFAULT_SYNC_RESPONSE_BYTES): Promise<Block[] | undefined> {
    if (!this.isOnMainChain(hash)) return undefined
    const from = this.index.get(hash)!.index + 1
    const hashes = this.main.slice(from, from + Math.max(0, max))
    // Read a few blocks at a time and stop at the byte budget: 256 full blocks would be 256 MiB of heap.
    const out: Block[] = []
    let bytes = 2
    for (let i = 0; i < hashes.length; i += 16) {
      for (const b of await this.getBlocksByHash(hashes.slice(i, i + 16))) {
        bytes += blockSize(b) + 1
        if (bytes > maxBytes && out.length > 0) return out
        out.push(b)
      }
    }
    return out
  }

  /** Sync server: the highest of the locator hashes on our main chain. */
  async locate (hashes: string[]): Promise<{ hash: string, index: number } | undefined> {
    let best: IndexEntry | undefined
    for (const h of hashes) {
      const e = this.index.get(h)
      if (e !== undefined && this.main[e.index] === h && (best === undefined || e.index > best.index)) best = e
    }
    return best === undefined ? undefined : { hash: best.hash, index: best.index }
  }

  /** Bitcoin-style locator of the main chain: tip, tip-1 ... tip-9, then doubling steps, genesis last. */
  async locator (): Promise<string[]> {
    const out: string[] = []
    let step = 1
    for (let i = this.height; i > 0; i -= step) {
      out.push(this.main[i])
      if (out.length >= 10) step *= 2
    }
    out.push(this.main[0])
    return out
  }

  status (): { network: string, genesis: string, head: { hash: string, index: number, work: string } } {
    const head = this.head
    return { network: this.networkId, genesis: this.genesis.hash, head: { hash: head.hash, index: head.index, work: head.work.toString() } }
  }

  pending (): Tx[] {
    return this.mempool.list()
  }

  async lookupTx (id: string): Promise<TxLookup | undefined> {
    const pending = this.mempool.get(id)
    if (pending !== undefined) return { status: 'pending', tx: pending }
    const location = await this.init.store.getTxLocation(id)
    if (location === undefined) return undefined
    const block = await this.getBlock(location.hash)
    const position = block?.transactions.findIndex(t => t.id === id) ?? -1
    if (block === undefined || position < 0) return undefined
    return {
      status: 'confirmed',
      tx: block.transactions[position],
      block: { hash: block.hash, index: block.index },
      txRoot: block.tx_root,
      proof: this.proofs.proof(block, position)
    }
  }

  /**
   * An item's records on the main chain, oldest first, at most `limit` (keyset paging: `cursor` is the
   * previous page's `next`), each with its block header, confirmations and Merkle proof. From the
   * store's item index (no chain scan); index and head come from one store snapshot, so a page is one
   * chain's view even while blocks are imported.
   */
  async itemHistory (item: string, limit: number, cursor?: ItemCursor): Promise<ItemHistoryPage> {
    const read = await this.readItemIndex(item, limit, cursor)
    const last = read.entries[read.entries.length - 1]
    return {
      records: await this.itemRecords(read, { proofs: true }),
      next: read.more && last !== undefined ? { index: last.index, position: last.position } : undefined
    }
  }

  /** The item index entries alone (one snapshot): a long export reads them first, then the records in chunks. */
  async readItemIndex (item: string, limit: number, cursor?: ItemCursor): Promise<ItemRead> {
    if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError('readItemIndex: "limit" must be a positive integer')
    return await this.init.store.readItem(item, limit, cursor)
  }

  /**
   * The records of item index entries read with `head`. Proofs cost a Merkle tree per block (cached);
   * callers that do not show them (the CSV export) skip them.
   */
  async itemRecords (read: Pick<ItemRead, 'head' | 'entries'>, opts: { proofs: true }): Promise<ItemRecord[]>
  async itemRecords (read: Pick<ItemRead, 'head' | 'entries'>, opts: { proofs: false }): Promise<Array<Omit<ItemRecord, 'proof'>>>
  async itemRecords (read: Pick<ItemRead, 'head' | 'entries'>, opts: { proofs: boolean }): Promise<Array<Omit<ItemRecord, 'proof'> & { proof?: MerkleProof }>> {
    const hashes = [...new Set(read.entries.map(e => e.hash))]
    const blocks = new Map((await this.getBlocksByHash(hashes)).map(b => [b.hash, b]))
    return read.entries.map(e => {
      const block = blocks.get(e.hash)!
      const tx = block.transactions[e.position]
      if (tx?.id !== e.id) throw new Error(`item index entry ${e.hash}:${e.position} does not hold tx ${e.id}: the index is damaged`)
      const record = { tx, block: blockHeaderOf(block), confirmations: read.head.index - block.index }
      return opts.proofs ? { ...record, proof: this.proofs.proof(block, e.position) } : record
    })
  }

  // ---- transactions ---------------------------------------------------------------------------

  /**
   * Accept a tx from HTTP (native, stored legacy, or a legacy submission) or from gossip: stateless rules,
   * then stateful ones, then the mempool and the journal. Resolves only once the tx is durable (docs/design.md §6).
   */
  async submitTx (input: unknown): Promise<Tx> {
    let tx: Tx
    if (isLegacySubmission(input)) {
      if (!this.init.legacyTransactions) throw new TxError(TxErrorCode.LEGACY_DISABLED, 'legacy RSA transactions are turned off on this node')
      tx = parseLegacySubmission(input, this.init.now())
    } else {
      tx = parseTx(input)
    }
    return await this.acceptTx(tx)
  }

  /** A tx already parsed in its stored form (gossip carries no legacy submissions): the rest of submitTx. */
  async acceptTx (tx: Tx): Promise<Tx> {
    this.checkStateful(tx)
    checkTxRules(tx, { network: this.networkId, nowMs: this.init.now(), legacyTransactions: this.init.legacyTransactions })
    if (!this.verified.has(tx)) {
      await verifyTxSignature(tx, this.init.verifier, this.networkId)
      this.verified.add(tx)
    }
    const { seq, durable } = await this.lock.run(async () => {
      this.checkStateful(tx) // a block may have confirmed it while we verified
      this.mempool.add(tx)
      const seq = this.nextSeq++
      this.pendingSeq.set(tx.id, seq)
      return { seq, durable: this.journal(seq, tx) }
    })
    try {
      await durable
    } catch (err) {
      if (this.pendingSeq.get(tx.id) === seq) {
        this.pendingSeq.delete(tx.id)
        this.mempool.remove([tx.id])
      }
      throw err
    }
    this.emit('tx', tx)
    return tx
  }

  private checkStateful (tx: Tx): void {
    if (this.mempool.has(tx.id)) throw new TxError(TxErrorCode.DUPLICATE, 'the transaction is already pending', { id: tx.id })
    if (this.init.store.getTxLocationSync(tx.id) !== undefined) {
      throw new TxError(TxErrorCode.ALREADY_IN_CHAIN, 'the transaction is already in the chain', { id: tx.id })
    }
  }

  /**
   * Journal a pending tx with group commit: txs accepted while a write is under way go out together
   * in the next one (or in the next block import's batch), so ingest is not one LevelDB write per tx.
   * Resolves once the tx is on disk; only then does the node acknowledge it.
   */
  private journal (seq: number, tx: Tx): Promise<void> {
    return new Promise((resolve, reject) => {
      this.journalQueue.push({ seq, tx, resolve, reject })
      if (this.journalQueue.length === 1) setImmediate(() => { void this.lock.run(async () => { await this.commit(new StoreBatch()) }).catch(() => undefined) })
    })
  }

  /** Commit `batch` with the queued journal entries ahead of it (so its deletes win), settling their waiters. */
  private async commit (batch: StoreBatch): Promise<void> {
    const queued = this.journalQueue
    this.journalQueue = []
    const journal = new StoreBatch()
    for (const e of queued) journal.putPending(e.seq, e.tx)
    try {
      await this.init.store.commit(batch.prepend(journal))
    } catch (err) {
      for (const e of queued) e.reject(err)
      throw err
    }
    for (const e of queued) e.resolve()
  }

  // ---- blocks ---------------------------------------------------------------------------------

  /** Validate and store a block from any source; it becomes the head if its chain has the most work. */
  async submitBlock (input: unknown): Promise<{ block: Block, status: BlockImportStatus }> {
    const block = parseBlock(input)
    return await this.lock.run(async () => await this.importBlock(block))
  }

  /** Sync: import a downloaded batch in order; stops at the first invalid block. */
  async importBlocks (blocks: unknown[], _from?: string): Promise<{ imported: number, error?: { code: string, message: string, peerFault: boolean } }> {
    let imported = 0
    for (const input of blocks) {
      try {
        await this.submitBlock(input)
        imported++
      } catch (err) {
        if (err instanceof BlockError && err.code === BlockErrorCode.ALREADY_KNOWN) continue
        const outcome = ruleErrorOutcome(err)
        if (outcome === undefined) throw err
        return { imported, error: { code: outcome.code, message: outcome.message, peerFault: outcome.gossip === 'reject' } }
      }
    }
    return { imported }
  }

  private async importBlock (block: Block): Promise<{ block: Block, status: BlockImportStatus }> {
    if (this.index.has(block.hash)) throw new BlockError(BlockErrorCode.ALREADY_KNOWN, 'the block is already known', { hash: block.hash })
    const parent = this.index.get(block.previous_hash)
    await validateBlock(block, await this.contextFor(block, parent))
    const p = parent! // validateBlock throws UNKNOWN_PARENT without one
    const entry: IndexEntry = { hash: block.hash, previous_hash: block.previous_hash, index: block.index, timestamp: block.timestamp, work: p.work + blockWork(block.bits) }
    const batch = new StoreBatch().putBlock(block, { ...entry, work: entry.work.toString() })

    if (!isHeavier(entry.work, this.head.work)) {
      await this.commit(batch)
      this.index.set(block.hash, entry)
      this.sideTxIds.set(block.hash, block.transactions.map(t => t.id))
      this.blocks.set(block)
      this.emit('block', { block, status: 'side' })
      return { block, status: 'side' }
    }

    // The new block's chain has the most work: connect it, through a reorg when it is not on our tip.
    // Memory changes only after the batch is on disk, so a failure anywhere before leaves no trace.
    const plan = planReorg(this.head.hash, block.hash, h => h === block.hash ? entry : this.index.get(h))
    const disconnected = await this.getBlocksByHash(plan.disconnect)
    const connected = [...await this.getBlocksByHash(plan.connect.slice(0, -1)), block]
    const { restore, evict } = mempoolChanges(disconnected, connected)
    for (const b of disconnected) batch.disconnect(b)
    for (const b of connected) batch.connect(b)
    batch.setHead(block.hash)
    const evictedSeqs: string[] = []
    for (const id of evict) {
      const seq = this.pendingSeq.get(id)
      if (seq !== undefined) { batch.deletePending(seq); evictedSeqs.push(id) }
    }
    const restored: Array<{ seq: number, tx: Tx }> = []
    for (const tx of restore) {
      if (this.mempool.has(tx.id)) continue
      const seq = this.nextSeq++
      batch.putPending(seq, tx)
      restored.push({ seq, tx })
    }
    await this.commit(batch)
    this.index.set(block.hash, entry)
    this.blocks.set(block)
    for (const b of disconnected) this.sideTxIds.set(b.hash, b.transactions.map(t => t.id))
    for (const b of connected) this.sideTxIds.delete(b.hash)

    // Disk holds the new state; now the memory follows.
    const fork = this.index.get(plan.forkPoint)!
    this.main.length = fork.index + 1
    for (const b of connected) this.main.push(b.hash)
    this.mempool.remove(evict)
    for (const id of evictedSeqs) this.pendingSeq.delete(id)
    this.mempool.restore(restored.map(r => r.tx))
    for (const r of restored) this.pendingSeq.set(r.tx.id, r.seq)

    if (disconnected.length > 0) {
      this.emit('reorg', { forkPoint: plan.forkPoint, disconnected: plan.disconnect, connected: plan.connect, restoredTxs: restored.length })
    }
    this.emit('block', { block, status: 'head' })
    this.emit('head', { hash: block.hash, index: block.index, work: entry.work, block })
    return { block, status: 'head' }
  }

  /** What the block rules need to know of the block's ancestry (docs/design.md §3). */
  private async contextFor (block: Block, parent: IndexEntry | undefined): Promise<BlockContext> {
    const ancestorTimestamps: number[] = []
    for (let e = parent; e !== undefined && ancestorTimestamps.length < MEDIAN_TIME_SPAN; e = e.index === 0 ? undefined : this.index.get(e.previous_hash)) {
      ancestorTimestamps.push(e.timestamp)
    }
    const base: BlockContext = {
      networkId: this.networkId,
      bits: this.init.network.bits,
      parent: parent === undefined ? undefined : { hash: parent.hash, index: parent.index },
      ancestorTimestamps,
      nowMs: this.init.now(),
      verifier: this.init.verifier,
      legacyTransactions: this.init.legacyTransactions,
      alreadyVerified: (tx: Tx) => this.verified.has(tx),
      txInAncestry: () => false
    }
    if (parent === undefined) return base

    // Walk the side branch (if any) back to the main chain, collecting which of this block's ids it holds.
    const ids = new Set(block.transactions.map(t => t.id))
    const inBranch = new Set<string>()
    let e: IndexEntry = parent
    while (this.main[e.index] !== e.hash) {
      if (ids.size > 0) {
        for (const id of await this.sideBlockTxIds(e.hash)) if (ids.has(id)) inBranch.add(id)
      }
      e = this.index.get(e.previous_hash)!
    }
    const forkIndex = e.index
    base.txInAncestry = (id: string) => {
      if (inBranch.has(id)) return true
      const location = this.init.store.getTxLocationSync(id)
      return location !== undefined && location.index <= forkIndex
    }
    return base
  }

  /** Tx ids of a side-branch block, from memory (filled on import and disconnect) or once from the store. */
  private async sideBlockTxIds (hash: string): Promise<string[]> {
    let ids = this.sideTxIds.get(hash)
    if (ids === undefined) {
      const block = await this.getBlock(hash)
      if (block === undefined) throw new Error(`block ${hash} is indexed but not stored`)
      ids = block.transactions.map(t => t.id)
      this.sideTxIds.set(hash, ids)
    }
    return ids
  }

  // ---- mining ---------------------------------------------------------------------------------

  /** A block to mine on the current head: pending txs in arrival order up to the block limits. */
  blockTemplate (): UnminedBlock {
    const head = this.index.get(this.main[this.main.length - 1])!
    const transactions = this.mempool.select({ maxTxs: MAX_BLOCK_TXS, maxBytes: BLOCK_TX_BYTES_BUDGET })
    const ancestors: number[] = []
    for (let e: IndexEntry | undefined = head; e !== undefined && ancestors.length < MEDIAN_TIME_SPAN; e = e.index === 0 ? undefined : this.index.get(e.previous_hash)) {
      ancestors.push(e.timestamp)
    }
    // The timestamp must exceed the median of the last 11 (docs/design.md §3); a clock behind it must not stall mining.
    const timestamp = Math.max(roundToMs(this.init.now() / 1000), roundToMs(medianTimePast(ancestors) + 0.001))
    return createBlockTemplate(head, transactions, timestamp, this.init.network.bits)
  }
}
