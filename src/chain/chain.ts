// The Chain service (docs/design.md §1, §4, §6): owns the block index (main chain and side branches), the store
// and the mempool; imports blocks, follows the most work, reorgs, journals pending txs, emits events.
// It knows nothing of the network or HTTP: edges call it and map its coded errors.
import { EventEmitter } from 'node:events'
import { BlockError, BlockErrorCode, TxError, TxErrorCode } from '../core/errors.js'
import { LRUCache } from 'lru-cache'
import { BLOCK_TX_BYTES_BUDGET, blockSize, blockWork, computeBlockHash, createBlockTemplate, genesisBlock, meetsProofOfWork, networkId, parseBlock, type UnminedBlock } from '../core/block.js'
import { forgetJson } from '../core/serialized.js'
import { isHeavier, mempoolChanges, planReorg, type HeaderInfo } from '../core/fork-choice.js'
import { LOCAL_SOURCE, Mempool } from '../core/mempool.js'
import type { MerkleProof } from '../core/merkle.js'
import type { BatchSignatureVerifier, SignatureCheck, SignatureVerifier } from '../core/signature.js'
import { checkTxRules, isLegacySubmission, parseLegacySubmission, parseTx, txSignatureCheck, txSigningPayload, badSignature } from '../core/tx.js'
import { sha256Hex } from '../core/hash.js'
import { medianTimePast } from '../core/validate-block.js'
import { MAX_BLOCK_TXS, MEDIAN_TIME_SPAN, type Block, type NetworkParams, type Tx } from '../core/types.js'
import { verifyManyWith } from '../crypto/verify-many.js'
import { BlockStore, StoreBatch, type ItemCursor, type ItemRead, type StoredHeader } from '../store/block-store.js'
import { BlockCache } from './block-cache.js'
import { BlockValidator, type ChainView, type ValidatedBlock } from './block-validator.js'
import { MerkleProofs } from './merkle-proofs.js'
import { ruleErrorOutcome } from './error-outcome.js'
import { VerifiedSignatures } from './verified-signatures.js'
import { Mutex } from './mutex.js'
import { yieldToEventLoop } from '../util/yield.js'

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

export interface TxSubmitOptions {
  /**
   * Who handed us the tx, for the mempool's fair shares (docs/design.md §12): `peer:<id>` for gossip,
   * `http:<address>` for a facade client; default LOCAL_SOURCE.
   */
  source?: string
  /**
   * Resolve once the tx is journaled (default: an HTTP client's 201 promises a durable tx, docs/design.md §6),
   * or as soon as it is in the mempool, the journal write following on its own (`false`: gossip, where the
   * Accept only forwards the tx and promises nobody anything; a peer's txs are validated one at a time, so
   * awaiting the write there put a LevelDB write per tx on every peer's relay path). A write that fails
   * takes the tx out of the mempool again either way.
   */
  awaitJournal?: boolean
}

export type { ValidatedBlock } from './block-validator.js'

/**
 * The checkpoint rule (docs/design.md §4): a block whose branch leaves the main chain more than this many
 * blocks below the head is refused, and side blocks that fall that far behind are pruned. 100 blocks:
 * deeper than any reorg an honest network of this kind sees (a partition healing after hours of
 * 10-minute blocks is ~20), shallow enough that a cheap-proof-of-work network cannot be made to store
 * forks of its whole history.
 */
export const DEFAULT_FINALITY_DEPTH = 100
/**
 * Side-branch blocks kept at most (docs/design.md §12): with 1 MiB blocks at most 256 MiB of disk, and
 * their tx ids (<= 2,000 each) in memory. Beyond it a side block is refused (BLOCK_SIDE_BRANCHES_FULL,
 * a gossip Ignore); a block that makes a branch the heaviest is never a side block.
 */
export const DEFAULT_MAX_SIDE_BLOCKS = 256

