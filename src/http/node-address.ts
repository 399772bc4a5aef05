// The `node_address` of /register_with and /register_node: a facade URL (as the original Flask clients
// send, e.g. "http://127.0.0.1:8000") or a libp2p multiaddr ending in /p2p/<peer id>.
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr, type Component } from '@multiformats/multiaddr'
import { HttpError, HttpErrorCode } from './http-error.js'

export const MAX_NODE_ADDRESS_CHARS = 2048
/** Dial at most this many of a node's advertised addresses. */
export const MAX_DIAL_CANDIDATES = 8

export type NodeAddress =
  | { kind: 'url', url: URL }
  | { kind: 'multiaddr', multiaddr: string, peerId: string }

function badAddress (why: string): HttpError {
  return new HttpError(400, HttpErrorCode.BAD_NODE_ADDRESS, `"node_address" ${why}`)
}

export function isValidPeerId (s: string): boolean {
  try {
    peerIdFromString(s)
    return true
  } catch {
    return false
  }
}

/** Parse a multiaddr that ends in a valid /p2p/<id>, with a transport before it; undefined if it is not one. */
export function parseDialableMultiaddr (s: string): { multiaddr: string, peerId: string, components: Component[] } | undefined {
  let components: Component[]
  try {
    components = multiaddr(s).getComponents()
  } catch {
    return undefined
  }
  const last = components[components.length - 1]
  if (components.length < 2 || last?.name !== 'p2p' || last.value === undefined || !isValidPeerId(last.value)) return undefined
  return { multiaddr: multiaddr(s).toString(), peerId: last.value, components }
}

/** Validate the body field; throws 400 BAD_NODE_ADDRESS naming what is wrong. */
export function parseNodeAddress (input: unknown): NodeAddress {
  if (input === undefined) throw badAddress('is required: a facade URL like "http://127.0.0.1:8000" or a multiaddr ending in /p2p/<peer id>')
  if (typeof input !== 'string') throw badAddress(`must be a string, got ${input === null ? 'null' : typeof input}`)
  const s = input.trim()
  if (s === '') throw badAddress('is empty')
  if (s.length > MAX_NODE_ADDRESS_CHARS) throw badAddress(`is longer than ${MAX_NODE_ADDRESS_CHARS} characters`)
  if (s.startsWith('/')) {
    const parsed = parseDialableMultiaddr(s)
    if (parsed === undefined) throw badAddress('is not a multiaddr with a transport that ends in /p2p/<peer id>')
    return { kind: 'multiaddr', multiaddr: parsed.multiaddr, peerId: parsed.peerId }
  }
  let url: URL
  try {
    url = new URL(s)
  } catch {
    throw badAddress('is neither a URL like "http://127.0.0.1:8000" nor a multiaddr')
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw badAddress('must be an http:// or https:// URL')
  if (url.username !== '' || url.password !== '') throw badAddress('must not carry credentials')
  if (url.hostname === '') throw badAddress('has no host')
  url.search = ''
  url.hash = ''
  return { kind: 'url', url }
}

function urlHost (url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase()
}

function isLoopback (host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host)
}

function isUnspecified (host: string): boolean {
  return host === '0.0.0.0' || host === '::'
}

const HOST_PROTOCOLS = new Set(['ip4', 'ip6', 'dns', 'dns4', 'dns6', 'dnsaddr'])

function hostComponentFor (host: string): string {
  if (host === 'localhost') return '/ip4/127.0.0.1' // no DNS lookup needed, and libp2p may not resolve /dns
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(host)) return `/ip4/${host}`
  if (host.includes(':')) return `/ip6/${host}`
  return `/dns/${host}`
}

/**
 * The multiaddrs to dial for a node whose facade is at `url`, best first: addresses on the URL's own
 * host, then (when the URL is loopback) other loopback addresses, then the rest. A wildcard listen
 * address (0.0.0.0) is rewritten to the URL's host; loopback addresses of a remote host are dropped
 * (they would point back at this machine).
 */
export function dialCandidates (info: { peerId: string, addresses: string[] }, url: URL): string[] {
  const host = urlHost(url)
  const ranked: Array<{ addr: string, rank: number }> = []
  for (const raw of info.addresses) {
    let components: Component[]
    try {
      components = multiaddr(raw).getComponents()
    } catch {
      continue
    }
    const last = components[components.length - 1]
    if (last?.name === 'p2p') {
      if (last.value !== info.peerId) continue
      components = components.slice(0, -1)
    }
    const first = components[0]
    if (components.length < 2 || !HOST_PROTOCOLS.has(first.name) || first.value === undefined) continue
    const rest = multiaddr(components.slice(1)).toString()
    const addrHost = first.value.toLowerCase()
    const suffix = `${rest}/p2p/${info.peerId}`
    if (isUnspecified(addrHost)) {
      ranked.push({ addr: hostComponentFor(host) + suffix, rank: 0 })
    } else if (addrHost === host) {
      ranked.push({ addr: multiaddr([first]).toString() + suffix, rank: 0 })
    } else if (isLoopback(addrHost)) {
      if (isLoopback(host)) ranked.push({ addr: multiaddr([first]).toString() + suffix, rank: 1 })
    } else {
      ranked.push({ addr: multiaddr([first]).toString() + suffix, rank: 2 })
    }
  }
  ranked.sort((a, b) => a.rank - b.rank) // stable: keeps the node's own order within a rank
  return [...new Set(ranked.map(r => r.addr))].slice(0, MAX_DIAL_CANDIDATES)
}
