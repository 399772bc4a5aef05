// The block validator (docs/design.md §4, §12; Lodestar keeps validation apart from import the same way):
// every rule a block must pass, cheapest first, with NO lock held and NOTHING written. Size and schema
// (parseBlock, before this), then the header (hash, proof of work, parent, position, time), the
// checkpoint rule (the fork point is at most `finalityDepth` below the head), the body without
// signatures (count, size, tx_root, duplicates, each tx's cheap rules, a legacy key's bounds), the
// ancestry, and last the signatures: of every block of a batch in ONE verifyMany call, in parallel,
// stopping at the first failure. What passes is a ValidatedBlock that the chain imports under its lock
// ("disk first, memory after"); a gossip validator answers Accept as soon as it holds one.
import { BlockError, BlockErrorCode } from '../core/errors.js'
import { blockWork } from '../core/block.js'
import {
  blockSignatureChecks, blockSignatureFailure, checkBlockLimits, checkBlockShape, checkBlockTxRules, checkTxsNotInAncestry, validateBlockHeader, type BlockContext
} from '../core/validate-block.js'
import { txLeafHash } from '../core/merkle.js'
import { MEDIAN_TIME_SPAN, type Block, type Tx } from '../core/types.js'
import type { BatchSignatureVerifier, SignatureCheck } from '../core/signature.js'
import type { HeadInfo, IndexEntry } from './chain.js'
import { yieldToEventLoop } from '../util/yield.js'

/** What the validator reads of the chain: memory and the store's synchronous tx index, never a lock. */
export interface ChainView {
  readonly networkId: string
  readonly bits: number
  readonly legacyTransactions: boolean
  /** Blocks a fork point may lie below the head (docs/design.md §4 checkpoint rule). */
  readonly finalityDepth: number
  now(): number
  readonly head: HeadInfo
  header(hash: string): IndexEntry | undefined
  isOnMainChain(hash: string): boolean
  /** Main-chain location of a tx, if any. */
  txLocation(id: string): { index: number } | undefined
  /** Tx ids of a block off the main chain. */
  sideBlockTxIds(hash: string): Promise<string[]>
  /** True when the tx's signature verified before (docs/design.md §11: not verified twice). */
  alreadyVerified(tx: Tx): boolean
  /** The tx's signature just verified: a block that reuses it (a refused block's good txs) skips it. */
  markVerified(tx: Tx): void
  /** Bumped whenever the main chain changes or side blocks are pruned: a validation from before is rechecked. */
  readonly generation: number
}

/** A block that passed every rule against the chain as it stood at `generation`. */
export interface ValidatedBlock {
  block: Block
  entry: IndexEntry
  generation: number
}

export interface ValidationResult {
  /** The blocks that passed, in order (a prefix of the input). */
  validated: ValidatedBlock[]
  /** Why the block after the last validated one failed; undefined when all passed. */
  error?: unknown
}

export interface ValidateOptions {
  /** Skip the signatures (a recheck under the lock of blocks validated before; signatures do not depend on the chain). */
  signatures?: boolean
  /** Abandon the signature work when the asker goes away. */
  signal?: AbortSignal
}

export class BlockValidator {
  constructor (private readonly chain: ChainView, private readonly verifier: BatchSignatureVerifier) {}

