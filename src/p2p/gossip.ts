// The two gossip topics of a network (docs/design.md §5): subscribe, validate every received message through
// the chain's validators, map outcomes to gossipsub's Accept/Ignore/Reject, penalise senders of
// invalid data, report each receipt for metrics, and ask for a sync when a block's parent is unknown.

import { TopicValidatorResult } from '@libp2p/gossipsub'
import { TypedEventEmitter } from '@libp2p/interface'
import { jsonOf } from '../core/serialized.js'
import { nodeSha256Hex } from '../crypto/sha256.js'
import { blockTopic, PENALTY_INVALID_GOSSIP, txTopic } from './constants.js'
import type { GossipsubService } from './host.js'
import type { PeerReputation } from './peer-reputation.js'
import { yieldToEventLoop } from '../util/yield.js'
import type { Block, Tx } from '../core/types.js'
import type { ComponentLogger, Logger, PeerId, Startable } from '@libp2p/interface'
import type { Message, TopicValidatorFn } from '@libp2p/gossipsub'

export interface ValidationOutcome {
  result: 'accept' | 'ignore' | 'reject'
  /** The coded error behind ignore/reject (TX_DUPLICATE, BLOCK_UNKNOWN_PARENT ...). */
  code?: string
  /** The block's parent is unknown: the sender probably has blocks we lack. */
  unknownParent?: boolean
  /** The item's identity (tx id, block hash) when the validator parsed it; reported in events. */
  id?: string
  /** The item's creation time (ms since epoch) when known, for propagation-delay metrics. */
  createdAt?: number
  /**
   * Reputation points to take from the sender besides a Reject's: a flood past its fair share is an
   * Ignore that is not free (docs/design.md §12).
   */
  penalty?: number
}

export type GossipValidator = (data: Uint8Array, from: string) => Promise<ValidationOutcome>

export interface GossipInit {
  network: string
  validateTx: GossipValidator
  validateBlock: GossipValidator
  /** Reputation points taken per rejected message. Default PENALTY_INVALID_GOSSIP. */
  rejectPenalty?: number
  now?: () => number
}

export interface GossipComponents {
  pubsub: GossipsubService
  reputation: PeerReputation
  logger: ComponentLogger
}

export type GossipKind = 'tx' | 'block'

/** One received message, after validation (docs/design.md §10 gossip receipt). */
export interface GossipReceipt {
  topic: string
  kind: GossipKind
  /** The item's id when the validator reported it, else the gossipsub message id (hex sha256 of data). */
  id: string
  msgId: string
  /** The peer that forwarded it to us. */
  from: string
  receivedAt: number
  createdAt?: number
  result: ValidationOutcome['result']
  code?: string
  bytes: number
}

/** One message we published (docs/design.md §10 publish). */
export interface GossipPublication {
  topic: string
  kind: GossipKind
  /** tx id or block hash. */
  id: string
  msgId: string
  recipients: number
  /** When it was handed to gossipsub (ms): receipts elsewhere can precede the end of publish(). */
  publishedAt: number
  createdAt?: number
  bytes: number
}

/** We subscribed to a topic (go-libp2p-pubsub's JOIN). */
export interface GossipJoin {
  topic: string
  kind: GossipKind
}

export interface UnknownParentRequest {
  peerId: PeerId
  from: string
  id?: string
}

export interface GossipEvents {
  gossip: CustomEvent<GossipReceipt>
  publish: CustomEvent<GossipPublication>
  join: CustomEvent<GossipJoin>
  'unknown-parent': CustomEvent<UnknownParentRequest>
}

const RESULT: Record<ValidationOutcome['result'], TopicValidatorResult> = {
  accept: TopicValidatorResult.Accept,
  ignore: TopicValidatorResult.Ignore,
  reject: TopicValidatorResult.Reject
}

const encoder = new TextEncoder()

export class Gossip extends TypedEventEmitter<GossipEvents> implements Startable {
  readonly txTopic: string
  readonly blockTopic: string
  private readonly log: Logger
  private readonly now: () => number
  private readonly rejectPenalty: number
  private readonly validators: Map<string, TopicValidatorFn>
  private subscribed = false

  constructor (private readonly components: GossipComponents, init: GossipInit) {
    super()
    if (typeof init.validateTx !== 'function') throw new TypeError('validateTx must be a function')
    if (typeof init.validateBlock !== 'function') throw new TypeError('validateBlock must be a function')
    this.txTopic = txTopic(init.network)
    this.blockTopic = blockTopic(init.network)
    this.log = components.logger.forComponent('gossipchain:p2p:gossip')
    this.now = init.now ?? Date.now
    this.rejectPenalty = init.rejectPenalty ?? PENALTY_INVALID_GOSSIP
    this.validators = new Map([
      [this.txTopic, this.validator('tx', this.txTopic, init.validateTx)],
      [this.blockTopic, this.validator('block', this.blockTopic, init.validateBlock)]
    ])
  }

