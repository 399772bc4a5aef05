// Serve the facade over TCP (docs/design.md §7, §12: 127.0.0.1:8000 unless configured), over HTTPS when
// given a certificate and key (browsers give WebCrypto, so wallets and signing, only to secure
// contexts: https, or localhost). Every connection is bounded (docs/design.md §12): a cap on
// connections at once (the ones over it get a JSON 503 and are closed), a deadline for the request
// headers and one for the whole request (a slow upload is cut), an idle timeout that also ends a client
// that stops reading, and a JSON body for every error Node's HTTP parser answers itself (431 headers too
// large, 400 bad Content-Length or malformed request, 408 timeout).
import { createServer as createHttpServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo, Socket } from 'node:net'
import { getRequestListener } from '@hono/node-server'
import type { Hono } from 'hono'
import { HttpErrorCode } from './http-error.js'

/** docs/design.md §12 connection bounds of the facade. */
export interface FacadeLimits {
  /** Connections open at once; the ones over it are answered 503 and closed. */
  maxConnections: number
  /** Connections open at once from one client address: one client cannot take every connection. */
  maxConnectionsPerClient: number
  /** The request line and headers must arrive within this. */
  headersTimeoutMs: number
  /** The whole request, body included, must arrive within this: a slow upload is cut. */
  requestTimeoutMs: number
  /** An idle keep-alive connection is closed after this. */
  keepAliveTimeoutMs: number
  /** A connection with no traffic either way for this long is closed (also a client that stopped reading). */
  idleTimeoutMs: number
  /** Request line plus headers, at most. */
  maxHeaderBytes: number
}

/**
 * The defaults. 512 connections, 128 from one address: the node's file descriptors are shared with p2p (a
 * default ulimit is 1024), and a load generator or a reverse proxy on one address still gets plenty. 10 s for headers and 30 s for a whole request: a 2 MiB body (the body limit) then needs ~70 KB/s.
 * 60 s idle: long enough for a quiet event stream between its heartbeats, short enough that a client that
 * stopped reading lets go of its socket within a minute (its memory is bounded by backpressure anyway).
 */
export const DEFAULT_FACADE_LIMITS: Readonly<FacadeLimits> = Object.freeze({
  maxConnections: 512,
  maxConnectionsPerClient: 128,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  idleTimeoutMs: 60_000,
  maxHeaderBytes: 16 * 1024
})

export interface ServeOptions {
  host: string
  /** 0 picks a free port; the bound one is reported. */
  port: number
  /** PEM certificate (chain) and private key: serve HTTPS instead of HTTP. */
  tls?: { cert: string | Buffer, key: string | Buffer }
  limits?: Partial<FacadeLimits>
}

/** The certificate or key cannot serve TLS (not PEM, or they do not belong together). */
export class TlsConfigError extends Error {
  override readonly name = 'TlsConfigError'
}

export interface RunningFacade {
  port: number
  /** 'https' when serving TLS. */
  scheme: 'http' | 'https'
  /** Connections open now. */
  readonly connections: number
  close(): Promise<void>
}

/** In-flight responses get this long to finish on close; long-lived streams (SSE) are then cut. */
const CLOSE_GRACE_MS = 2000

