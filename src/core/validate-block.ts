// docs/design.md §3 block rules, one BlockError code per rule, cheapest first (§12): header rules
// (version, bits, hash, proof of work, parent, position, time) are synchronous and can judge a header
// before its body is downloaded; body rules without signatures (checkBlockBody) are synchronous too;
// ancestry and signatures are async (signature checks run off the event loop and stop at the first
// failure). The chain's validator (src/chain/block-validator.ts) calls the pieces; validateBlock is all
// of them in order.
import { BlockError, BlockErrorCode, TxError } from './errors.js'
import { blockSize, computeBlockHash, invalidTx, leadingZeroBits, timestampMs } from './block.js'
import { fromHex, toHex } from './bytes.js'
import { computeTxRoot, merkleRoot } from './merkle.js'
import { badSignature, checkTxRules, txSignatureCheck } from './tx.js'
import type { BatchSignatureVerifier, SignatureCheck, SignatureVerifier } from './signature.js'
import {
  BLOCK_VERSION, MAX_BLOCK_BYTES, MAX_BLOCK_TXS, MAX_FUTURE_DRIFT_MS, MEDIAN_TIME_SPAN, type Block, type Tx
} from './types.js'

export interface BlockContext {
  networkId: string
  /** The network's difficulty (fixed by genesis). */
  bits: number
  /** The block named by previous_hash, if we hold it. */
  parent: { hash: string, index: number } | undefined
  /** Up to 11 most recent ancestors' timestamps (seconds), parent included, any order. */
  ancestorTimestamps: number[]
  nowMs: number
  /** True if a tx with this id stands in the block's own ancestry (the branch it extends). */
  txInAncestry: (id: string) => boolean | Promise<boolean>
  /** Per-item, or a batch verifier (verifyMany: parallel, stops at the first failure). */
  verifier: SignatureVerifier | (SignatureVerifier & BatchSignatureVerifier)
  /**
   * Verified-signature cache (docs/design.md §11): true skips the tx's signature check (its id, timestamp
   * and legacy rules still run). Key the cache by signatureCacheKey(tx) (id + signature), never
   * the bare id: an ed25519 id does not cover the signature, so a cache of ids would accept a
   * forged signature under a pending tx's id.
   */
  alreadyVerified?: (tx: Tx) => boolean
  legacyTransactions?: boolean
}

/** Median of the given timestamps (docs/design.md §3: the last 11 ancestors); -Infinity when none. */
export function medianTimePast (timestamps: number[]): number {
  if (timestamps.length > MEDIAN_TIME_SPAN) {
    throw new RangeError(`medianTimePast takes at most ${MEDIAN_TIME_SPAN} timestamps, got ${timestamps.length}`)
  }
  if (timestamps.length === 0) return -Infinity
  const sorted = [...timestamps].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}

