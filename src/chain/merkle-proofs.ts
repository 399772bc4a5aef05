// Merkle inclusion proofs of main-chain txs (docs/design.md §3, §7 /tx/:id and /items/:item/history).
// A proof from scratch hashes the whole block: JCS + two sha256 per tx, then the tree; a full block of
// 2,000 txs costs ~15 ms. One item's history may hold many records of one block, and anyone may ask
// for it again and again, so the levels of recently used trees are kept (bounded by bytes): every
// further proof of that block is O(log n) without hashing.
import { LRUCache } from 'lru-cache'
import { merkleLevels, merkleProofFromLevels, txLeafHash, type MerkleProof } from '../core/merkle.js'
import type { Block } from '../core/types.js'

/** Bytes a kept tree is charged: 32 per node plus the Uint8Array's own ~64 bytes of object overhead. */
const NODE_COST = 96
/** 32 MiB: the trees of ~170 full blocks. */
export const DEFAULT_MERKLE_CACHE_BYTES = 32 * 1024 * 1024

export class MerkleProofs {
  private readonly trees: LRUCache<string, Uint8Array[][]>

  constructor (maxBytes = DEFAULT_MERKLE_CACHE_BYTES) {
    if (!Number.isSafeInteger(maxBytes) || maxBytes < NODE_COST) throw new TypeError('MerkleProofs: "maxBytes" must be a positive integer')
    this.trees = new LRUCache({
      maxSize: maxBytes,
      sizeCalculation: levels => Math.max(1, levels.reduce((n, level) => n + level.length, 0) * NODE_COST)
    })
  }

  /** Proof of block.transactions[position] against block.tx_root. */
  proof (block: Block, position: number): MerkleProof {
    let levels = this.trees.get(block.hash)
    if (levels === undefined) {
      levels = merkleLevels(block.transactions.map(txLeafHash))
      this.trees.set(block.hash, levels)
    }
    return merkleProofFromLevels(levels, position)
  }
}