/** A complete HTTP/1.1 response with a JSON error body, for a socket no request handler owns. */
export function rawJsonResponse (status: number, code: string, message: string, extra: Record<string, string> = {}): string {
  const body = JSON.stringify({ error: message, code })
  const headers = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`,
    'Content-Type: application/json; charset=UTF-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
    ...Object.entries(extra).map(([k, v]) => `${k}: ${v}`)
  ]
  return headers.join('\r\n') + '\r\n\r\n' + body
}

/** What Node's HTTP parser refused, as the error a client gets (docs/design.md §7: every error body JSON). */
export function clientErrorResponse (code: string | undefined, limits: Pick<FacadeLimits, 'maxHeaderBytes' | 'headersTimeoutMs' | 'requestTimeoutMs'>): string {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return rawJsonResponse(431, HttpErrorCode.HEADERS_TOO_LARGE, `the request line and headers take more than ${limits.maxHeaderBytes} bytes`)
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return rawJsonResponse(408, HttpErrorCode.REQUEST_TIMEOUT,
        `the request did not arrive in time: headers within ${limits.headersTimeoutMs} ms, all of it within ${limits.requestTimeoutMs} ms`)
    case 'HPE_INVALID_CONTENT_LENGTH':
    case 'HPE_UNEXPECTED_CONTENT_LENGTH':
      return rawJsonResponse(400, HttpErrorCode.BAD_CONTENT_LENGTH, 'the Content-Length header is not a single decimal byte count matching the body')
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return rawJsonResponse(413, HttpErrorCode.BODY_TOO_LARGE, 'the chunk extensions of the body are too large')
    default:
      return rawJsonResponse(400, HttpErrorCode.BAD_REQUEST, `the request is not valid HTTP/1.1${code !== undefined ? ` (${code})` : ''}`)
  }
}

function checkLimits (limits: FacadeLimits): void {
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value < 1) throw new TypeError(`serveFacade: "limits.${name}" must be a positive integer`)
  }
  if (limits.headersTimeoutMs > limits.requestTimeoutMs) throw new TypeError('serveFacade: "limits.headersTimeoutMs" must not exceed "limits.requestTimeoutMs"')
}

export async function serveFacade (app: Hono, opts: ServeOptions): Promise<RunningFacade> {
  if (typeof opts?.host !== 'string' || opts.host === '') throw new TypeError('serveFacade: "host" must be a host name or address')
  if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535) throw new TypeError('serveFacade: "port" must be an integer from 0 to 65535')
  const limits: FacadeLimits = { ...DEFAULT_FACADE_LIMITS, ...opts.limits }
  checkLimits(limits)

  const listener = getRequestListener(app.fetch, {
    hostname: opts.host,
    // A request Node parsed but the adapter cannot turn into a Request (a malformed Host header).
    errorHandler: () => new Response(JSON.stringify({ error: 'the request\'s Host header or target is malformed', code: HttpErrorCode.BAD_HOST }),
      { status: 400, headers: { 'content-type': 'application/json; charset=UTF-8' } })
  }) as (req: IncomingMessage, res: ServerResponse) => Promise<void>
  const serverOptions = {
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    maxHeaderSize: limits.maxHeaderBytes,
    // Node checks the two timeouts above on this interval (default 30 s, longer than the deadlines).
    connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(limits.headersTimeoutMs / 4))),
    // A request without Host takes the bound host; Node's own refusal would have no body.
    requireHostHeader: false
  }
  let server: Server
  if (opts.tls === undefined) {
    server = createHttpServer(serverOptions, listener)
  } else {
    try {
      server = createHttpsServer({ ...serverOptions, cert: opts.tls.cert, key: opts.tls.key }, listener)
    } catch (err) {
      throw new TlsConfigError(`the TLS certificate and key cannot serve HTTPS (are they PEM, and does the key belong to the certificate?): ${(err as Error).message}`)
    }
  }
  server.timeout = limits.idleTimeoutMs

  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    // As Node's default: answer only when no response of ours has started on this socket.
    const inFlight = (socket as Socket & { _httpMessage?: ServerResponse })._httpMessage
    if (err.code !== 'ECONNRESET' && socket.writable && (inFlight == null || !inFlight.headersSent)) {
      socket.end(clientErrorResponse(err.code, limits))
    } else {
      socket.destroy(err)
    }
  })

  // The connection caps: the server's own connection listener runs only for connections under them.
  let open = 0
  const perClient = new Map<string, number>()
  const accept = server.listeners('connection') as Array<(socket: Socket) => void>
  server.removeAllListeners('connection')
  server.on('connection', (socket: Socket) => {
    const client = socket.remoteAddress ?? 'unknown'
    const mine = perClient.get(client) ?? 0
    if (open >= limits.maxConnections || mine >= limits.maxConnectionsPerClient) {
      socket.on('error', () => {})
      socket.resume() // read and drop what it sends, so the answer is not lost in a reset
      setTimeout(() => { socket.destroy() }, 1000).unref()
      if (opts.tls === undefined) {
        const message = open >= limits.maxConnections
          ? `this node serves at most ${limits.maxConnections} connections at once; try again shortly`
          : `this node serves at most ${limits.maxConnectionsPerClient} connections at once to one client address; close some first`
        socket.end(rawJsonResponse(503, HttpErrorCode.TOO_MANY_CONNECTIONS, message, { 'Retry-After': '1' }))
      } else {
        socket.destroy() // no TLS session to speak JSON in yet
      }
      return
    }
    open++
    perClient.set(client, mine + 1)
    socket.once('close', () => {
      open--
      const left = (perClient.get(client) ?? 1) - 1
      if (left <= 0) perClient.delete(client); else perClient.set(client, left)
    })
    for (const handle of accept) handle.call(server, socket)
  })

  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => { reject(err) }
    server.once('error', onError)
    server.listen(opts.port, opts.host, () => {
      server.off('error', onError)
      resolve()
    })
  })
  const port = (server.address() as AddressInfo).port
  let closing: Promise<void> | undefined
  return {
    port,
    scheme: opts.tls === undefined ? 'http' : 'https',
    get connections () { return open },
    close: async () => {
      closing ??= new Promise<void>((resolve, reject) => {
        const force = setTimeout(() => { server.closeAllConnections() }, CLOSE_GRACE_MS)
        force.unref()
        server.close(err => {
          clearTimeout(force)
          if (err !== undefined) reject(err); else resolve()
        })
        server.closeIdleConnections()
      })
      await closing
    }
  }
}
