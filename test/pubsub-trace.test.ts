// `--trace-format pubsub` (src/metrics/pubsub-trace.ts): go-libp2p-pubsub's JSON tracer events, checked
// against its trace.proto with protobufjs, and written by live nodes (gossipsub's router events, our
// validators' verdicts, a hostile peer's rejected message).
import { expect } from 'chai'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import protobuf from 'protobufjs'
import { loadConfig } from '../src/config.js'
import { nodeSha256Hex } from '../src/crypto/sha256.js'
import { nanos, pubsubTraceEncoder, REJECT_VALIDATION_FAILED, REJECT_VALIDATION_IGNORED, TraceEventType } from '../src/metrics/pubsub-trace.js'
import type { NodeEvent } from '../src/node/events.js'
import { createNode, type GossipchainNode } from '../src/node/index.js'
import { blockTopic, txTopic } from '../src/p2p/constants.js'
import { gossip, type Gossip } from '../src/p2p/gossip.js'
import { createHost, type Host } from '../src/p2p/host.js'
import { makeTx } from './helpers/fixtures.js'
import { waitFor } from '../src/devnet/index.js'

/**
 * TraceEvent as go-libp2p-pubsub declares it in pb/trace.proto at commit
 * b421b3ab05638f24085f4087787d20add09b1e3e (github.com/libp2p/go-libp2p-pubsub, v0.12.0..v0.15.x): the
 * field names, numbers and types, written out here as protobufjs reflection (the RPC meta messages,
 * which we never write, are left out; their three TraceEvent fields are kept as bytes so that a stray
 * one would still be caught).
 */
function traceEventType (): protobuf.Type {
  const message = (name: string, fields: Array<[string, number, string, ('optional' | 'repeated')?]>): protobuf.Type => {
    const type = new protobuf.Type(name)
    for (const [field, id, kind, rule] of fields) type.add(new protobuf.Field(field, id, kind, rule ?? 'optional'))
    return type
  }
  const event = message('TraceEvent', [
    ['type', 1, 'Type'], ['peerID', 2, 'bytes'], ['timestamp', 3, 'int64'],
    ['publishMessage', 4, 'PublishMessage'], ['rejectMessage', 5, 'RejectMessage'], ['duplicateMessage', 6, 'DuplicateMessage'],
    ['deliverMessage', 7, 'DeliverMessage'], ['addPeer', 8, 'AddPeer'], ['removePeer', 9, 'RemovePeer'],
    ['recvRPC', 10, 'bytes'], ['sendRPC', 11, 'bytes'], ['dropRPC', 12, 'bytes'],
    ['join', 13, 'Join'], ['leave', 14, 'Leave'], ['graft', 15, 'Graft'], ['prune', 16, 'Prune']
  ])
  event.add(new protobuf.Enum('Type', {
    PUBLISH_MESSAGE: 0, REJECT_MESSAGE: 1, DUPLICATE_MESSAGE: 2, DELIVER_MESSAGE: 3, ADD_PEER: 4, REMOVE_PEER: 5,
    RECV_RPC: 6, SEND_RPC: 7, DROP_RPC: 8, JOIN: 9, LEAVE: 10, GRAFT: 11, PRUNE: 12
  }))
  event.add(message('PublishMessage', [['messageID', 1, 'bytes'], ['topic', 2, 'string']]))
  event.add(message('RejectMessage', [['messageID', 1, 'bytes'], ['receivedFrom', 2, 'bytes'], ['reason', 3, 'string'], ['topic', 4, 'string']]))
  event.add(message('DuplicateMessage', [['messageID', 1, 'bytes'], ['receivedFrom', 2, 'bytes'], ['topic', 3, 'string']]))
  event.add(message('DeliverMessage', [['messageID', 1, 'bytes'], ['topic', 2, 'string'], ['receivedFrom', 3, 'bytes']]))
  event.add(message('AddPeer', [['peerID', 1, 'bytes'], ['proto', 2, 'string']]))
  event.add(message('RemovePeer', [['peerID', 1, 'bytes']]))
  event.add(message('Join', [['topic', 1, 'string']]))
  event.add(message('Leave', [['topic', 2, 'string']]))
  event.add(message('Graft', [['peerID', 1, 'bytes'], ['topic', 2, 'string']]))
  event.add(message('Prune', [['peerID', 1, 'bytes'], ['topic', 2, 'string']]))
  new protobuf.Root().define('pubsub.pb').add(event)
  event.resolveAll()
  return event
}

