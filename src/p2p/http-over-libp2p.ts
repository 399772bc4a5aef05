// HTTP/1.1 semantics over a libp2p stream (docs/design.md §5, sync): a server that runs a fetch handler
// (a Hono app's `fetch`) on a protocol, and a client that GETs JSON from a peer with a timeout and
// a response-size bound. @libp2p/http-fetch 4 sends only the URL's pathname, so routes take path
// parameters, never query strings.

import { fetch as fetchOverStream } from '@libp2p/http-fetch'
import { readHeaders, STATUS_CODES, streamToRequest, writeHeaders } from '@libp2p/http-utils'
import {
  INBOUND_REQUEST_TIMEOUT_MS, MAX_RESPONSE_BYTES, REQUEST_TIMEOUT_MS, STREAM_READ_BUFFER_BYTES,
  SYNC_MAX_INBOUND_STREAMS, SYNC_MAX_OUTBOUND_STREAMS
} from './constants.js'
import { readCapped, StreamTooLargeError } from '../util/read-capped.js'
import type { ComponentLogger, Logger, PeerId, Startable, Stream, StreamCloseEvent, StreamHandler, StreamHandlerOptions } from '@libp2p/interface'

export type FetchHandler = (req: Request) => Response | Promise<Response>

// ---------------------------------------------------------------------------------------------
// Errors

export enum PeerRequestErrorCode {
  /** The peer did not answer (dial, headers or body) within the timeout. */
  TIMEOUT = 'TIMEOUT',
  /** The response body is larger than the caller allows. */
  TOO_LARGE = 'TOO_LARGE',
  /** The peer answered with a status other than 200. meta.status, meta.remoteCode */
  BAD_STATUS = 'BAD_STATUS',
  /** The body is not JSON. */
  BAD_JSON = 'BAD_JSON',
  /** No stream could be opened, or it broke before a complete response. */
  UNREACHABLE = 'UNREACHABLE'
}

export interface PeerRequestErrorMeta {
  peer: string
  path: string
  status?: number
  /** The `code` of the peer's JSON error body, when it sent one. */
  remoteCode?: string
  limit?: number
}

export class PeerRequestError extends Error {
  constructor (readonly code: PeerRequestErrorCode, message: string, readonly meta: PeerRequestErrorMeta, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'PeerRequestError'
  }
}

class RequestTimeoutError extends Error {
  constructor (message = 'request timed out') {
    super(message)
    this.name = 'TimeoutError'
  }
}

/** Rejects with the signal's reason as soon as it aborts; never leaves the promise unhandled. */
function raceAbort<T> (promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    promise.catch(() => {})
    return Promise.reject(signal.reason)
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => { reject(signal.reason) }
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(
      (value) => { signal.removeEventListener('abort', onAbort); resolve(value) },
      (err) => { signal.removeEventListener('abort', onAbort); reject(err) }
    )
  })
}

// ---------------------------------------------------------------------------------------------
// Server

export interface ServeOptions {
  timeoutMs?: number
  maxResponseBytes?: number
  log?: Logger
}

const encoder = new TextEncoder()

/**
 * Answers one request on `stream` with `handler`. Everything (reading headers, running the handler,
 * writing the body) shares one deadline; on expiry or any error the stream is aborted. Only GET and
 * HEAD are served: the sync protocol is read-only, and refusing bodies keeps memory bounded.
 */
export async function serveHttpStream (stream: Stream, handler: FetchHandler, opts: ServeOptions = {}): Promise<void> {
  const timeoutMs = opts.timeoutMs ?? INBOUND_REQUEST_TIMEOUT_MS
  const maxResponseBytes = opts.maxResponseBytes ?? MAX_RESPONSE_BYTES
  const controller = new AbortController()
  const timer = setTimeout(() => { controller.abort(new RequestTimeoutError(`inbound request not answered within ${timeoutMs} ms`)) }, timeoutMs)
  const signal = controller.signal
  try {
    const info = await readHeaders(stream, { signal })
    let response: Response
    if (info.method !== 'GET' && info.method !== 'HEAD') {
      response = jsonResponse(405, { error: `method ${info.method} is not allowed: the sync protocol is read-only`, code: 'METHOD_NOT_ALLOWED' })
    } else {
      const request = streamToRequest(info, stream)
      try {
        response = await raceAbort(Promise.resolve().then(async () => await handler(request)), signal)
      } catch (err) {
        if (signal.aborted) throw err
        opts.log?.error('sync handler failed - %e', err)
        response = jsonResponse(500, { error: 'the node failed to answer this request', code: 'INTERNAL' })
      }
    }
    await writeResponse(stream, response, maxResponseBytes, signal)
  } catch (err) {
    opts.log?.('inbound request failed - %e', err)
    stream.abort(err instanceof Error ? err : new Error(String(err)))
  } finally {
    clearTimeout(timer)
  }
}

