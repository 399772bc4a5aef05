// Mining (docs/design.md §4): the nonce search runs in a worker thread in chunks, so the node keeps gossiping and
// serving HTTP; the work is abandoned as soon as the head moves (a network block took the height).
import { Worker } from 'node:worker_threads'
import { BlockError, BlockErrorCode } from '../core/errors.js'
import { headerPrefix } from '../core/block.js'
import type { Block } from '../core/types.js'
import type { Chain } from './chain.js'
import type { MineJob, MineReply } from './miner-worker.js'

/** Nonces per worker round trip: small enough to notice a new head within milliseconds. */
const NONCES_PER_JOB = 1 << 15
const MAX_NONCE = Number.MAX_SAFE_INTEGER

export interface MinerInit {
  /** Called with every block this node mined and imported as head, e.g. to gossip it. */
  onMined?: (block: Block) => void
}

export type MineResult = { status: 'mined', block: Block } | { status: 'nothing-to-mine' }

function startWorker (): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./miner-worker.js', import.meta.url))
  // Running from source under tsx (dev, tests): Node 20 does not carry tsx's loader into workers, so the
  // worker registers it before importing the TypeScript module.
  const url = new URL('./miner-worker.ts', import.meta.url).href
  return new Worker(`import('tsx/esm/api').then(m => { m.register(); return import(${JSON.stringify(url)}) })`, { eval: true })
}

export class Miner {
  private worker: Worker | undefined
  private current: Promise<MineResult> | undefined
  private stopped = false
  private timer: NodeJS.Timeout | undefined

  constructor (private readonly chain: Chain, private readonly init: MinerInit = {}) {}

  /** Auto-mine pending txs every `intervalMs` (0 = off). */
  startAuto (intervalMs: number): void {
    if (!Number.isInteger(intervalMs) || intervalMs < 0) throw new RangeError('Miner: "intervalMs" must be a non-negative integer')
    if (intervalMs === 0) return
    const tick = (): void => {
      if (this.stopped) return
      const run = this.chain.mempool.count > 0 ? this.mine().then(() => undefined, () => undefined) : Promise.resolve()
      void run.then(() => { if (!this.stopped) this.timer = setTimeout(tick, intervalMs) })
    }
    this.timer = setTimeout(tick, intervalMs)
  }

  /**
   * Mine one block of pending txs. Concurrent callers share the same attempt. When a network block
   * takes the height first, the template is rebuilt on the new head (its txs may now be confirmed).
   */
  async mine (): Promise<MineResult> {
    this.current ??= this.mineLoop().finally(() => { this.current = undefined })
    return await this.current
  }

  private async mineLoop (): Promise<MineResult> {
    while (!this.stopped) {
      if (this.chain.mempool.count === 0) return { status: 'nothing-to-mine' }
      const template = this.chain.blockTemplate()
      const found = await this.search(template)
      if (found === undefined) continue // the head moved: start again on the new one
      const block: Block = { ...template, nonce: found.nonce, hash: found.hash }
      try {
        const { status } = await this.chain.submitBlock(block)
        if (status === 'head') {
          this.init.onMined?.(block)
          return { status: 'mined', block }
        }
      } catch (err) {
        // Another block won the height between the last nonce and the import: try on the new head.
        if (!(err instanceof BlockError) || err.code !== BlockErrorCode.ALREADY_KNOWN) throw err
      }
    }
    throw new Error('the miner was stopped')
  }

  /** Search every nonce for the template; undefined when the head moved first. */
  private async search (template: Omit<Block, 'nonce' | 'hash'>): Promise<{ nonce: number, hash: string } | undefined> {
    const prefix = headerPrefix({ ...template, nonce: 0 })
    const headAtStart = template.previous_hash
    for (let start = 0; start < MAX_NONCE; start += NONCES_PER_JOB) {
      if (this.stopped || this.chain.head.hash !== headAtStart) return undefined
      const reply = await this.runJob({ prefix, bits: template.bits, startNonce: start, count: Math.min(NONCES_PER_JOB, MAX_NONCE - start) })
      if (reply.found) return { nonce: reply.nonce, hash: reply.hash }
    }
    return undefined
  }

  private async runJob (job: MineJob): Promise<MineReply> {
    const worker = this.worker ??= startWorker()
    return await new Promise<MineReply>((resolve, reject) => {
      const onMessage = (reply: MineReply): void => { cleanup(); resolve(reply) }
      const onError = (err: Error): void => { cleanup(); this.worker = undefined; reject(err) }
      const onExit = (): void => { cleanup(); this.worker = undefined; reject(new Error('the miner worker exited')) }
      const cleanup = (): void => {
        worker.off('message', onMessage); worker.off('error', onError); worker.off('exit', onExit)
      }
      worker.on('message', onMessage)
      worker.on('error', onError)
      worker.on('exit', onExit)
      worker.postMessage(job)
    })
  }

  async stop (): Promise<void> {
    this.stopped = true
    if (this.timer !== undefined) clearTimeout(this.timer)
    const worker = this.worker
    this.worker = undefined
    await worker?.terminate()
    await this.current?.catch(() => undefined)
  }
}
