// The one composition root (docs/design.md §1): builds store, chain, miner, libp2p host with its protocol
// services, and the HTTP facade from a NodeConfig, and runs them under one start()/stop() lifecycle.
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { multiaddr } from '@multiformats/multiaddr'
import { peerIdFromString } from '@libp2p/peer-id'
import { Chain } from './chain/chain.js'
import { ruleErrorOutcome } from './chain/error-outcome.js'
import { Miner } from './chain/miner.js'
import { parseTx } from './core/tx.js'
import { createNodeVerifier } from './core/verifier.js'
import type { Block, Tx } from './core/types.js'
import type { NodeConfig } from './config.js'
import { createApp, type NetworkApi } from './http/app.js'
import { serveFacade } from './http/server.js'
import { createLogger } from './logger.js'
import { TraceWriter } from './metrics/trace.js'
import { syncProtocol } from './p2p/constants.js'
import { gossip, type Gossip, type ValidationOutcome } from './p2p/gossip.js'
import { createHost, type Host } from './p2p/host.js'
import { httpOverLibp2pServer, type HttpOverLibp2pServer } from './p2p/http-over-libp2p.js'
import { loadOrCreatePeerKey } from './p2p/peer-key.js'
import { syncLoop, type SyncLoop } from './p2p/sync-loop.js'
import { createSyncRoutes, syncHandler } from './p2p/sync-routes.js'
import { BlockStore } from './store/block-store.js'

type NodeServices = { gossip: Gossip, syncServer: HttpOverLibp2pServer, syncLoop: SyncLoop }
export type NodeHost = Host<NodeServices>

export interface NodeOptions {
  /** Where the node reports what it does; default one line per message on stdout. */
  log?: (line: string) => void
  /** Wall clock in ms. */
  now?: () => number
}

export interface GossipchainNode {
  readonly chain: Chain
  readonly miner: Miner
  readonly host: NodeHost
  readonly peerId: string
  /** Bound facade address, e.g. http://127.0.0.1:8000 */
  readonly httpUrl: string
  stop(): Promise<void>
}

const decoder = new TextDecoder()

function parseJson (data: Uint8Array): unknown {
  try {
    return JSON.parse(decoder.decode(data))
  } catch {
    return undefined
  }
}

