// The node's log as a subscriber of its event stream: which events are worth a line, at which level.
import type { Logger } from '../logger.js'
import type { NodeEvent, NodeEvents } from './events.js'

export interface EventLogInit {
  /** True while a sync is running: heads it imports are logged at debug (its summary line says it). */
  syncing: () => boolean
}

/** One line per event worth logging; returns the unsubscribe function. */
export function logEvents (events: NodeEvents, logger: Logger, init: EventLogInit): () => void {
  return events.on((event: NodeEvent) => {
    switch (event.type) {
      case 'head': {
        // During a sync one line per downloaded block would drown the log.
        const line = `head #${event.index} ${event.hash} (${event.txs} txs)`
        if (init.syncing()) logger.debug(line)
        else logger.info(line)
        return
      }
      case 'reorg':
        logger.info(`reorg at ${event.forkPoint}: ${event.disconnected.length} blocks left, ${event.connected.length} entered, ${event.restoredTxs} txs back to the mempool`)
        return
      case 'sync': {
        const line = `sync with ${event.peer} (${event.reason}): ${event.outcome}, ${event.imported} blocks in ${event.durationMs} ms${event.code === undefined ? '' : ` (${event.code}${event.ruleCode === undefined ? '' : ` ${event.ruleCode}`})`}`
        if (event.imported > 0 || event.outcome === 'invalid-data' || event.outcome === 'lied') logger.info(line)
        else logger.debug(line)
        return
      }
      case 'peer:connect':
        logger.debug(`peer connected ${event.peer}`)
        return
      case 'peer:disconnect':
        logger.debug(`peer disconnected ${event.peer}`)
        return
      case 'penalty':
        logger.debug(`peer ${event.peer} penalised by ${event.points} for ${event.reason}, score ${event.score.toFixed(1)}`)
        return
      case 'ban':
        logger.warn(`peer ${event.peer} banned until ${new Date(event.untilMs).toISOString()}: ${event.reason}`)
        return
      case 'gossip':
      case 'publish':
      case 'duplicate':
        // One per message: the trace and /events carry them, the log does not.
        return
      case 'graft':
      case 'prune':
      case 'join':
      case 'pubsub:add-peer':
      case 'pubsub:remove-peer':
        // gossipsub's router at work: the trace and /events carry them.
        return
      default: {
        const unknown: never = event
        throw new TypeError(`logEvents: unknown event ${JSON.stringify(unknown)}`)
      }
    }
  })
}
