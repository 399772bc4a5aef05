import { signatureCacheKey } from '../core/tx.js'
import type { Tx } from '../core/types.js'

/**
 * Txs whose signature already verified (docs/design.md §11: a block's txs checked in the mempool are not checked
 * again). Keyed by signatureCacheKey (id AND signature): an ed25519 id does not cover the signature.
 */
export class VerifiedSignatures {
  private readonly keys = new Set<string>()

  constructor (private readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('VerifiedSignatures: "capacity" must be a positive integer')
  }

  has (tx: Tx): boolean {
    return this.keys.has(signatureCacheKey(tx))
  }

  add (tx: Tx): void {
    this.keys.add(signatureCacheKey(tx))
    if (this.keys.size > this.capacity) this.keys.delete(this.keys.values().next().value!)
  }
}
