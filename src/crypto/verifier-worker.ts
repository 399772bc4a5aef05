// A verifier pool worker (docs/design.md §11): verifies chunks of signature checks synchronously with
// node:crypto (OpenSSL), with its own KeyObjects cache, off the event loop and off libuv's threadpool.
import { parentPort, workerData } from 'node:worker_threads'
import { KeyObjects, verifyCheckSync } from './node-verifier.js'
import { decodeChunk, SCHEME_ED25519, type ChunkRequest, type ChunkResponse } from './verifier-wire.js'

export interface VerifierWorkerData { keyCacheSize: number }

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
