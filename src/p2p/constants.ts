// Protocol ids, topics and limits of the p2p layer (docs/design.md §5). One place, so a node and its tests
// agree on every bound.
import { checkNetworkId } from '../core/network.js'

/** Gossipsub topic of transactions: payload the tx JSON (docs/design.md §5). */
export function txTopic (network: string): string {
  return `/gossipchain/${checkNetwork(network)}/tx/1`
}

/** Gossipsub topic of mined blocks: payload the block JSON (docs/design.md §5). */
export function blockTopic (network: string): string {
  return `/gossipchain/${checkNetwork(network)}/block/1`
}

/** libp2p protocol of the sync sub-app: HTTP/1.1 semantics over a libp2p stream (docs/design.md §5). */
export function syncProtocol (network: string): string {
  return `/gossipchain/${checkNetwork(network)}/http/1.1`
}

/** The one network-id rule (src/core/network.ts): path-safe characters, at most 64. */
function checkNetwork (network: string): string {
  return checkNetworkId(network, 'network')
}

/** Where the sync routes live, on the TCP facade and on libp2p streams alike. */
export const SYNC_BASE_PATH = '/p2p/v1'

/** Every sync request (status, locate, one batch of blocks) must finish within this. */
export const REQUEST_TIMEOUT_MS = 10_000
/** An inbound sync request must be answered (headers read, handler run, body written) within this. */
export const INBOUND_REQUEST_TIMEOUT_MS = 15_000
/** Most blocks one `/blocks/after` response carries. */
export const MAX_BLOCKS_PER_REQUEST = 256
/** Largest sync response body, both served and accepted. */
export const MAX_RESPONSE_BYTES = 8 * 1024 * 1024
/** Most hashes in one `/locate` request. */
export const MAX_LOCATOR_HASHES = 64
/** Concurrent inbound sync streams per connection. */
export const SYNC_MAX_INBOUND_STREAMS = 4
/** Concurrent outbound sync streams per connection (one sync runs one request at a time). */
export const SYNC_MAX_OUTBOUND_STREAMS = 4
/**
 * libp2p streams abort once 4 MiB sit unread in their buffer; a sync response may be 8 MiB, so the
 * client raises its stream's limit above the largest response.
 */
export const STREAM_READ_BUFFER_BYTES = MAX_RESPONSE_BYTES + 1024 * 1024

/** The periodic sync picks one random peer this often. */
export const SYNC_INTERVAL_MS = 30_000
/** Most background syncs (connect, unknown parent, periodic) running at once; one per peer at most. */
export const MAX_CONCURRENT_SYNCS = 4
/** /register_with syncs at once, on slots background syncs never take (docs/design.md §12). */
export const MAX_MANUAL_SYNCS = 2
/**
 * A sync that has imported nothing for this long gives its slot to a sync waiting for one: a peer that
 * holds a slot without delivering blocks delays an honest one by at most this (docs/design.md §12).
 */
export const SYNC_STALL_MS = 3_000
/**
 * One sync's time budget. What it imported stays and the next sync goes on from there; a sync that
 * imported nothing in all that time was lied to (penalised). Two minutes: ~10^5 empty blocks here.
 */
export const SYNC_TIME_BUDGET_MS = 120_000
/** Sync requests waiting for a slot, per pool; more are turned away (the periodic sync never waits). */
export const SYNC_MAX_WAITING = 64
/** A background sync waits at most this long for a slot. */
export const SYNC_SLOT_WAIT_MS = 30_000
/** A sync stops after this many batches even if the peer keeps serving. */
export const MAX_BATCHES_PER_SYNC = 100_000

/** Gossip payloads: a block is at most 1 MiB serialized (docs/design.md §3); leave room for framing. */
export const MAX_GOSSIP_MESSAGE_BYTES = 1024 * 1024 + 64 * 1024

/**
 * Reputation (our app-specific score, fed to gossipsub's P5 with weight 1): points taken per
 * rejected gossip message. Calibrated with the topics' P4 weight (-1 x rejects^2, src/p2p/host.ts)
 * so that the third reject (about -60, penalties decay a little) crosses BAN_SCORE while gossipsub
 * still reads the peer's messages: after two rejects its gossipsub score is about -44, above the
 * graylist threshold (-80) below which gossipsub silently drops the peer's traffic and our
 * validator would never see the third offence.
 */
export const PENALTY_INVALID_GOSSIP = 20
/**
 * Points taken per gossip message a peer pushes past its fair share of our mempool (an Ignore, not a
 * Reject: the tx is valid). 25 of them within a few minutes (penalties halve every 10 minutes) reach
 * BAN_SCORE: a flood ends in a ban within a second, an honest relay's burst at the edge of its share
 * costs it little and fades.
 */
export const PENALTY_FLOOD = 2
/** A peer that serves invalid blocks or lies about its work in sync is dropped at once. */
export const PENALTY_BAD_SYNC = 100
/** At or below this score a peer is disconnected and refused for BAN_DURATION_MS. */
export const BAN_SCORE = -50
export const BAN_DURATION_MS = 15 * 60_000
/** Penalties fade: the score halves every this many ms, so honest mistakes are forgiven. */
export const REPUTATION_HALF_LIFE_MS = 10 * 60_000

/** Bootstrap redial backoff bounds. */
export const BOOTSTRAP_MIN_BACKOFF_MS = 1_000
export const BOOTSTRAP_MAX_BACKOFF_MS = 60_000
/** While connected, a bootstrap peer is re-checked this often (a missed disconnect event is not fatal). */
export const BOOTSTRAP_CHECK_INTERVAL_MS = 30_000
export const DIAL_TIMEOUT_MS = 10_000

/** Tag names start with libp2p's KEEP_ALIVE ('keep-alive') so the connection manager never prunes them. */
export const TAG_KEEP_ALIVE_BOOTSTRAP = 'keep-alive-gossipchain-bootstrap'
export const TAG_KEEP_ALIVE_SYNC = 'keep-alive-gossipchain-sync'
