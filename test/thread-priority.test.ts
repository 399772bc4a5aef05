// src/util/thread-priority.ts: a worker thread lowers its own OS priority, and only its own (Linux nice is
// per thread). Checked in a worker thread of its own, so the test process keeps its priority.
import { expect } from 'chai'
import { getPriority } from 'node:os'
import { Worker } from 'node:worker_threads'
import { currentThreadId, lowerThreadPriority } from '../src/util/thread-priority.js'

const threadId = (): number => currentThreadId()!

describe('thread priority (src/util/thread-priority.ts)', function () {
  this.timeout(30_000)

  it('refuses a bad step by name', () => {
    for (const by of [0, -1, 20, 1.5, Number.NaN]) expect(() => lowerThreadPriority(by)).to.throw(RangeError, /"by"/)
  })

  it('raises the calling thread\'s nice value by the step, capped at 19, and leaves the other threads alone', async function () {
    if (process.platform !== 'linux') this.skip()
    const mainBefore = getPriority(threadId())
    const url = new URL('../src/util/thread-priority.ts', import.meta.url).href
    const worker = new Worker(`
      const { parentPort } = require('node:worker_threads')
      const { getPriority } = require('node:os')
      import('tsx/esm/api').then(m => { m.register(); return import(${JSON.stringify(url)}) }).then(({ currentThreadId, lowerThreadPriority }) => {
        const tid = currentThreadId()
        const before = getPriority(tid)
        const first = lowerThreadPriority(3)
        const afterFirst = getPriority(tid)
        const second = lowerThreadPriority(19)
        parentPort.postMessage({ tid, before, first, afterFirst, second, afterSecond: getPriority(tid) })
      })
    `, { eval: true })
    const seen = await new Promise<{ tid: number, before: number, first: number, afterFirst: number, second: number, afterSecond: number }>((resolve, reject) => {
      worker.once('message', resolve)
      worker.once('error', reject)
    })
    await worker.terminate()
    expect(seen.tid).to.not.equal(threadId())
    expect(seen.first).to.equal(Math.min(19, seen.before + 3))
    expect(seen.afterFirst).to.equal(seen.first)
    expect(seen.second).to.equal(19)
    expect(seen.afterSecond).to.equal(19)
    expect(getPriority(threadId())).to.equal(mainBefore)
  })
})
