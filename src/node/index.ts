// The composition root (docs/design.md §1): createNode(config) builds store, chain, miner, the libp2p
// host with its protocol services and the node's event stream; start() listens (p2p, then the HTTP
// facade) and starts auto-mining; stop() releases everything, in reverse. It wires; the modules work:
// gossip-handlers.ts validates, network-api.ts is what the facade asks of p2p, event-sources.ts feeds
// the event stream, event-log.ts logs from it.
import { mkdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { GossipsubOpts } from '@libp2p/gossipsub'
import type { Hono, MiddlewareHandler } from 'hono'
import { Chain } from '../chain/chain.js'
import { Miner } from '../chain/miner.js'
import { useNativeSha256 } from '../crypto/sha256.js'
import { sharedVerifierPool } from '../crypto/verifier-pool.js'
import type { NodeConfig } from '../config.js'
import { createApp } from '../http/app.js'
import { createUiRoutes } from '../http/routes/ui-routes.js'
import { serveFacade } from '../http/server.js'
import { uiAssets } from '../http/ui-assets.js'
import { createLogger, type Logger } from '../logger.js'
import { createObservability } from '../metrics/observability.js'
import { blockTopic, syncProtocol, txTopic } from '../p2p/constants.js'
import { gossip, type Gossip } from '../p2p/gossip.js'
import { createHost, type Host, type HostInit } from '../p2p/host.js'
import { httpOverLibp2pServer, type HttpOverLibp2pServer } from '../p2p/http-over-libp2p.js'
import { loadOrCreatePeerKey } from '../p2p/peer-key.js'
import { reduceMemorySoon } from '../util/reduce-memory.js'
import { syncLoop, type SyncLoop } from '../p2p/sync-loop.js'
import { createSyncRoutes, syncHandler } from '../p2p/sync-routes.js'
import { BlockStore } from '../store/block-store.js'
import { logEvents } from './event-log.js'
import { connectEventSources } from './event-sources.js'
import { NodeEventStream, type NodeEvents } from './events.js'
import { createGossipHandlers } from './gossip-handlers.js'
import { createNetworkApi, createPublisher } from './network-api.js'

export type { NodeEvent, NodeEvents, NodeEventSubscription, NodeEventType, SubscribeOptions } from './events.js'

type NodeServices = { gossip: Gossip, syncServer: HttpOverLibp2pServer, syncLoop: SyncLoop }
export type NodeHost = Host<NodeServices>

export interface NodeOptions {
  /** Where the node reports what it does; default one line per message on stdout. */
  log?: (line: string) => void
  /** Wall clock in ms. */
  now?: () => number
  /** libp2p's metrics; default @libp2p/prometheus-metrics on the node's own registry (GET /metrics). */
  libp2pMetrics?: HostInit['metrics']
  /** More gossipsub options (e.g. `metricsRegister`), applied last. */
  gossipsub?: Partial<GossipsubOpts>
}

export type NodeState = 'created' | 'starting' | 'started' | 'stopping' | 'stopped'

export interface GossipchainNode {
  readonly config: NodeConfig
  /** The node's typed event stream (src/node/events.ts for the shapes and the subscriber rules). */
  readonly events: NodeEvents
  readonly chain: Chain
  readonly miner: Miner
  /** The libp2p host (created, listening after start()). */
  readonly host: NodeHost
  readonly peerId: string
  readonly logger: Logger
  readonly state: NodeState
  /** The facade's bound address, e.g. http://127.0.0.1:8000; throws before start(). */
  readonly httpUrl: string
  /** The facade app, built by start() (for `app.request()` in tests); throws before start(). */
  readonly app: Hono
  /** Mount a Hono sub-app on the facade at `path` (e.g. '/metrics', '/events', '/'); before start(). */
  mount(path: string, routes: Hono): void
  /** Run `middleware` in front of every facade route, in the order added; before start(). */
  use(middleware: MiddlewareHandler): void
  /** Listen on p2p and HTTP and start auto-mining. On failure, everything is stopped and the error thrown. */
  start(): Promise<void>
  /** Stop and release everything createNode() and start() acquired. Idempotent. */
  stop(): Promise<void>
}

/** The certificate and key files of config tlsCert/tlsKey, or undefined for plain HTTP. */
async function readTlsFiles (config: NodeConfig): Promise<{ cert: Buffer, key: Buffer } | undefined> {
  if (config.tlsCert === undefined || config.tlsKey === undefined) return undefined
  const read = async (path: string, what: string): Promise<Buffer> => await readFile(path).catch((err: NodeJS.ErrnoException) => {
    throw new Error(`cannot read the TLS ${what} ${path}: ${err.code ?? err.message}`)
  })
  return { cert: await read(config.tlsCert, 'certificate'), key: await read(config.tlsKey, 'key') }
}

/**
 * Build a node from its configuration: opens the data dir (store, chain, peer key) and creates the
 * libp2p host, not listening yet. Call start(), then stop(); stop() also releases a node never started.
 */
export async function createNode (config: NodeConfig, opts: NodeOptions = {}): Promise<GossipchainNode> {
  const logger = createLogger(config.logLevel, opts.log ?? ((line: string) => { process.stdout.write(line + '\n') }))
  const now = opts.now ?? Date.now
  const cleanups: Array<() => Promise<void>> = []
  const release = async (): Promise<void> => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(err => { logger.error(`stop: ${(err as Error).message}`) })
  }

  try {
    useNativeSha256() // core's rules hash with OpenSSL in the node (src/core/hash.ts)
    const events = new NodeEventStream({
      now,
      onListenerError: (err, event) => { logger.error(`event listener failed on ${event.type}: ${(err as Error).stack ?? String(err)}`) }
    })
    cleanups.push(async () => { events.close() })

    await mkdir(config.dataDir, { recursive: true })
    const store = await BlockStore.open({ path: join(config.dataDir, 'chain') })
    cleanups.push(async () => await store.close())
    const chain = await Chain.open({
      store, network: config.network, verifier: sharedVerifierPool(), now, mempool: config.mempool, legacyTransactions: config.legacyTransactions,
      log: line => { logger.info(line) }
    })
    const network = chain.networkId

    // /metrics, /events and --trace (src/metrics): one registry per node, fed by the event stream.
    const observability = await createObservability({ config, events, topics: { tx: txTopic(network), block: blockTopic(network) }, logger })
    cleanups.push(async () => await observability.close())

    const handlers = createGossipHandlers({ chain, logger })
    const host: NodeHost = await createHost<NodeServices>({
      start: false,
      privateKey: await loadOrCreatePeerKey(config.dataDir),
      listen: [`/ip4/${config.p2pHost}/tcp/${config.p2pPort}`],
      announce: config.announce,
      bootstrap: config.bootstrap,
      network,
      metrics: opts.libp2pMetrics ?? observability.libp2pMetrics,
      gossipsub: { options: { ...observability.gossipsubOptions, ...opts.gossipsub } },
      services: {
        gossip: gossip({ network, validateTx: handlers.tx, validateBlock: handlers.block, now }),
        syncServer: httpOverLibp2pServer({ protocol: syncProtocol(network), handler: syncHandler(chain) }),
        syncLoop: syncLoop({ network, source: chain, target: chain })
      }
    })
    cleanups.push(async () => await host.stop())
    const peerId = host.peerId.toString()
    const { gossip: gossipService, syncLoop: sync, reputation } = host.services

    const detachSources = connectEventSources(events, { chain, host, gossip: gossipService, sync, reputation, pubsub: host.services.pubsub })
    cleanups.push(async () => { detachSources() })
    logEvents(events, logger, { syncing: () => sync.syncing().length > 0 })
    await observability.attach({ peerId, chain, peerCount: () => host.getPeers().length, meshPeers: () => gossipService.meshPeers() })

    const publish = createPublisher({ gossip: gossipService, logger })
    // A block whose parent we lack: its sender probably has blocks we do not.
    gossipService.addEventListener('unknown-parent', (evt) => { void sync.requestSync(evt.detail.peerId, 'unknown-parent') })
    // A head reached through sync (a healed partition, a late join) reaches no one by gossip by itself:
    // announce it, so peers behind us see an unknown parent and sync from us (Bitcoin's tip announcement).
    sync.addEventListener('sync:finished', (evt) => {
      if (evt.detail.imported === 0) return
      reduceMemorySoon() // the sync's transient heap (parsed batches) is garbage now: give it back
      chain.blockAt(chain.height).then(head => { if (head !== undefined) publish.block(head) },
        (err: unknown) => { logger.warn(`could not announce the head: ${(err as Error).message}`) })
    })

    const miner = new Miner(chain, { threads: config.minerThreads === 'auto' ? undefined : config.minerThreads, onMined: publish.block })
    cleanups.push(async () => await miner.stop())

    const networkApi = createNetworkApi({ host, gossip: gossipService, sync, network, logger }, publish)
    const mounts: Array<{ path: string, routes: Hono }> = [
      { path: '/metrics', routes: observability.metrics.routes },
      { path: '/events', routes: observability.eventsRoute.routes }
    ]
    const middleware: MiddlewareHandler[] = [observability.metrics.httpMiddleware]
    let app: Hono | undefined
    let httpUrl: string | undefined
    let state: NodeState = 'created'
    const beforeStart = (what: string): void => {
      if (state !== 'created') throw new Error(`${what}: the node is ${state}; call it before start()`)
    }

    const start = async (): Promise<void> => {
      beforeStart('start()')
      state = 'starting'
      try {
        app = createApp({
          chain, miner, network: networkApi, dataDir: config.dataDir, apiToken: config.apiToken, syncRoutes: createSyncRoutes(chain), now, middleware,
          // The web page first (/, /items/:item, /ui/*), then what others mounted (/metrics, /events...).
          extraRoutes: [{ path: '/', routes: createUiRoutes({ assets: uiAssets(), publicUrl: config.publicUrl }) }, ...mounts],
          addressBook: config.addressBook, legacyChainView: config.legacyChainView
        })
        const tls = await readTlsFiles(config)
        await host.start()
        const facade = await serveFacade(app, { host: config.httpHost, port: config.httpPort, tls })
        cleanups.push(async () => await facade.close())
        // Runs before the facade closes: its /events streams end now instead of holding the close up.
        cleanups.push(async () => { observability.closeStreams() })
        httpUrl = `${facade.scheme}://${config.httpHost.includes(':') ? `[${config.httpHost}]` : config.httpHost}:${facade.port}`
        miner.startAuto(config.mineInterval)
      } catch (err) {
        await stop()
        throw err
      }
      state = 'started'
      logger.info(`gossipchain node ${peerId} on network ${network}`)
      logger.info(`chain: height ${chain.height}, head ${chain.head.hash}, ${chain.mempool.count} pending txs, data in ${config.dataDir}`)
      for (const addr of host.getMultiaddrs()) logger.info(`p2p listening on ${addr.toString()}`)
      logger.info(`http facade on ${httpUrl}`)
      if (config.mineInterval > 0) logger.info(`auto-mining pending txs every ${config.mineInterval} ms on ${miner.stats.threads} worker threads`)
    }

    let stopping: Promise<void> | undefined
    const stop = async (): Promise<void> => {
      stopping ??= (async () => {
        state = 'stopping'
        await release()
        state = 'stopped'
      })()
      await stopping
    }

    return {
      config,
      events,
      chain,
      miner,
      host,
      peerId,
      logger,
      get state () { return state },
      get httpUrl () {
        if (httpUrl === undefined) throw new Error('httpUrl: the facade listens only after start()')
        return httpUrl
      },
      get app () {
        if (app === undefined) throw new Error('app: the facade is built by start()')
        return app
      },
      mount: (path, routes) => {
        beforeStart('mount()')
        if (typeof path !== 'string' || !path.startsWith('/')) throw new TypeError('mount: "path" must start with /')
        mounts.push({ path, routes })
      },
      use: (handler) => {
        beforeStart('use()')
        if (typeof handler !== 'function') throw new TypeError('use: "middleware" must be a function')
        middleware.push(handler)
      },
      start,
      stop
    }
  } catch (err) {
    await release()
    throw err
  }
}
