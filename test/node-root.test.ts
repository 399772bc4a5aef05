// The composition root in-process (src/node/index.ts, docs/design.md §1): createNode() then start()/stop(),
// sub-apps and middleware on the facade, and the event stream fed by chain, gossip, sync and libp2p.
import { expect } from 'chai'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { multiaddr } from '@multiformats/multiaddr'
import { Hono } from 'hono'
import { loadConfig, type NodeConfig } from '../src/config.js'
import type { Tx } from '../src/core/types.js'
import { createNode, type GossipchainNode, type NodeEvent } from '../src/node/index.js'
import { makeTx } from './helpers/fixtures.js'
import { nodeSha256Hex } from '../src/crypto/sha256.js'
import { waitFor } from '../src/devnet/wait.js'

const dirs: string[] = []
const nodes: GossipchainNode[] = []

async function config (flags: Record<string, unknown> = {}): Promise<NodeConfig> {
  const dataDir = await mkdtemp(join(tmpdir(), 'gossipchain-root-'))
  dirs.push(dataDir)
  return loadConfig({
    env: {},
    flags: { dataDir, httpHost: '127.0.0.1', httpPort: 0, p2pHost: '127.0.0.1', p2pPort: 0, bits: 8, logLevel: 'silent', ...flags }
  })
}

async function node (flags: Record<string, unknown> = {}): Promise<GossipchainNode> {
  const n = await createNode(await config(flags), { log: () => {} })
  nodes.push(n)
  return n
}

/** Record every event of `n` from now on. */
function record (n: GossipchainNode): NodeEvent[] {
  const seen: NodeEvent[] = []
  n.events.on(e => { seen.push(e) })
  return seen
}

async function post (n: GossipchainNode, path: string, body?: unknown): Promise<{ status: number, body: any }> {
  const res = await fetch(n.httpUrl + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) })
  return { status: res.status, body: await res.json() }
}

function freshTx (n: GossipchainNode, data: string): Tx {
  return makeTx(n.chain.networkId, data, { timestamp: Math.floor(Date.now() / 1000) })
}


