import '../src/polyfill.js'
import { signTxs } from './tx-pool.js'
const t = performance.now()
const txs = await signTxs(20000, { tag: 1, timestamp: 1767225700 })
console.log(txs.length, performance.now() - t, JSON.stringify(txs[0]).length, new Set(txs.map(t => t.id)).size)
