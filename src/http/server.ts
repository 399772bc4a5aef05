// Serve the facade over TCP with @hono/node-server (docs/design.md §7, §12: 127.0.0.1:8000 unless configured),
// over HTTPS when given a certificate and key (browsers give WebCrypto, so wallets and signing, only to
// secure contexts: https, or localhost).
import type { Server } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { createAdaptorServer } from '@hono/node-server'
import type { Hono } from 'hono'

export interface ServeOptions {
  host: string
  /** 0 picks a free port; the bound one is reported. */
  port: number
  /** PEM certificate (chain) and private key: serve HTTPS instead of HTTP. */
  tls?: { cert: string | Buffer, key: string | Buffer }
}

/** The certificate or key cannot serve TLS (not PEM, or they do not belong together). */
export class TlsConfigError extends Error {
  override readonly name = 'TlsConfigError'
}

export interface RunningFacade {
  port: number
  /** 'https' when serving TLS. */
  scheme: 'http' | 'https'
  close(): Promise<void>
}

/** In-flight responses get this long to finish on close; long-lived streams (SSE) are then cut. */
const CLOSE_GRACE_MS = 2000

export async function serveFacade (app: Hono, opts: ServeOptions): Promise<RunningFacade> {
  if (typeof opts?.host !== 'string' || opts.host === '') throw new TypeError('serveFacade: "host" must be a host name or address')
  if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535) throw new TypeError('serveFacade: "port" must be an integer from 0 to 65535')
  let server: Server
  if (opts.tls === undefined) {
    server = createAdaptorServer({ fetch: app.fetch, hostname: opts.host }) as Server
  } else {
    try {
      server = createAdaptorServer({ fetch: app.fetch, hostname: opts.host, createServer: createHttpsServer, serverOptions: { cert: opts.tls.cert, key: opts.tls.key } }) as Server
    } catch (err) {
      throw new TlsConfigError(`the TLS certificate and key cannot serve HTTPS (are they PEM, and does the key belong to the certificate?): ${(err as Error).message}`)
    }
  }
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