const TraceEvent = traceEventType()
const TYPE_NAMES = Object.fromEntries(Object.entries(TraceEventType).map(([name, n]) => [n, name]))

/**
 * One JSON line as Go's encoding/json would have written it for a TraceEvent: every key a field of the
 * schema, in field order (Go writes struct fields in declaration order), the enum as a number, bytes as
 * padded base64, the timestamp a bare integer. Then a protobuf round trip must give the same object.
 * Returns the object, timestamp as a string of digits.
 */
function checkLine (line: string): Record<string, any> {
  expect(line).to.match(/"timestamp":\d+,/)
  const timestamp = /"timestamp":(\d+),/.exec(line)![1]
  const json = JSON.parse(line.replace(/"timestamp":(\d+),/, '"timestamp":"$1",')) as Record<string, any>
  const walk = (type: protobuf.Type, obj: Record<string, any>, where: string): void => {
    let last = 0
    for (const [key, value] of Object.entries(obj)) {
      const field = type.fields[key]
      expect(field, `${where}.${key} is a field of ${type.name}`).to.not.equal(undefined)
      expect(field.id, `${where}.${key} after the previous field`).to.be.greaterThan(last)
      last = field.id
      if (field.resolvedType instanceof protobuf.Type) walk(field.resolvedType, value, `${where}.${key}`)
      else if (field.type === 'bytes') expect(value).to.be.a('string').and.match(/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/)
      else if (field.resolvedType instanceof protobuf.Enum) expect(value).to.be.a('number')
      else if (field.type === 'string') expect(value).to.be.a('string')
    }
  }
  walk(TraceEvent, json, 'TraceEvent')
  expect(json.type).to.be.a('number')
  const message = TraceEvent.fromObject(json)
  expect(TraceEvent.verify(message)).to.equal(null)
  const decoded = TraceEvent.toObject(TraceEvent.decode(TraceEvent.encode(message).finish()), { longs: String, bytes: String, enums: Number })
  expect(decoded).to.deep.equal({ ...json, timestamp })
  // The sub-message matches the type (the one Go's tracer fills for it).
  const sub = { 0: 'publishMessage', 1: 'rejectMessage', 2: 'duplicateMessage', 3: 'deliverMessage', 4: 'addPeer', 5: 'removePeer', 9: 'join', 11: 'graft', 12: 'prune' }[json.type as number]
  expect(Object.keys(json), TYPE_NAMES[json.type]).to.deep.equal(['type', 'peerID', 'timestamp', sub])
  return { ...json, timestamp }
}

const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64')

