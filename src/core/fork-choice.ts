// docs/design.md §4 fork choice: the valid chain with the most cumulative work; a tie keeps the first seen.
import { BlockError, BlockErrorCode } from './errors.js'
import type { Block, Tx } from './types.js'

export interface HeaderInfo {
  hash: string
  previous_hash: string
  index: number
  /** Cumulative work from genesis up to and including this block. */
  work: bigint
}

/** Strictly more work: on a tie the chain seen first stays (docs/design.md §4). */
export function isHeavier (candidate: bigint, current: bigint): boolean {
  return candidate > current
}

export interface ReorgPlan {
  /** The last block both chains share. */
  forkPoint: string
  /** Blocks leaving the main chain, old tip first. */
  disconnect: string[]
  /** Blocks joining it, fork point + 1 first. */
  connect: string[]
}

/**
 * Path from the old tip to the new one through their last common block. Walks headers only, in
 * O(length of the two branches). Throws BLOCK_UNKNOWN_PARENT when a header on the way is missing
 * and BLOCK_WRONG_GENESIS when the chains share no block.
 */
export function planReorg (oldTip: string, newTip: string, getHeader: (hash: string) => HeaderInfo | undefined): ReorgPlan {
  const load = (hash: string): HeaderInfo => {
    const h = getHeader(hash)
    if (h === undefined) throw new BlockError(BlockErrorCode.UNKNOWN_PARENT, `no header for block ${hash}`, { hash })
    return h
  }
  let a = load(oldTip)
  let b = load(newTip)
  const disconnect: string[] = []
  const connect: string[] = []
  const step = (h: HeaderInfo): HeaderInfo => {
    if (h.index === 0) throw new BlockError(BlockErrorCode.WRONG_GENESIS, 'the two chains share no block (different genesis)', { hash: h.hash })
    return load(h.previous_hash)
  }
  while (a.index > b.index) { disconnect.push(a.hash); a = step(a) }
  while (b.index > a.index) { connect.push(b.hash); b = step(b) }
  while (a.hash !== b.hash) {
    disconnect.push(a.hash); a = step(a)
    connect.push(b.hash); b = step(b)
  }
  connect.reverse()
  return { forkPoint: a.hash, disconnect, connect }
}

/**
 * Mempool effect of a reorg (docs/design.md §4): txs of leaving blocks come back unless the new chain holds
 * them (in chain order: lowest block first, block order within), and txs the new chain holds leave
 * the mempool. The blocks may be given in any order.
 */
export function mempoolChanges (disconnected: Block[], connected: Block[]): { restore: Tx[], evict: Set<string> } {
  const evict = new Set<string>()
  for (const block of connected) for (const tx of block.transactions) evict.add(tx.id)
  const restore: Tx[] = []
  const restored = new Set<string>()
  for (const block of [...disconnected].sort((x, y) => x.index - y.index)) {
    for (const tx of block.transactions) {
      if (evict.has(tx.id) || restored.has(tx.id)) continue
      restored.add(tx.id)
      restore.push(tx)
    }
  }
  return { restore, evict }
}
