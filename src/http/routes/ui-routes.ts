// The web page (docs/design.md §9): GET / and GET /items/:item answer the same HTML shell (no data in
// it, so nothing of an item id is ever reflected into HTML), GET /ui/app.js and /ui/app.css the bundle.
// A strict Content-Security-Policy lets the page load and connect to this origin only: no CDN, no other
// host, no inline script, no plugin, no framing.
import { nodeSha256 } from '../../crypto/sha256.js'
import { Hono, type Context } from 'hono'
import { HttpError, HttpErrorCode } from '../http-error.js'
import type { UiBundle } from '../../ui/build.js'

export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'"
].join('; ')

const PAGE_HEADERS = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cache-Control': 'no-cache'
}

export interface UiRoutesInit {
  /** The page's bundle (src/http/ui-assets.ts loads or builds it); called on each asset request, cached there. */
  assets: () => Promise<UiBundle>
  /** Config publicUrl: the origin QR codes and shared links point at (default: the page's own origin). */
  publicUrl?: string
}

function escapeAttribute (text: string): string {
  return text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

export function pageShell (publicUrl: string | undefined): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="gossipchain-public-url" content="${escapeAttribute(publicUrl ?? '')}">
<title>gossipchain</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/ui/app.css">
<script type="module" src="/ui/app.js"></script>
</head>
<body>
<noscript>This page needs JavaScript: it opens wallets and signs records in your browser.</noscript>
</body>
</html>
`
}

const TYPES: Record<keyof UiBundle, string> = {
  'app.js': 'text/javascript; charset=utf-8',
  'app.css': 'text/css; charset=utf-8'
}

export function createUiRoutes (init: UiRoutesInit): Hono {
  if (typeof init?.assets !== 'function') throw new TypeError('createUiRoutes: "assets" must be a function')
  const shell = pageShell(init.publicUrl)
  const etags = new WeakMap<Uint8Array, string>()
  const routes = new Hono()

  const page = (c: Context): Response => c.html(shell, 200, PAGE_HEADERS)
  routes.get('/', page)
  routes.get('/items/:item', page)

  routes.get('/ui/:file', async c => {
    const name = c.req.param('file')
    if (!Object.hasOwn(TYPES, name)) throw new HttpError(404, HttpErrorCode.NOT_FOUND, `no file ${name} in the page`)
    let bundle: UiBundle
    try {
      bundle = await init.assets()
    } catch (err) {
      throw new HttpError(503, HttpErrorCode.UI_UNAVAILABLE, `the web page is not built (${(err as Error).message}): run npm run build`)
    }
    const bytes = bundle[name as keyof UiBundle]
    let etag = etags.get(bytes)
    if (etag === undefined) {
      etag = `"${Buffer.from(nodeSha256(bytes)).toString('base64url').slice(0, 27)}"`
      etags.set(bytes, etag)
    }
    const headers = { 'Content-Type': TYPES[name as keyof UiBundle], ETag: etag, 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff' }
    if (c.req.header('if-none-match') === etag) return c.body(null, 304, headers)
    return c.body(bytes as Uint8Array<ArrayBuffer>, 200, headers)
  })

  return routes
}
