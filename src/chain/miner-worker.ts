// Worker thread of the miner: runs the pure nonce search (src/core/pow.ts) off the event loop (docs/design.md §4).
import '../polyfill.js'
import { parentPort } from 'node:worker_threads'
import { searchNonce } from '../core/pow.js'

export interface MineJob { prefix: Uint8Array, bits: number, startNonce: number, count: number }
export type MineReply = { found: true, nonce: number, hash: string } | { found: false }

parentPort?.on('message', (job: MineJob) => {
  const result = searchNonce(job.prefix, job.bits, job.startNonce, job.count)
  const reply: MineReply = result === null ? { found: false } : { found: true, nonce: result.nonce, hash: result.hash }
  parentPort!.postMessage(reply)
})