  /**
   * Validate `blocks`, each extending the one before it (a sync batch; one block for gossip and HTTP).
   * Blocks the chain already holds at the start are skipped. Every cheap rule of every block runs first,
   * then the signatures of all of them in one batch.
   */
  async validate (blocks: Block[], opts: ValidateOptions = {}): Promise<ValidationResult> {
    const chain = this.chain
    const generation = chain.generation
    const validated: ValidatedBlock[] = []
    const overlay = new Map<string, IndexEntry>()
    const lookup = (hash: string): IndexEntry | undefined => overlay.get(hash) ?? chain.header(hash)
    let error: unknown
    let start = 0
    while (start < blocks.length && chain.header(blocks[start].hash) !== undefined) start++
    if (start === blocks.length && blocks.length > 0) {
      return { validated, error: new BlockError(BlockErrorCode.ALREADY_KNOWN, 'the block is already known', { hash: blocks[blocks.length - 1].hash }) }
    }
    /** The branch the first new block extends, as far as the main chain: its fork point and tx ids. */
    let branch: { forkIndex: number, inBranch: (id: string) => boolean } | undefined
    const batchTxIds = new Set<string>()
    for (let i = start; i < blocks.length; i++) {
      const block = blocks[i]
      try {
        if (overlay.has(block.hash) || chain.header(block.hash) !== undefined) {
          throw new BlockError(BlockErrorCode.ALREADY_KNOWN, 'the block is already known', { hash: block.hash })
        }
        const parent = lookup(block.previous_hash)
        const ctx: BlockContext = {
          networkId: chain.networkId,
          bits: chain.bits,
          parent: parent === undefined ? undefined : { hash: parent.hash, index: parent.index },
          ancestorTimestamps: ancestorTimestamps(parent, lookup),
          nowMs: chain.now(),
          verifier: { verifyEd25519: refuse, verifyRsaPkcs1Sha256: refuse },
          legacyTransactions: chain.legacyTransactions,
          alreadyVerified: tx => chain.alreadyVerified(tx),
          txInAncestry: () => false
        }
        validateBlockHeader(block, ctx) // throws UNKNOWN_PARENT without a parent
        if (branch === undefined) branch = await this.branchOf(parent!)
        // The body in slices, the event loop served between them: a block of hundreds of legacy txs is
        // tens of milliseconds of hashing, and the node's other clients must not wait for all of it.
        await yieldToEventLoop()
        checkBlockLimits(block)
        // The Merkle leaves in slices too: hashing the canonical JSON of 1,800 txs is ~26 ms in one piece.
        const leaves: Uint8Array[] = []
        for (let from = 0; from < block.transactions.length; from += TX_LEAVES_SLICE) {
          if (from > 0) await yieldToEventLoop()
          for (const tx of block.transactions.slice(from, from + TX_LEAVES_SLICE)) leaves.push(txLeafHash(tx))
        }
        checkBlockShape(block, leaves)
        for (let from = 0; from < block.transactions.length; from += TX_RULES_SLICE) {
          await yieldToEventLoop()
          checkBlockTxRules(block, ctx, from, from + TX_RULES_SLICE)
        }
        const { forkIndex, inBranch } = branch
        ctx.txInAncestry = (id: string) => {
          if (batchTxIds.has(id) || inBranch(id)) return true
          const location = chain.txLocation(id)
          return location !== undefined && location.index <= forkIndex
        }
        await checkTxsNotInAncestry(block, ctx)
        const entry: IndexEntry = {
          hash: block.hash, previous_hash: block.previous_hash, index: block.index, timestamp: block.timestamp, work: parent!.work + blockWork(block.bits)
        }
        overlay.set(block.hash, entry)
        for (const tx of block.transactions) batchTxIds.add(tx.id)
        validated.push({ block, entry, generation })
      } catch (err) {
        error = err
        break
      }
    }
    if (opts.signatures === false || validated.length === 0) return { validated, error }

    // Signatures last, all blocks at once, stopping at the first failure: the blocks before it stand.
    const checks: SignatureCheck[] = []
    const owners: Array<{ block: number, txIndex: number }> = []
    for (const [b, v] of validated.entries()) {
      for (const { txIndex, check } of blockSignatureChecks(v.block, { networkId: chain.networkId, alreadyVerified: tx => chain.alreadyVerified(tx) })) {
        checks.push(check)
        owners.push({ block: b, txIndex })
      }
    }
    if (checks.length === 0) return { validated, error }
    const results = await this.verifier.verifyMany(checks, { stopOnFirstFailure: true, signal: opts.signal })
    for (const [i, ok] of results.entries()) {
      if (ok === true) chain.markVerified(validated[owners[i].block].block.transactions[owners[i].txIndex])
    }
    const failed = results.indexOf(false)
    if (failed === -1) return { validated, error }
    const owner = owners[failed]
    return { validated: validated.slice(0, owner.block), error: blockSignatureFailure(owner.txIndex) }
  }

  /**
   * Where the branch ending in `parent` leaves the main chain, and which tx ids it holds on the way.
   * The checkpoint rule (docs/design.md §4): a fork point more than finalityDepth below the head is
   * refused before any body work, and the walk is bounded by that depth.
   */
  private async branchOf (parent: IndexEntry): Promise<{ forkIndex: number, inBranch: (id: string) => boolean }> {
    const chain = this.chain
    const floor = chain.head.index - chain.finalityDepth
    const sideBlocks: string[] = []
    let e: IndexEntry | undefined = parent
    while (e !== undefined && !chain.isOnMainChain(e.hash)) {
      if (e.index <= floor) break
      sideBlocks.push(e.hash)
      e = chain.header(e.previous_hash)
    }
    if (e === undefined || !chain.isOnMainChain(e.hash) || e.index < floor) {
      throw new BlockError(BlockErrorCode.FORK_TOO_DEEP,
        `the block's branch leaves the main chain more than ${chain.finalityDepth} blocks below the head #${chain.head.index} (checkpoint rule)`,
        { limit: chain.finalityDepth, head: chain.head.index })
    }
    const ids = new Set<string>()
    for (const hash of sideBlocks) for (const id of await chain.sideBlockTxIds(hash)) ids.add(id)
    return { forkIndex: e.index, inBranch: id => ids.has(id) }
  }
}

/** Txs whose cheap rules run between two turns of the event loop (~1-2 ms of hashing for legacy txs). */
const TX_RULES_SLICE = 25
/** Merkle leaf hashes per turn of the event loop: ~1-2 ms of canonical JSON and SHA-256 (legacy txs carry 4096-bit PEM keys). */
const TX_LEAVES_SLICE = 32

async function refuse (): Promise<boolean> {
  throw new Error('the block validator checks signatures in one batch, never through the context')
}

/** Up to 11 most recent ancestors' timestamps (docs/design.md §3 median time past), parent first. */
export function ancestorTimestamps (parent: IndexEntry | undefined, lookup: (hash: string) => IndexEntry | undefined): number[] {
  const out: number[] = []
  for (let e = parent; e !== undefined && out.length < MEDIAN_TIME_SPAN; e = e.index === 0 ? undefined : lookup(e.previous_hash)) {
    out.push(e.timestamp)
  }
  return out
}
