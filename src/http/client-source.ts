// Who a facade client is, for the mempool's fair shares (docs/design.md §12): its IP address as the
// socket reports it. Behind a reverse proxy every client shares the proxy's address (and its share);
// forwarded headers are not trusted, since any client can write them.
import type { Context } from 'hono'

/** `http:<remote address>`, or `http:unknown` without a socket (app.request() in tests). */
export function clientSource (c: Context): string {
  const incoming = (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming
  return `http:${incoming?.socket?.remoteAddress ?? 'unknown'}`
}
