// /register_with and /register_node: turn a `node_address` into a connected, synced peer. A facade URL
// is resolved through its /node_info; a multiaddr is dialed directly. Every step has a deadline.
import { HttpError, HttpErrorCode } from './http-error.js'
import { fetchNodeInfo } from './node-info-client.js'
import { dialCandidates, parseNodeAddress } from './node-address.js'
import type { NetworkApi } from './types.js'

export interface PeerRegistrationInit {
  network: NetworkApi
  /** This node's network id: a node of another network is refused before dialing. */
  networkId: string
  fetchImpl: typeof fetch
  connectTimeoutMs: number
  nodeInfoTimeoutMs: number
}

export type RegisterPeer = (nodeAddress: unknown, requestSignal: AbortSignal) => Promise<string>

function describe (err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

export function createPeerRegistration (init: PeerRegistrationInit): RegisterPeer {
  if (typeof init.fetchImpl !== 'function') throw new TypeError('createPeerRegistration: "fetchImpl" must be a function')
  if (!Number.isInteger(init.connectTimeoutMs) || init.connectTimeoutMs <= 0) {
    throw new TypeError('createPeerRegistration: "connectTimeoutMs" must be a positive integer')
  }
  if (!Number.isInteger(init.nodeInfoTimeoutMs) || init.nodeInfoTimeoutMs <= 0) {
    throw new TypeError('createPeerRegistration: "nodeInfoTimeoutMs" must be a positive integer')
  }
  const { network, networkId, fetchImpl, connectTimeoutMs, nodeInfoTimeoutMs } = init

  /** Dial the candidates in order until one connects; 502 with the last failure otherwise. */
  async function connectFirst (candidates: string[], requestSignal: AbortSignal): Promise<string> {
    const timeout = AbortSignal.timeout(connectTimeoutMs)
    const signal = AbortSignal.any([timeout, requestSignal])
    let lastError: unknown
    for (const addr of candidates) {
      if (signal.aborted) break
      try {
        return await network.connect(addr, signal)
      } catch (err) {
        lastError = err
      }
    }
    if (timeout.aborted) {
      throw new HttpError(502, HttpErrorCode.PEER_TIMEOUT, `could not connect and sync within ${connectTimeoutMs} ms (tried ${candidates.join(', ')})`)
    }
    throw new HttpError(502, HttpErrorCode.PEER_UNREACHABLE, `could not connect to ${candidates.join(', ')}: ${describe(lastError)}`)
  }

  return async (nodeAddress, requestSignal) => {
    const address = parseNodeAddress(nodeAddress)
    const self = network.nodeInfo().peerId
    if (address.kind === 'multiaddr') {
      if (address.peerId === self) throw new HttpError(400, HttpErrorCode.BAD_NODE_ADDRESS, '"node_address" names this node itself')
      return await connectFirst([address.multiaddr], requestSignal)
    }
    const info = await fetchNodeInfo(address.url, { fetchImpl, signal: requestSignal, timeoutMs: nodeInfoTimeoutMs })
    if (info.peerId === self) throw new HttpError(400, HttpErrorCode.BAD_NODE_ADDRESS, '"node_address" names this node itself')
    if (info.network !== networkId) {
      throw new HttpError(400, HttpErrorCode.NETWORK_MISMATCH,
        `the node at ${address.url.origin} is on network "${info.network}", this node on "${networkId}"`)
    }
    const candidates = dialCandidates(info, address.url)
    if (candidates.length === 0) {
      throw new HttpError(502, HttpErrorCode.PEER_UNREACHABLE, `the node at ${address.url.origin} advertises no address this node can dial`)
    }
    return await connectFirst(candidates, requestSignal)
  }
}
