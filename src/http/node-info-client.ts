// /register_with reads another facade's /node_info to learn its peer id and addresses. It only dials
// with a timeout and a bounded response size (docs/design.md §7): 5 s, 64 KiB, no redirects.
import { readCapped, StreamTooLargeError } from '../util/read-capped.js'
import { HttpError, HttpErrorCode } from './http-error.js'
import { isValidPeerId } from './node-address.js'

export const NODE_INFO_TIMEOUT_MS = 5000
export const NODE_INFO_MAX_BYTES = 64 * 1024
const MAX_ADDRESSES = 64
const MAX_ADDRESS_CHARS = 1024

export interface RemoteNodeInfo {
  peerId: string
  addresses: string[]
  network: string
}

export interface NodeInfoFetchOptions {
  fetchImpl: typeof fetch
  /** Aborts the whole exchange (e.g. the client went away). */
  signal?: AbortSignal
  timeoutMs?: number
  maxBytes?: number
}

/**
 * Every way /node_info can fail gives this one error (docs/design.md §7): a 4xx, since the client chose
 * the address, and the same sentence for a closed port, an open one that is not a gossipchain node, a
 * timeout or a bad answer, so /register_with cannot be used to scan the node's network. `why` goes to
 * the error's cause (logs), never to the client.
 */
function unreachable (url: URL, why: string): HttpError {
  const err = new HttpError(422, HttpErrorCode.PEER_UNREACHABLE, `no gossipchain node answered at ${url.origin}`)
  Object.defineProperty(err, 'cause', { value: why, enumerable: false })
  return err
}

function badResponse (url: URL, why: string): HttpError {
  return unreachable(url, `answered /node_info with ${why}`)
}

/** The body, at most maxBytes of it (the fetch's signal still bounds the time). */
async function readBody (res: Response, maxBytes: number, url: URL): Promise<Uint8Array> {
  const declared = Number(res.headers.get('content-length') ?? '0')
  if (declared > maxBytes) throw badResponse(url, `more than ${maxBytes} bytes`)
  try {
    return await readCapped(res.body, maxBytes)
  } catch (err) {
    if (err instanceof StreamTooLargeError) throw badResponse(url, `more than ${maxBytes} bytes`)
    throw err
  }
}

function validateNodeInfo (value: unknown, url: URL): RemoteNodeInfo {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw badResponse(url, 'something other than a JSON object')
  const v = value as Record<string, unknown>
  if (typeof v.peerId !== 'string' || !isValidPeerId(v.peerId)) throw badResponse(url, 'no valid "peerId"')
  if (typeof v.network !== 'string') throw badResponse(url, 'no "network"')
  if (!Array.isArray(v.addresses) || v.addresses.length > MAX_ADDRESSES ||
      !v.addresses.every((a): a is string => typeof a === 'string' && a.length <= MAX_ADDRESS_CHARS)) {
    throw badResponse(url, `no "addresses" list of at most ${MAX_ADDRESSES} multiaddr strings`)
  }
  return { peerId: v.peerId, addresses: v.addresses, network: v.network }
}

/** undici says only "fetch failed"; the cause (ECONNREFUSED, ENOTFOUND...) is what a person needs. */
function describeFetchError (err: unknown): string {
  const cause = (err as { cause?: unknown } | undefined)?.cause
  if (cause instanceof Error) return (cause as Error & { code?: string }).code ?? cause.message
  return err instanceof Error ? err.message : String(err)
}

/** GET <url>/node_info; throws a 422 PEER_UNREACHABLE HttpError whatever went wrong. */
export async function fetchNodeInfo (url: URL, opts: NodeInfoFetchOptions): Promise<RemoteNodeInfo> {
  const timeoutMs = opts.timeoutMs ?? NODE_INFO_TIMEOUT_MS
  const maxBytes = opts.maxBytes ?? NODE_INFO_MAX_BYTES
  const target = new URL('node_info', url.href.endsWith('/') ? url : new URL(url.href + '/'))
  const timeout = AbortSignal.timeout(timeoutMs)
  const signal = opts.signal === undefined ? timeout : AbortSignal.any([timeout, opts.signal])
  let body: Uint8Array
  try {
    const res = await opts.fetchImpl(target, { method: 'GET', headers: { accept: 'application/json' }, redirect: 'manual', signal })
    if (res.status !== 200) {
      await res.body?.cancel().catch(() => undefined)
      throw badResponse(url, `HTTP status ${res.status}`)
    }
    body = await readBody(res, maxBytes, url)
  } catch (err) {
    if (err instanceof HttpError) throw err
    throw unreachable(url, timeout.aborted ? `no answer within ${timeoutMs} ms` : describeFetchError(err))
  }
  let value: unknown
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body))
  } catch {
    throw badResponse(url, 'a body that is not JSON')
  }
  return validateNodeInfo(value, url)
}
