// Our application-specific opinion of each peer (docs/design.md §5: invalid gossip lowers a peer's app score;
// persistent offenders and peers that serve invalid sync data are dropped). The score feeds
// gossipsub's P5 through `appSpecificScore`, and the connection gater refuses banned peers.

import { KEEP_ALIVE, TypedEventEmitter } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { BAN_DURATION_MS, BAN_SCORE, REPUTATION_HALF_LIFE_MS } from './constants.js'
import type { ComponentLogger, Logger, PeerId, PeerStore, Startable } from '@libp2p/interface'

export interface PeerReputationInit {
  /** At or below this score the peer is banned. Negative. */
  banScore?: number
  banDurationMs?: number
  halfLifeMs?: number
  /** Most peers remembered; the least recently penalised are forgotten first (bans are kept). */
  maxEntries?: number
  /** Injected for tests; defaults to Date.now. */
  now?: () => number
}

export interface PeerReputationComponents {
  connectionManager: { closeConnections(peer: PeerId): Promise<void> }
  peerStore: PeerStore
  logger: ComponentLogger
}

export interface PenaltyEvent { peer: string, points: number, reason: string, score: number }
export interface BanEvent { peer: string, until: number, reason: string }

export interface PeerReputationEvents {
  penalty: CustomEvent<PenaltyEvent>
  ban: CustomEvent<BanEvent>
}

interface Entry { score: number, at: number, bannedUntil: number }

export class PeerReputation extends TypedEventEmitter<PeerReputationEvents> implements Startable {
  private readonly entries = new Map<string, Entry>()
  private readonly banScore: number
  private readonly banDurationMs: number
  private readonly halfLifeMs: number
  private readonly maxEntries: number
  private readonly now: () => number
  private readonly log: Logger
  private started = false

  constructor (private readonly components: PeerReputationComponents, init: PeerReputationInit = {}) {
    super()
    this.banScore = init.banScore ?? BAN_SCORE
    if (!(this.banScore < 0)) throw new RangeError('banScore must be negative')
    this.banDurationMs = init.banDurationMs ?? BAN_DURATION_MS
    this.halfLifeMs = init.halfLifeMs ?? REPUTATION_HALF_LIFE_MS
    this.maxEntries = init.maxEntries ?? 10_000
    this.now = init.now ?? Date.now
    this.log = components.logger.forComponent('gossipchain:p2p:reputation')
  }

  readonly [Symbol.toStringTag] = 'gossipchain/peer-reputation'

  start (): void { this.started = true }
  stop (): void {
    this.started = false
    this.entries.clear()
  }

  /** Current score, <= 0; penalties decay towards 0 with the configured half-life. */
  score (peer: PeerId | string): number {
    const entry = this.entries.get(peer.toString())
    return entry == null ? 0 : this.decayed(entry, this.now())
  }

  isBanned (peer: PeerId | string): boolean {
    const entry = this.entries.get(peer.toString())
    return entry != null && entry.bannedUntil > this.now()
  }

  /**
   * Take `points` (> 0) from the peer's score. Crossing the ban score disconnects the peer and
   * refuses it for the ban duration.
   */
  penalise (peer: PeerId | string, points: number, reason: string): number {
    if (!(points > 0) || !Number.isFinite(points)) throw new RangeError('points must be a positive finite number')
    const id = peer.toString()
    const now = this.now()
    const entry = this.entries.get(id) ?? { score: 0, at: now, bannedUntil: 0 }
    entry.score = this.decayed(entry, now) - points
    entry.at = now
    this.entries.delete(id) // re-insert: Map order then tracks recency for pruning
    this.entries.set(id, entry)
    this.log('penalised %s by %d for %s, score %d', id, points, reason, entry.score)
    this.safeDispatchEvent('penalty', { detail: { peer: id, points, reason, score: entry.score } })
    if (entry.score <= this.banScore && entry.bannedUntil <= now) {
      this.ban(id, reason)
    }
    this.prune(now)
    return entry.score
  }

  /** Disconnect the peer now and refuse it (dials both ways) for the ban duration. */
  ban (peer: PeerId | string, reason: string, durationMs = this.banDurationMs): void {
    const id = peer.toString()
    const now = this.now()
    const entry = this.entries.get(id) ?? { score: this.banScore, at: now, bannedUntil: 0 }
    entry.bannedUntil = now + durationMs
    this.entries.set(id, entry)
    this.log('banned %s until %d for %s', id, entry.bannedUntil, reason)
    this.safeDispatchEvent('ban', { detail: { peer: id, until: entry.bannedUntil, reason } })
    if (!this.started) return
    let peerId: PeerId
    try {
      peerId = peerIdFromString(id)
    } catch {
      return
    }
    void this.dropPeer(peerId)
  }

  private async dropPeer (peerId: PeerId): Promise<void> {
    // Clear keep-alive tags first, or libp2p's reconnect queue would dial the peer straight back.
    try {
      const peer = await this.components.peerStore.get(peerId)
      const tags: Record<string, undefined> = {}
      for (const name of peer.tags.keys()) {
        if (name.startsWith(KEEP_ALIVE)) tags[name] = undefined
      }
      if (Object.keys(tags).length > 0) await this.components.peerStore.merge(peerId, { tags })
    } catch {
      // Not in the peer store: nothing to untag.
    }
    await this.components.connectionManager.closeConnections(peerId).catch((err: Error) => {
      this.log.error('could not disconnect banned peer %p - %e', peerId, err)
    })
  }

  private decayed (entry: Entry, now: number): number {
    const elapsed = Math.max(0, now - entry.at)
    return entry.score * Math.pow(0.5, elapsed / this.halfLifeMs)
  }

  private prune (now: number): void {
    if (this.entries.size <= this.maxEntries) return
    for (const [id, entry] of this.entries) {
      if (this.entries.size <= this.maxEntries) break
      if (entry.bannedUntil > now) continue
      this.entries.delete(id)
    }
  }
}

export function peerReputation (init: PeerReputationInit = {}): (components: PeerReputationComponents) => PeerReputation {
  return (components) => new PeerReputation(components, init)
}
