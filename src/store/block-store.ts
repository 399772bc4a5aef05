// Durable chain store (docs/design.md §6) on LevelDB via classic-level, as Lodestar and ethereumjs do.
//
// Key space (all string keys, JSON values):
//   b!<hash>        full block JSON (main chain and side branches)
//   x!<hash>        header record: what the in-memory block index needs at start-up
//   n!<index:16hex> main-chain hash at that height
//   t!<txid>        main-chain location of a tx: {hash, index}
//   p!<seq:16hex>   journaled pending tx, in arrival order
//   m!head          the main-chain tip hash
//   i!<sha256(item):64hex>!<index:16hex>!<position:8hex>
//                   item index: a main-chain record about `item` (docs/design.md §7 /items), value {hash, id}
//   m!items         {version, head}: the head the item index was last written with
//
// Every block import, reorg included, is ONE LevelDB batch (the write-ahead log applies it whole or not
// at all), so after `kill -9` at any moment the store holds a consistent chain and nothing it acknowledged.
// The item index rides in the same batches (connect/disconnect/setHead), so it can never disagree with
// the main chain it was written with; `m!items` tells a store written by a version without the index
// (or an older index layout) apart, and the chain then rebuilds the index once at start.
import { ClassicLevel } from 'classic-level'
import { sha256Hex } from '../core/hash.js'
import { utf8 } from '../core/bytes.js'
import { recordItem } from '../core/record.js'
import { jsonOf, rememberJson } from '../core/serialized.js'
import { yieldToEventLoop } from '../util/yield.js'
import type { Block, Tx } from '../core/types.js'

export interface StoredHeader {
  hash: string
  previous_hash: string
  index: number
  timestamp: number
  /** Cumulative work from genesis, decimal. */
  work: string
}

export interface TxLocation {
  hash: string
  index: number
}

const HEAD_KEY = 'm!head'
const ITEM_INDEX_KEY = 'm!items'
/** Bump when the item index's keys or values change: stores written with another version rebuild it. */
export const ITEM_INDEX_VERSION = 1

/** One main-chain record about an item: where it stands (block height, position in the block). */
export interface ItemEntry {
  /** Height of the block. */
  index: number
  /** Position of the tx in the block's transactions. */
  position: number
  /** Block hash. */
  hash: string
  /** Tx id. */
  id: string
}

/** Resume an item read after this record (keyset paging: stable while blocks are added). */
export interface ItemCursor {
  index: number
  position: number
}

export interface ItemRead {
  /** The main-chain head the entries belong to (read from the same snapshot). */
  head: { hash: string, index: number }
  /** Oldest first. */
  entries: ItemEntry[]
  /** True when more entries follow the last one returned. */
  more: boolean
}

function itemPrefix (item: string): string {
  // Hashed: an item is any Unicode up to 128 code points, and a fixed-size key needs no escaping.
  return 'i!' + sha256Hex(utf8(item)) + '!'
}

function itemKey (item: string, index: number, position: number): string {
  return itemPrefix(item) + index.toString(16).padStart(16, '0') + '!' + position.toString(16).padStart(8, '0')
}

function itemEntryOf (key: string, value: string): ItemEntry {
  const { hash, id } = JSON.parse(value) as { hash: string, id: string }
  const tail = key.length - 25 // <index:16hex>!<position:8hex>
  return { index: parseInt(key.slice(tail, tail + 16), 16), position: parseInt(key.slice(tail + 17), 16), hash, id }
}

function heightKey (index: number): string {
  return 'n!' + index.toString(16).padStart(16, '0')
}

function pendingKey (seq: number): string {
  return 'p!' + seq.toString(16).padStart(16, '0')
}

/** Ops handed to LevelDB in one synchronous stretch (BlockStore.commit): ~2-3 ms of preparation. */
export const COMMIT_SLICE_OPS = 512

/** One atomic change to the store, built up by the chain service and committed once. */
export class StoreBatch {
  readonly ops: Array<{ type: 'put', key: string, value: string } | { type: 'del', key: string }> = []

  putBlock (block: Block, header: StoredHeader): this {
    this.ops.push({ type: 'put', key: 'b!' + block.hash, value: jsonOf(block) })
    this.ops.push({ type: 'put', key: 'x!' + block.hash, value: JSON.stringify(header) })
    return this
  }

  /** Forget a side-branch block (docs/design.md §4: pruned below the checkpoint). Never a main-chain block. */
  deleteBlock (hash: string): this {
    this.ops.push({ type: 'del', key: 'b!' + hash })
    this.ops.push({ type: 'del', key: 'x!' + hash })
    return this
  }

