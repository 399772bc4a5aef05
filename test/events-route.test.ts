// GET /events (src/metrics/events-route.ts): Server-Sent Events of the node's event stream. A client
// sees gossip from other nodes; a slow, stalled or vanished client is dropped without harm to the node
// or to other clients; the number of clients is capped; heartbeats keep idle streams alive.
import { expect } from 'chai'
import { connect as netConnect, type Socket } from 'node:net'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { Hono } from 'hono'
import { createErrorHandler } from '../src/http/error-handler.js'
import { serveFacade, type RunningFacade } from '../src/http/server.js'
import { createEventsRoute, type EventClientEnd, type EventsRoute } from '../src/metrics/events-route.js'
import { NodeEventStream, type NodeEvent } from '../src/node/events.js'
import { makeTx } from './helpers/fixtures.js'
import { connect, networkIdOf, NodeProcess, stopAll, waitFor, waitForMesh } from '../src/devnet/index.js'

/** A minimal SSE reader over fetch: data events parsed as JSON, comments kept. */
class SseClient {
  readonly events: NodeEvent[] = []
  readonly comments: string[] = []
  /** Events received (kept in `events` unless `keep` is false). */
  count = 0
  /** Called with each event. */
  onEvent: ((event: NodeEvent) => void) | undefined
  keep = true
  ended = false
  private readonly abort = new AbortController()
  private constructor (readonly response: Response) {}

  static async open (url: string): Promise<SseClient> {
    const controller = new AbortController()
    const response = await fetch(url, { signal: controller.signal })
    const client = new SseClient(response)
    ;(client as unknown as { abort: AbortController }).abort = controller
    if (response.ok) void client.pump()
    return client
  }

  private async pump (): Promise<void> {
    const decoder = new TextDecoder()
    let buffer = ''
    try {
      for await (const chunk of this.response.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true })
        let end: number
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end)
          buffer = buffer.slice(end + 2)
          const data = block.split('\n').filter(l => l.startsWith('data: ')).map(l => l.slice(6)).join('\n')
          if (data !== '') {
            const event = JSON.parse(data) as NodeEvent
            this.count++
            this.onEvent?.(event)
            if (this.keep) this.events.push(event)
          }
          for (const line of block.split('\n')) if (line.startsWith(':')) this.comments.push(line.slice(1).trim())
        }
      }
    } catch {}
    this.ended = true
  }

  close (): void {
    this.abort.abort()
  }
}

/**
 * A raw HTTP client that asks for the stream and then never reads (the stalled client) until resumed;
 * `events()` counts the SSE events it received (data lines), so a test can tell what the socket took.
 */
