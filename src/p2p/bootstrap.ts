// Keeps the node connected to its bootstrap peers (docs/design.md §5): dial each address at start and redial
// it whenever it is lost, with a bounded exponential backoff, forever. libp2p's own reconnect queue
// gives up after a few retries and needs a known peer id; a bootstrap address may carry none
// (e.g. /dns4/node1/tcp/9000 in docker compose), so the peer id is learned on the first dial.

import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import {
  BOOTSTRAP_CHECK_INTERVAL_MS, BOOTSTRAP_MAX_BACKOFF_MS, BOOTSTRAP_MIN_BACKOFF_MS, DIAL_TIMEOUT_MS,
  TAG_KEEP_ALIVE_BOOTSTRAP
} from './constants.js'
import type { ComponentLogger, Connection, Libp2pEvents, Logger, PeerId, PeerStore, Startable, TypedEventTarget } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

export interface BootstrapInit {
  /** Multiaddrs, with or without a trailing /p2p/<peer id>. */
  addresses: string[]
  minBackoffMs?: number
  maxBackoffMs?: number
  checkIntervalMs?: number
  dialTimeoutMs?: number
}

export interface BootstrapComponents {
  peerId: PeerId
  connectionManager: {
    openConnection(peer: Multiaddr, options?: { signal?: AbortSignal }): Promise<Connection>
    getConnections(peerId?: PeerId): Connection[]
  }
  peerStore: PeerStore
  events: TypedEventTarget<Libp2pEvents>
  logger: ComponentLogger
}

interface Target {
  address: Multiaddr
  peerId?: PeerId
  backoffMs: number
  timer?: ReturnType<typeof setTimeout>
  dialing: boolean
}

export class BootstrapDialer implements Startable {
  private readonly targets: Target[]
  private readonly minBackoffMs: number
  private readonly maxBackoffMs: number
  private readonly checkIntervalMs: number
  private readonly dialTimeoutMs: number
  private readonly log: Logger
  private controller?: AbortController

  constructor (private readonly components: BootstrapComponents, init: BootstrapInit) {
    if (!Array.isArray(init.addresses)) throw new TypeError('bootstrap addresses must be an array of multiaddr strings')
    this.targets = init.addresses.map((address, i) => {
      let ma: Multiaddr
      try {
        ma = multiaddr(address)
      } catch (err) {
        throw new TypeError(`bootstrap address ${i} is not a multiaddr: ${JSON.stringify(address)} (${(err as Error).message})`)
      }
      const p2p = ma.getComponents().findLast(c => c.name === 'p2p')?.value
      return { address: ma, peerId: p2p != null ? peerIdFromString(p2p) : undefined, backoffMs: 0, dialing: false }
    })
    this.minBackoffMs = init.minBackoffMs ?? BOOTSTRAP_MIN_BACKOFF_MS
    this.maxBackoffMs = Math.max(this.minBackoffMs, init.maxBackoffMs ?? BOOTSTRAP_MAX_BACKOFF_MS)
    this.checkIntervalMs = init.checkIntervalMs ?? BOOTSTRAP_CHECK_INTERVAL_MS
    this.dialTimeoutMs = init.dialTimeoutMs ?? DIAL_TIMEOUT_MS
    this.log = components.logger.forComponent('gossipchain:p2p:bootstrap')
    this.onDisconnect = this.onDisconnect.bind(this)
  }

  readonly [Symbol.toStringTag] = 'gossipchain/bootstrap'

  start (): void {
    this.controller = new AbortController()
    this.components.events.addEventListener('peer:disconnect', this.onDisconnect)
  }

  /** Dial after every service started, so the first connection finds the protocol handlers in place. */
  afterStart (): void {
    for (const target of this.targets) this.schedule(target, 0)
  }

  stop (): void {
    this.controller?.abort()
    this.controller = undefined
    this.components.events.removeEventListener('peer:disconnect', this.onDisconnect)
    for (const target of this.targets) {
      clearTimeout(target.timer)
      target.timer = undefined
    }
  }

  /** The bootstrap peers currently connected, by address. */
  status (): Array<{ address: string, peerId?: string, connected: boolean }> {
    return this.targets.map(t => ({
      address: t.address.toString(),
      peerId: t.peerId?.toString(),
      connected: t.peerId != null && this.components.connectionManager.getConnections(t.peerId).length > 0
    }))
  }

  private onDisconnect (evt: CustomEvent<PeerId>): void {
    for (const target of this.targets) {
      if (target.peerId?.equals(evt.detail) === true) this.schedule(target, this.nextBackoff(target))
    }
  }

  private schedule (target: Target, delayMs: number): void {
    if (this.controller == null) return
    clearTimeout(target.timer)
    target.timer = setTimeout(() => { void this.attempt(target) }, delayMs)
    target.timer.unref?.()
  }

  private nextBackoff (target: Target): number {
    target.backoffMs = target.backoffMs === 0 ? this.minBackoffMs : Math.min(this.maxBackoffMs, target.backoffMs * 2)
    // Jitter, so nodes restarted together do not redial in lockstep.
    return Math.round(target.backoffMs * (0.5 + Math.random() / 2))
  }

  private async attempt (target: Target): Promise<void> {
    const controller = this.controller
    if (controller == null || target.dialing) return
    if (target.peerId?.equals(this.components.peerId) === true) return // our own address in the list
    if (target.peerId != null && this.components.connectionManager.getConnections(target.peerId).length > 0) {
      target.backoffMs = 0
      this.schedule(target, this.checkIntervalMs)
      return
    }
    target.dialing = true
    try {
      const signal = AbortSignal.any([controller.signal, AbortSignal.timeout(this.dialTimeoutMs)])
      const connection = await this.components.connectionManager.openConnection(target.address, { signal })
      target.peerId = connection.remotePeer
      target.backoffMs = 0
      await this.components.peerStore.merge(connection.remotePeer, {
        tags: { [TAG_KEEP_ALIVE_BOOTSTRAP]: { value: 100 } }
      }).catch(() => {})
      this.log('connected to bootstrap %a as %p', target.address, connection.remotePeer)
      this.schedule(target, this.checkIntervalMs)
    } catch (err) {
      if (controller.signal.aborted) return
      const delay = this.nextBackoff(target)
      this.log('bootstrap dial %a failed, retry in %d ms - %e', target.address, delay, err)
      this.schedule(target, delay)
    } finally {
      target.dialing = false
    }
  }
}

export function bootstrapDialer (init: BootstrapInit): (components: BootstrapComponents) => BootstrapDialer {
  return (components) => new BootstrapDialer(components, init)
}
