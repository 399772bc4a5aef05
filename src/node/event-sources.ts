// The one adapter from the node's parts to its event stream (src/node/events.ts): chain heads and
// reorgs, libp2p peer connects, gossip receipts and publications, sync results, penalties and bans.
// Everything else (trace, log, metrics, /events) subscribes to the stream, never to these sources.
import type { Chain, HeadInfo, ReorgEvent as ChainReorg } from '../chain/chain.js'
import type { Block } from '../core/types.js'
import type { Gossip } from '../p2p/gossip.js'
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
}

/** Adds `handler` for `type` on `target` and returns the function that removes it. */
function listen<M extends Record<string, any>, K extends keyof M & string> (target: TypedEventTarget<M>, type: K, handler: (evt: M[K]) => void): () => void {
  target.addEventListener(type, handler)
  return () => { target.removeEventListener(type, handler) }
}

/** Feed `stream` from the sources; returns the function that detaches every listener. */
export function connectEventSources (stream: NodeEventStream, { chain, host, gossip, sync, reputation }: EventSources): () => void {
  const onHead = (h: HeadInfo & { block: Block }): void => {
    stream.emit({ type: 'head', hash: h.hash, index: h.index, work: h.work.toString(), txs: h.block.transactions.length })
  }
  const onReorg = (r: ChainReorg): void => {
    stream.emit({ type: 'reorg', forkPoint: r.forkPoint, disconnected: r.disconnected, connected: r.connected, restoredTxs: r.restoredTxs })
  }
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
    })
  ]
  return () => { for (const fn of detach.splice(0)) fn() }
}