/** Header rules: version, bits, hash, proof of work, parent, index, median time past, drift. */
export function validateBlockHeader (b: Block, ctx: BlockContext): void {
  if (b.index === 0) {
    // Our genesis is built from config, never received: any other index-0 block is another network's.
    throw new BlockError(BlockErrorCode.WRONG_GENESIS, 'a genesis block cannot be imported; this one is not ours', { hash: b.hash })
  }
  if (b.version !== BLOCK_VERSION) {
    throw new BlockError(BlockErrorCode.WRONG_VERSION, `block version must be ${BLOCK_VERSION}`, { field: 'version', got: b.version })
  }
  if (b.bits !== ctx.bits) {
    throw new BlockError(BlockErrorCode.WRONG_BITS, `block bits must be the network's ${ctx.bits}`, { field: 'bits', got: b.bits, expected: ctx.bits })
  }
  const hash = computeBlockHash(b)
  if (hash !== b.hash) throw new BlockError(BlockErrorCode.HASH_MISMATCH, 'block hash is not sha256 of its header', { field: 'hash', expected: hash })
  const zeros = leadingZeroBits(fromHex(hash, 'hash', 32))
  if (zeros < b.bits) {
    throw new BlockError(BlockErrorCode.INSUFFICIENT_WORK, `block hash has ${zeros} leading zero bits, ${b.bits} required`, { field: 'hash', zeros })
  }
  const parent = ctx.parent
  if (parent === undefined || parent.hash !== b.previous_hash) {
    throw new BlockError(BlockErrorCode.UNKNOWN_PARENT, 'block previous_hash names no block we know', { field: 'previous_hash', previousHash: b.previous_hash })
  }
  if (b.index !== parent.index + 1) {
    throw new BlockError(BlockErrorCode.WRONG_INDEX, `block index must be ${parent.index + 1}`, { field: 'index', expected: parent.index + 1 })
  }
  const median = medianTimePast(ctx.ancestorTimestamps)
  if (!(b.timestamp > median)) {
    throw new BlockError(BlockErrorCode.TIMESTAMP_TOO_OLD, 'block timestamp must be after the median of the last 11 ancestors',
      { field: 'timestamp', median })
  }
  if (timestampMs(b.timestamp) > ctx.nowMs + MAX_FUTURE_DRIFT_MS) {
    throw new BlockError(BlockErrorCode.TIMESTAMP_TOO_NEW, 'block timestamp is more than 2 hours ahead of this node\'s clock',
      { field: 'timestamp', limit: ctx.nowMs + MAX_FUTURE_DRIFT_MS })
  }
}

function asBlockError (txIndex: number, err: unknown): BlockError {
  if (err instanceof TxError) return invalidTx(txIndex, err)
  throw err
}

/** What the body rules without signatures need. */
export type BlockBodyContext = Pick<BlockContext, 'networkId' | 'nowMs' | 'legacyTransactions'>

/**
 * Body rules that cost no signature work (docs/design.md §3, §12: cheapest first): tx count, size,
 * tx_root, duplicates, and each tx's cheap rules (id, timestamp, a legacy key's size and exponent).
 * Synchronous; checkBlockShape and checkBlockTxRules are its two halves, for a caller that yields
 * between slices of a large block.
 */
export function checkBlockBody (b: Block, ctx: BlockBodyContext): void {
  checkBlockShape(b)
  checkBlockTxRules(b, ctx, 0, b.transactions.length)
}

/** Tx count and serialized size: the part of checkBlockShape that comes before any hashing. */
export function checkBlockLimits (b: Block): void {
  const txs = b.transactions
  if (txs.length > MAX_BLOCK_TXS) {
    throw new BlockError(BlockErrorCode.TOO_MANY_TXS, `a block holds at most ${MAX_BLOCK_TXS} transactions`, { count: txs.length, limit: MAX_BLOCK_TXS })
  }
  const size = blockSize(b)
  if (size > MAX_BLOCK_BYTES) {
    throw new BlockError(BlockErrorCode.TOO_LARGE, `a serialized block takes at most ${MAX_BLOCK_BYTES} bytes`, { size, limit: MAX_BLOCK_BYTES })
  }
}

/**
 * Tx count, serialized size, tx_root and duplicates. `leaves`: the txs' Merkle leaf hashes (txLeafHash, in
 * order) when the caller computed them already (in slices, between turns of the event loop).
 */
export function checkBlockShape (b: Block, leaves?: readonly Uint8Array[]): void {
  const txs = b.transactions
  checkBlockLimits(b)
  if (leaves !== undefined && leaves.length !== txs.length) throw new RangeError('checkBlockShape: "leaves" must hold one leaf hash per transaction')
  const root = leaves === undefined ? computeTxRoot(txs) : toHex(merkleRoot([...leaves]))
  if (root !== b.tx_root) throw new BlockError(BlockErrorCode.TX_ROOT_MISMATCH, 'block tx_root is not the Merkle root of its transactions', { field: 'tx_root', expected: root })

  const seen = new Set<string>()
  for (let i = 0; i < txs.length; i++) {
    if (seen.has(txs[i].id)) throw new BlockError(BlockErrorCode.DUPLICATE_TX, 'the block holds the same transaction twice', { txIndex: i, txId: txs[i].id })
    seen.add(txs[i].id)
  }
}

