import { LRUCache } from 'lru-cache'
import { jsonSizeOf } from '../core/serialized.js'
import type { Block } from '../core/types.js'

/**
 * Recently used blocks by hash, so tip-near reads (GET /chain, sync serving) and side-branch walks skip the
 * store. Bounded by count AND by serialized bytes: a parsed block takes ~2.5x its JSON size in the heap
 * (1,000 txs: ~560 KB of JSON, ~1.4 MB of objects), so 256 full blocks would be most of a GB; a node that
 * synced a 100,000-tx chain kept all of it here (610 MiB RSS; docs/design.md §11 bar: 300 MB).
 */
export class BlockCache {
  private readonly entries: LRUCache<string, Block>

  constructor (capacity: number, maxBytes: number = DEFAULT_BLOCK_CACHE_BYTES) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('BlockCache: "capacity" must be a positive integer')
    if (!Number.isInteger(maxBytes) || maxBytes < 1) throw new RangeError('BlockCache: "maxBytes" must be a positive integer')
    this.entries = new LRUCache({ max: capacity, maxSize: maxBytes, sizeCalculation: block => Math.max(1, jsonSizeOf(block)) })
  }

  get (hash: string): Block | undefined {
    return this.entries.get(hash)
  }

  set (block: Block): void {
    this.entries.set(block.hash, block)
  }

  delete (hash: string): void {
    this.entries.delete(hash)
  }
}

/** Serialized bytes of the blocks kept: 8 MiB of JSON, ~20 MB of heap; GET /chain of 100 blocks of 10 txs is 0.5 MiB. */
export const DEFAULT_BLOCK_CACHE_BYTES = 8 * 1024 * 1024
