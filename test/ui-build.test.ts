// The page's bundle (docs/design.md §9): it is made of the same core, wallet and browser-crypto modules as
// the CLI, never of the node's native ones; `npm run build` writes it to dist/public/ and a compiled node
// serves exactly those bytes; a node run from the sources builds it in memory and serves it with an ETag.
import { expect } from 'chai'
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { Hono } from 'hono'
import { createErrorHandler } from '../src/http/error-handler.js'
import { createUiRoutes, CONTENT_SECURITY_POLICY, pageShell } from '../src/http/routes/ui-routes.js'
import { buildUi, PUBLIC_DIR, type UiBuild } from '../src/ui/build.js'
import { killAll, NodeProcess } from '../src/devnet/index.js'

const distCli = fileURLToPath(new URL('../dist/cli.js', import.meta.url))

describe('web page bundle', function () {
  this.timeout(60_000)
  let bundle: UiBuild

  before(async () => { bundle = await buildUi() })
  after(async () => { await killAll() })

  it('holds the modules the CLI signs with (core, wallet) and the browser signer, never the node\'s native crypto', () => {
    const inputs = bundle.inputs.map(p => p.replace(/\\/g, '/'))
    for (const module of ['src/core/tx.ts', 'src/core/merkle.ts', 'src/core/block.ts', 'src/core/record.ts', 'src/wallet/wallet-file.ts', 'src/crypto/browser-ed25519.ts']) {
      expect(inputs.some(p => p.endsWith(module)), module).to.equal(true)
    }
    expect(inputs.filter(p => /src\/crypto\/node-|src\/(store|chain|p2p|node|http|cli)\//.test(p))).to.deep.equal([])
    expect(inputs.filter(p => p.startsWith('node:'))).to.deep.equal([])
    expect(inputs.some(p => p.includes('node_modules/qrcode/'))).to.equal(true)
    expect(bundle['app.js'].length).to.be.above(10_000)
    expect(bundle['app.css'].length).to.be.above(1_000)
  })

  it('serves the shell with the CSP and the bundle with an ETag that answers 304', async () => {
    const routes = new Hono()
    routes.onError(createErrorHandler(err => { throw err }))
    routes.route('/', createUiRoutes({ assets: async () => bundle, publicUrl: 'https://farm.example.org' }))
    for (const path of ['/', '/items/lot-42', `/items/${encodeURIComponent('<script>x</script>')}`]) {
      const res = await routes.request(path)
      expect(res.status).to.equal(200)
      expect(res.headers.get('content-security-policy')).to.equal(CONTENT_SECURITY_POLICY)
      expect(await res.text(), 'the shell never reflects the path').to.equal(pageShell('https://farm.example.org'))
    }
    expect(pageShell('https://x.org/"><script>')).to.include('content="https://x.org/&quot;&gt;&lt;script&gt;"')
    const js = await routes.request('/ui/app.js')
    expect(js.headers.get('content-type')).to.equal('text/javascript; charset=utf-8')
    expect(new Uint8Array(await js.arrayBuffer())).to.deep.equal(bundle['app.js'])
    const again = await routes.request('/ui/app.js', { headers: { 'if-none-match': js.headers.get('etag')! } })
    expect(again.status).to.equal(304)
    expect((await routes.request('/ui/other.js')).status).to.equal(404)
    const unbuilt = new Hono()
    unbuilt.onError(createErrorHandler(err => { throw err }))
    unbuilt.route('/', createUiRoutes({ assets: async () => { throw new Error('dist/public/app.js is missing') } }))
    const missing = await unbuilt.request('/ui/app.js')
    expect(missing.status).to.equal(503)
    expect(await missing.json()).to.include({ code: 'UI_UNAVAILABLE' })
  })

  it('a compiled node (npm run build) serves dist/public as built', async function () {
    const node = await NodeProcess.start() // compiled: dist/ is (re)built from src/ first when stale
    expect(node.child.spawnargs[1]).to.equal(distCli)
    const served = new Uint8Array(await (await fetch(`${node.url}/ui/app.js`)).arrayBuffer())
    expect(served).to.deep.equal(new Uint8Array(await readFile(`${PUBLIC_DIR}/app.js`)))
    expect((await fetch(`${node.url}/`)).headers.get('content-security-policy')).to.equal(CONTENT_SECURITY_POLICY)
  })
})
