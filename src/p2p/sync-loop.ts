// The sync client (docs/design.md §5): on connect, on an unknown parent and every 30 s against one random
// peer, ask the peer for its status; when it reports more work, find the fork point with our
// locator and download blocks in batches until we hold as much work as it claimed. A peer that
// serves invalid data or lies about its work is penalised and dropped.

import { TypedEventEmitter } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { utf8ByteLength } from '../core/bytes.js'
import { MAX_BLOCK_BYTES } from '../core/types.js'
import {
  MAX_BATCHES_PER_SYNC, MAX_BLOCKS_PER_REQUEST, MAX_CONCURRENT_SYNCS, MAX_LOCATOR_HASHES, MAX_MANUAL_SYNCS, MAX_RESPONSE_BYTES,
  PENALTY_BAD_SYNC, REQUEST_TIMEOUT_MS, SYNC_BASE_PATH, SYNC_INTERVAL_MS, SYNC_MAX_WAITING, SYNC_SLOT_WAIT_MS, SYNC_STALL_MS,
  SYNC_TIME_BUDGET_MS, syncProtocol, TAG_KEEP_ALIVE_SYNC
} from './constants.js'
import { SyncSlots, type SyncSlot } from './sync-slots.js'
import { fetchFromPeer, PeerRequestError, PeerRequestErrorCode } from './http-over-libp2p.js'
import type { StreamDialer } from './http-over-libp2p.js'
import { SYNC_ERROR_OUTCOMES, SyncError, SyncErrorCode, toSyncError, type SyncOutcome } from './sync-errors.js'
import { SyncRouteErrorCode } from './sync-routes.js'
import type { PeerReputation } from './peer-reputation.js'
import type { SyncSource, SyncStatus } from './sync-routes.js'
import type { ComponentLogger, Connection, Libp2pEvents, Logger, PeerId, PeerStore, Startable, Stream, TypedEventTarget } from '@libp2p/interface'

/** What the sync loop feeds; the chain service implements it. */
export interface SyncTarget {
  /** Cumulative work of our head. */
  headWork(): bigint
  hasBlock(hash: string): boolean
  /**
   * Validates and imports blocks in order; an error means the batch (from that block on) is refused:
   * `peerFault` when the block is invalid anywhere (src/chain/error-outcome.ts), else for our own reasons.
   */
  importBlocks(blocks: unknown[], from: string): Promise<{ imported: number, error?: { code: string, message: string, peerFault: boolean } }>
  /**
   * The cumulative work of a chain whose head is at `index` (every block of a network weighs the same):
   * a status whose work disagrees with its index is a lie, caught before any download.
   */
  workAt?(index: number): bigint
  /** The lowest height a fork point may have (docs/design.md §4 checkpoint rule). */
  finalityFloor?(): number
  /**
   * Check the signatures of a downloaded batch ahead of its import (context-free), while the batch before it
   * imports; importBlocks then finds them verified. Never throws for bad data: validation judges it.
   */
  preverify?(blocks: unknown[], signal: AbortSignal): Promise<void>
}

export type SyncReason = 'connect' | 'unknown-parent' | 'interval' | 'manual'

export type { SyncOutcome } from './sync-errors.js'
export { SyncError, SyncErrorCode } from './sync-errors.js'

export interface SyncResult {
  peer: string
  reason: SyncReason
  outcome: SyncOutcome
  imported: number
  batches: number
  durationMs: number
  /** Why the sync failed or the peer misbehaved; outcome and action follow from the code (SYNC_ERROR_OUTCOMES). */
  error?: { code: SyncErrorCode, message: string, meta: SyncError['meta'] }
}

export interface SyncStartedEvent { peer: string, reason: SyncReason }
export interface SyncBatchEvent { peer: string, received: number, imported: number, from: string }

export interface SyncLoopEvents {
  'sync:started': CustomEvent<SyncStartedEvent>
  'sync:batch': CustomEvent<SyncBatchEvent>
  'sync:finished': CustomEvent<SyncResult>
}

