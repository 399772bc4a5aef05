// Worker thread of the benchmark tx pool: signs a range of native txs with src/core/tx.ts signTx.
import '../src/polyfill.js'
import { parentPort, workerData } from 'node:worker_threads'
import { signTx } from '../src/core/tx.js'
import { nodeEd25519Signer } from '../src/crypto/node-ed25519.js'
import type { SignJob } from './tx-pool.js'

const job = workerData as SignJob
const signers = job.seeds.map(n => nodeEd25519Signer(new Uint8Array(32).fill(n)))
const txs = []
for (let i = job.from; i < job.from + job.count; i++) {
  const record = JSON.stringify({ event: 'shipped', lot: `lot-${job.tag}-${i}`, temperatureC: 4 + (i % 7), site: `warehouse-${i % 13}` })
  txs.push(signTx({
    item: `lot-${job.tag}-${i % 997}`,
    receiverPK: null,
    data: record,
    timestamp: job.timestamp,
    nonce: (job.tag * 2 ** 40 + i).toString(16).padStart(32, '0')
  }, signers[i % signers.length], job.network))
}
parentPort!.postMessage(txs)
