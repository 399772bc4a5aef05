// Sync slots (docs/design.md §5, §12): how many syncs run at once, and who gets to run when all slots
// are taken. Two pools: background syncs (on connect, on an unknown parent, the periodic one) and manual
// ones (/register_with), which background syncs can never fill. A request that finds its pool full takes
// the slot of a *stalled* sync (one that has imported nothing for `stallMs`), else waits in a FIFO queue
// (a periodic sync never waits: it simply comes back later). So peers that hold slots without delivering
// blocks cannot keep an honest peer from syncing: at worst it waits `stallMs`.

export type SlotPool = 'background' | 'manual'

export interface SyncSlotsInit {
  /** Background syncs at once. */
  background: number
  /** /register_with syncs at once, on top of the background ones. */
  manual: number
  /** A sync that has imported nothing for this long can be evicted by a request waiting for its pool. */
  stallMs: number
  /** Requests waiting at most, per pool; more are turned away. */
  maxWaiting: number
  now?: () => number
}

/** A granted slot. `evicted` aborts when a waiting request took it over; release() exactly once. */
export interface SyncSlot {
  readonly peer: string
  readonly pool: SlotPool
  readonly evicted: AbortSignal
  /** The sync imported blocks: it is not stalled. */
  progress(): void
  release(): void
}

interface Held {
  slot: SyncSlot
  lastProgressAt: number
  controller: AbortController
  released: boolean
}

interface Waiter {
  pool: SlotPool
  peer: string
  grant: (slot: SyncSlot | undefined) => void
}

/** The reason a stalled sync was aborted with (the loop reports it as SYNC_EVICTED). */
export class SlotEvictedError extends Error {
  override readonly name = 'SlotEvictedError'
}

export class SyncSlots {
  private readonly held: Record<SlotPool, Set<Held>> = { background: new Set(), manual: new Set() }
  private readonly waiting: Waiter[] = []
  private readonly now: () => number
  private timer?: ReturnType<typeof setInterval>

  constructor (private readonly init: SyncSlotsInit) {
    for (const key of ['background', 'manual', 'stallMs', 'maxWaiting'] as const) {
      if (!Number.isSafeInteger(init[key]) || init[key] < 1) throw new RangeError(`SyncSlots: "${key}" must be a positive integer`)
    }
    this.now = init.now ?? Date.now
  }

  /** Slots in use per pool (evicted ones that have not ended yet do not count). */
  inUse (pool: SlotPool): number {
    let n = 0
    for (const h of this.held[pool]) if (!h.controller.signal.aborted) n++
    return n
  }

  /** Requests waiting for a slot. */
  get queued (): number {
    return this.waiting.length
  }

  /**
   * A slot in `pool` for a sync with `peer`: now, by evicting a stalled sync, or after waiting (unless
   * `wait` is false). Resolves undefined when turned away or when `signal` aborts first.
   */
  async acquire (peer: string, pool: SlotPool, opts: { wait: boolean, signal?: AbortSignal }): Promise<SyncSlot | undefined> {
    if (opts.signal?.aborted === true) return undefined
    const now = this.tryGrant(peer, pool)
    if (now !== undefined || !opts.wait) return now
    if (this.waiting.filter(w => w.pool === pool).length >= this.init.maxWaiting) return undefined
    return await new Promise<SyncSlot | undefined>(resolve => {
      const onAbort = (): void => {
        const i = this.waiting.indexOf(waiter)
        if (i !== -1) this.waiting.splice(i, 1)
        resolve(undefined)
      }
      const waiter: Waiter = {
        pool,
        peer,
        grant: slot => {
          opts.signal?.removeEventListener('abort', onAbort)
          resolve(slot)
        }
      }
      opts.signal?.addEventListener('abort', onAbort, { once: true })
      this.waiting.push(waiter)
      this.watch()
    })
  }

  /** Stop watching for stalls; waiters are turned away. */
  close (): void {
    clearInterval(this.timer)
    this.timer = undefined
    for (const w of this.waiting.splice(0)) w.grant(undefined)
  }

  private tryGrant (peer: string, pool: SlotPool): SyncSlot | undefined {
    const capacity = pool === 'manual' ? this.init.manual : this.init.background
    if (this.inUse(pool) < capacity) return this.grant(peer, pool)
    const stalled = this.mostStalled(pool)
    if (stalled === undefined) return undefined
    stalled.controller.abort(new SlotEvictedError(`sync with ${stalled.slot.peer} made no progress for ${this.now() - stalled.lastProgressAt} ms and gave its slot to ${peer}`))
    return this.grant(peer, pool)
  }

  private mostStalled (pool: SlotPool): Held | undefined {
    const limit = this.now() - this.init.stallMs
    let oldest: Held | undefined
    for (const h of this.held[pool]) {
      if (h.controller.signal.aborted || h.lastProgressAt > limit) continue
      if (oldest === undefined || h.lastProgressAt < oldest.lastProgressAt) oldest = h
    }
    return oldest
  }

  private grant (peer: string, pool: SlotPool): SyncSlot {
    const controller = new AbortController()
    const entry: Held = { slot: undefined as unknown as SyncSlot, lastProgressAt: this.now(), controller, released: false }
    entry.slot = {
      peer,
      pool,
      evicted: controller.signal,
      progress: () => { entry.lastProgressAt = this.now() },
      release: () => {
        if (entry.released) return
        entry.released = true
        this.held[pool].delete(entry)
        this.serveWaiters()
      }
    }
    this.held[pool].add(entry)
    return entry.slot
  }

  /** Grant what can be granted to the queue, in order. */
  private serveWaiters (): void {
    for (let i = 0; i < this.waiting.length; i++) {
      const w = this.waiting[i]
      const slot = this.tryGrant(w.peer, w.pool)
      if (slot === undefined) continue
      this.waiting.splice(i, 1)
      i--
      w.grant(slot)
    }
    if (this.waiting.length === 0) {
      clearInterval(this.timer)
      this.timer = undefined
    }
  }

  /** While requests wait, look for stalled syncs a few times per stall period. */
  private watch (): void {
    if (this.timer !== undefined) return
    this.timer = setInterval(() => { this.serveWaiters() }, Math.max(50, Math.floor(this.init.stallMs / 4)))
    this.timer.unref?.()
  }
}
