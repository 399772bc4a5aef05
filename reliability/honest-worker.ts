// The honest client's own thread (reliability/harness.ts HonestClient): an attack running on the
// battery's main thread must not delay the honest requests' timers or answers, or the figures would
// measure the battery instead of the node.
import { parentPort, workerData } from 'node:worker_threads'
import { Agent } from 'node:http'
import { HONEST_CLIENT_NICE, httpJson, signedTx } from './harness.js'
import { setPriority } from 'node:os'
import { currentThreadId } from '../src/util/thread-priority.js'

const { url, signer } = workerData as { url: string, signer: number }

// The honest client stands for a client on its own machine: this thread runs at a higher priority than
// the rest of the battery's process (the attackers) and the nodes, so that when an answer arrives it is
// read at once, not after an attacker's turn on the 2 shared cores. It takes almost no CPU itself (one
// small request every 25 ms). On Linux a thread's own id sets its own priority.
try {
  const tid = currentThreadId()
  if (tid !== undefined) setPriority(tid, HONEST_CLIENT_NICE)
} catch {
  // Not Linux, or not allowed: measured at the process's priority.
}
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
