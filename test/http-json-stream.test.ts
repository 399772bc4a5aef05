// streamJson (src/http/json-stream.ts) over a real Node HTTP server: the scatter-gather path writes the
// Node response itself, so the headers a route passes must reach the client as they do through Hono's own
// response (GET /pending_tx's Link and X-Total-Count were lost once), and the response is written once.
import '../src/polyfill.js'
import { expect } from 'chai'
import { Hono } from 'hono'
import { createErrorHandler } from '../src/http/error-handler.js'
import { jsonArrayChunks, SINGLE_BODY_BYTES, streamJson } from '../src/http/json-stream.js'
import { serveFacade, type RunningFacade } from '../src/http/server.js'

describe('streamJson over TCP (src/http/json-stream.ts)', () => {
  let facade: RunningFacade | undefined
  let lateErrors: unknown[] = []
  afterEach(async () => {
    await facade?.close()
    facade = undefined
  })

  async function serve (): Promise<string> {
    lateErrors = []
    const app = new Hono()
    app.onError(createErrorHandler(() => {}))
    app.use('*', async (_c, next) => { await next() })
    // ?n= items of ~100 bytes: small bodies take the one-writev path, bodies over SINGLE_BODY_BYTES are streamed.
    app.get('/items', async c => {
      const n = Number(c.req.query('n'))
      const items = Array.from({ length: n }, (_, i) => ({ i, pad: 'x'.repeat(90) }))
      return await streamJson(c, jsonArrayChunks(items), 200, err => { lateErrors.push(err) }, { Link: '</items?from=1>; rel="next"', 'X-Total-Count': String(n) })
    })
    facade = await serveFacade(app, { host: '127.0.0.1', port: 0 })
    return `http://127.0.0.1:${facade.port}`
  }

  for (const [way, n] of [['one writev', 3], ['streamed', Math.ceil(SINGLE_BODY_BYTES / 100) + 10]] as const) {
    it(`${way}: the route's headers reach the client with the body, through a middleware`, async () => {
      const url = await serve()
      const res = await fetch(`${url}/items?n=${n}`)
      expect(res.status).to.equal(200)
      expect(res.headers.get('link')).to.equal('</items?from=1>; rel="next"')
      expect(res.headers.get('x-total-count')).to.equal(String(n))
      expect(res.headers.get('content-type')).to.equal('application/json; charset=UTF-8')
      const body = await res.json() as Array<{ i: number }>
      expect(body.map(x => x.i)).to.deep.equal(Array.from({ length: n }, (_, i) => i))
      // The connection is still good (nothing written twice on it): a second request on it answers too.
      expect((await fetch(`${url}/items?n=1`)).status).to.equal(200)
      expect(lateErrors).to.deep.equal([])
    })
  }
})