export interface SyncLoopInit {
  network: string
  /** Our own chain: status (network, genesis) and locator. */
  source: SyncSource
  target: SyncTarget
  intervalMs?: number
  requestTimeoutMs?: number
  /** Blocks asked per request, 1..256. */
  batchSize?: number
  /** Background syncs at once (MAX_CONCURRENT_SYNCS). */
  maxConcurrentSyncs?: number
  /** /register_with syncs at once, on their own slots (MAX_MANUAL_SYNCS). */
  maxManualSyncs?: number
  /** A sync without progress for this long may lose its slot to a waiting one (SYNC_STALL_MS). */
  stallMs?: number
  /** One sync's time budget (SYNC_TIME_BUDGET_MS). */
  timeBudgetMs?: number
  maxResponseBytes?: number
  /** Reputation points taken from a peer that serves invalid data or lies. */
  penalty?: number
  /** Sync with every newly connected peer. Default true. */
  syncOnConnect?: boolean
}

export interface SyncLoopComponents {
  connectionManager: {
    openStream(peer: PeerId, protocol: string, options?: { signal?: AbortSignal }): Promise<Stream>
    getConnections(peerId?: PeerId): Connection[]
    closeConnections(peer: PeerId): Promise<void>
  }
  events: TypedEventTarget<Libp2pEvents>
  peerStore: PeerStore
  reputation: PeerReputation
  logger: ComponentLogger
}

const HASH = /^[0-9a-f]{64}$/
/** JSON framing a server's byte count and ours may differ by (brackets, commas). */
const SHORT_BATCH_SLACK_BYTES = 4096

/** `promise`, or undefined once `signal` aborts. */
async function untilAborted<T> (promise: Promise<T>, signal?: AbortSignal): Promise<T | undefined> {
  if (signal === undefined) return await promise
  if (signal.aborted) return undefined
  return await new Promise<T | undefined>((resolve, reject) => {
    const onAbort = (): void => { resolve(undefined) }
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(value => { signal.removeEventListener('abort', onAbort); resolve(value) },
      (err: unknown) => { signal.removeEventListener('abort', onAbort); reject(err) })
  })
}
const SMALL_RESPONSE_BYTES = 64 * 1024

export class SyncLoop extends TypedEventEmitter<SyncLoopEvents> implements Startable {
  private readonly log: Logger
  private readonly protocol: string
  private readonly intervalMs: number
  private readonly requestTimeoutMs: number
  private readonly batchSize: number
  private readonly slots: SyncSlots
  private readonly timeBudgetMs: number
  private readonly maxResponseBytes: number
  private readonly penalty: number
  private readonly dialer: StreamDialer
  private readonly active = new Map<string, Promise<SyncResult>>()
  private controller?: AbortController
  private timer?: ReturnType<typeof setInterval>

  constructor (private readonly components: SyncLoopComponents, private readonly init: SyncLoopInit) {
    super()
    if (init.source == null || init.target == null) throw new TypeError('source and target are required')
    this.protocol = syncProtocol(init.network)
    this.intervalMs = init.intervalMs ?? SYNC_INTERVAL_MS
    this.requestTimeoutMs = init.requestTimeoutMs ?? REQUEST_TIMEOUT_MS
    this.batchSize = init.batchSize ?? MAX_BLOCKS_PER_REQUEST
    if (!Number.isInteger(this.batchSize) || this.batchSize < 1 || this.batchSize > MAX_BLOCKS_PER_REQUEST) {
      throw new RangeError(`batchSize must be an integer from 1 to ${MAX_BLOCKS_PER_REQUEST}`)
    }
    this.slots = new SyncSlots({
      background: init.maxConcurrentSyncs ?? MAX_CONCURRENT_SYNCS,
      manual: init.maxManualSyncs ?? MAX_MANUAL_SYNCS,
      stallMs: init.stallMs ?? SYNC_STALL_MS,
      maxWaiting: SYNC_MAX_WAITING
    })
    this.timeBudgetMs = init.timeBudgetMs ?? SYNC_TIME_BUDGET_MS
    if (!Number.isSafeInteger(this.timeBudgetMs) || this.timeBudgetMs < 1) throw new RangeError('timeBudgetMs must be a positive integer')
    this.maxResponseBytes = init.maxResponseBytes ?? MAX_RESPONSE_BYTES
    this.penalty = init.penalty ?? PENALTY_BAD_SYNC
    this.log = components.logger.forComponent('gossipchain:p2p:sync')
    this.dialer = {
      dialProtocol: async (peer, protocols, options) =>
        await components.connectionManager.openStream(peer, Array.isArray(protocols) ? protocols[0] : protocols, options)
    }
    this.onConnect = this.onConnect.bind(this)
  }