/** Each tx's cheap rules, for txs `from` (inclusive) to `to` (exclusive); the lowest bad index is reported. */
export function checkBlockTxRules (b: Block, ctx: BlockBodyContext, from: number, to: number): void {
  const txs = b.transactions
  const ruleCtx = { network: ctx.networkId, nowMs: ctx.nowMs, legacyTransactions: ctx.legacyTransactions }
  for (let i = from; i < Math.min(to, txs.length); i++) {
    try { checkTxRules(txs[i], ruleCtx) } catch (err) { throw asBlockError(i, err) }
  }
}

/** TX_IN_ANCESTRY: no tx of the block may stand in the branch it extends (lowest index reported). */
export async function checkTxsNotInAncestry (b: Block, ctx: Pick<BlockContext, 'txInAncestry'>): Promise<void> {
  const txs = b.transactions
  const inAncestry = await Promise.all(txs.map(tx => ctx.txInAncestry(tx.id)))
  const first = inAncestry.indexOf(true)
  if (first !== -1) {
    throw new BlockError(BlockErrorCode.TX_IN_ANCESTRY, 'a transaction of the block already stands in its ancestry', { txIndex: first, txId: txs[first].id })
  }
}

/** The signature checks a block still needs: every tx the verified-signature cache does not vouch for. */
export function blockSignatureChecks (b: Block, ctx: Pick<BlockContext, 'networkId' | 'alreadyVerified'>): Array<{ txIndex: number, check: SignatureCheck }> {
  const out: Array<{ txIndex: number, check: SignatureCheck }> = []
  for (const [txIndex, tx] of b.transactions.entries()) {
    if (ctx.alreadyVerified?.(tx) === true) continue
    out.push({ txIndex, check: txSignatureCheck(tx, ctx.networkId) })
  }
  return out
}

/** BLOCK_INVALID_TX for tx `txIndex` whose signature did not verify. */
export function blockSignatureFailure (txIndex: number): BlockError {
  return invalidTx(txIndex, badSignature())
}

/**
 * The signature rule of every tx of the block, stopping at the first failure (docs/design.md §12), in
 * parallel when the verifier is a batch verifier. The lowest failing index is reported, so every node
 * gives the same reason.
 */
export async function verifyBlockSignatures (b: Block, ctx: Pick<BlockContext, 'networkId' | 'alreadyVerified' | 'verifier'>): Promise<void> {
  const checks = blockSignatureChecks(b, ctx)
  const verifier = ctx.verifier
  if ('verifyMany' in verifier && typeof verifier.verifyMany === 'function') {
    const results = await verifier.verifyMany(checks.map(c => c.check), { stopOnFirstFailure: true })
    const failed = results.indexOf(false)
    if (failed !== -1) throw blockSignatureFailure(checks[failed].txIndex)
    return
  }
  for (const { txIndex, check } of checks) {
    const ok = check.scheme === 'ed25519'
      ? await verifier.verifyEd25519(check.publicKey, check.message, check.signature)
      : await verifier.verifyRsaPkcs1Sha256(check.spkiPem, check.message, check.signature)
    if (!ok) throw blockSignatureFailure(txIndex)
  }
}

/**
 * Body rules, cheapest first: checkBlockBody (no signature work), ancestry, then the signatures,
 * stopping at the first bad one.
 */
export async function validateBlockBody (b: Block, ctx: BlockContext): Promise<void> {
  checkBlockBody(b, ctx)
  await checkTxsNotInAncestry(b, ctx)
  await verifyBlockSignatures(b, ctx)
}

/** Every block rule: header first, then body. */
export async function validateBlock (b: Block, ctx: BlockContext): Promise<void> {
  validateBlockHeader(b, ctx)
  await validateBlockBody(b, ctx)
}
