// The facade over a real socket (src/http/server.ts): port 0, real fetch, body limit on the wire.
import { expect } from 'chai'
import { request as httpRequest } from 'node:http'
import { serveFacade, type RunningFacade } from '../src/http/server.js'
import { HttpErrorCode } from '../src/http/http-error.js'
import { makeTx } from './helpers/fixtures.js'
import { GENESIS, NET, openHarness, OTHER_PEER_ID, type Harness } from './http-harness.js'

describe('http facade server', function () {
  let h: Harness
  let facade: RunningFacade
  let base: string

  before(async () => {
    h = await openHarness({ bodyLimitBytes: 64 * 1024 })
    facade = await serveFacade(h.app, { host: '127.0.0.1', port: 0 })
    base = `http://127.0.0.1:${facade.port}`
  })
  after(async () => {
    await facade?.close()
    await h?.close()
  })
  afterEach(() => { expect(h.internalErrors).to.deep.equal([]) })

  it('binds port 0 to a free port and reports it', () => {
    expect(facade.port).to.be.a('number').above(0)
  })

  it('serves GET /health and /chain over TCP', async () => {
    const health = await fetch(`${base}/health`)
    expect(health.status).to.equal(200)
    expect(await health.json()).to.deep.equal({ status: 'ok', height: 0, peers: 1 })
    const chain = await fetch(`${base}/chain`)
    expect(chain.headers.get('content-type')).to.match(/^application\/json/)
    expect((await chain.json()).chain).to.deep.equal([GENESIS])
  })

  it('accepts a tx posted without a Content-Type, as the original clients do', async () => {
    const tx = makeTx(NET, 'over the wire')
    const res = await fetch(`${base}/new_transaction`, { method: 'POST', body: JSON.stringify(tx), headers: { 'content-type': '' } })
    expect(res.status).to.equal(201)
    expect(await res.json()).to.deep.equal({ message: 'Success', id: tx.id })
  })

  it('BODY_TOO_LARGE: by Content-Length and by a chunked body alike', async () => {
    const big = '{"data":"' + 'x'.repeat(70 * 1024) + '"}'
    const declared = await fetch(`${base}/new_transaction`, { method: 'POST', body: big })
    expect(declared.status).to.equal(413)
    expect((await declared.json()).code).to.equal(HttpErrorCode.BODY_TOO_LARGE)

    const chunked = await new Promise<{ status: number, body: string }>((resolve, reject) => {
      const req = httpRequest(`${base}/new_transaction`, { method: 'POST', headers: { 'transfer-encoding': 'chunked' } }, res => {
        let body = ''
        res.setEncoding('utf8')
        res.on('data', (d: string) => { body += d })
        res.on('end', () => { resolve({ status: res.statusCode ?? 0, body }) })
      })
      req.on('error', reject)
      for (let i = 0; i < 80; i++) req.write('x'.repeat(1024))
      req.end()
    })
    expect(chunked.status).to.equal(413)
    expect(JSON.parse(chunked.body).code).to.equal(HttpErrorCode.BODY_TOO_LARGE)
  })

  it('/register_with over TCP hands the network a live abort signal', async () => {
    let abortedAtDial: boolean | undefined
    h.network.connectImpl = async (addr, signal) => { abortedAtDial = signal.aborted; return addr.slice(addr.lastIndexOf('/p2p/') + 5) }
    const res = await fetch(`${base}/register_with`, { method: 'POST', body: JSON.stringify({ node_address: `/ip4/127.0.0.1/tcp/9009/p2p/${OTHER_PEER_ID}` }) })
    expect(res.status).to.equal(200)
    expect(await res.json()).to.deep.equal({ message: 'Registration successful', peer: OTHER_PEER_ID })
    expect(abortedAtDial).to.equal(false)
  })

  it('answers an unknown route with JSON 404', async () => {
    const res = await fetch(`${base}/index.php`)
    expect(res.status).to.equal(404)
    expect((await res.json()).code).to.equal(HttpErrorCode.NOT_FOUND)
  })

  it('refuses a port that is taken, and closes cleanly', async () => {
    let err: unknown
    try { await serveFacade(h.app, { host: '127.0.0.1', port: facade.port }) } catch (e) { err = e }
    expect((err as NodeJS.ErrnoException)?.code).to.equal('EADDRINUSE')
    const other = await serveFacade(h.app, { host: '127.0.0.1', port: 0 })
    await other.close()
    await other.close() // idempotent
    let refused: unknown
    try { await fetch(`http://127.0.0.1:${other.port}/health`) } catch (e) { refused = e }
    expect(refused).to.be.instanceOf(Error)
  })

  it('validates its options', async () => {
    let err: unknown
    try { await serveFacade(h.app, { host: '127.0.0.1', port: 70000 }) } catch (e) { err = e }
    expect(String(err)).to.match(/"port"/)
  })
})
