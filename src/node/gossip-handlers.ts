// Gossip validators, one per message type (docs/design.md §5; Lodestar's gossipHandlers is the model).
// Each parses its payload once, hands it to the chain, and maps the chain's coded error to
// Accept/Ignore/Reject through src/chain/error-outcome.ts (the one table). A block is Accepted (and
// gossipsub forwards it) as soon as the chain's validator passed it, before its import takes the lock
// and writes to disk (docs/design.md §11, §12); the import follows on its own. The libp2p side
// (src/p2p/gossip.ts) turns the outcome into gossipsub's verdict and penalties. A tx likewise is Accepted
// once verified and in the mempool, its journal write following.
import type { Chain } from '../chain/chain.js'
import { ruleErrorOutcome } from '../chain/error-outcome.js'
import { BlockError, BlockErrorCode } from '../core/errors.js'
import { parseTx } from '../core/tx.js'
import type { Logger } from '../logger.js'
import { PENALTY_FLOOD } from '../p2p/constants.js'
import type { GossipKind, GossipValidator, ValidationOutcome } from '../p2p/gossip.js'

export type GossipHandlers = Record<GossipKind, GossipValidator>

export interface GossipHandlerModules {
  chain: Pick<Chain, 'acceptTx' | 'validateBlock' | 'importBlock'>
  logger: Pick<Logger, 'error' | 'warn'>
}

const decoder = new TextDecoder()

/** The mempool source of a tx relayed by a gossip peer (src/core/mempool.ts fair shares). */
export function peerSource (peerId: string): string {
  return `peer:${peerId}`
}

/** The payload's JSON, or undefined when it is not JSON (the schema check then names it invalid). */
function parseJson (data: Uint8Array): unknown {
  try {
    return JSON.parse(decoder.decode(data))
  } catch {
    return undefined
  }
}

export function createGossipHandlers ({ chain, logger }: GossipHandlerModules): GossipHandlers {
  /** Runs one validation: accept with the item's identity, or the coded error's gossip outcome. */
  const outcomeOf = async (validate: () => Promise<{ id: string, createdAt: number }>): Promise<ValidationOutcome> => {
    try {
      const { id, createdAt } = await validate()
      return { result: 'accept', id, createdAt }
    } catch (err) {
      const outcome = ruleErrorOutcome(err)
      if (outcome === undefined) {
        // Our own failure says nothing about the sender: ignore, never reject.
        logger.error(`gossip: internal error while validating: ${(err as Error).stack ?? String(err)}`)
        return { result: 'ignore', code: 'INTERNAL' }
      }
      return {
        result: outcome.gossip,
        code: outcome.code,
        unknownParent: outcome.unknownParent,
        // A push past its fair share of the mempool is ignored but not free (docs/design.md §12).
        ...(outcome.flood === true ? { penalty: PENALTY_FLOOD } : {})
      }
    }
  }

  return {
    tx: async (data, from) => await outcomeOf(async () => {
      // Gossip carries txs in their stored form only: a legacy submission body is not one. The relaying
      // peer is the tx's source for the mempool's fair shares. Accepted (forwarded) once verified and
      // pooled, before its journal write, like a block before its import (docs/design.md §11).
      const tx = await chain.acceptTx(parseTx(parseJson(data)), { source: peerSource(from), awaitJournal: false })
      return { id: tx.id, createdAt: Math.round(tx.timestamp * 1000) }
    }),
    block: async (data) => await outcomeOf(async () => {
      const validated = await chain.validateBlock(parseJson(data))
      const { block } = validated
      chain.importBlock(validated).catch((err: unknown) => {
        // Valid, so forwarded; a lost race (ALREADY_KNOWN) is normal, anything else is ours to report.
        if (err instanceof BlockError && err.code === BlockErrorCode.ALREADY_KNOWN) return
        logger.warn(`gossip: block ${block.hash} passed validation but was not imported: ${(err as Error).message}`)
      })
      return { id: block.hash, createdAt: Math.round(block.timestamp * 1000) }
    })
  }
}
