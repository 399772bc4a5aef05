// tx_root (docs/design.md §3): RFC 6962-style Merkle tree over the full txs as they stand in the block.
// Pairing bottom-up with the odd last node promoted gives the same tree as RFC 6962's split at the
// largest power of two, so the Certificate Transparency reference roots hold (see the vectors).
import { txCanonicalJson } from './tx.js'
import { bytesEqual, fromHex, isHex, toHex, utf8 } from './bytes.js'
import { sha256 } from './hash.js'
import type { Tx } from './types.js'

const LEAF_PREFIX = 0x00
const NODE_PREFIX = 0x01

/** Leaf hash of raw leaf data: sha256(0x00 || data) (RFC 6962 MTH of one entry). */
export function merkleLeafHash (data: Uint8Array): Uint8Array {
  const buf = new Uint8Array(1 + data.length)
  buf[0] = LEAF_PREFIX
  buf.set(data, 1)
  return sha256(buf)
}

/** docs/design.md §3 leaf of a tx: sha256(0x00 || sha256(JCS(tx))), signature, id and stamp included. */
export function txLeafHash (tx: Tx): Uint8Array {
  return merkleLeafHash(sha256(utf8(txCanonicalJson(tx))))
}

/** Interior node: sha256(0x01 || left || right). */
export function merkleNodeHash (left: Uint8Array, right: Uint8Array): Uint8Array {
  const buf = new Uint8Array(65)
  buf[0] = NODE_PREFIX
  buf.set(left, 1)
  buf.set(right, 33)
  return sha256(buf)
}

/** Every level of the tree over leaf hashes, leaves first, root last (one node). Needs one leaf or more. */
export function merkleLevels (leaves: Uint8Array[]): Uint8Array[][] {
  if (leaves.length === 0) throw new RangeError('a Merkle tree needs at least one leaf')
  const levels = [leaves]
  let level = leaves
  while (level.length > 1) {
    const next: Uint8Array[] = []
    for (let i = 0; i + 1 < level.length; i += 2) next.push(merkleNodeHash(level[i], level[i + 1]))
    if ((level.length & 1) === 1) next.push(level[level.length - 1])
    levels.push(next)
    level = next
  }
  return levels
}

/** Root over leaf hashes; the empty tree's root is sha256(""). */
export function merkleRoot (leaves: Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return sha256(new Uint8Array(0))
  const levels = merkleLevels(leaves)
  return levels[levels.length - 1][0]
}

export function computeTxRoot (txs: Tx[]): string {
  return toHex(merkleRoot(txs.map(txLeafHash)))
}

/** Inclusion proof: sibling hashes from the leaf up (levels where the node is promoted have none). */
export interface MerkleProof {
  index: number
  leafCount: number
  siblings: string[]
}

/** Inclusion proof over leaf hashes. */
export function buildMerkleProofFromLeaves (leaves: Uint8Array[], index: number): MerkleProof {
  if (!Number.isInteger(index) || index < 0 || index >= leaves.length) {
    throw new RangeError(`index must be an integer in [0, ${leaves.length - 1}]`)
  }
  return merkleProofFromLevels(merkleLevels(leaves), index)
}

/**
 * Inclusion proof of leaf `index` from a tree's levels (merkleLevels): O(log n), so a caller that keeps
 * the levels of a block answers many proofs of it without rehashing the block.
 */
export function merkleProofFromLevels (levels: Uint8Array[][], index: number): MerkleProof {
  const leafCount = levels[0]?.length ?? 0
  if (!Number.isInteger(index) || index < 0 || index >= leafCount) {
    throw new RangeError(`index must be an integer in [0, ${leafCount - 1}]`)
  }
  const siblings: string[] = []
  let i = index
  for (const level of levels.slice(0, -1)) {
    const sibling = (i & 1) === 1 ? i - 1 : i + 1
    if (sibling < level.length) siblings.push(toHex(level[sibling]))
    i >>= 1
  }
  return { index, leafCount, siblings }
}

/** Inclusion proof of txs[index] in the block's tx_root. */
export function buildMerkleProof (txs: Tx[], index: number): MerkleProof {
  return buildMerkleProofFromLeaves(txs.map(txLeafHash), index)
}

/** True if `leafHash` at proof.index of a proof.leafCount-leaf tree hashes up to `rootHex`. */
export function verifyMerkleProof (leafHash: Uint8Array, proof: MerkleProof, rootHex: string): boolean {
  if (typeof proof !== 'object' || proof === null || !Array.isArray(proof.siblings)) return false
  const { index, leafCount, siblings } = proof
  if (!Number.isSafeInteger(leafCount) || leafCount < 1 || !Number.isSafeInteger(index) || index < 0 || index >= leafCount) return false
  if (!(leafHash instanceof Uint8Array) || leafHash.length !== 32 || !isHex(rootHex, 32)) return false
  let node = leafHash
  let i = index
  let size = leafCount
  let used = 0
  while (size > 1) {
    const isRight = i % 2 === 1
    if (isRight || i + 1 < size) {
      const hex = siblings[used++]
      if (!isHex(hex, 32)) return false
      const sibling = fromHex(hex, 'sibling', 32)
      node = isRight ? merkleNodeHash(sibling, node) : merkleNodeHash(node, sibling)
    } // else: the last, unpaired node is promoted unchanged
    i = Math.floor(i / 2)
    size = Math.ceil(size / 2)
  }
  return used === siblings.length && bytesEqual(node, fromHex(rootHex, 'rootHex', 32))
}