describe('pubsub trace format (src/metrics/pubsub-trace.ts)', function () {
  it('encodes every event kind as go-libp2p-pubsub does, and each line round-trips through trace.proto', async () => {
    const us = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
    const them = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
    const topics = { tx: '/gossipchain/net-1/tx/1', block: '/gossipchain/net-1/block/1' }
    const encode = pubsubTraceEncoder({ peerId: us.toString(), topics })
    const msgId = nodeSha256Hex('payload')
    const at = 1767225600123
    const events: NodeEvent[] = [
      { type: 'publish', at: at + 5, topic: 'tx', id: 'a'.repeat(64), msgId, recipients: 3, publishedAt: at, createdAt: at - 10, bytes: 500 },
      { type: 'gossip', at, topic: 'block', id: 'b'.repeat(64), msgId, from: them.toString(), receivedAt: at - 1, result: 'accept', bytes: 900 },
      { type: 'gossip', at, topic: 'tx', id: msgId, msgId, from: them.toString(), receivedAt: at - 1, result: 'reject', code: 'TX_BAD_SIGNATURE', bytes: 10 },
      { type: 'gossip', at, topic: 'tx', id: msgId, msgId, from: them.toString(), receivedAt: at - 1, result: 'ignore', code: 'TX_ALREADY_IN_CHAIN', bytes: 10 },
      { type: 'duplicate', at, topic: 'tx', msgId, from: them.toString() },
      { type: 'pubsub:add-peer', at, peer: them.toString() },
      { type: 'pubsub:remove-peer', at, peer: them.toString() },
      { type: 'join', at, topic: 'block' },
      { type: 'graft', at, topic: 'tx', peer: them.toString() },
      { type: 'prune', at, topic: 'block', peer: them.toString() }
    ]
    const lines = events.map(encode).join('').split('\n').filter(l => l !== '')
    const parsed = lines.map(checkLine)
    const me = b64(us.toMultihash().bytes)
    const peer = b64(them.toMultihash().bytes)
    const id = Buffer.from(msgId, 'hex').toString('base64')
    for (const e of parsed) expect(e.peerID).to.equal(me)
    expect(parsed.map(e => TYPE_NAMES[e.type])).to.deep.equal([
      'PUBLISH_MESSAGE', 'DELIVER_MESSAGE', 'DELIVER_MESSAGE', 'REJECT_MESSAGE', 'REJECT_MESSAGE', 'DUPLICATE_MESSAGE',
      'ADD_PEER', 'REMOVE_PEER', 'JOIN', 'GRAFT', 'PRUNE'
    ])
    // A publish starts at publishedAt, in nanoseconds, and is delivered to ourselves as Go does.
    expect(parsed[0]).to.deep.equal({ type: 0, peerID: me, timestamp: '1767225600123000000', publishMessage: { messageID: id, topic: topics.tx } })
    expect(parsed[1]).to.deep.equal({ type: 3, peerID: me, timestamp: '1767225600123000000', deliverMessage: { messageID: id, topic: topics.tx, receivedFrom: me } })
    expect(parsed[2].deliverMessage).to.deep.equal({ messageID: id, topic: topics.block, receivedFrom: peer })
    expect(parsed[3].rejectMessage).to.deep.equal({ messageID: id, receivedFrom: peer, reason: REJECT_VALIDATION_FAILED, topic: topics.tx })
    expect(parsed[4].rejectMessage.reason).to.equal(REJECT_VALIDATION_IGNORED)
    expect(parsed[5].duplicateMessage).to.deep.equal({ messageID: id, receivedFrom: peer, topic: topics.tx })
    expect(parsed[6].addPeer).to.deep.equal({ peerID: peer })
    expect(parsed[7].removePeer).to.deep.equal({ peerID: peer })
    expect(parsed[8].join).to.deep.equal({ topic: topics.block })
    expect(parsed[9].graft).to.deep.equal({ peerID: peer, topic: topics.tx })
    expect(parsed[10].prune).to.deep.equal({ peerID: peer, topic: topics.block })
    // Peer ids are the peer id's bytes (its multihash), as Go's []byte(peer.ID).
    expect(peerIdFromString(them.toString()).toMultihash().bytes).to.deep.equal(new Uint8Array(Buffer.from(peer, 'base64')))
    // Events with no pubsub equivalent write nothing.
    expect(encode({ type: 'head', at, hash: 'c'.repeat(64), index: 1, work: '256', txs: 0 })).to.equal('')
    expect(encode({ type: 'peer:connect', at, peer: them.toString() })).to.equal('')
  })

  it('writes timestamps beyond 2^53 exactly, and strings with Go\'s HTML-safe escaping', async () => {
    expect(nanos(1767225600123)).to.equal('1767225600123000000')
    expect(nanos(0)).to.equal('0')
    const us = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
    const line = pubsubTraceEncoder({ peerId: us.toString(), topics: { tx: '/a<b>&c/tx', block: 'b' } })({ type: 'join', at: 1, topic: 'tx' })
    expect(line).to.include('"topic":"/a\\u003cb\\u003e\\u0026c/tx"')
    expect(JSON.parse(line).join.topic).to.equal('/a<b>&c/tx')
  })
})

