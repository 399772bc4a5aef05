// What the facade needs from the rest of the node. The p2p layer is seen only through NetworkApi, so
// http never imports src/p2p (docs/design.md §1: p2p and http are siblings over chain).
import type { Hono, MiddlewareHandler } from 'hono'
import type { Chain } from '../chain/chain.js'
import type { Miner } from '../chain/miner.js'
import type { Block, Tx } from '../core/types.js'
import type { InternalErrorLogger } from './error-handler.js'

export interface PeerInfo {
  peerId: string
  /** Multiaddrs the peer is known at (with or without the trailing /p2p/<id>). */
  addresses: string[]
  /** The gossip topics ('tx', 'block') whose mesh holds this peer. */
  mesh?: string[]
}

/** How a sync with a peer ended, as the facade reports it (the sync loop's outcome and error code). */
export interface PeerSyncSummary {
  outcome: 'up-to-date' | 'synced' | 'wrong-network' | 'failed' | 'invalid-data' | 'lied' | 'stopped'
  /** Blocks imported. */
  imported: number
  /** The sync error code (SYNC_*) when it did not end well. */
  code?: string
}

export interface NetworkApi {
  nodeInfo(): { peerId: string, addresses: string[] /* multiaddrs incl. /p2p/<id> */, network: string }
  peers(): PeerInfo[]
  /** Dial a multiaddr that ends in /p2p/<id>; resolves with its peer id once connected. */
  connect(multiaddr: string, signal: AbortSignal): Promise<string>
  /**
   * Sync with a connected peer on a registration's own slot (docs/design.md §12); undefined when no
   * slot was had before `signal` aborted. `signal` also ends the sync.
   */
  syncWith(peerId: string, signal: AbortSignal): Promise<PeerSyncSummary | undefined>
  publishTx(tx: Tx): void
  publishBlock(block: Block): void
}

export interface FacadeDeps {
  chain: Chain
  miner: Miner
  network: NetworkApi
  /** Where /save writes chain-snapshot.json. */
  dataDir: string
  /** When set, admin routes need `Authorization: Bearer <apiToken>`. */
  apiToken?: string
  /** The /p2p/v1 sync sub-app (src/p2p/sync-routes.ts), mounted when given. */
  syncRoutes?: Hono
  /** More sub-apps (UI, /metrics, /events, ...) mounted at their paths after the facade's own routes. */
  extraRoutes?: Array<{ path: string, routes: Hono }>
  /** Middleware run in front of every request, in order, before any route (e.g. HTTP metrics). */
  middleware?: MiddlewareHandler[]
  /** Entity names by Ed25519 public key (config addressBook): GET /address_book, names in CSV exports. */
  addressBook?: Record<string, string>
  /** GET /chain and /pending_tx list only records the original frontend can read (config legacyChainView). */
  legacyChainView?: boolean
  /** Request body cap, default 2 MiB (docs/design.md §7). */
  bodyLimitBytes?: number
  /** Used by /register_with to read a facade's /node_info; injectable for tests. */
  fetchImpl?: typeof fetch
  /** Wall clock in ms. */
  now?: () => number
  /** Where 500s are reported; default console.error. */
  logInternalError?: InternalErrorLogger
  /** /register_with and /register_node: one deadline for all of it (/node_info, dial, sync), default 15 s. */
  connectTimeoutMs?: number
  /** /register_with: deadline for a facade's /node_info answer, default 5 s. */
  nodeInfoTimeoutMs?: number
}

export const DEFAULT_BODY_LIMIT_BYTES = 2 * 1024 * 1024
/** docs/design.md §7: one deadline for a whole /register_with (a 10 s dial and a first sync batch fit). */
export const DEFAULT_CONNECT_TIMEOUT_MS = 15_000