/** Refusals any block with the same header would get (Chain.rememberRefused). */
const CACHEABLE_REFUSALS = new Set<string>([
  BlockErrorCode.WRONG_VERSION, BlockErrorCode.WRONG_BITS, BlockErrorCode.INSUFFICIENT_WORK, BlockErrorCode.WRONG_INDEX,
  BlockErrorCode.TIMESTAMP_TOO_OLD, BlockErrorCode.INVALID_TX, BlockErrorCode.DUPLICATE_TX, BlockErrorCode.TX_IN_ANCESTRY
])

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
  /**
   * The node's one verifier (docs/design.md §11). A batch verifier (verifyMany: a worker pool) is used as
   * it is; a per-item one is wrapped by verifyManyWith.
   */
  verifier: SignatureVerifier | (SignatureVerifier & BatchSignatureVerifier)
  /** Wall clock in ms; injected so tests can move time. */
  now: () => number
  mempool: { maxCount: number, maxBytes: number }
  legacyTransactions: boolean
  /** Progress of long start-up work (an item index rebuild); default silent. */
  log?: (line: string) => void
  /** docs/design.md §4 checkpoint rule; default DEFAULT_FINALITY_DEPTH. */
  finalityDepth?: number
  /** docs/design.md §12; default DEFAULT_MAX_SIDE_BLOCKS. */
  maxSideBlocks?: number
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
  /**
   * Pending txs displaced from the mempool by a newcomer when full (docs/design.md §12): still journaled
   * and pending (nothing acknowledged is lost), back in the mempool when a block makes room. At most
   * mempool.maxCount of them.
   */
  private readonly parked = new Map<string, Tx>()
  /** Journal sequence of each pending tx, so a confirmed tx's journal entry can be deleted. */
  private readonly pendingSeq = new Map<string, number>()
  private nextSeq = 0
  private readonly lock = new Mutex()
  /** Bounded by count and by serialized bytes (src/chain/block-cache.ts). */
  private readonly blocks = new BlockCache(256)
  /**
   * Tx ids of blocks off the main chain: ancestry checks on a side branch walk headers and these
   * instead of reading every branch block from the store for every new block.
   */
  private readonly sideTxIds = new Map<string, string[]>()
  /** Hashes of the indexed blocks off the main chain (bounded by maxSideBlocks, pruned by the checkpoint rule). */
  private readonly sideHashes = new Set<string>()
  /** Blocks refused for a reason their header fixes (rememberRefused), by hash: LRU, bounded. */
  private readonly refused = new LRUCache<string, BlockError>({ max: 4096 })
  /** Validated blocks waiting for or in their import, by hash. */
  private readonly importing = new Map<string, Promise<unknown>>()
  /** Bumped whenever the main chain changes or side blocks are pruned (ChainView.generation). */
  private generation = 0
  private readonly verified = new VerifiedSignatures(50_000)
  private readonly proofs = new MerkleProofs()
  private journalQueue: Array<{ seq: number, tx: Tx, resolve: () => void, reject: (err: unknown) => void }> = []
  /** A journal write is under way or scheduled (scheduleJournalWrite). */
  private journalWriting = false
  /** Journal entries of txs an import confirmed after they were queued (settleLatePending). */
  private lateDeletes: number[] = []
  readonly verifier: SignatureVerifier & BatchSignatureVerifier
  private readonly validator: BlockValidator
  readonly finalityDepth: number
  readonly maxSideBlocks: number

  private constructor (private readonly init: ChainInit) {
    super()
    this.genesis = genesisBlock(init.network)
    this.networkId = networkId(init.network)
    this.mempool = new Mempool(init.mempool)
    this.finalityDepth = init.finalityDepth ?? DEFAULT_FINALITY_DEPTH
    if (!Number.isSafeInteger(this.finalityDepth) || this.finalityDepth < 1) throw new RangeError('Chain: "finalityDepth" must be a positive integer')
    this.maxSideBlocks = init.maxSideBlocks ?? DEFAULT_MAX_SIDE_BLOCKS
    if (!Number.isSafeInteger(this.maxSideBlocks) || this.maxSideBlocks < 0) throw new RangeError('Chain: "maxSideBlocks" must be a non-negative integer')
    const verifier = init.verifier
    this.verifier = 'verifyMany' in verifier ? verifier : verifyManyWith(verifier)
    const chain = this
    const view: ChainView = {
      networkId: this.networkId,
      bits: init.network.bits,
      legacyTransactions: init.legacyTransactions,
      finalityDepth: this.finalityDepth,
      now: init.now,
      get head () { return chain.head },
      get generation () { return chain.generation },
      header: hash => this.index.get(hash),
      isOnMainChain: hash => this.isOnMainChain(hash),
      txLocation: id => init.store.getTxLocationSync(id),
      sideBlockTxIds: async hash => await this.sideBlockTxIds(hash),
      alreadyVerified: tx => this.verified.has(tx),
      markVerified: tx => { this.verified.add(tx) }
    }
    this.validator = new BlockValidator(view, this.verifier)
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
    for (const hash of this.index.keys()) if (!this.isOnMainChain(hash)) this.sideHashes.add(hash)
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

  /** Cumulative work of a chain of this network whose head is at `index` (each block weighs 2^bits). */
  workAt (index: number): bigint {
    return BigInt(index) * blockWork(this.init.network.bits)
  }

  /** The lowest height a fork point may have now (docs/design.md §4 checkpoint rule). */
  finalityFloor (): number {
    return Math.max(0, this.height - this.finalityDepth)
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
      this.blocks.set(b) // the next read (GET /chain, sync serving) finds it, with its serialized bytes
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
    const pending = this.mempool.get(id) ?? this.parked.get(id)
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
  async submitTx (input: unknown, opts: TxSubmitOptions = {}): Promise<Tx> {
    let tx: Tx
    if (isLegacySubmission(input)) {
      if (!this.init.legacyTransactions) throw new TxError(TxErrorCode.LEGACY_DISABLED, 'legacy RSA transactions are turned off on this node')
      tx = parseLegacySubmission(input, this.init.now())
    } else {
      tx = parseTx(input)
    }
    return await this.acceptTx(tx, opts)
  }

  /**
   * A tx already parsed in its stored form (gossip carries no legacy submissions): the rest of submitTx.
   * Cheapest first (docs/design.md §12): stateful checks, the cheap rules and the mempool's fair-share
   * admission come before the signature, so a flood past its share costs no signature work.
   */
  async acceptTx (tx: Tx, opts: TxSubmitOptions = {}): Promise<Tx> {
    const source = opts.source ?? LOCAL_SOURCE
    this.checkStateful(tx)
    const payload = checkTxRules(tx, { network: this.networkId, nowMs: this.init.now(), legacyTransactions: this.init.legacyTransactions })
    this.mempool.admission(tx, source, { displaceAtMost: this.parkRoom() })
    if (!this.verified.has(tx)) {
      const [ok] = await this.verifier.verifyMany([txSignatureCheck(tx, this.networkId, payload)])
      if (ok !== true) throw badSignature()
      this.verified.add(tx)
    }
    // Into the mempool in one synchronous step, without the chain lock (docs/design.md §12): a block import
    // holds the lock for its whole store write (60 ms for a block of 1,800 txs on the loaded 2-core machine),
    // and an honest POST /new_transaction waited all of it. A tx that lands here while an import is between
    // its plan and its memory update is settled by that update (importValidated: settleLatePending).
    this.checkStateful(tx) // a block may have confirmed it while we verified
    const displaced = this.mempool.add(tx, source, { displaceAtMost: this.parkRoom() })
    for (const d of displaced) this.parked.set(d.id, d) // still journaled, still pending
    const seq = this.nextSeq++
    this.pendingSeq.set(tx.id, seq)
    const durable = this.journal(seq, tx)
    const journaled = durable.then(() => { this.emit('tx', tx) }, (err: unknown) => {
      if (this.pendingSeq.get(tx.id) === seq) {
        this.pendingSeq.delete(tx.id)
        this.mempool.remove([tx.id])
        for (const d of displaced) {
          if (this.parked.delete(d.id)) this.mempool.restore([d])
        }
      }
      throw err
    })
    if (opts.awaitJournal === false) journaled.catch(() => undefined) // undone above; the store's failure reaches the next awaited write
    else await journaled
    return tx
  }

  /** How many more txs the park takes (docs/design.md §12: bounded like the mempool itself). */
  private parkRoom (): number {
    return Math.max(0, this.mempool.maxCount - this.parked.size)
  }

  /**
   * Parked txs back into the mempool, oldest first, while it is under its fairness threshold (after a
   * block made room). They come back as the node's own: the relay that sent them is forgotten.
   */
  private unpark (): void {
    for (const [id, tx] of this.parked) {
      if (this.mempool.fill >= this.mempool.threshold) break
      this.parked.delete(id)
      this.mempool.restore([tx])
    }
  }

  private checkStateful (tx: Tx): void {
    if (this.mempool.has(tx.id) || this.parked.has(tx.id)) throw new TxError(TxErrorCode.DUPLICATE, 'the transaction is already pending', { id: tx.id })
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
      // Not under the chain lock: an import's batch takes what is queued when it is written (commit), and a
      // journal write racing an import only ever leaves an entry for a tx the chain holds, which the import's
      // memory update deletes again (settleLatePending) and load() drops if a crash came first.
      if (this.journalQueue.length === 1) this.scheduleJournalWrite()
    })
  }

  /**
   * One journal write at a time (group commit: what queues while one is under way goes out in the next).
   * The first write after a quiet spell starts once the current task's microtasks are done, not a turn of
   * the event loop later: a turn is a check phase behind whatever else queued there (a large block's
   * validation slices), and the client waits for this write.
   */
  private scheduleJournalWrite (): void {
    if (this.journalWriting) return
    this.journalWriting = true
    queueMicrotask(() => {
      this.commit(new StoreBatch()).catch(() => undefined).finally(() => {
        this.journalWriting = false
        if (this.journalQueue.length > 0 || this.lateDeletes.length > 0) this.scheduleJournalWrite()
      })
    })
  }

  /**
   * Txs that entered the mempool while an import was between its plan and its memory update, and that the
   * import confirmed: out of the pending set now, their journal entries deleted by the next write (after
   * their own put, in the same batch or a later one).
   */
  private settleLatePending (confirmed: Iterable<string>): void {
    for (const id of confirmed) {
      const seq = this.pendingSeq.get(id)
      if (seq === undefined) continue
      this.pendingSeq.delete(id)
      this.lateDeletes.push(seq)
    }
    if (this.lateDeletes.length > 0) this.scheduleJournalWrite()
  }

  /** Commit `batch` with the queued journal entries ahead of it (so its deletes win), settling their waiters. */
  private async commit (batch: StoreBatch): Promise<void> {
    const queued = this.journalQueue
    this.journalQueue = []
    const late = this.lateDeletes
    this.lateDeletes = []
    const journal = new StoreBatch()
    for (const e of queued) journal.putPending(e.seq, e.tx)
    for (const seq of late) journal.deletePending(seq)
    try {
      await this.init.store.commit(batch.prepend(journal))
    } catch (err) {
      for (const e of queued) e.reject(err)
      throw err
    }
    for (const e of queued) e.resolve()
  }

  // ---- blocks ---------------------------------------------------------------------------------

  /**
   * Validate a block from any source without taking the lock or writing (docs/design.md §12): the gossip
   * validator answers Accept once this resolves, then hands the result to importBlock. A block whose
   * parent is still being imported waits for that import first.
   */
  async validateBlock (input: unknown, opts: { signal?: AbortSignal } = {}): Promise<ValidatedBlock> {
    const seen = this.seenBefore(input)
    if (seen !== undefined) throw seen
    // The caller just parsed the body's JSON; the schema walk of a large block comes in its own turn.
    await yieldToEventLoop()
    const block = parseBlock(input)
    if (this.importing.has(block.hash)) throw new BlockError(BlockErrorCode.ALREADY_KNOWN, 'the block is already known', { hash: block.hash })
    await this.importing.get(block.previous_hash)?.catch(() => undefined)
    const { validated, error } = await this.validator.validate([block], opts)
    if (error !== undefined) {
      this.rememberRefused(block, error)
      throw error
    }
    return validated[0]
  }

  /**
   * A block we hold, or refused before for a reason that holds for any block with its header (docs/design.md
   * §12: refusing it again costs a header hash, not a parse of its transactions). The header must hash
   * to the claimed hash, so nobody can get a block refused by naming its hash on garbage.
   */
  private seenBefore (input: unknown): BlockError | undefined {
    if (typeof input !== 'object' || input === null || typeof (input as { hash?: unknown }).hash !== 'string') return undefined
    const hash = (input as { hash: string }).hash
    const refused = this.refused.get(hash)
    if (refused === undefined && !this.index.has(hash)) return undefined
    let computed: string
    try {
      computed = computeBlockHash(input as Block)
    } catch {
      return undefined // malformed header fields: the full parse names them
    }
    if (computed !== hash) return undefined
    return refused ?? new BlockError(BlockErrorCode.ALREADY_KNOWN, 'the block is already known', { hash })
  }

  /**
   * Remember a refusal that any block with this header would get: faults of the header itself, and of
   * the body once its tx_root matched (the header then commits to exactly these txs). Never a refusal
   * for our own view (unknown parent, checkpoint, a full side store, our clock) nor a body that does not
   * match its header (that body could be swapped for a valid one).
   */
  private rememberRefused (block: Block, err: unknown): void {
    if (!(err instanceof BlockError) || !CACHEABLE_REFUSALS.has(err.code)) return
    if (err.code === BlockErrorCode.INVALID_TX && ruleErrorOutcome(err)?.gossip !== 'reject') return
    this.refused.set(block.hash, err)
  }

  /** Import a validated block under the lock, disk first, memory after; it becomes the head if its chain has the most work. */
  async importBlock (v: ValidatedBlock): Promise<{ block: Block, status: BlockImportStatus }> {
    const hash = v.block.hash
    const running = this.importing.get(hash)
    if (running !== undefined) {
      await running.catch(() => undefined)
      throw new BlockError(BlockErrorCode.ALREADY_KNOWN, 'the block is already known', { hash })
    }
    const done = this.lock.run(async () => {
      const [result] = await this.importValidated([v])
      if (result === undefined) throw new BlockError(BlockErrorCode.ALREADY_KNOWN, 'the block is already known', { hash })
      return result
    }).finally(() => { this.importing.delete(hash) })
    this.importing.set(hash, done)
    return await done
  }

  /** Validate, then import (HTTP /add_block, tests). */
  async submitBlock (input: unknown): Promise<{ block: Block, status: BlockImportStatus }> {
    return await this.importBlock(await this.validateBlock(input))
  }

  /**
   * Sync: validate a downloaded batch (linked blocks) with no lock held, every signature of it in one
   * parallel batch, then import what passed in ONE store write. Stops at the first invalid block.
   */
  async importBlocks (inputs: unknown[], _from?: string): Promise<{ imported: number, error?: { code: string, message: string, peerFault: boolean } }> {
    const blocks: Block[] = []
    let parseError: unknown
    for (const input of inputs) {
      try { blocks.push(parseBlock(input)) } catch (err) { parseError = err; break }
    }
    const { validated, error } = await this.validator.validate(blocks)
    let imported = 0
    if (validated.length > 0) imported = (await this.lock.run(async () => await this.importValidated(validated))).length
    const failure = error ?? parseError
    if (failure === undefined || (failure instanceof BlockError && failure.code === BlockErrorCode.ALREADY_KNOWN)) return { imported }
    const outcome = ruleErrorOutcome(failure)
    if (outcome === undefined) throw failure
    return { imported, error: { code: outcome.code, message: outcome.message, peerFault: outcome.gossip === 'reject' } }
  }

  /**
   * Sync (docs/design.md §11): check the signatures of downloaded blocks before their import, with no lock
   * and nothing written, so that a batch's signatures are verified on the workers while the batch before it
   * imports. Only a tx whose id is the hash of its signing payload enters the verified cache (the cache key
   * is id and signature, so the id must bind the signed fields); anything malformed is left for validation
   * to judge. Cheap checks first (docs/design.md §12): a block whose header hash is not its own or misses the
   * network's proof of work ends the look-ahead before any of its signatures, as validation would; the work
   * stops at the first bad signature too (validation names it).
   */
  async preverify (inputs: unknown[], signal?: AbortSignal): Promise<void> {
    const txs: Tx[] = []
    const checks: SignatureCheck[] = []
    for (const input of inputs) {
      const block = input as Block | null
      const raw = block?.transactions
      if (!Array.isArray(raw)) break
      try {
        if (block!.bits !== this.init.network.bits || computeBlockHash(block!) !== block!.hash || !meetsProofOfWork(block!.hash, block!.bits)) break
      } catch { break }
      for (const item of raw) {
        let tx: Tx
        try { tx = parseTx(item) } catch { continue }
        if (tx.scheme !== 'ed25519' || this.verified.has(tx)) continue
        const payload = txSigningPayload(tx, this.networkId)
        if (sha256Hex(payload) !== tx.id) continue
        txs.push(tx)
        checks.push(txSignatureCheck(tx, this.networkId, payload))
      }
    }
    if (checks.length === 0) return
    const results = await this.verifier.verifyMany(checks, { stopOnFirstFailure: true, signal })
    for (const [i, ok] of results.entries()) if (ok === true) this.verified.add(txs[i])
  }

  /**
   * Import validated linked blocks (the first one's parent is indexed) in one store batch. Called
   * under the lock. Blocks indexed meanwhile are skipped; a validation against another main chain
   * (the generation moved) is rechecked first, without signatures. Returns what was imported.
   */
  private async importValidated (list: ValidatedBlock[]): Promise<Array<{ block: Block, status: BlockImportStatus }>> {
    let todo = list.filter(v => !this.index.has(v.block.hash))
    if (todo.length === 0) return []
    if (todo.some(v => v.generation !== this.generation)) {
      const recheck = await this.validator.validate(todo.map(v => v.block), { signatures: false })
      if (recheck.validated.length === 0) throw recheck.error
      todo = recheck.validated
    }
    const entries = new Map(todo.map(v => [v.block.hash, v.entry]))
    const batch = new StoreBatch()
    for (const { block, entry } of todo) batch.putBlock(block, { ...entry, work: entry.work.toString() })
    const last = todo[todo.length - 1]

    if (!isHeavier(last.entry.work, this.head.work)) {
      if (this.sideHashes.size + todo.length > this.maxSideBlocks) {
        throw new BlockError(BlockErrorCode.SIDE_BRANCHES_FULL, `this node keeps at most ${this.maxSideBlocks} side-branch blocks; try again after the next block`,
          { limit: this.maxSideBlocks })
      }
      await this.commit(batch)
      for (const { block, entry } of todo) {
        this.index.set(block.hash, entry)
        forgetJson(block)
        this.sideHashes.add(block.hash)
        this.sideTxIds.set(block.hash, block.transactions.map(t => t.id))
        this.blocks.set(block)
      }
      for (const { block } of todo) this.emit('block', { block, status: 'side' })
      return todo.map(({ block }) => ({ block, status: 'side' as const }))
    }

    // The last block's chain has the most work: connect it, through a reorg when it is not on our tip.
    // Memory changes only after the batch is on disk, so a failure anywhere before leaves no trace.
    const plan = planReorg(this.head.hash, last.block.hash, h => entries.get(h) ?? this.index.get(h))
    const fresh = new Map(todo.map(v => [v.block.hash, v.block]))
    const disconnected = await this.getBlocksByHash(plan.disconnect)
    const older = await this.getBlocksByHash(plan.connect.filter(h => !fresh.has(h)))
    const olderByHash = new Map(older.map(b => [b.hash, b]))
    const connected = plan.connect.map(h => fresh.get(h) ?? olderByHash.get(h)!)
    const { restore, evict } = mempoolChanges(disconnected, connected)
    for (const b of disconnected) batch.disconnect(b)
    for (const b of connected) batch.connect(b)
    batch.setHead(last.block.hash)
    const evictedSeqs: string[] = []
    for (const id of evict) {
      const seq = this.pendingSeq.get(id)
      if (seq !== undefined) { batch.deletePending(seq); evictedSeqs.push(id) }
    }
    const restored: Array<{ seq: number, tx: Tx }> = []
    for (const tx of restore) {
      if (this.mempool.has(tx.id) || this.parked.has(tx.id)) continue
      const seq = this.nextSeq++
      batch.putPending(seq, tx)
      restored.push({ seq, tx })
    }
    const fork = this.index.get(plan.forkPoint)!
    const connectedSet = new Set(plan.connect)
    const onNewMain = (e: IndexEntry): boolean => connectedSet.has(e.hash) || (e.index <= fork.index && this.main[e.index] === e.hash)
    const lookup = (h: string): IndexEntry | undefined => entries.get(h) ?? this.index.get(h)
    const pruned = this.prunable([...this.sideHashes, ...plan.disconnect].filter(h => !connectedSet.has(h)), last.entry.index, onNewMain, lookup)
    for (const hash of pruned) batch.deleteBlock(hash)
    await this.commit(batch)

    // Disk holds the new state; now the memory follows.
    for (const { block, entry } of todo) {
      this.index.set(block.hash, entry)
      forgetJson(block) // its text went to disk; a cached block keeps only its objects (src/core/serialized.ts)
      this.blocks.set(block)
    }
    for (const b of disconnected) {
      this.sideTxIds.set(b.hash, b.transactions.map(t => t.id))
      this.sideHashes.add(b.hash)
    }
    for (const b of connected) {
      this.sideTxIds.delete(b.hash)
      this.sideHashes.delete(b.hash)
    }
    for (const hash of pruned) {
      this.index.delete(hash)
      this.sideHashes.delete(hash)
      this.sideTxIds.delete(hash)
      this.blocks.delete(hash)
    }
    this.main.length = fork.index + 1
    for (const b of connected) this.main.push(b.hash)
    this.generation++
    this.mempool.remove(evict)
    for (const id of evict) this.parked.delete(id)
    for (const id of evictedSeqs) this.pendingSeq.delete(id)
    this.settleLatePending(evict)
    this.mempool.restore(restored.map(r => r.tx))
    for (const r of restored) this.pendingSeq.set(r.tx.id, r.seq)
    this.unpark()

    if (disconnected.length > 0) {
      this.emit('reorg', { forkPoint: plan.forkPoint, disconnected: plan.disconnect, connected: plan.connect, restoredTxs: restored.length })
    }
    for (const { block } of todo) this.emit('block', { block, status: 'head' })
    this.emit('head', { hash: last.block.hash, index: last.entry.index, work: last.entry.work, block: last.block })
    return todo.map(({ block }) => ({ block, status: 'head' as const }))
  }

  /**
   * Side blocks that can never matter again once the head is at `headIndex` (docs/design.md §4
   * checkpoint rule): their branch leaves the main chain more than finalityDepth below the head, so no
   * block may extend them. Each branch is walked once (memo), at most finalityDepth steps.
   */
  private prunable (candidates: string[], headIndex: number, onMain: (e: IndexEntry) => boolean, lookup: (hash: string) => IndexEntry | undefined): string[] {
    const floor = headIndex - this.finalityDepth
    if (candidates.length === 0 || floor <= 0) return []
    const forkOf = new Map<string, number>()
    const walk = (hash: string): number => {
      const path: string[] = []
      let e = lookup(hash)
      let fork = -1
      while (e !== undefined) {
        const known = forkOf.get(e.hash)
        if (known !== undefined) { fork = known; break }
        if (onMain(e)) { fork = e.index; break }
        if (e.index < floor) break // below already: where exactly does not matter
        path.push(e.hash)
        e = lookup(e.previous_hash)
      }
      for (const h of path) forkOf.set(h, fork)
      return fork
    }
    return candidates.filter(h => walk(h) < floor)
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
