// The facade over a real socket (src/http/server.ts): port 0, real fetch, body limit on the wire.
import { expect } from 'chai'
import { request as httpRequest } from 'node:http'
import { connect } from 'node:net'
import { serveFacade, type RunningFacade } from '../src/http/server.js'
import { HttpErrorCode } from '../src/http/http-error.js'
import { waitFor } from '../src/devnet/wait.js'
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
    expect(await res.json()).to.deep.equal({ message: 'Registration successful', peer: OTHER_PEER_ID, sync: { outcome: 'up-to-date', imported: 0 } })
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

  describe('connections (defect 5) and error bodies (defect 8): bounds (docs/design.md §12) and Node\'s own errors as JSON (§7)', () => {
    let bounded: RunningFacade

    before(async () => {
      bounded = await serveFacade(h.app, { host: '127.0.0.1', port: 0, limits: { headersTimeoutMs: 300, requestTimeoutMs: 600, maxConnections: 4, idleTimeoutMs: 2000 } })
    })
    after(async () => { await bounded?.close() })

    /** Send raw bytes; resolves with everything the server sent before it closed (or `waitMs` passed). */
    async function raw (data: string, waitMs = 3000): Promise<{ text: string, closed: boolean }> {
      return await new Promise(resolve => {
        const socket = connect(bounded.port, '127.0.0.1')
        let text = ''
        const timer = setTimeout(() => { socket.destroy(); resolve({ text, closed: false }) }, waitMs)
        socket.on('data', d => { text += d.toString() })
        socket.on('error', () => {})
        socket.on('close', () => { clearTimeout(timer); resolve({ text, closed: true }) })
        socket.write(data)
      })
    }

    function jsonOf (text: string): { status: number, body: { error: string, code: string } } {
      const [head, body] = text.split('\r\n\r\n')
      expect(head).to.match(/content-type: application\/json/i)
      return { status: Number(head.split(' ')[1]), body: JSON.parse(body) }
    }

    const cases: Array<[string, string, number, string]> = [
      ['HEADERS_TOO_LARGE: headers over 16 KiB (Node\'s 431)', `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 431, HttpErrorCode.HEADERS_TOO_LARGE],
      ['BAD_CONTENT_LENGTH: a Content-Length that is not a number', 'POST /new_transaction HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n', 400, HttpErrorCode.BAD_CONTENT_LENGTH],
      ['BAD_CONTENT_LENGTH: two Content-Lengths', 'POST /new_transaction HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab', 400, HttpErrorCode.BAD_CONTENT_LENGTH],
      ['BAD_HOST: a malformed Host header', 'GET /health HTTP/1.1\r\nHost: a b\r\nConnection: close\r\n\r\n', 400, HttpErrorCode.BAD_HOST],
      ['BAD_REQUEST: not HTTP at all', 'HELLO\r\n\r\n', 400, HttpErrorCode.BAD_REQUEST],
      ['REQUEST_TIMEOUT: headers that never end (slowloris)', 'GET /health HTTP/1.1\r\nHost: x\r\n', 408, HttpErrorCode.REQUEST_TIMEOUT],
      ['REQUEST_TIMEOUT: a slow upload is cut', 'POST /new_transaction HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"a":', 408, HttpErrorCode.REQUEST_TIMEOUT]
    ]
    for (const [title, request, status, code] of cases) {
      it(title, async () => {
        const { text } = await raw(request)
        const answer = jsonOf(text)
        expect(answer.status).to.equal(status)
        expect(answer.body.code).to.equal(code)
        expect(answer.body.error).to.be.a('string').and.not.equal('')
      })
    }

    it('a request without Host is served (HTTP/1.0 clients), with the bound host', async () => {
      const { text } = await raw('GET /health HTTP/1.0\r\n\r\n')
      expect(text).to.match(/^HTTP\/1\.1 200/)
    })

    it('TOO_MANY_CONNECTIONS (defect 5): connections over the cap get a JSON 503 and are closed; under it, service goes on', async () => {
      const held = await Promise.all(Array.from({ length: 4 }, async () => await new Promise<ReturnType<typeof connect>>(resolve => {
        const s = connect(bounded.port, '127.0.0.1', () => { resolve(s) })
        s.on('error', () => {})
      })))
      try {
        await waitFor('bounded.connections === 4', () => bounded.connections === 4 ? true : undefined, 5000, 10)
        const over = await raw('GET /health HTTP/1.1\r\nHost: x\r\n\r\n')
        expect(over.closed).to.equal(true)
        const answer = jsonOf(over.text)
        expect(answer.status).to.equal(503)
        expect(answer.body.code).to.equal(HttpErrorCode.TOO_MANY_CONNECTIONS)
      } finally {
        for (const s of held) s.destroy()
      }
      await waitFor('bounded.connections === 0', () => bounded.connections === 0 ? true : undefined, 5000, 10)
      expect((await fetch(`http://127.0.0.1:${bounded.port}/health`)).status).to.equal(200)
    })

    it('TOO_MANY_CONNECTIONS per client (defect 5): one address cannot take every connection; another still gets in', async () => {
      const capped = await serveFacade(h.app, { host: '127.0.0.1', port: 0, limits: { maxConnections: 10, maxConnectionsPerClient: 2 } })
      const from = async (localAddress: string): Promise<ReturnType<typeof connect>> => await new Promise(resolve => {
        const s = connect({ port: capped.port, host: '127.0.0.1', localAddress }, () => { resolve(s) })
        s.on('error', () => {})
      })
      const held = [await from('127.0.0.2'), await from('127.0.0.2')]
      try {
        await waitFor('capped.connections === 2', () => capped.connections === 2 ? true : undefined, 5000, 10)
        const third = await from('127.0.0.2')
        const answer = await new Promise<string>(resolve => {
          let text = ''
          third.on('data', d => { text += d.toString() })
          third.on('close', () => { resolve(text) })
          third.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\n')
        })
        expect(answer).to.match(/^HTTP\/1\.1 503/)
        expect(JSON.parse(answer.split('\r\n\r\n')[1]).code).to.equal(HttpErrorCode.TOO_MANY_CONNECTIONS)
        expect((await fetch(`http://127.0.0.1:${capped.port}/health`)).status).to.equal(200) // from 127.0.0.1
      } finally {
        for (const s of held) s.destroy()
        await capped.close()
      }
    })

    it('an idle connection (a client that sends nothing, or stops reading) is closed after the idle timeout', async () => {
      const started = Date.now()
      const idle = await raw('', 5000)
      expect(idle.closed).to.equal(true)
      expect(Date.now() - started).to.be.below(4000)
    })
  })
})
