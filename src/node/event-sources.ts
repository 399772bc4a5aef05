// The one adapter from the node's parts to its event stream (src/node/events.ts): chain heads and
// reorgs, libp2p peer connects, gossip receipts and publications, sync results, penalties and bans,
// and gossipsub's own router events (duplicates, grafts, prunes, peers added and removed).
// Everything else (trace, log, metrics, /events) subscribes to the stream, never to these sources.
import type { Chain, HeadInfo, ReorgEvent as ChainReorg } from '../chain/chain.js'
import type { Block } from '../core/types.js'
import type { Gossip, GossipKind } from '../p2p/gossip.js'
import type { GossipsubService } from '../p2p/host.js'
import type { PeerReputation } from '../p2p/peer-reputation.js'
import type { SyncLoop } from '../p2p/sync-loop.js'
import type { NodeEventStream } from './events.js'
import type { Libp2pEvents, TypedEventTarget } from '@libp2p/interface'

export interface EventSources {
  chain: Chain
  /** The libp2p host (peer:connect, peer:disconnect). */
  host: TypedEventTarget<Libp2pEvents>
  gossip: Gossip
  sync: SyncLoop
  reputation: PeerReputation
  /** gossipsub itself: duplicates, mesh changes and router peers (see tapPeerScore). */
  pubsub: Pick<GossipsubService, 'score'>
}

/** Adds `handler` for `type` on `target` and returns the function that removes it. */
function listen<M extends Record<string, any>, K extends keyof M & string> (target: TypedEventTarget<M>, type: K, handler: (evt: M[K]) => void): () => void {
  target.addEventListener(type, handler)
  return () => { target.removeEventListener(type, handler) }
}

/** Feed `stream` from the sources; returns the function that detaches every listener. */
export function connectEventSources (stream: NodeEventStream, { chain, host, gossip, sync, reputation, pubsub }: EventSources): () => void {
  const onHead = (h: HeadInfo & { block: Block }): void => {
    stream.emit({ type: 'head', hash: h.hash, index: h.index, work: h.work.toString(), txs: h.block.transactions.length })
  }
  const onReorg = (r: ChainReorg): void => {
    stream.emit({ type: 'reorg', forkPoint: r.forkPoint, disconnected: r.disconnected, connected: r.connected, restoredTxs: r.restoredTxs })
  }
  const kindOf = (topic: string): GossipKind | undefined => topic === gossip.txTopic ? 'tx' : topic === gossip.blockTopic ? 'block' : undefined
  chain.on('head', onHead)
  chain.on('reorg', onReorg)

  const detach = [
    () => { chain.off('head', onHead) },
    () => { chain.off('reorg', onReorg) },
    listen(host, 'peer:connect', ({ detail }) => { stream.emit({ type: 'peer:connect', peer: detail.toString() }) }),
    listen(host, 'peer:disconnect', ({ detail }) => { stream.emit({ type: 'peer:disconnect', peer: detail.toString() }) }),
    listen(gossip, 'gossip', ({ detail: r }) => {
      stream.emit({
        type: 'gossip',
        topic: r.kind,
        id: r.id,
        msgId: r.msgId,
        from: r.from,
        receivedAt: r.receivedAt,
        ...(r.createdAt !== undefined ? { createdAt: r.createdAt } : {}),
        result: r.result,
        ...(r.code !== undefined ? { code: r.code } : {}),
        bytes: r.bytes
      })
    }),
    listen(gossip, 'publish', ({ detail: p }) => {
      stream.emit({
        type: 'publish',
        topic: p.kind,
        id: p.id,
        msgId: p.msgId,
        recipients: p.recipients,
        publishedAt: p.publishedAt,
        ...(p.createdAt !== undefined ? { createdAt: p.createdAt } : {}),
        bytes: p.bytes
      })
    }),
    listen(sync, 'sync:finished', ({ detail: r }) => {
      stream.emit({
        type: 'sync',
        peer: r.peer,
        reason: r.reason,
        outcome: r.outcome,
        imported: r.imported,
        batches: r.batches,
        durationMs: r.durationMs,
        ...(r.error !== undefined ? { code: r.error.code } : {}),
        ...(typeof r.error?.meta.ruleCode === 'string' ? { ruleCode: r.error.meta.ruleCode } : {})
      })
    }),
    listen(reputation, 'penalty', ({ detail: p }) => {
      stream.emit({ type: 'penalty', peer: p.peer, points: p.points, reason: p.reason, score: p.score })
    }),
    listen(reputation, 'ban', ({ detail: b }) => {
      stream.emit({ type: 'ban', peer: b.peer, reason: b.reason, untilMs: b.until })
    }),
    listen(gossip, 'join', ({ detail: j }) => { stream.emit({ type: 'join', topic: j.kind }) }),
    tapPeerScore(pubsub.score, {
      duplicateMessage: (from, msgIdStr, topic) => {
        const kind = kindOf(topic)
        if (kind !== undefined) stream.emit({ type: 'duplicate', topic: kind, msgId: base64ToHex(msgIdStr), from })
      },
      graft: (peer, topic) => {
        const kind = kindOf(topic)
        if (kind !== undefined) stream.emit({ type: 'graft', topic: kind, peer })
      },
      prune: (peer, topic) => {
        const kind = kindOf(topic)
        if (kind !== undefined) stream.emit({ type: 'prune', topic: kind, peer })
      },
      addPeer: (peer) => { stream.emit({ type: 'pubsub:add-peer', peer }) },
      removePeer: (peer) => { stream.emit({ type: 'pubsub:remove-peer', peer }) }
    })
  ]
  return () => { for (const fn of detach.splice(0)) fn() }
}

/**
 * The calls gossipsub 17 makes on its peer score at exactly the points where go-libp2p-pubsub calls its
 * RawTracer (AddPeer, RemovePeer, Graft, Prune, DuplicateMessage); gossipsub has no event for them.
 * Its `score` is a public field, and these are public methods of PeerScore.
 */
export interface PeerScoreTap {
  addPeer(id: string): void
  removePeer(id: string): void
  graft(id: string, topic: string): void
  prune(id: string, topic: string): void
  duplicateMessage(from: string, msgIdStr: string, topic: string): void
}

/**
 * Calls `tap` after each of these methods of `score` (the original runs first and its result is kept;
 * a throwing tap never reaches gossipsub). Returns the function that restores the originals.
 */
export function tapPeerScore (score: PeerScoreTap, tap: PeerScoreTap): () => void {
  const restore: Array<() => void> = []
  for (const name of ['addPeer', 'removePeer', 'graft', 'prune', 'duplicateMessage'] as const) {
    const original = score[name] as (...args: unknown[]) => unknown
    if (typeof original !== 'function') throw new TypeError(`tapPeerScore: gossipsub's score has no ${name}()`)
    const after = tap[name] as (...args: unknown[]) => void
    const wrapper = function (this: unknown, ...args: unknown[]): unknown {
      const result = original.apply(this, args)
      try { after(...args) } catch {}
      return result
    }
    ;(score as unknown as Record<string, unknown>)[name] = wrapper
    restore.push(() => {
      if ((score as unknown as Record<string, unknown>)[name] === wrapper) (score as unknown as Record<string, unknown>)[name] = original
    })
  }
  return () => { for (const fn of restore.splice(0)) fn() }
}

/** gossipsub's message id strings are base64 of the id bytes; ours (msgId) are hex. */
function base64ToHex (id: string): string {
  return Buffer.from(id, 'base64').toString('hex')
}