  readonly [Symbol.toStringTag] = 'gossipchain/gossip'

  start (): void {
    for (const [topic, fn] of this.validators) this.components.pubsub.topicValidators.set(topic, fn)
  }

  /** Gossipsub refuses subscriptions until it has started, which happens alongside us. */
  afterStart (): void {
    for (const topic of this.validators.keys()) {
      this.components.pubsub.subscribe(topic)
      this.safeDispatchEvent('join', { detail: { topic, kind: topic === this.txTopic ? 'tx' : 'block' } })
    }
    this.subscribed = true
  }

  beforeStop (): void {
    if (!this.subscribed) return
    this.subscribed = false
    for (const topic of this.validators.keys()) {
      try {
        this.components.pubsub.unsubscribe(topic)
      } catch {
        // Already stopped.
      }
    }
  }

  stop (): void {
    for (const [topic, fn] of this.validators) {
      if (this.components.pubsub.topicValidators.get(topic) === fn) this.components.pubsub.topicValidators.delete(topic)
    }
  }

  /** Publishes a tx (its JSON). Resolves with how many peers got it. */
  async publishTx (tx: Tx): Promise<{ recipients: number }> {
    return await this.publish('tx', this.txTopic, tx.id, tx.timestamp, tx)
  }

  async publishBlock (block: Block): Promise<{ recipients: number }> {
    return await this.publish('block', this.blockTopic, block.hash, block.timestamp, block)
  }

  /** Our mesh peers per topic. */
  meshPeers (): { tx: string[], block: string[] } {
    return {
      tx: this.components.pubsub.getMeshPeers(this.txTopic),
      block: this.components.pubsub.getMeshPeers(this.blockTopic)
    }
  }

  /** Peers that told us they subscribe to each topic. */
  subscribers (): { tx: string[], block: string[] } {
    return {
      tx: this.components.pubsub.getSubscribers(this.txTopic).map(String),
      block: this.components.pubsub.getSubscribers(this.blockTopic).map(String)
    }
  }

  private async publish (kind: GossipKind, topic: string, id: string, timestampSeconds: number, item: object): Promise<{ recipients: number }> {
    const data = encoder.encode(jsonOf(item)) // the text the journal and the store hold: serialized once
    const publishedAt = this.now()
    const result = await this.components.pubsub.publish(topic, data)
    const recipients = result.recipients.length
    this.safeDispatchEvent('publish', {
      detail: {
        topic,
        kind,
        id,
        msgId: messageId(data),
        recipients,
        publishedAt,
        createdAt: typeof timestampSeconds === 'number' ? Math.round(timestampSeconds * 1000) : undefined,
        bytes: data.byteLength
      }
    })
    return { recipients }
  }

  private validator (kind: GossipKind, topic: string, validate: GossipValidator): TopicValidatorFn {
    return async (peer: PeerId, msg: Message): Promise<TopicValidatorResult> => {
      // docs/design.md §12: each message in its own turn of the event loop. A flood that is refused
      // without I/O (past its mempool share) otherwise runs as one chain of microtasks: the battery's
      // mempool-flood kept the loop busy 1.3 s straight and honest requests waited 580 ms.
      await yieldToEventLoop()
      const receivedAt = this.now()
      const from = peer.toString()
      let outcome: ValidationOutcome
      try {
        outcome = await validate(msg.data, from)
        if (RESULT[outcome?.result] == null) throw new TypeError(`validator returned ${JSON.stringify(outcome)}`)
      } catch (err) {
        // Our own failure says nothing about the sender: ignore, never reject.
        this.log.error('%s validator failed - %e', kind, err)
        outcome = { result: 'ignore', code: 'VALIDATOR_ERROR' }
      }

      if (outcome.result === 'reject') {
        this.components.reputation.penalise(peer, this.rejectPenalty, `invalid ${kind}${outcome.code != null ? ` ${outcome.code}` : ''}`)
      } else if (outcome.penalty !== undefined && outcome.penalty > 0) {
        this.components.reputation.penalise(peer, outcome.penalty, `flood ${kind}${outcome.code != null ? ` ${outcome.code}` : ''}`)
      }
      const msgId = messageId(msg.data)
      this.safeDispatchEvent('gossip', {
        detail: {
          topic,
          kind,
          id: outcome.id ?? msgId,
          msgId,
          from,
          receivedAt,
          createdAt: outcome.createdAt,
          result: outcome.result,
          code: outcome.code,
          bytes: msg.data.byteLength
        }
      })
      if (outcome.unknownParent === true) {
        this.safeDispatchEvent('unknown-parent', { detail: { peerId: peer, from, id: outcome.id } })
      }
      return RESULT[outcome.result]
    }
  }
}

/** The gossipsub message id of a payload, hex (docs/design.md §5: sha256 of the data). */
function messageId (data: Uint8Array): string {
  return nodeSha256Hex(data)
}

export function gossip (init: GossipInit): (components: GossipComponents) => Gossip {
  return (components) => new Gossip(components, init)
}