async function stalledClient (port: number, path = '/events'): Promise<{ socket: Socket, closed: Promise<void>, events: () => number }> {
  const socket = netConnect(port, '127.0.0.1')
  await new Promise<void>((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject) })
  const closed = new Promise<void>(resolve => { socket.once('close', () => resolve()) })
  socket.on('error', () => {})
  let count = 0
  let tail = ''
  socket.on('data', (chunk: Buffer) => {
    const text = tail + chunk.toString('latin1')
    count += text.split('\ndata: ').length - 1
    tail = text.slice(-6) // a marker cut between two chunks is counted with the next one
  })
  socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`)
  // Read the status line, then stop reading until the test resumes the socket.
  await new Promise<void>(resolve => socket.once('data', () => resolve()))
  socket.pause()
  return { socket, closed, events: () => count }
}

/** A ~4 KB event (a reorg with many hashes), so that megabytes are quick to produce. */
function bigEvent (i: number): Parameters<NodeEventStream['emit']>[0] {
  const hash = i.toString(16).padStart(64, '0')
  return { type: 'reorg', forkPoint: hash, disconnected: new Array(30).fill(hash), connected: new Array(30).fill(hash), restoredTxs: i }
}

const tick = async (): Promise<void> => { await new Promise(resolve => setImmediate(resolve)) }

/** The heap in use after a full collection: what is retained, not garbage waiting. */
function retainedHeap (): number {
  setFlagsFromString('--expose-gc')
  ;(runInNewContext('gc') as () => void)()
  return process.memoryUsage().heapUsed
}

describe('GET /events (src/metrics/events-route.ts)', function () {
  this.timeout(60_000)

  describe('on a stream of events, served over TCP', function () {
    let events: NodeEventStream
    let route: EventsRoute
    let facade: RunningFacade | undefined
    let ends: EventClientEnd[]
    let serverSocket: Socket | undefined
    const serve = async (opts: Omit<Parameters<typeof createEventsRoute>[0], 'events' | 'onClientEnd'> = {}): Promise<string> => {
      events = new NodeEventStream()
      ends = []
      route = createEventsRoute({ ...opts, events, onClientEnd: reason => { ends.push(reason) } })
      const app = new Hono()
      app.onError(createErrorHandler(() => {}))
      // The server's side of the last /events connection (@hono/node-server hands it over in c.env).
      app.use('/events', async (c, next) => {
        serverSocket = (c.env as { outgoing?: { socket?: Socket } } | undefined)?.outgoing?.socket ?? undefined
        await next()
      })
      app.get('/health', c => c.json({ ok: true }))
      app.route('/events', route.routes)
      facade = await serveFacade(app, { host: '127.0.0.1', port: 0 })
      return `http://127.0.0.1:${facade.port}`
    }
    afterEach(async () => {
      route?.close()
      await facade?.close()
      facade = undefined
    })

    it('streams every event as one JSON data line, and ?types= filters (400 on an unknown type)', async () => {
      const url = await serve()
      const all = await SseClient.open(`${url}/events`)
      const heads = await SseClient.open(`${url}/events?types=head,ban`)
      expect(all.response.headers.get('content-type')).to.equal('text/event-stream')
      await waitFor('two subscribers', () => events.subscriberCount === 2 ? true : undefined)
      events.emit({ type: 'head', hash: 'h', index: 1, work: '256', txs: 0 })
      events.emit({ type: 'peer:connect', peer: 'p' })
      events.emit({ type: 'ban', peer: 'p', reason: 'r', untilMs: 9 })
      await waitFor('all three events', () => all.events.length === 3 ? true : undefined)
      await waitFor('the filtered two', () => heads.events.length === 2 ? true : undefined)
      expect(all.events.map(e => e.type)).to.deep.equal(['head', 'peer:connect', 'ban'])
      expect(all.events[0]).to.include({ type: 'head', hash: 'h', index: 1, work: '256', txs: 0 })
      expect(all.events[0].at).to.be.a('number')
      expect(heads.events.map(e => e.type)).to.deep.equal(['head', 'ban'])
      expect(all.comments[0]).to.equal('gossipchain events')

      const bad = await fetch(`${url}/events?types=head,nonsense`)
      expect(bad.status).to.equal(400)
      expect(await bad.json()).to.include({ code: 'BAD_QUERY' })
      all.close()
      heads.close()
      await waitFor('both unsubscribed', () => events.subscriberCount === 0 ? true : undefined)
    })

    it('caps the number of clients with 503 TOO_MANY_EVENT_CLIENTS, and frees the slot when one leaves', async () => {
      const url = await serve({ maxClients: 2 })
      const one = await SseClient.open(`${url}/events`)
      const two = await SseClient.open(`${url}/events`)
      const three = await fetch(`${url}/events`)
      expect(three.status).to.equal(503)
      expect(three.headers.get('retry-after')).to.equal('10')
      expect(await three.json()).to.include({ code: 'TOO_MANY_EVENT_CLIENTS' })
      one.close()
      await waitFor('the slot to free', () => route.clients === 1 ? true : undefined)
      const four = await SseClient.open(`${url}/events`)
      expect(four.response.status).to.equal(200)
      two.close()
      four.close()
    })

    it('sends heartbeats on an idle stream', async () => {
      const url = await serve({ heartbeatMs: 100 })
      const client = await SseClient.open(`${url}/events`)
      await waitFor('three heartbeats', () => client.comments.filter(c => c === 'heartbeat').length >= 3 ? true : undefined, 5000, 20)
      client.close()
    })

    // Robust under load and whatever the kernel's socket buffers: no deadline on when the drop comes, no
    // fixed amount "enough to fill the buffers". Events go out until the stalled client is dropped; then
    // what its socket took (counted once it reads again) tells exactly how far behind it was.
    it('drops a client that stops reading once it falls `capacity` events behind: no harm to the node or to a reading client, memory bounded', async () => {
      const capacity = 1000
      const url = await serve({ capacity })
      const reader = await SseClient.open(`${url}/events?types=reorg`)
      reader.keep = false
      let inOrder = true
      reader.onEvent = (e) => { if (e.type !== 'reorg' || e.restoredTxs !== reader.count - 1) inOrder = false }
      const stalled = await stalledClient(facade!.port)
      await waitFor('both subscribed', () => events.subscriberCount === 2 ? true : undefined)
      const heapBefore = retainedHeap()
      let heapMax = heapBefore
      // Emitted when the stalled client's subscription overflowed: it leaves the stream inside that emit.
      let emittedAtOverflow: number | undefined
      let emitted = 0
      const limit = 200_000 // ~800 MB: far more than any socket buffers (loopback's took 7-17 MB here)
      while (emittedAtOverflow === undefined) {
        expect(emitted, 'events emitted without the stalled client being dropped').to.be.below(limit)
        for (let i = 0; i < 100 && emittedAtOverflow === undefined; i++) {
          events.emit(bigEvent(emitted++))
          if (events.subscriberCount < 2) emittedAtOverflow = emitted
        }
        // The reading client is never the one behind: wait for it (a condition, not a time).
        await tick()
        await waitFor('the reading client to keep up', () => reader.count >= emitted - capacity / 2 ? true : undefined, 30_000, 1)
        if (emitted % 1000 === 0) heapMax = Math.max(heapMax, retainedHeap())
        // The node answers other requests meanwhile.
        if (emitted % 2000 === 0) expect((await fetch(`${url}/health`)).status).to.equal(200)
      }
      await waitFor('the stalled client to be dropped', () => ends.includes('overflow') ? true : undefined)
      // Events emitted after the drop reach the reader alone.
      for (let i = 0; i < 100; i++) events.emit(bigEvent(emitted++))
      stalled.socket.resume() // it reads what its socket took, then finds the connection closed by the server
      await stalled.closed
      await waitFor('the reading client to get every event', () => reader.count === emitted ? true : undefined, 30_000)
      expect(inOrder, 'the reading client got every event in order').to.equal(true)
      expect(route.clients).to.equal(1)
      expect(events.subscriberCount).to.equal(1)
      expect(ends).to.deep.equal(['overflow'])
      // Dropped exactly when `capacity` events were queued behind what its socket had taken: at least
      // capacity + 1 behind what it received, and no more than a few writes in flight beyond that (the
      // chunks Node and hono held when the socket was closed: 64 events = 256 KB is generous).
      const received = stalled.events()
      expect(emittedAtOverflow - received, 'events behind when dropped').to.be.at.least(capacity + 1)
      expect(emittedAtOverflow - received, 'events behind when dropped').to.be.at.most(capacity + 64)
      // What a stalled client holds in the heap: `capacity` events (~4 MB here) and a chunk or two in flight.
      expect(heapMax - heapBefore, 'retained heap while a client was stalled').to.be.below(16 * 1024 * 1024)
      reader.close()
    })

    it('drops a client whose write has been stuck for `stallMs`, even when events trickle', async () => {
      const url = await serve({ capacity: 100_000, stallMs: 300, heartbeatMs: 100 })
      const stalled = await stalledClient(Number(new URL(url).port))
      await waitFor('subscribed', () => events.subscriberCount === 1 ? true : undefined)
      // Events go out in batches while the socket takes them, however large the kernel makes its buffers;
      // once Node holds bytes the kernel would not take (the write is stuck), only a trickle follows, and
      // the stuck write is noticed after `stallMs`. The queue (100,000) never overflows first.
      let emitted = 0
      await waitFor('the stalled client to be dropped', () => {
        if (ends.length > 0) return true
        const stuck = serverSocket !== undefined && serverSocket.writableLength > 0
        for (let i = 0; i < (stuck ? 1 : 200); i++) events.emit(bigEvent(emitted++))
        return undefined
      }, 60_000, 5)
      expect(ends).to.deep.equal(['stalled'])
      stalled.socket.resume()
      await stalled.closed
      expect(events.subscriberCount).to.equal(0)
    })

    it('a client that goes away is unsubscribed; stopping the node ends every stream', async () => {
      const url = await serve()
      const going = await SseClient.open(`${url}/events`)
      const staying = await SseClient.open(`${url}/events`)
      await waitFor('two subscribers', () => events.subscriberCount === 2 ? true : undefined)
      going.close()
      await waitFor('one subscriber', () => events.subscriberCount === 1 ? true : undefined)
      expect(ends).to.deep.equal(['disconnected'])
      events.emit({ type: 'peer:connect', peer: 'p' })
      events.close() // the node stops
      await waitFor('the stream to end', () => staying.ended ? true : undefined)
      expect(staying.events.map(e => e.type)).to.deep.equal(['peer:connect'])
    })
  })

  describe('on real node processes', function () {
    this.timeout(120_000)
    after(async () => { await stopAll() })

    it('a client of node b sees the gossip event of a tx posted to node a', async () => {
      const a = await NodeProcess.start()
      const b = await NodeProcess.start({ bootstrap: [a.multiaddr] })
      await connect(b, a)
      await waitForMesh(b, a)
      const client = await SseClient.open(`${b.url}/events?types=gossip`)
      expect(client.response.status).to.equal(200)
      await waitFor('the stream to open', () => client.comments.length > 0 ? true : undefined)
      const tx = makeTx(await networkIdOf(a), 'watched record', { timestamp: Math.floor(Date.now() / 1000) })
      expect((await a.post('/new_transaction', tx)).status).to.equal(201)
      const seen = await waitFor('the gossip event on b', () => client.events.find(e => e.type === 'gossip' && e.id === tx.id))
      expect(seen).to.include({ type: 'gossip', topic: 'tx', id: tx.id, from: a.peerId, result: 'accept', createdAt: tx.timestamp * 1000 })
      client.close()
    })
  })
})