  readonly [Symbol.toStringTag] = 'gossipchain/sync-loop'

  start (): void {
    this.controller = new AbortController()
    if (this.init.syncOnConnect !== false) this.components.events.addEventListener('peer:connect', this.onConnect)
    this.timer = setInterval(() => { this.syncRandomPeer() }, this.intervalMs)
    this.timer.unref?.()
  }

  async stop (): Promise<void> {
    this.controller?.abort(new Error('sync loop stopped'))
    this.controller = undefined
    clearInterval(this.timer)
    this.components.events.removeEventListener('peer:connect', this.onConnect)
    this.slots.close()
    await Promise.allSettled([...this.active.values()])
  }

  /** Peers being synced with now. */
  syncing (): string[] {
    return [...this.active.keys()]
  }

  /**
   * Syncs with `peer` unless a sync with it is already running (that one's result is returned). Slots
   * (docs/design.md §12, src/p2p/sync-slots.ts): 'manual' syncs (/register_with) have their own; the
   * others share MAX_CONCURRENT_SYNCS. A request that finds its slots taken evicts a stalled sync or
   * waits (until `signal` aborts, at most SYNC_SLOT_WAIT_MS without one); a periodic sync never waits.
   * Resolves undefined when no slot was had (the periodic sync comes back to the peer later).
   * `signal` also ends the sync itself (ABANDONED) when its asker stops waiting.
   */
  async requestSync (peer: PeerId | string, reason: SyncReason = 'manual', opts: { signal?: AbortSignal } = {}): Promise<SyncResult | undefined> {
    const controller = this.controller
    if (controller == null) return undefined
    const peerId = typeof peer === 'string' ? peerIdFromString(peer) : peer
    const key = peerId.toString()
    const running = this.active.get(key)
    if (running != null) return await untilAborted(running, opts.signal)
    const wait = reason !== 'interval'
    const waitSignals = [controller.signal, opts.signal ?? AbortSignal.timeout(SYNC_SLOT_WAIT_MS)]
    const slot = await this.slots.acquire(key, reason === 'manual' ? 'manual' : 'background', { wait, signal: AbortSignal.any(waitSignals) })
    if (slot === undefined) {
      this.log('sync with %s (%s) had no slot', key, reason)
      return undefined
    }
    const again = this.active.get(key) // a sync with the peer may have started while we waited
    if (again != null) {
      slot.release()
      return await untilAborted(again, opts.signal)
    }
    const promise = this.run(peerId, reason, controller.signal, slot, opts.signal).finally(() => {
      slot.release()
      this.active.delete(key)
    })
    this.active.set(key, promise)
    return await promise
  }

  private onConnect (evt: CustomEvent<PeerId>): void {
    void this.requestSync(evt.detail, 'connect')
  }

  private syncRandomPeer (): void {
    const peers = new Map<string, PeerId>()
    for (const conn of this.components.connectionManager.getConnections()) {
      if (!this.active.has(conn.remotePeer.toString())) peers.set(conn.remotePeer.toString(), conn.remotePeer)
    }
    const candidates = [...peers.values()]
    if (candidates.length === 0) return
    void this.requestSync(candidates[Math.floor(Math.random() * candidates.length)], 'interval')
  }