type HostileServices = { gossip: Gossip }

describe('pubsub trace of live nodes', function () {
  this.timeout(90_000)
  const nodes: GossipchainNode[] = []
  const hosts: Array<Host<HostileServices>> = []
  const dirs: string[] = []
  after(async () => {
    await Promise.all(hosts.map(async h => { await h.stop() }))
    await Promise.all(nodes.map(async n => { await n.stop() }))
    await Promise.all(dirs.map(async d => { await rm(d, { recursive: true, force: true }) }))
  })

  it('three nodes in a triangle and a hostile peer: JOIN, ADD_PEER, GRAFT, PUBLISH, DELIVER, DUPLICATE, REJECT', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gossipchain-pubsub-trace-'))
    dirs.push(dir)
    const make = async (name: string): Promise<GossipchainNode> => {
      const n = await createNode(loadConfig({
        env: {},
        flags: { dataDir: join(dir, name), httpHost: '127.0.0.1', httpPort: 0, p2pHost: '127.0.0.1', p2pPort: 0, bits: 8, logLevel: 'silent', trace: join(dir, `${name}.json`), traceFormat: 'pubsub' }
      }), { log: () => {} })
      nodes.push(n)
      await n.start()
      return n
    }
    const [a, b, c] = [await make('a'), await make('b'), await make('c')]
    const cEvents: NodeEvent[] = []
    c.events.on(e => { cEvents.push(e) })
    const network = a.chain.networkId
    const addr = (n: GossipchainNode): ReturnType<typeof multiaddr> => multiaddr(n.host.getMultiaddrs()[0].toString())
    await b.host.dial(addr(a))
    await c.host.dial(addr(a))
    await c.host.dial(addr(b))
    const meshed = (n: GossipchainNode, others: GossipchainNode[]): boolean => others.every(o => n.host.services.gossip.meshPeers().tx.includes(o.peerId))
    await waitFor('a full triangle mesh on tx', () => meshed(a, [b, c]) && meshed(b, [a, c]) && meshed(c, [a, b]) ? true : undefined)

    const tx = makeTx(network, 'traced record', { timestamp: Math.floor(Date.now() / 1000) })
    const res = await fetch(`${a.httpUrl}/new_transaction`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(tx) })
    expect(res.status).to.equal(201)
    const msgId = nodeSha256Hex(JSON.stringify(tx))
    const hasTx = async (n: GossipchainNode): Promise<boolean> => (await (await fetch(`${n.httpUrl}/pending_tx`)).text()).includes(tx.id)
    await waitFor('the tx on b and c', async () => await hasTx(b) && await hasTx(c) ? true : undefined)

    // A hostile peer gossips a tx with a broken signature to c: c's validator rejects it.
    const acceptAll = async (): Promise<{ result: 'accept' }> => ({ result: 'accept' })
    const hostile = await createHost<HostileServices>({
      privateKey: await generateKeyPair('Ed25519'),
      listen: ['/ip4/127.0.0.1/tcp/0'],
      bootstrap: [],
      network,
      services: { gossip: gossip({ network, validateTx: acceptAll, validateBlock: acceptAll }) as never }
    })
    hosts.push(hostile)
    await hostile.dial(addr(c))
    await waitFor('the hostile peer in c\'s tx mesh', () => hostile.services.pubsub.getMeshPeers(txTopic(network)).includes(c.peerId) ? true : undefined)
    const forged = { ...makeTx(network, 'forged', { timestamp: Math.floor(Date.now() / 1000) }), signature: 'ab'.repeat(64) }
    const forgedBytes = new TextEncoder().encode(JSON.stringify(forged))
    await hostile.services.pubsub.publish(txTopic(network), forgedBytes)
    const forgedId = Buffer.from(nodeSha256Hex(forgedBytes), 'hex').toString('base64')
    await waitFor('c to reject the forged tx', () => cEvents.find(e => e.type === 'gossip' && e.msgId === nodeSha256Hex(forgedBytes) && e.result === 'reject'))
    const traceOf = async (name: string): Promise<Array<Record<string, any>>> =>
      (await readFile(join(dir, `${name}.json`), 'utf8')).split('\n').filter(l => l !== '').map(checkLine)

    await hostile.stop()
    hosts.splice(0)
    await Promise.all(nodes.map(async n => { await n.stop() }))
    const traces = { a: await traceOf('a'), b: await traceOf('b'), c: await traceOf('c') }
    const id = Buffer.from(msgId, 'hex').toString('base64')
    const peerB64 = (n: GossipchainNode): string => b64(peerIdFromString(n.peerId).toMultihash().bytes)
    const topic = txTopic(network)
    const of = (events: Array<Record<string, any>>, type: number): Array<Record<string, any>> => events.filter(e => e.type === type)

    for (const [name, n] of [['a', a], ['b', b], ['c', c]] as const) {
      const events = traces[name]
      expect(events.every(e => e.peerID === peerB64(n)), `${name}: peerID is the node's`).to.equal(true)
      expect(of(events, TraceEventType.JOIN).map(e => e.join.topic)).to.have.members([topic, blockTopic(network)])
      expect(events.findIndex(e => e.type === TraceEventType.JOIN)).to.equal(0)
      const others = [a, b, c].filter(o => o !== n)
      expect(of(events, TraceEventType.ADD_PEER).map(e => e.addPeer.peerID)).to.include.members(others.map(peerB64))
      expect(of(events, TraceEventType.GRAFT).filter(e => e.graft.topic === topic).map(e => e.graft.peerID)).to.include.members(others.map(peerB64))
      // Timestamps are nanoseconds of this run, in order of writing (one clock, one writer).
      const stamps = events.map(e => BigInt(e.timestamp))
      expect(stamps.every((t, i) => i === 0 || t >= stamps[i - 1] - 50_000_000n)).to.equal(true)
    }
    const published = of(traces.a, TraceEventType.PUBLISH_MESSAGE)
    expect(published.map(e => e.publishMessage)).to.deep.equal([{ messageID: id, topic }])
    expect(of(traces.a, TraceEventType.DELIVER_MESSAGE).map(e => e.deliverMessage)).to.deep.include({ messageID: id, topic, receivedFrom: peerB64(a) })
    for (const n of [b, c]) {
      const name = n === b ? 'b' : 'c'
      const delivered = of(traces[name], TraceEventType.DELIVER_MESSAGE).filter(e => e.deliverMessage.messageID === id)
      expect(delivered, `${name} delivers the tx once`).to.have.length(1)
      expect(BigInt(delivered[0].timestamp) >= BigInt(published[0].timestamp)).to.equal(true)
    }
    // In a triangle each copy after the first is a duplicate somewhere (b and c forward to each other,
    // and back to a: StrictNoSign messages carry no origin to skip).
    const duplicates = [...traces.a, ...traces.b, ...traces.c].filter(e => e.type === TraceEventType.DUPLICATE_MESSAGE && e.duplicateMessage.messageID === id)
    expect(duplicates.length).to.be.greaterThan(0)
    for (const d of duplicates) expect(d.duplicateMessage.topic).to.equal(topic)
    const rejected = of(traces.c, TraceEventType.REJECT_MESSAGE).filter(e => e.rejectMessage.messageID === forgedId)
    expect(rejected.map(e => e.rejectMessage)).to.deep.equal([{ messageID: forgedId, receivedFrom: b64(hostile.peerId.toMultihash().bytes), reason: REJECT_VALIDATION_FAILED, topic }])
    expect(of(traces.c, TraceEventType.REMOVE_PEER).map(e => e.removePeer.peerID)).to.include(b64(hostile.peerId.toMultihash().bytes))
  })
})
