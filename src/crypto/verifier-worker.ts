// A verifier pool worker (docs/design.md §11): verifies chunks of signature checks synchronously with
// node:crypto (OpenSSL), with its own KeyObjects cache, off the event loop and off libuv's threadpool.
import { parentPort, workerData } from 'node:worker_threads'
import { KeyObjects, verifyCheckSync } from './node-verifier.js'
import { decodeChunk, SCHEME_ED25519, type ChunkRequest, type ChunkResponse } from './verifier-wire.js'
import { lowerThreadPriority } from '../util/thread-priority.js'

export interface VerifierWorkerData { keyCacheSize: number }

/**
 * Below the event loop (src/util/thread-priority.ts): the loop is the node's one scarce thread (every
 * answer goes through it), the workers are not (two verify ~20k/s, a flood brings ~4k/s).
 */
export const VERIFIER_NICE_OFFSET = 5
lowerThreadPriority(VERIFIER_NICE_OFFSET)

const keys = new KeyObjects((workerData as VerifierWorkerData).keyCacheSize)
const pemDecoder = new TextDecoder('utf-8', { fatal: false })

parentPort!.on('message', ({ id, buffer, count }: ChunkRequest) => {
  const results = new Uint8Array(count)
  decodeChunk(buffer, count, (scheme, key, message, signature, i) => {
    const ok = scheme === SCHEME_ED25519
      ? verifyCheckSync(keys, 'ed25519', key, message, signature)
      : verifyCheckSync(keys, 'rsa-pkcs1-sha256', pemDecoder.decode(key), message, signature)
    results[i] = ok ? 1 : 0
  })
  const response: ChunkResponse = { id, results }
  parentPort!.postMessage(response, [results.buffer])
})