  private async run (peerId: PeerId, reason: SyncReason, loopSignal: AbortSignal, slot: SyncSlot, requester?: AbortSignal): Promise<SyncResult> {
    const peer = peerId.toString()
    const started = Date.now()
    const budget = AbortSignal.timeout(this.timeBudgetMs)
    const signal = AbortSignal.any([loopSignal, slot.evicted, budget, ...(requester !== undefined ? [requester] : [])])
    const progress = { imported: 0, batches: 0 }
    this.safeDispatchEvent('sync:started', { detail: { peer, reason } })
    let result: SyncResult
    const finish = (outcome: SyncOutcome, error?: SyncError): SyncResult => ({
      peer, reason, outcome, ...progress, durationMs: Date.now() - started,
      ...(error != null ? { error: { code: error.code, message: error.message, meta: error.meta } } : {})
    })
    try {
      result = finish(await this.sync(peerId, signal, progress, slot))
    } catch (err) {
      if (loopSignal.aborted) {
        result = finish('stopped')
      } else {
        const error = err instanceof SyncError ? err : this.endedBy(err, { slot, budget, requester, imported: progress.imported })
        const { outcome, action } = SYNC_ERROR_OUTCOMES[error.code]
        if (action === 'penalise') {
          this.log('peer %s faulted in sync: %s %s', peer, error.code, error.message)
          this.components.reputation.penalise(peerId, this.penalty, `sync ${error.code}`)
          await this.components.connectionManager.closeConnections(peerId).catch(() => {})
        } else if (action === 'ban') {
          this.components.reputation.ban(peerId, error.message)
        } else if (error.code === SyncErrorCode.INTERNAL) {
          this.log.error('sync with %s failed - %e', peer, err)
        }
        result = finish(outcome, error)
      }
    }
    this.safeDispatchEvent('sync:finished', { detail: result })
    return result
  }

  /** Why a sync cut short by one of its signals ended (a request failure it caused is not the peer's doing). */
  private endedBy (err: unknown, ctx: { slot: SyncSlot, budget: AbortSignal, requester?: AbortSignal, imported: number }): SyncError {
    if (ctx.slot.evicted.aborted) {
      return new SyncError(SyncErrorCode.EVICTED, (ctx.slot.evicted.reason as Error)?.message ?? 'the sync lost its slot to a waiting one')
    }
    if (ctx.budget.aborted) {
      const meta = { budgetMs: this.timeBudgetMs }
      return ctx.imported > 0
        ? new SyncError(SyncErrorCode.TIME_BUDGET, `the sync ran out of its ${this.timeBudgetMs} ms budget; the next one goes on from here`, meta)
        : new SyncError(SyncErrorCode.NO_PROGRESS, `the peer delivered no new block within the sync's ${this.timeBudgetMs} ms budget`, meta)
    }
    if (ctx.requester?.aborted === true) return new SyncError(SyncErrorCode.ABANDONED, 'whoever asked for the sync stopped waiting')
    return toSyncError(err)
  }

  private async get (peerId: PeerId, path: string, maxBytes: number, signal: AbortSignal): Promise<unknown> {
    return await fetchFromPeer(this.dialer, peerId, `${SYNC_BASE_PATH}${path}`, {
      protocol: this.protocol,
      timeoutMs: this.requestTimeoutMs,
      maxBytes,
      signal
    })
  }

