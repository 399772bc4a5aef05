// /register_with and /register_node: turn a `node_address` into a connected, synced peer, within ONE
// deadline for the whole request (docs/design.md §7, §12): reading a facade's /node_info, dialing, and the
// sync that follows. A facade URL is resolved through its /node_info; a multiaddr is dialed directly.
// The client chose the address, so what goes wrong with it is a 4xx, and every way of not reaching a
// gossipchain node there reads the same (no port scanner): PEER_UNREACHABLE.
import { HttpError, HttpErrorCode } from './http-error.js'
import { fetchNodeInfo } from './node-info-client.js'
import { dialCandidates, parseNodeAddress } from './node-address.js'
import type { NetworkApi, PeerSyncSummary } from './types.js'

export interface PeerRegistrationInit {
  network: NetworkApi
  /** This node's network id: a node of another network is refused before dialing. */
  networkId: string
  fetchImpl: typeof fetch
  /** The deadline of the whole registration: /node_info, dial and sync. */
  connectTimeoutMs: number
  /** /node_info alone, within that deadline. */
  nodeInfoTimeoutMs: number
}

export interface Registration {
  peer: string
  sync: PeerSyncSummary
}

export type RegisterPeer = (nodeAddress: unknown, requestSignal: AbortSignal) => Promise<Registration>

export function createPeerRegistration (init: PeerRegistrationInit): RegisterPeer {
  if (typeof init.fetchImpl !== 'function') throw new TypeError('createPeerRegistration: "fetchImpl" must be a function')
  if (!Number.isInteger(init.connectTimeoutMs) || init.connectTimeoutMs <= 0) {
    throw new TypeError('createPeerRegistration: "connectTimeoutMs" must be a positive integer')
  }
  if (!Number.isInteger(init.nodeInfoTimeoutMs) || init.nodeInfoTimeoutMs <= 0) {
    throw new TypeError('createPeerRegistration: "nodeInfoTimeoutMs" must be a positive integer')
  }
  const { network, networkId, fetchImpl, connectTimeoutMs, nodeInfoTimeoutMs } = init

  const unreachable = (candidates: string[]): HttpError =>
    new HttpError(422, HttpErrorCode.PEER_UNREACHABLE, `no gossipchain node answered at ${candidates.join(', ')}`)

  /** Dial the candidates in order until one connects. */
  async function connectFirst (candidates: string[], signal: AbortSignal): Promise<string> {
    for (const addr of candidates) {
      if (signal.aborted) break
      try {
        return await network.connect(addr, signal)
      } catch {
        // The next candidate; why this one failed is not the client's to learn (see above).
      }
    }
    throw unreachable(candidates)
  }

  /** What the sync's outcome means for the client. */
  function answer (peer: string, sync: PeerSyncSummary | undefined, deadline: AbortSignal): Registration {
    if (sync === undefined) {
      if (deadline.aborted) {
        throw new HttpError(422, HttpErrorCode.PEER_TIMEOUT, `connected to ${peer}, but could not sync with it within ${connectTimeoutMs} ms`)
      }
      throw new HttpError(503, HttpErrorCode.SYNC_BUSY, 'this node has no free sync slot for a registration now; try again shortly', {}, { 'Retry-After': '5' })
    }
    switch (sync.outcome) {
      case 'synced':
      case 'up-to-date':
        return { peer, sync }
      case 'wrong-network':
        throw new HttpError(400, HttpErrorCode.NETWORK_MISMATCH, `the node ${peer} is on another network or genesis; it was disconnected`)
      case 'invalid-data':
      case 'lied':
        throw new HttpError(422, HttpErrorCode.PEER_BAD_CHAIN,
          `the node ${peer} served blocks this node refuses (${sync.code ?? sync.outcome}): it was penalised and disconnected`, { syncCode: sync.code ?? '' })
      case 'stopped':
        throw new HttpError(503, HttpErrorCode.NODE_STOPPING, 'this node is stopping')
      default:
        if (deadline.aborted || sync.code === 'SYNC_ABANDONED') {
          throw new HttpError(422, HttpErrorCode.PEER_TIMEOUT, `connected to ${peer}, but could not sync with it within ${connectTimeoutMs} ms`)
        }
        throw new HttpError(422, HttpErrorCode.PEER_SYNC_FAILED, `connected to ${peer}, but the sync with it failed (${sync.code ?? sync.outcome}); it is retried later`,
          { syncCode: sync.code ?? '' })
    }
  }

  return async (nodeAddress, requestSignal) => {
    const address = parseNodeAddress(nodeAddress)
    const self = network.nodeInfo().peerId
    const deadline = AbortSignal.timeout(connectTimeoutMs)
    const signal = AbortSignal.any([deadline, requestSignal])
    let candidates: string[]
    if (address.kind === 'multiaddr') {
      if (address.peerId === self) throw new HttpError(400, HttpErrorCode.BAD_NODE_ADDRESS, '"node_address" names this node itself')
      candidates = [address.multiaddr]
    } else {
      const info = await fetchNodeInfo(address.url, { fetchImpl, signal, timeoutMs: Math.min(nodeInfoTimeoutMs, connectTimeoutMs) })
      if (info.peerId === self) throw new HttpError(400, HttpErrorCode.BAD_NODE_ADDRESS, '"node_address" names this node itself')
      if (info.network !== networkId) {
        throw new HttpError(400, HttpErrorCode.NETWORK_MISMATCH,
          `the node at ${address.url.origin} is on network "${info.network}", this node on "${networkId}"`)
      }
      candidates = dialCandidates(info, address.url)
      if (candidates.length === 0) throw new HttpError(422, HttpErrorCode.PEER_UNREACHABLE, `no gossipchain node answered at ${address.url.origin}`)
    }
    const peer = await connectFirst(candidates, signal)
    return answer(peer, await network.syncWith(peer, signal), deadline)
  }
}
