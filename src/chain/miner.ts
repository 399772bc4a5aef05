// Mining (docs/design.md §4): the nonce search runs on worker threads (miner-pool.ts), so the node keeps gossiping
// and serving HTTP; the work is abandoned as soon as the head moves (a network block took the height).
import { BlockError, BlockErrorCode } from '../core/errors.js'
import { headerPrefix } from '../core/block.js'
import type { NonceHit } from '../core/nonce-search.js'
import type { Block } from '../core/types.js'
import type { Chain } from './chain.js'
import { MinerPool, type MinerPoolInit, type MinerPoolStats } from './miner-pool.js'

export interface MinerInit extends MinerPoolInit {
  /** Called with every block this node mined and imported as head, e.g. to gossip it. */
  onMined?: (block: Block) => void
}

export type MineResult = { status: 'mined', block: Block } | { status: 'nothing-to-mine' }

export class Miner {
  private readonly pool: MinerPool
  private current: Promise<MineResult> | undefined
  private search: AbortController | undefined
  private stopped = false
  private timer: NodeJS.Timeout | undefined

  constructor (private readonly chain: Chain, private readonly init: MinerInit = {}) {
    this.pool = new MinerPool({ threads: init.threads, kernel: init.kernel })
  }

  /** Worker threads, their kernel (once started) and the nonces hashed so far. */
  get stats (): MinerPoolStats {
    return this.pool.stats
  }

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
      const found = await this.searchOnHead(template)
      if (found === undefined) continue // the head moved (or the miner stopped): start again on the new one
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

  /** Search the template's nonces on the workers; undefined when the head moved first. */
  private async searchOnHead (template: Omit<Block, 'nonce' | 'hash'>): Promise<NonceHit | undefined> {
    const search = this.search = new AbortController()
    const onHead = (): void => { search.abort() }
    this.chain.on('head', onHead)
    try {
      if (this.chain.head.hash !== template.previous_hash) return undefined
      return await this.pool.search(headerPrefix({ ...template, nonce: 0 }), template.bits, search.signal)
    } finally {
      this.chain.off('head', onHead)
      this.search = undefined
    }
  }

  async stop (): Promise<void> {
    this.stopped = true
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.search?.abort()
    await this.pool.close()
    await this.current?.catch(() => undefined)
  }
}