  private async sync (peerId: PeerId, signal: AbortSignal, progress: { imported: number, batches: number }, slot: SyncSlot): Promise<'up-to-date' | 'synced'> {
    const peer = peerId.toString()
    const { source, target } = this.init

    const status = parseStatus(await this.get(peerId, '/status', SMALL_RESPONSE_BYTES, signal))
    const ours = source.status()
    if (status.network !== ours.network || status.genesis !== ours.genesis) {
      throw new SyncError(SyncErrorCode.WRONG_NETWORK, `other network ${status.network} / genesis ${status.genesis}`,
        { network: status.network, genesis: status.genesis })
    }
    await this.components.peerStore.merge(peerId, { tags: { [TAG_KEEP_ALIVE_SYNC]: { value: 50 } } }).catch(() => {})

    const claimed = BigInt(status.head.work)
    const expected = target.workAt?.(status.head.index)
    if (expected !== undefined && expected !== claimed) {
      throw new SyncError(SyncErrorCode.WORK_INDEX_MISMATCH, `peer claims work ${claimed} for a head at #${status.head.index}, which weighs ${expected}`,
        { claimed: claimed.toString(), expected: expected.toString() })
    }
    if (claimed <= target.headWork() || target.hasBlock(status.head.hash)) return 'up-to-date'

    const locator = trimLocator(await source.locator())
    let fork: { hash: string, index: number }
    try {
      fork = parseLocated(await this.get(peerId, `/locate/${locator.join(',')}`, SMALL_RESPONSE_BYTES, signal))
    } catch (err) {
      // Our locator ends with the genesis we share: a peer of our network always finds a block.
      if (isRemoteError(err, SyncRouteErrorCode.NO_COMMON_BLOCK)) {
        throw new SyncError(SyncErrorCode.NO_COMMON_BLOCK, 'peer found none of our locator, genesis included')
      }
      throw err
    }
    if (!locator.includes(fork.hash)) throw new SyncError(SyncErrorCode.BAD_LOCATE, `peer located ${fork.hash}, which is not in our locator`)
    const floor = target.finalityFloor?.()
    if (floor !== undefined && fork.index < floor) {
      throw new SyncError(SyncErrorCode.FORK_TOO_DEEP, `the peer's chain leaves ours at #${fork.index}, below our checkpoint #${floor}`,
        { fork: fork.index, limit: floor })
    }

    let from = fork.hash
    let fromIndex = fork.index
    // One batch is fetched ahead while the previous one imports; the prefetch is dropped when the
    // sync ends early.
    const ahead = new AbortController()
    const syncSignal = AbortSignal.any([signal, ahead.signal])
    const fetchBatch = (after: string): Promise<unknown> => {
      const request = this.get(peerId, `/blocks/after/${after}/${this.batchSize}`, this.maxResponseBytes, syncSignal)
      request.catch(() => {}) // awaited later, or abandoned
      return request
    }
    // The batch fetched ahead has its signatures checked as soon as it arrives, on the verifier's workers,
    // while the current batch's rules run and its store write completes (docs/design.md §11: parallel
    // verification); its import waits for that check rather than doing it again.
    const preverify = (request: Promise<unknown>): Promise<void> => {
      const done = request.then(async blocks => {
        if (Array.isArray(blocks) && target.preverify !== undefined) await target.preverify(blocks, syncSignal)
      }, () => {})
      done.catch(() => {})
      return done
    }
    let prefetched: Promise<unknown> | undefined
    let preverified: Promise<void> | undefined
    try {
      while (target.headWork() < claimed) {
        if (progress.batches >= MAX_BATCHES_PER_SYNC) throw new SyncError(SyncErrorCode.TOO_MANY_BATCHES, 'peer kept serving blocks without reaching its claimed work')
        let blocks: unknown
        try {
          blocks = await (prefetched ?? fetchBatch(from))
        } catch (err) {
          // The peer switched branch after telling us its head: not a fault, sync again later.
          if (isRemoteError(err, SyncRouteErrorCode.UNKNOWN_BLOCK)) {
            throw new SyncError(SyncErrorCode.BRANCH_MOVED, `peer no longer has block ${from} on its main chain`, { from })
          }
          throw err
        }
        prefetched = undefined
        await preverified?.catch(() => {})
        preverified = undefined
        const batch = checkBatch(blocks, from, fromIndex, this.batchSize)
        progress.batches++
        if (batch.length === 0) break
        const last = batch[batch.length - 1]
        if (batch.length < this.batchSize && last.index < status.head.index) {
          // An honest server fills a batch up to what we asked or to its byte budget (docs/design.md §5):
          // a short batch far under the budget is a peer dribbling blocks to hold our slot.
          const bytes = utf8ByteLength(JSON.stringify(blocks))
          if (bytes < MAX_RESPONSE_BYTES - MAX_BLOCK_BYTES - SHORT_BATCH_SLACK_BYTES) {
            throw new SyncError(SyncErrorCode.SHORT_BATCH, `peer served ${batch.length} of ${this.batchSize} blocks (${bytes} bytes) short of its head #${status.head.index}`,
              { received: batch.length, bytes })
          }
        }
        if (last.index < status.head.index) {
          prefetched = fetchBatch(last.hash)
          preverified = preverify(prefetched)
        }
        const result = await target.importBlocks(batch, peer)
        progress.imported += result.imported
        if (result.imported > 0) slot.progress()
        this.safeDispatchEvent('sync:batch', { detail: { peer, received: batch.length, imported: result.imported, from } })
        if (result.error != null) {
          // Our clock or our config (a block "from the future", legacy txs turned off) is no fault of the peer's.
          const meta = { ruleCode: result.error.code, ruleMessage: result.error.message }
          if (!result.error.peerFault) throw new SyncError(SyncErrorCode.BLOCK_IGNORED, `a served block is refused here: ${result.error.message}`, meta)
          throw new SyncError(SyncErrorCode.INVALID_BLOCK, `peer served an invalid block: ${result.error.message}`, meta)
        }
        from = last.hash
        fromIndex = last.index
        if (fromIndex > status.head.index && target.headWork() < claimed) {
          throw new SyncError(SyncErrorCode.WORK_NOT_DELIVERED, `peer served past its head #${status.head.index} without the work it claimed`,
            { claimed: claimed.toString(), reached: target.headWork().toString() })
        }
      }
    } finally {
      ahead.abort()
    }
    if (target.headWork() < claimed) {
      throw new SyncError(SyncErrorCode.WORK_NOT_DELIVERED, `peer claimed work ${claimed} but its blocks took us only to ${target.headWork()}`,
        { claimed: claimed.toString(), reached: target.headWork().toString() })
    }
    return 'synced'
  }
}