function jsonResponse (status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } })
}

async function writeResponse (stream: Stream, response: Response, maxBytes: number, signal: AbortSignal): Promise<void> {
  // writeHeaders adds `Connection: close`: one request per stream.
  const headers = new Headers(response.headers)
  const head = [`HTTP/1.1 ${response.status} ${STATUS_CODES[response.status] ?? ''}`, ...writeHeaders(headers), '', ''].join('\r\n')
  if (!stream.send(encoder.encode(head))) await stream.onDrain({ signal })
  if (response.body != null) {
    const reader = response.body.getReader()
    let sent = 0
    try {
      while (true) {
        const { done, value } = await raceAbort(reader.read(), signal)
        if (done) break
        sent += value.byteLength
        if (sent > maxBytes) throw new Error(`response body exceeds ${maxBytes} bytes`)
        if (!stream.send(value)) await stream.onDrain({ signal })
      }
    } catch (err) {
      await reader.cancel().catch(() => {})
      throw err
    }
  }
  await stream.close({ signal })
}

export interface HttpOverLibp2pServerInit {
  protocol: string
  handler: FetchHandler
  maxInboundStreams?: number
  maxOutboundStreams?: number
  timeoutMs?: number
  maxResponseBytes?: number
}

export interface HttpOverLibp2pServerComponents {
  registrar: {
    handle(protocol: string, handler: StreamHandler, options?: StreamHandlerOptions): Promise<void>
    unhandle(protocol: string): Promise<void>
  }
  logger: ComponentLogger
}

/** Serves `handler` on `protocol` for the lifetime of the host. */
export class HttpOverLibp2pServer implements Startable {
  private readonly log: Logger

  constructor (private readonly components: HttpOverLibp2pServerComponents, private readonly init: HttpOverLibp2pServerInit) {
    if (typeof init.protocol !== 'string' || !init.protocol.startsWith('/')) throw new TypeError('protocol must be a libp2p protocol id starting with /')
    if (typeof init.handler !== 'function') throw new TypeError('handler must be a function (Request) => Response')
    this.log = components.logger.forComponent('gossipchain:p2p:http-server')
  }

  readonly [Symbol.toStringTag] = 'gossipchain/http-over-libp2p-server'

  async start (): Promise<void> {
    await this.components.registrar.handle(this.init.protocol, (stream) => {
      void serveHttpStream(stream, this.init.handler, {
        timeoutMs: this.init.timeoutMs,
        maxResponseBytes: this.init.maxResponseBytes,
        log: this.log
      })
    }, {
      maxInboundStreams: this.init.maxInboundStreams ?? SYNC_MAX_INBOUND_STREAMS,
      maxOutboundStreams: this.init.maxOutboundStreams ?? SYNC_MAX_OUTBOUND_STREAMS
    })
  }

  async stop (): Promise<void> {
    await this.components.registrar.unhandle(this.init.protocol)
  }
}

export function httpOverLibp2pServer (init: HttpOverLibp2pServerInit): (components: HttpOverLibp2pServerComponents) => HttpOverLibp2pServer {
  return (components) => new HttpOverLibp2pServer(components, init)
}

// ---------------------------------------------------------------------------------------------
// Client

/** Anything that opens a protocol stream to a peer: a `Libp2p` node, or an adapter over components. */
export interface StreamDialer {
  dialProtocol(peer: PeerId, protocols: string | string[], options?: { signal?: AbortSignal }): Promise<Stream>
}

export interface FetchFromPeerOptions {
  /** The libp2p protocol to speak, e.g. syncProtocol(network). */
  protocol: string
  /** Whole request: dial, headers and body. Default REQUEST_TIMEOUT_MS. */
  timeoutMs?: number
  /** Largest body accepted. Default MAX_RESPONSE_BYTES. */
  maxBytes?: number
  signal?: AbortSignal
}

/** Largest error body read to learn the peer's error code. */
const MAX_ERROR_BODY_BYTES = 64 * 1024

/**
 * GETs `path` from the peer and parses the JSON body. Throws PeerRequestError: TIMEOUT, TOO_LARGE,
 * BAD_STATUS (status != 200), BAD_JSON, UNREACHABLE.
 */
