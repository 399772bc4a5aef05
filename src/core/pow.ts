// Proof of work (docs/design.md §3, §11): the nonce search (nonce-search.ts, re-exported here) and mining a block
// in-thread. The miner's workers import nonce-search.ts directly, without the block rules this module needs.
import { computeBlockHash, headerPrefix, type UnminedBlock } from './block.js'
import { searchNonce } from './nonce-search.js'
import type { Block } from './types.js'

export * from './nonce-search.js'

/**
 * Mines an unmined block in-thread (tests, devnets at low bits); the node's miner runs searchNonce
 * in a worker. Returns null if no nonce in the range meets `bits`.
 */
export function mineBlock (unmined: UnminedBlock, startNonce = 0, count = Number.MAX_SAFE_INTEGER): Block | null {
  const found = searchNonce(headerPrefix(unmined), unmined.bits, startNonce, count)
  if (found === null) return null
  const block: Block = {
    index: unmined.index,
    transactions: unmined.transactions,
    timestamp: unmined.timestamp,
    previous_hash: unmined.previous_hash,
    nonce: found.nonce,
    hash: found.hash,
    version: unmined.version,
    bits: unmined.bits,
    tx_root: unmined.tx_root
  }
  // Cheap insurance that the fast path and the reference hash never drift apart.
  if (computeBlockHash(block) !== found.hash) throw new Error('searchNonce disagrees with computeBlockHash')
  return block
}
