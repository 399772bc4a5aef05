// A BatchSignatureVerifier over a per-item SignatureVerifier (docs/design.md §11, §12): items go out in
// order, at most `concurrency` at a time (node:crypto's callback form runs them on the libuv threadpool),
// and with stopOnFirstFailure nothing after the first failure is started. A worker-thread pool can
// implement BatchSignatureVerifier directly and take this one's place; callers do not change.
import type { BatchSignatureVerifier, SignatureCheck, SignatureVerifier, VerifyManyOptions } from '../core/signature.js'

export interface VerifyManyWithOptions {
  /** Checks in flight at once; default 8 (twice libuv's default threadpool of 4). */
  concurrency?: number
}

async function verifyOne (verifier: SignatureVerifier, item: SignatureCheck): Promise<boolean> {
  try {
    return item.scheme === 'ed25519'
      ? await verifier.verifyEd25519(item.publicKey, item.message, item.signature)
      : await verifier.verifyRsaPkcs1Sha256(item.spkiPem, item.message, item.signature)
  } catch {
    return false // a verifier answers false for malformed input; a throw says no more
  }
}

export function verifyManyWith (verifier: SignatureVerifier, opts: VerifyManyWithOptions = {}): BatchSignatureVerifier & SignatureVerifier {
  const concurrency = opts.concurrency ?? 8
  if (!Number.isSafeInteger(concurrency) || concurrency < 1) throw new RangeError('verifyManyWith: "concurrency" must be a positive integer')
  return {
    verifyEd25519: async (publicKey, message, signature) => await verifier.verifyEd25519(publicKey, message, signature),
    verifyRsaPkcs1Sha256: async (spkiPem, message, signature) => await verifier.verifyRsaPkcs1Sha256(spkiPem, message, signature),
    verifyMany: async (items: readonly SignatureCheck[], options: VerifyManyOptions = {}): Promise<Array<boolean | undefined>> => {
      const results = new Array<boolean | undefined>(items.length)
      const { stopOnFirstFailure = false, signal } = options
      signal?.throwIfAborted()
      let next = 0
      let firstFailure = Number.POSITIVE_INFINITY
      const lane = async (): Promise<void> => {
        while (next < items.length && !(stopOnFirstFailure && next > firstFailure) && signal?.aborted !== true) {
          const i = next++
          const ok = await verifyOne(verifier, items[i])
          results[i] = ok
          if (!ok && i < firstFailure) firstFailure = i
        }
      }
      await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, lane))
      signal?.throwIfAborted()
      return results
    }
  }
}