export async function fetchFromPeer (dialer: StreamDialer, peerId: PeerId, path: string, opts: FetchFromPeerOptions): Promise<unknown> {
  if (typeof path !== 'string' || !path.startsWith('/') || /[?#\s]/.test(path)) {
    throw new TypeError(`path must start with / and carry no query, fragment or whitespace (http-fetch drops queries), got ${JSON.stringify(path)}`)
  }
  const timeoutMs = opts.timeoutMs ?? REQUEST_TIMEOUT_MS
  const maxBytes = opts.maxBytes ?? MAX_RESPONSE_BYTES
  const meta: PeerRequestErrorMeta = { peer: peerId.toString(), path }
  const timeout = AbortSignal.timeout(timeoutMs)
  const signal = opts.signal != null ? AbortSignal.any([timeout, opts.signal]) : timeout

  const fail = (err: unknown, during: string): PeerRequestError => {
    if (err instanceof PeerRequestError) return err
    if (timeout.aborted) {
      return new PeerRequestError(PeerRequestErrorCode.TIMEOUT, `peer ${meta.peer} did not answer ${path} within ${timeoutMs} ms (${during})`, meta, { cause: err })
    }
    return new PeerRequestError(PeerRequestErrorCode.UNREACHABLE, `peer ${meta.peer} failed on ${path} (${during}): ${(err as Error)?.message ?? String(err)}`, meta, { cause: err })
  }

  let stream: Stream
  const dialing = dialer.dialProtocol(peerId, opts.protocol, { signal })
  try {
    stream = await raceAbort(dialing, signal)
  } catch (err) {
    // A stream that opens after we gave up must not linger.
    dialing.then((late) => { late.abort(new RequestTimeoutError('request abandoned')) }, () => {})
    throw fail(err, 'opening stream')
  }
  // A response may be larger than libp2p's default 4 MiB read buffer.
  stream.maxReadBufferLength = Math.max(stream.maxReadBufferLength ?? 0, maxBytes + 1024 * 1024, STREAM_READ_BUFFER_BYTES)
  const abortStream = (): void => { stream.abort(signal.reason instanceof Error ? signal.reason : new RequestTimeoutError()) }
  signal.addEventListener('abort', abortStream, { once: true })
  // http-fetch only notices a clean end of the remote's write side; a reset (the server gave up, the
  // connection died) would leave it waiting until our deadline. Fail fast instead.
  const broken = new AbortController()
  const onClose = (evt: StreamCloseEvent): void => {
    if (evt.error != null) broken.abort(evt.error)
  }
  stream.addEventListener('close', onClose)
  const race = AbortSignal.any([signal, broken.signal])
  try {
    let response: Response
    try {
      response = await raceAbort(fetchOverStream(stream, `http://libp2p${path}`, { signal }), race)
    } catch (err) {
      throw fail(err, 'reading response headers')
    }

    if (response.status !== 200) {
      let remoteCode: string | undefined
      let remoteError: string | undefined
      try {
        const body = JSON.parse(new TextDecoder().decode(await readCapped(response.body, MAX_ERROR_BODY_BYTES, { signal: race })))
        if (typeof body?.code === 'string') remoteCode = body.code
        if (typeof body?.error === 'string') remoteError = body.error
      } catch {
        // The status alone is the answer.
      }
      throw new PeerRequestError(PeerRequestErrorCode.BAD_STATUS,
        `peer ${meta.peer} answered ${path} with status ${response.status}${remoteError != null ? `: ${remoteError}` : ''}`,
        { ...meta, status: response.status, remoteCode })
    }

    const declared = Number(response.headers.get('content-length') ?? NaN)
    if (declared > maxBytes) throw tooLarge(meta, maxBytes)
    let bytes: Uint8Array
    try {
      bytes = await readCapped(response.body, maxBytes, { signal: race })
    } catch (err) {
      if (err instanceof StreamTooLargeError) throw tooLarge(meta, maxBytes)
      throw fail(err, 'reading response body')
    }
    try {
      return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes))
    } catch (err) {
      throw new PeerRequestError(PeerRequestErrorCode.BAD_JSON, `peer ${meta.peer} answered ${path} with a body that is not JSON`, meta, { cause: err })
    }
  } catch (err) {
    if (stream.status === 'open') stream.abort(err as Error)
    throw err
  } finally {
    signal.removeEventListener('abort', abortStream)
    stream.removeEventListener('close', onClose)
  }
}

function tooLarge (meta: PeerRequestErrorMeta, limit: number): PeerRequestError {
  return new PeerRequestError(PeerRequestErrorCode.TOO_LARGE, `peer ${meta.peer} answered ${meta.path} with more than ${limit} bytes`, { ...meta, limit })
}