describe('createNode (src/node/index.ts)', function () {
  this.timeout(60_000)
  afterEach(async () => {
    await Promise.all(nodes.splice(0).map(async n => { await n.stop() }))
    await Promise.all(dirs.splice(0).map(async d => { await rm(d, { recursive: true, force: true }) }))
  })

  it('builds without listening; start() serves the facade with mounted sub-apps and middleware in front of every route', async () => {
    const n = await node()
    expect(n.state).to.equal('created')
    expect(() => n.httpUrl).to.throw('start()')
    expect(n.chain.height).to.equal(0)
    expect(n.host.status).to.not.equal('started')

    const extra = new Hono().get('/hello', c => c.json({ hello: n.peerId }))
    n.mount('/extra', extra)
    const seen: string[] = []
    n.use(async (c, next) => { await next(); seen.push(`${c.req.method} ${c.req.path} ${c.res.status}`) })
    await n.start()
    expect(n.state).to.equal('started')
    expect(n.host.status).to.equal('started')
    expect(n.httpUrl).to.match(/^http:\/\/127\.0\.0\.1:\d+$/)

    expect(await (await fetch(`${n.httpUrl}/extra/hello`)).json()).to.deep.equal({ hello: n.peerId })
    expect((await (await fetch(`${n.httpUrl}/node_info`)).json()).peerId).to.equal(n.peerId)
    expect((await fetch(`${n.httpUrl}/nowhere`)).status).to.equal(404)
    expect(seen).to.deep.equal(['GET /extra/hello 200', 'GET /node_info 200', 'GET /nowhere 404'])
    expect((await n.app.request('/health')).status).to.equal(200)

    expect(() => { n.mount('/late', new Hono()) }).to.throw('before start()')
    expect(() => { n.use(async (_c, next) => { await next() }) }).to.throw('before start()')
    await n.stop()
    expect(n.state).to.equal('stopped')
    await n.stop() // idempotent
    let restart: unknown
    await n.start().catch((err: unknown) => { restart = err })
    expect(String(restart)).to.include('the node is stopped')
  })

  it('stop() releases a node that never started (the data dir opens again)', async () => {
    const cfg = await config()
    const first = await createNode(cfg, { log: () => {} })
    await first.stop()
    const second = await createNode(cfg, { log: () => {} })
    nodes.push(second)
    expect(second.peerId).to.equal(first.peerId) // same peer key on disk
  })

  it('a failed start() stops what it started and throws', async () => {
    const a = await node()
    await a.start()
    const port = Number(new URL(a.httpUrl).port)
    const b = await node({ httpPort: port }) // the facade port is taken
    let error: unknown
    await b.start().catch((err: unknown) => { error = err })
    expect((error as NodeJS.ErrnoException)?.code).to.equal('EADDRINUSE')
    expect(b.state).to.equal('stopped')
    expect(b.host.status).to.equal('stopped')
  })

  it('emits publish and head events for local work, and writes the same events to --trace', async () => {
    const trace = join(await mkdtemp(join(tmpdir(), 'gossipchain-trace-')), 'trace.ndjson')
    dirs.push(join(trace, '..'))
    const n = await node({ trace })
    const events = record(n)
    await n.start()
    const tx = freshTx(n, 'one record')
    expect((await post(n, '/new_transaction', tx)).status).to.equal(201)
    const publishTx = await waitFor('the tx publish event', () => events.find(e => e.type === 'publish' && e.topic === 'tx'))
    expect(publishTx).to.include({ type: 'publish', topic: 'tx', id: tx.id, msgId: nodeSha256Hex(JSON.stringify(tx)), recipients: 0, createdAt: tx.timestamp * 1000 })

    const mined = await post(n, '/mine')
    expect(mined.status).to.equal(200)
    const block = mined.body.block
    const headEvent = events.find(e => e.type === 'head')
    expect(headEvent).to.include({ type: 'head', hash: block.hash, index: 1, txs: 1, work: '256' }) // genesis carries no work; one block at 8 bits 2^8
    const publishBlock = await waitFor('the block publish event', () => events.find(e => e.type === 'publish' && e.topic === 'block'))
    expect(publishBlock).to.include({ id: block.hash, msgId: nodeSha256Hex(JSON.stringify(block)) })
    for (const e of events) expect(e.at).to.be.a('number')

    await n.stop()
    const lines = (await readFile(trace, 'utf8')).trim().split('\n').map(line => JSON.parse(line) as NodeEvent)
    expect(lines).to.deep.equal(JSON.parse(JSON.stringify(events)))
  })

  it('two nodes: peer connect, sync, gossip receipts with their validation result, and a stopped node ends its subscriptions', async () => {
    const a = await node()
    const b = await node()
    const aEvents = record(a)
    const bEvents = record(b)
    await a.start()
    await b.start()
    const sub = b.events.subscribe({ types: ['gossip'] })
    await b.host.dial(multiaddr(`${a.host.getMultiaddrs()[0].toString()}`))
    await waitFor('peer:connect on both sides', () =>
      aEvents.some(e => e.type === 'peer:connect' && e.peer === b.peerId) && bEvents.some(e => e.type === 'peer:connect' && e.peer === a.peerId) ? true : undefined)
    await waitFor('a sync event on b', () => bEvents.find(e => e.type === 'sync' && e.peer === a.peerId && e.reason === 'connect'))
    await waitFor('a and b in each other\'s meshes', () =>
      a.host.services.gossip.meshPeers().tx.includes(b.peerId) && b.host.services.gossip.meshPeers().tx.includes(a.peerId) ? true : undefined)

    const tx = freshTx(a, 'gossiped record')
    expect((await post(a, '/new_transaction', tx)).status).to.equal(201)
    const received = (await sub.next()).value as NodeEvent
    expect(received).to.include({ type: 'gossip', topic: 'tx', id: tx.id, from: a.peerId, result: 'accept', createdAt: tx.timestamp * 1000, msgId: nodeSha256Hex(JSON.stringify(tx)) })
    expect(received.type === 'gossip' && received.bytes).to.equal(Buffer.byteLength(JSON.stringify(tx)))
    const published = aEvents.find(e => e.type === 'publish' && e.id === tx.id)
    expect(published?.type === 'publish' && published.recipients).to.equal(1)

    await b.stop()
    expect(sub.endReason).to.equal('stopped')
    await waitFor('peer:disconnect on a', () => aEvents.find(e => e.type === 'peer:disconnect' && e.peer === b.peerId))
  })
})
