// Building blocks for tests: deterministic signed txs and mined blocks at low difficulty.
import { computeBlockHash, headerPrefix } from '../../src/core/block.js'
import { computeTxRoot } from '../../src/core/merkle.js'
import { searchNonce } from '../../src/core/pow.js'
import { signTx } from '../../src/core/tx.js'
import { nodeEd25519Signer } from '../../src/crypto/node-ed25519.js'
import type { Block, Ed25519Tx, Tx } from '../../src/core/types.js'

export const TEST_NETWORK = { name: 'gossipchain-test', genesisTimestamp: 1767225600, bits: 8 }

export function seedOf (n: number): Uint8Array {
  return new Uint8Array(32).fill(n)
}

let nonceCounter = 0

/** A validly signed tx; `n` picks the signer, and every call gets a fresh nonce. */
export function makeTx (network: string, data: string, opts: { signer?: number, timestamp?: number, item?: string } = {}): Ed25519Tx {
  const nonce = (++nonceCounter).toString(16).padStart(32, '0')
  return signTx({ data, item: opts.item ?? null, receiverPK: null, timestamp: opts.timestamp ?? 1767225700, nonce }, nodeEd25519Signer(seedOf(opts.signer ?? 1)), network)
}

/** Mine a block on `parent` holding `txs` (bits as given, low in tests). */
export function mineOn (parent: Pick<Block, 'hash' | 'index' | 'timestamp'>, txs: Tx[], bits: number, timestamp = parent.timestamp + 1): Block {
  const fields = { version: 1, index: parent.index + 1, previous_hash: parent.hash, tx_root: computeTxRoot(txs), timestamp, bits, nonce: 0 }
  const found = searchNonce(headerPrefix(fields), bits, 0, 2 ** 32)
  if (found === null) throw new Error('no nonce found')
  const block: Block = { ...fields, transactions: txs, nonce: found.nonce, hash: found.hash }
  if (computeBlockHash(block) !== block.hash) throw new Error('searchNonce disagrees with computeBlockHash')
  return block
}
