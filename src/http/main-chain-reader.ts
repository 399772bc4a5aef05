// Reading a long stretch of the main chain for /chain, /register_node and /save without holding it all
// in memory and without ever mixing two branches: blocks are fetched in batches by height, and if a
// reorg moves the main chain under the reader, the rest is read from the branch of the head recorded
// when reading started (blocks are immutable by hash and side branches stay indexed).
import type { Chain } from '../chain/chain.js'
import { jsonBytesOf } from '../core/serialized.js'
import type { Block } from '../core/types.js'

export type MainChainSource = Pick<Chain, 'head' | 'mainChain' | 'header' | 'getBlock'>

/** Blocks per store read: bounded memory even with 1 MiB blocks. */
export const READ_BATCH = 32

/** The chain changed twice under a reader: the caller may retry. */
export class ChainChangedError extends Error {
  override readonly name = 'ChainChangedError'
  constructor () {
    super('the main chain changed while it was being read; try again')
  }
}

export interface MainChainRead {
  /** Length of the whole main chain (head index + 1) when reading started. */
  length: number
  /** Heights [from, end) of that main chain, in order. */
  from: number
  end: number
  /** The blocks in order, READ_BATCH at a time (a pinned read after a reorg: one at a time). */
  batches: AsyncGenerator<Block[], void, undefined>
  /** The same blocks one by one (read either `batches` or `blocks`, not both). */
  blocks: AsyncGenerator<Block, void, undefined>
}

/**
 * Open a read of main-chain heights [from, from + limit). The head is recorded and the first batch
 * requested in the same synchronous step (Chain.mainChain slices its height index before it awaits),
 * so the first batch belongs to the recorded head's chain.
 */
export function readMainChain (chain: MainChainSource, from = 0, limit = Number.POSITIVE_INFINITY): MainChainRead {
  if (!Number.isSafeInteger(from) || from < 0) throw new RangeError('readMainChain: "from" must be a non-negative integer')
  if (!(limit === Number.POSITIVE_INFINITY || (Number.isSafeInteger(limit) && limit >= 0))) {
    throw new RangeError('readMainChain: "limit" must be a non-negative integer or Infinity')
  }
  const head = chain.head
  const length = head.index + 1
  const start = Math.min(from, length)
  const end = Math.min(length, start + limit)
  const firstCount = Math.min(READ_BATCH, end - start)
  const firstBatch = firstCount > 0 ? chain.mainChain(start, firstCount) : Promise.resolve([])
  firstBatch.catch(() => undefined) // surfaced when iterated; never an unhandled rejection
  const batches = iterate(chain, head.hash, start, end, firstBatch)
  return { length, from: start, end, batches, blocks: flatten(batches) }
}

async function * flatten (batches: AsyncGenerator<Block[], void, undefined>): AsyncGenerator<Block, void, undefined> {
  for await (const batch of batches) yield * batch
}

function linksOn (batch: Block[], want: number, next: number, prev: Block | undefined): boolean {
  if (batch.length !== want) return false
  for (let i = 0; i < batch.length; i++) {
    const parent = i === 0 ? prev : batch[i - 1]
    if (batch[i].index !== next + i) return false
    if (parent !== undefined && batch[i].previous_hash !== parent.hash) return false
  }
  return true
}

async function * iterate (chain: MainChainSource, headHash: string, start: number, end: number, firstBatch: Promise<Block[]>): AsyncGenerator<Block[], void, undefined> {
  let prev: Block | undefined
  let next = start
  let pending = firstBatch
  while (next < end) {
    const want = Math.min(READ_BATCH, end - next)
    const batch = await pending
    if (!linksOn(batch, want, next, prev)) {
      for await (const block of readPinned(chain, headHash, next, end, prev)) yield [block]
      return
    }
    next += batch.length
    prev = batch[batch.length - 1]
    // Ask for the next batch before handing these out, so the store works while the consumer writes.
    if (next < end) {
      pending = chain.mainChain(next, Math.min(READ_BATCH, end - next))
      pending.catch(() => undefined)
    }
    yield batch
  }
}

/** The rest of the chain of the recorded head, after a reorg moved the main chain under the reader. */
async function * readPinned (chain: MainChainSource, headHash: string, next: number, end: number, prev: Block | undefined): AsyncGenerator<Block, void, undefined> {
  const hashes = new Array<string>(end - next)
  let e = chain.header(headHash)
  while (e !== undefined && e.index >= next) {
    if (e.index < end) hashes[e.index - next] = e.hash
    e = e.index === 0 ? undefined : chain.header(e.previous_hash)
  }
  if (prev !== undefined && e?.hash !== prev.hash) throw new ChainChangedError()
  for (const hash of hashes) {
    const block = hash === undefined ? undefined : await chain.getBlock(hash)
    if (block === undefined) throw new ChainChangedError()
    yield block
  }
}

/**
 * JSON of an object whose member `arrayKey` is the streamed blocks, as UTF-8 pieces: `before` members
 * first, `after` members last (a function so it is read once the blocks are done). Each block is its
 * cached serialized bytes (src/core/serialized.ts): concatenated, never serialized again.
 */
export async function * chainJsonChunks (
  before: Record<string, unknown>,
  arrayKey: string,
  blocks: AsyncIterable<Block | Block[]>,
  after: () => Record<string, unknown> = () => ({})
): AsyncGenerator<Uint8Array | Uint8Array[], void, undefined> {
  const members = (o: Record<string, unknown>): string[] => Object.entries(o).map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`)
  const head = members(before)
  yield encoder.encode('{' + head.join(',') + (head.length > 0 ? ',' : '') + JSON.stringify(arrayKey) + ':[')
  let first = true
  for await (const item of blocks) {
    if (!Array.isArray(item)) {
      if (!first) yield COMMA
      yield jsonBytesOf(item)
      first = false
      continue
    }
    // A batch is one step of the consumer: its parts (commas included) as one array, no await per block.
    const parts: Uint8Array[] = []
    for (const block of item) {
      if (!first) parts.push(COMMA)
      parts.push(jsonBytesOf(block))
      first = false
    }
    if (parts.length > 0) yield parts
  }
  const tail = members(after())
  yield encoder.encode(']' + (tail.length > 0 ? ',' : '') + tail.join(',') + '}')
}

const encoder = new TextEncoder()
const COMMA = encoder.encode(',')