/** Start a node. Everything started here is stopped by the returned node's stop(), also on a failed start. */
export async function startNode (config: NodeConfig, opts: NodeOptions = {}): Promise<GossipchainNode> {
  const logger = createLogger(config.logLevel, opts.log ?? ((line: string) => { process.stdout.write(line + '\n') }))
  const now = opts.now ?? Date.now
  const cleanups: Array<() => Promise<void>> = []
  const stopAll = async (): Promise<void> => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(err => { logger.error(`stop: ${(err as Error).message}`) })
    cleanups.length = 0
  }

  try {
    await mkdir(config.dataDir, { recursive: true })
    const store = await BlockStore.open({ path: join(config.dataDir, 'chain') })
    cleanups.push(async () => await store.close())
    const chain = await Chain.open({
      store, network: config.network, verifier: createNodeVerifier(), now, mempool: config.mempool, legacyTransactions: config.legacyTransactions
    })
    const network = chain.networkId

    const trace = config.trace === undefined ? undefined : await TraceWriter.open(config.trace)
    if (trace !== undefined) cleanups.push(async () => await trace.close())

    // Gossip validators: the chain decides, error-outcome maps (docs/design.md §5 Accept/Ignore/Reject).
    const validate = async (submit: () => Promise<{ id: string, createdAt: number }>): Promise<ValidationOutcome> => {
      try {
        const { id, createdAt } = await submit()
        return { result: 'accept', id, createdAt }
      } catch (err) {
        const outcome = ruleErrorOutcome(err)
        if (outcome === undefined) {
          logger.error(`gossip: internal error while validating: ${(err as Error).stack ?? String(err)}`)
          return { result: 'ignore', code: 'INTERNAL' }
        }
        return { result: outcome.gossip, code: outcome.code, unknownParent: outcome.unknownParent }
      }
    }
    const validateTx = async (data: Uint8Array): Promise<ValidationOutcome> => await validate(async () => {
      // Gossip carries txs in their stored form only: a legacy submission body is not one.
      const tx = await chain.acceptTx(parseTx(parseJson(data)))
      return { id: tx.id, createdAt: Math.round(tx.timestamp * 1000) }
    })
    const validateBlock = async (data: Uint8Array): Promise<ValidationOutcome> => await validate(async () => {
      const { block } = await chain.submitBlock(parseJson(data))
      return { id: block.hash, createdAt: Math.round(block.timestamp * 1000) }
    })

    const syncRoutes = createSyncRoutes(chain)
    const host: NodeHost = await createHost<NodeServices>({
      privateKey: await loadOrCreatePeerKey(config.dataDir),
      listen: [`/ip4/${config.p2pHost}/tcp/${config.p2pPort}`],
      announce: config.announce,
      bootstrap: config.bootstrap,
      network,
      services: {
        gossip: gossip({ network, validateTx, validateBlock, now }),
        syncServer: httpOverLibp2pServer({ protocol: syncProtocol(network), handler: syncHandler(chain) }),
        syncLoop: syncLoop({ network, source: chain, target: chain })
      }
    })
    cleanups.push(async () => await host.stop())
    const peerId = host.peerId.toString()
    const { gossip: gossipService, syncLoop: sync } = host.services

    // A head reached through sync (a healed partition, a late join) reaches no one by gossip by itself:
    // announce it, so peers behind us see an unknown parent and sync from us (Bitcoin's tip announcement).
    sync.addEventListener('sync:finished', (evt) => {
      if (evt.detail.imported === 0) return
      chain.blockAt(chain.height).then(head => {
        if (head !== undefined) publish(`head #${head.index}`, async () => await gossipService.publishBlock(head))
      }, (err: unknown) => { logger.warn(`could not announce the head: ${(err as Error).message}`) })
    })
    chain.on('head', (h) => {
      // During a sync the summary line says it; one line per downloaded block would drown the log.
      const line = `head #${h.index} ${h.hash} (${h.block.transactions.length} txs)`
      if (sync.syncing().length > 0) logger.debug(line)
      else logger.info(line)
    })
    chain.on('reorg', (r) => { logger.info(`reorg at ${r.forkPoint}: ${r.disconnected.length} blocks left, ${r.connected.length} entered, ${r.restoredTxs} txs back to the mempool`) })
    host.addEventListener('peer:connect', (evt) => { logger.debug(`peer connected ${evt.detail.toString()}`) })
    host.addEventListener('peer:disconnect', (evt) => { logger.debug(`peer disconnected ${evt.detail.toString()}`) })
    sync.addEventListener('sync:finished', ({ detail: r }) => {
      const line = `sync with ${r.peer} (${r.reason}): ${r.outcome}, ${r.imported} blocks in ${r.durationMs} ms${r.error === undefined ? '' : ` (${r.error.code})`}`
      if (r.imported > 0 || r.outcome === 'invalid-data' || r.outcome === 'lied') logger.info(line)
      else logger.debug(line)
    })
    gossipService.addEventListener('unknown-parent', (evt) => {
      void sync.requestSync(evt.detail.peerId, 'unknown-parent')
    })
    if (trace !== undefined) {
      gossipService.addEventListener('gossip', (evt) => { trace.write({ type: 'gossip', ...evt.detail }) })
      host.addEventListener('peer:connect', (evt) => { trace.write({ type: 'peer:connect', peer: evt.detail.toString(), at: now() }) })
      host.addEventListener('peer:disconnect', (evt) => { trace.write({ type: 'peer:disconnect', peer: evt.detail.toString(), at: now() }) })
      chain.on('head', (h) => { trace.write({ type: 'head', hash: h.hash, index: h.index, work: h.work.toString(), at: now() }) })
      chain.on('reorg', (r) => { trace.write({ type: 'reorg', ...r, at: now() }) })
      sync.addEventListener('sync:finished', (evt) => { trace.write({ type: 'sync', ...evt.detail, at: now() }) })
    }

    const publish = (what: string, send: () => Promise<unknown>): void => {
      send().catch(err => { logger.warn(`gossip: could not publish ${what}: ${(err as Error).message}`) })
    }
    const miner = new Miner(chain, { onMined: (block) => publish(`block #${block.index}`, async () => await gossipService.publishBlock(block)) })
    cleanups.push(async () => await miner.stop())

    const networkApi: NetworkApi = {
      nodeInfo: () => ({ peerId, addresses: host.getMultiaddrs().map(String), network }),
      peers: () => {
        const byPeer = new Map<string, string[]>()
        for (const conn of host.getConnections()) {
          const id = conn.remotePeer.toString()
          byPeer.set(id, [...(byPeer.get(id) ?? []), conn.remoteAddr.toString()])
        }
        const mesh = gossipService.meshPeers()
        return [...byPeer].map(([id, addresses]) => ({
          peerId: id,
          addresses,
          // Which of our gossip meshes the peer is in: a publish reaches it directly.
          mesh: [...(mesh.tx.includes(id) ? ['tx'] : []), ...(mesh.block.includes(id) ? ['block'] : [])]
        }))
      },
      connect: async (address: string, signal: AbortSignal) => {
        const ma = multiaddr(address)
        const target = ma.getComponents().findLast(c => c.name === 'p2p')?.value
        if (target === undefined) throw new TypeError('the multiaddr must end in /p2p/<peer id>')
        if (target === peerId) throw new TypeError('that address is this node itself')
        await host.dial(ma, { signal })
        await sync.requestSync(peerIdFromString(target), 'manual')
        return target
      },
      publishTx: (tx: Tx) => publish(`tx ${tx.id}`, async () => await gossipService.publishTx(tx)),
      publishBlock: (block: Block) => publish(`block #${block.index}`, async () => await gossipService.publishBlock(block))
    }

    const app = createApp({ chain, miner, network: networkApi, dataDir: config.dataDir, apiToken: config.apiToken, syncRoutes, now })
    const facade = await serveFacade(app, { host: config.httpHost, port: config.httpPort })
    cleanups.push(async () => await facade.close())
    const httpUrl = `http://${config.httpHost.includes(':') ? `[${config.httpHost}]` : config.httpHost}:${facade.port}`

    miner.startAuto(config.mineInterval)

    logger.info(`gossipchain node ${peerId} on network ${network}`)
    logger.info(`chain: height ${chain.height}, head ${chain.head.hash}, ${chain.mempool.count} pending txs, data in ${config.dataDir}`)
    for (const addr of host.getMultiaddrs()) logger.info(`p2p listening on ${addr.toString()}`)
    logger.info(`http facade on ${httpUrl}`)
    if (config.mineInterval > 0) logger.info(`auto-mining pending txs every ${config.mineInterval} ms`)

    return { chain, miner, host, peerId, httpUrl, stop: stopAll }
  } catch (err) {
    await stopAll()
    throw err
  }
}
