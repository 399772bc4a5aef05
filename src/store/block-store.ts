// Durable chain store (docs/design.md §6) on LevelDB via classic-level, as Lodestar and ethereumjs do.
//
// Key space (all string keys, JSON values):
//   b!<hash>        full block JSON (main chain and side branches)
//   x!<hash>        header record: what the in-memory block index needs at start-up
//   n!<index:16hex> main-chain hash at that height
//   t!<txid>        main-chain location of a tx: {hash, index}
//   p!<seq:16hex>   journaled pending tx, in arrival order
//   m!head          the main-chain tip hash
//
// Every block import, reorg included, is ONE LevelDB batch (the write-ahead log applies it whole or not
// at all), so after `kill -9` at any moment the store holds a consistent chain and nothing it acknowledged.
import { ClassicLevel } from 'classic-level'
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

function heightKey (index: number): string {
  return 'n!' + index.toString(16).padStart(16, '0')
}

function pendingKey (seq: number): string {
  return 'p!' + seq.toString(16).padStart(16, '0')
}

/** One atomic change to the store, built up by the chain service and committed once. */
export class StoreBatch {
  readonly ops: Array<{ type: 'put', key: string, value: string } | { type: 'del', key: string }> = []

  putBlock (block: Block, header: StoredHeader): this {
    this.ops.push({ type: 'put', key: 'b!' + block.hash, value: JSON.stringify(block) })
    this.ops.push({ type: 'put', key: 'x!' + block.hash, value: JSON.stringify(header) })
    return this
  }

  connect (block: Block): this {
    this.ops.push({ type: 'put', key: heightKey(block.index), value: block.hash })
    const location = JSON.stringify({ hash: block.hash, index: block.index })
    for (const tx of block.transactions) this.ops.push({ type: 'put', key: 't!' + tx.id, value: location })
    return this
  }

  /** Undo `connect`; the height key is overwritten or removed by the caller's later ops. */
  disconnect (block: Block): this {
    this.ops.push({ type: 'del', key: heightKey(block.index) })
    for (const tx of block.transactions) this.ops.push({ type: 'del', key: 't!' + tx.id })
    return this
  }

  setHead (hash: string): this {
    this.ops.push({ type: 'put', key: HEAD_KEY, value: hash })
    return this
  }

  putPending (seq: number, tx: Tx): this {
    this.ops.push({ type: 'put', key: pendingKey(seq), value: JSON.stringify(tx) })
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
    await this.db.batch(batch.ops, { sync: this.syncWrites })
  }

  async getBlock (hash: string): Promise<Block | undefined> {
    const value = await this.db.get('b!' + hash)
    return value === undefined ? undefined : JSON.parse(value) as Block
  }

  async getBlocks (hashes: string[]): Promise<Array<Block | undefined>> {
    if (hashes.length === 0) return []
    const values = await this.db.getMany(hashes.map(h => 'b!' + h))
    return values.map(v => v === undefined ? undefined : JSON.parse(v) as Block)
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
