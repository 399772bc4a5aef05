// Pre-signed native txs for the benchmarks, signed in worker threads before any timing starts
// (signTx costs ~90 us: 100k txs on one thread would take most of the run's budget).
import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import { networkId } from '../src/core/block.js'
import { DEFAULT_CONFIG } from '../src/config.js'
import type { Ed25519Tx, NetworkParams } from '../src/core/types.js'

/** The network every benchmark node runs: the default network at bits 8, as src/devnet/node-process.ts starts it. */
export const BENCH_NETWORK: NetworkParams = { ...DEFAULT_CONFIG.network, bits: 8 }
export const BENCH_NETWORK_ID = networkId(BENCH_NETWORK)
/** A few signers, as in a supply chain: KeyObjects are cached per key in the verifier. */
export const SIGNER_SEEDS = [11, 12, 13, 14]

export interface SignJob { network: string, from: number, count: number, seeds: number[], timestamp: number, tag: number }

function startWorker (job: SignJob): Worker {
  // Node 20 does not carry tsx's loader into workers (see src/chain/miner.ts): register it first.
  const url = new URL('./sign-worker.ts', import.meta.url).href
  return new Worker(`import('tsx/esm/api').then(m => { m.register(); return import(${JSON.stringify(url)}) })`, { eval: true, workerData: job })
}

/** `count` distinct signed txs for `network`, `tag` keeping sets of different calls apart. */
export async function signTxs (count: number, opts: { network?: string, tag: number, timestamp: number, threads?: number }): Promise<Ed25519Tx[]> {
  const threads = Math.max(1, Math.min(opts.threads ?? availableParallelism(), Math.ceil(count / 1000)))
  const per = Math.ceil(count / threads)
  const parts = await Promise.all(Array.from({ length: threads }, async (_, t) => {
    const from = t * per
    const n = Math.max(0, Math.min(per, count - from))
    if (n === 0) return []
    const worker = startWorker({ network: opts.network ?? BENCH_NETWORK_ID, from, count: n, seeds: SIGNER_SEEDS, timestamp: opts.timestamp, tag: opts.tag })
    try {
      return await new Promise<Ed25519Tx[]>((resolve, reject) => {
        worker.once('message', resolve)
        worker.once('error', reject)
        worker.once('exit', code => reject(new Error(`sign worker exited with ${code}`)))
      })
    } finally {
      await worker.terminate()
    }
  }))
  return parts.flat()
}