  connect (block: Block): this {
    this.ops.push({ type: 'put', key: heightKey(block.index), value: block.hash })
    const location = JSON.stringify({ hash: block.hash, index: block.index })
    for (const tx of block.transactions) this.ops.push({ type: 'put', key: 't!' + tx.id, value: location })
    return this.indexItems(block)
  }

  /** Undo `connect`; the height key is overwritten or removed by the caller's later ops. */
  disconnect (block: Block): this {
    this.ops.push({ type: 'del', key: heightKey(block.index) })
    for (const tx of block.transactions) this.ops.push({ type: 'del', key: 't!' + tx.id })
    for (const [position, tx] of block.transactions.entries()) {
      const item = recordItem(tx)
      if (item !== null) this.ops.push({ type: 'del', key: itemKey(item, block.index, position) })
    }
    return this
  }

  /** The item index entries of a main-chain block (part of `connect`; alone when the index is rebuilt). */
  indexItems (block: Block): this {
    for (const [position, tx] of block.transactions.entries()) {
      const item = recordItem(tx)
      if (item !== null) this.ops.push({ type: 'put', key: itemKey(item, block.index, position), value: JSON.stringify({ hash: block.hash, id: tx.id }) })
    }
    return this
  }

  /** The new main-chain tip; the item index is written with every head change, so it is current too. */
  setHead (hash: string): this {
    this.ops.push({ type: 'put', key: HEAD_KEY, value: hash })
    return this.markItemIndex(hash)
  }

  /** Record that the item index matches the main chain of `head`. */
  markItemIndex (head: string): this {
    this.ops.push({ type: 'put', key: ITEM_INDEX_KEY, value: JSON.stringify({ version: ITEM_INDEX_VERSION, head }) })
    return this
  }

  putPending (seq: number, tx: Tx): this {
    this.ops.push({ type: 'put', key: pendingKey(seq), value: jsonOf(tx) })
    return this
  }

  deletePending (seq: number): this {
    this.ops.push({ type: 'del', key: pendingKey(seq) })
    return this
  }

  /** Put `earlier`'s ops ahead of this batch's, so later ops (deletes) win over them. */
  prepend (earlier: StoreBatch): this {
    this.ops.unshift(...earlier.ops)
    return this
  }

  get empty (): boolean {
    return this.ops.length === 0
  }
}

export interface BlockStoreInit {
  /** Directory of the LevelDB. */
  path: string
  /**
   * fsync every commit. Off by default: LevelDB's log is written before a commit resolves, so a
   * process crash (kill -9) loses nothing; only a power loss could. On for deployments that want that too.
   */
  syncWrites?: boolean
}

/** A block as stored: its text is JSON.stringify of the block that was put (putBlock), so it is kept as its serialized form. */
function storedBlock (value: string): Block {
  const block = JSON.parse(value) as Block
  rememberJson(block, value)
  return block
}

export class BlockStore {
  private constructor (private readonly db: ClassicLevel<string, string>, private readonly syncWrites: boolean) {}

  static async open (init: BlockStoreInit): Promise<BlockStore> {
    if (typeof init.path !== 'string' || init.path === '') throw new TypeError('BlockStore: "path" must be a directory path')
    const db = new ClassicLevel<string, string>(init.path, { valueEncoding: 'utf8' })
    await db.open()
    return new BlockStore(db, init.syncWrites ?? false)
  }

  async close (): Promise<void> {
    await this.db.close()
  }

  async commit (batch: StoreBatch): Promise<void> {
    if (batch.empty) return
    const { ops } = batch
    if (ops.length <= COMMIT_SLICE_OPS) {
      await this.db.batch(ops, { sync: this.syncWrites })
      return
    }
    // A large batch (a block of 1,800 txs is ~3,600 ops) is handed to LevelDB in slices, a turn of the event
    // loop between them, and written once: still one atomic write (kill -9 safe), but not one synchronous
    // stretch. As one array batch its preparation (abstract-level's per-op checks and encoding, the
    // binding's copies) held the loop 28-41 ms on the loaded 2-core machine, and every client waited.
    const chained = this.db.batch()
    try {
      for (let i = 0; i < ops.length; i++) {
        if (i > 0 && i % COMMIT_SLICE_OPS === 0) await yieldToEventLoop()
        const op = ops[i]
        if (op.type === 'put') chained.put(op.key, op.value)
        else chained.del(op.key)
      }
      await chained.write({ sync: this.syncWrites })
    } catch (err) {
      await chained.close().catch(() => undefined) // a no-op once written or failed
      throw err
    }
  }