export function syncLoop (init: SyncLoopInit): (components: SyncLoopComponents) => SyncLoop {
  return (components) => new SyncLoop(components, init)
}

/** The peer answered with an error status carrying this code of the sync routes. */
function isRemoteError (err: unknown, code: SyncRouteErrorCode): boolean {
  return err instanceof PeerRequestError && err.code === PeerRequestErrorCode.BAD_STATUS && err.meta.remoteCode === code
}

function isObject (value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function parseStatus (body: unknown): SyncStatus {
  if (!isObject(body) || !isObject(body.head)) throw new SyncError(SyncErrorCode.BAD_STATUS_BODY, 'status is not {network, genesis, head}')
  const { network, genesis, head } = body as { network: unknown, genesis: unknown, head: Record<string, unknown> }
  if (typeof network !== 'string' || typeof genesis !== 'string' ||
    typeof head.hash !== 'string' || !HASH.test(head.hash) ||
    typeof head.index !== 'number' || !Number.isSafeInteger(head.index) || head.index < 0 ||
    typeof head.work !== 'string' || !/^[0-9]{1,80}$/.test(head.work)) {
    throw new SyncError(SyncErrorCode.BAD_STATUS_BODY, 'status fields have the wrong type or shape')
  }
  return { network, genesis, head: { hash: head.hash, index: head.index, work: head.work } }
}

function parseLocated (body: unknown): { hash: string, index: number } {
  if (!isObject(body) || typeof body.hash !== 'string' || !HASH.test(body.hash) ||
    typeof body.index !== 'number' || !Number.isSafeInteger(body.index) || body.index < 0) {
    throw new SyncError(SyncErrorCode.BAD_LOCATE, 'locate answer is not {hash, index}')
  }
  return { hash: body.hash, index: body.index }
}

/** Keep the densest part near the tip and always the genesis (the last entry). */
function trimLocator (locator: string[]): string[] {
  if (locator.length === 0) throw new Error('our locator is empty: the chain has no genesis')
  if (locator.length <= MAX_LOCATOR_HASHES) return locator
  return [...locator.slice(0, MAX_LOCATOR_HASHES - 1), locator[locator.length - 1]]
}

interface LinkedBlock { hash: string, previous_hash: string, index: number }

/**
 * Only the linkage is checked here (each block extends the previous one, starting at `from`); the
 * chain validates everything else. Catching a broken batch here names the peer's fault precisely.
 */
function checkBatch (body: unknown, from: string, fromIndex: number, max: number): LinkedBlock[] {
  if (!Array.isArray(body)) throw new SyncError(SyncErrorCode.BAD_BATCH, 'blocks answer is not an array')
  if (body.length > max) throw new SyncError(SyncErrorCode.BAD_BATCH, `peer sent ${body.length} blocks, asked for ${max}`)
  let previous = from
  let index = fromIndex
  for (const [i, block] of body.entries()) {
    if (!isObject(block) || typeof block.hash !== 'string' || typeof block.previous_hash !== 'string' || typeof block.index !== 'number') {
      throw new SyncError(SyncErrorCode.BAD_BATCH, `block ${i} of the batch is not a block`)
    }
    if (block.previous_hash !== previous || block.index !== index + 1) {
      throw new SyncError(SyncErrorCode.BAD_BATCH, `block ${i} of the batch does not extend ${previous}`)
    }
    previous = block.hash
    index = block.index
  }
  return body as LinkedBlock[]
}
