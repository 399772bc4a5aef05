// The honest client's own thread (reliability/harness.ts HonestClient): an attack running on the
// battery's main thread must not delay the honest requests' timers or answers, or the figures would
// measure the battery instead of the node.
import { parentPort, workerData } from 'node:worker_threads'
import { Agent } from 'node:http'
import { httpJson, signedTx } from './harness.js'

const { url, signer } = workerData as { url: string, signer: number }
const agent = new Agent({ keepAlive: true, maxSockets: 16 })
const acknowledged: string[] = []
let samples: Array<{ ms: number, status: number, at: number }> = []
const inflight = new Set<Promise<void>>()
let timer: ReturnType<typeof setInterval> | undefined
let count = 0

parentPort!.on('message', (msg: { op: 'start', intervalMs: number } | { op: 'take' } | { op: 'stop' }) => {
  if (msg.op === 'start') {
    clearInterval(timer)
    timer = setInterval(() => {
      const tx = signedTx(`honest record ${count}`, signer + (count % 4))
      count++
      const at = Date.now()
      const p = httpJson(`${url}/new_transaction`, { body: tx, agent, localAddress: '127.0.0.1' }).then(a => {
        samples.push({ ms: a.ms, status: a.status, at })
        if (a.status === 201) acknowledged.push(tx.id)
      })
      inflight.add(p)
      void p.finally(() => inflight.delete(p))
    }, msg.intervalMs)
  } else if (msg.op === 'take') {
    parentPort!.postMessage({ op: 'samples', samples })
    samples = []
  } else {
    clearInterval(timer)
    void Promise.all([...inflight]).then(() => {
      agent.destroy()
      parentPort!.postMessage({ op: 'stopped', acknowledged, samples })
    })
  }
})