  async getBlock (hash: string): Promise<Block | undefined> {
    const value = await this.db.get('b!' + hash)
    return value === undefined ? undefined : storedBlock(value)
  }

  async getBlocks (hashes: string[]): Promise<Array<Block | undefined>> {
    if (hashes.length === 0) return []
    const values = await this.db.getMany(hashes.map(h => 'b!' + h))
    return values.map(v => v === undefined ? undefined : storedBlock(v))
  }

  async getHead (): Promise<string | undefined> {
    return await this.db.get(HEAD_KEY)
  }

  async getMainHash (index: number): Promise<string | undefined> {
    return await this.db.get(heightKey(index))
  }

  async getMainHashes (from: number, count: number): Promise<string[]> {
    const out: string[] = []
    for await (const value of this.db.values({ gte: heightKey(from), lt: heightKey(from + count) })) out.push(value)
    return out
  }

  async getTxLocation (id: string): Promise<TxLocation | undefined> {
    const value = await this.db.get('t!' + id)
    return value === undefined ? undefined : JSON.parse(value) as TxLocation
  }

  /**
   * The same lookup without a threadpool round trip: the tx ingest path asks it twice per tx, and an
   * async get would queue behind signature verifications on the libuv threadpool.
   */
  getTxLocationSync (id: string): TxLocation | undefined {
    const value = this.db.getSync('t!' + id)
    return value === undefined ? undefined : JSON.parse(value) as TxLocation
  }

  /**
   * True if the item index was written, in this layout, with the current head: every writer of this
   * version updates both in one batch, so only a store last written by another version fails this.
   */
  async itemIndexIsCurrent (): Promise<boolean> {
    const [head, marker] = await this.db.getMany([HEAD_KEY, ITEM_INDEX_KEY])
    if (head === undefined || marker === undefined) return false
    const { version, head: indexed } = JSON.parse(marker) as { version?: unknown, head?: unknown }
    return version === ITEM_INDEX_VERSION && indexed === head
  }

  /** Drop the whole item index (before a rebuild). */
  async clearItemIndex (): Promise<void> {
    await this.db.clear({ gt: 'i!', lt: 'i"' })
    await this.db.del(ITEM_INDEX_KEY)
  }

  /**
   * Main-chain records about `item`, oldest first, at most `limit`, after `cursor` when given. The head
   * and the entries come from ONE snapshot, so confirmations computed from them are those of one chain
   * even while blocks are imported; blocks themselves are immutable by hash and never deleted.
   */
  async readItem (item: string, limit: number, cursor?: ItemCursor): Promise<ItemRead> {
    const snapshot = this.db.snapshot()
    try {
      const headHash = await this.db.get(HEAD_KEY, { snapshot })
      const headHeader = headHash === undefined ? undefined : await this.db.get('x!' + headHash, { snapshot })
      if (headHash === undefined || headHeader === undefined) throw new Error('the store has no head block')
      const prefix = itemPrefix(item)
      const gt = cursor === undefined ? prefix : itemKey(item, cursor.index, cursor.position)
      const entries: ItemEntry[] = []
      let more = false
      for await (const [key, value] of this.db.iterator({ gt, lt: prefix.slice(0, -1) + '"', limit: limit + 1, snapshot })) {
        if (entries.length === limit) { more = true; break }
        entries.push(itemEntryOf(key, value))
      }
      return { head: { hash: headHash, index: (JSON.parse(headHeader) as StoredHeader).index }, entries, more }
    } finally {
      await snapshot.close()
    }
  }

  /** Every header record, for rebuilding the in-memory block index at start-up. */
  async * headers (): AsyncGenerator<StoredHeader> {
    for await (const value of this.db.values({ gt: 'x!', lt: 'x"' })) yield JSON.parse(value) as StoredHeader
  }

  /** Journaled pending txs in arrival order, with their journal sequence numbers. */
  async pending (): Promise<Array<{ seq: number, tx: Tx }>> {
    const out: Array<{ seq: number, tx: Tx }> = []
    for await (const [key, value] of this.db.iterator({ gt: 'p!', lt: 'p"' })) {
      out.push({ seq: parseInt(key.slice(2), 16), tx: JSON.parse(value) as Tx })
    }
    return out
  }
}
