import type { Block } from '../core/types.js'

/** Recently used blocks by hash, so tip-near reads and side-branch walks skip the store. LRU by Map order. */
export class BlockCache {
  private readonly entries = new Map<string, Block>()

  constructor (private readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('BlockCache: "capacity" must be a positive integer')
  }

  get (hash: string): Block | undefined {
    const block = this.entries.get(hash)
    if (block !== undefined) {
      this.entries.delete(hash)
      this.entries.set(hash, block)
    }
    return block
  }

  set (block: Block): void {
    this.entries.delete(block.hash)
    this.entries.set(block.hash, block)
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!)
  }

  delete (hash: string): void {
    this.entries.delete(hash)
  }
}
