import { expect } from 'chai'
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { Hono } from 'hono'
import { createHost } from '../src/p2p/host.js'
import { gossip } from '../src/p2p/gossip.js'
import { loadOrCreatePeerKey, PeerKeyError, PEER_KEY_FILE } from '../src/p2p/peer-key.js'
import { fetchFromPeer, httpOverLibp2pServer, PeerRequestError, PeerRequestErrorCode } from '../src/p2p/http-over-libp2p.js'
import { syncHandler } from '../src/p2p/sync-routes.js'
import { BAN_SCORE, blockTopic, MAX_RESPONSE_BYTES, PENALTY_INVALID_GOSSIP, syncProtocol, txTopic } from '../src/p2p/constants.js'
import { PeerReputation } from '../src/p2p/peer-reputation.js'
import type { Host } from '../src/p2p/host.js'
import type { Gossip, GossipReceipt, ValidationOutcome } from '../src/p2p/gossip.js'
import type { SyncSource } from '../src/p2p/sync-routes.js'
import type { Block } from '../src/core/types.js'
import type { ServiceMap } from '@libp2p/interface'
import { nodeSha256Hex } from '../src/crypto/sha256.js'
import { waitFor } from '../src/devnet/wait.js'

const NETWORK = 'p2ptest-0badc0de'
const LOCAL = ['/ip4/127.0.0.1/tcp/0']
// In-process hosts settle fast: poll often, and give up well inside the suite's mocha timeout.
const WAIT_MS = 10_000
const POLL_MS = 25

async function freePort (): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => { resolve() }))
  return port
}

const hosts: Array<Host<ServiceMap>> = []
async function startHost<S extends ServiceMap> (init: Partial<Parameters<typeof createHost<S>>[0]> = {}): Promise<Host<S>> {
  const host = await createHost<S>({ privateKey: await generateKeyPair('Ed25519'), listen: LOCAL, bootstrap: [], network: NETWORK, ...init })
  hosts.push(host as unknown as Host<ServiceMap>)
  return host
}

async function stopAll (): Promise<void> {
  await Promise.all(hosts.splice(0).map(async h => { await h.stop() }))
}

function addrOf (host: Host<ServiceMap>): string {
  return host.getMultiaddrs()[0].toString()
}

describe('p2p host (docs/design.md §5)', function () {
  this.timeout(30_000)
  after(stopAll)

  describe('peer key', () => {
    let dir: string
    before(async () => { dir = await mkdtemp(join(tmpdir(), 'gossipchain-p2p-key-')) })
    after(async () => { await rm(dir, { recursive: true, force: true }) })

    it('persists: the same peer id after reload, file mode 0600, and a host started with it has that id', async () => {
      const first = await loadOrCreatePeerKey(dir)
      const again = await loadOrCreatePeerKey(dir)
      expect(first.type).to.equal('Ed25519')
      expect(peerIdFromPrivateKey(again).toString()).to.equal(peerIdFromPrivateKey(first).toString())
      expect((await stat(join(dir, PEER_KEY_FILE))).mode & 0o777).to.equal(0o600)
      const host = await startHost({ privateKey: again })
      expect(host.peerId.toString()).to.equal(peerIdFromPrivateKey(first).toString())
    })

    it('creates the data dir when missing', async () => {
      const nested = join(dir, 'a', 'b')
      const key = await loadOrCreatePeerKey(nested)
      expect(peerIdFromPrivateKey(await loadOrCreatePeerKey(nested)).equals(peerIdFromPrivateKey(key))).to.equal(true)
    })

    it('refuses a corrupt key file rather than replacing the identity', async () => {
      const bad = join(dir, 'corrupt')
      await loadOrCreatePeerKey(bad)
      await writeFile(join(bad, PEER_KEY_FILE), 'not a key')
      const err = await loadOrCreatePeerKey(bad).then(() => undefined, (e: unknown) => e)
      expect(err).to.be.instanceOf(PeerKeyError)
      expect((err as PeerKeyError).path).to.equal(join(bad, PEER_KEY_FILE))
    })
  })

  describe('peer reputation', () => {
    function reputation (now: { t: number }): { rep: PeerReputation, closed: string[] } {
      const closed: string[] = []
      const rep = new PeerReputation({
        connectionManager: { closeConnections: async (peer) => { closed.push(peer.toString()) } },
        peerStore: { get: async () => { throw new Error('not found') } } as never,
        logger: { forComponent: () => Object.assign(() => {}, { error: () => {}, trace: () => {}, enabled: false }) } as never
      }, { now: () => now.t, halfLifeMs: 1000, banDurationMs: 5000 })
      rep.start()
      return { rep, closed }
    }

    it('penalties add up, decay with the half-life, and crossing BAN_SCORE bans and disconnects', async () => {
      const clock = { t: 0 }
      const { rep, closed } = reputation(clock)
      const peer = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
      rep.penalise(peer, PENALTY_INVALID_GOSSIP, 'test')
      rep.penalise(peer.toString(), PENALTY_INVALID_GOSSIP, 'test')
      expect(rep.score(peer)).to.equal(-2 * PENALTY_INVALID_GOSSIP)
      expect(rep.isBanned(peer)).to.equal(false)
      clock.t = 1000
      expect(rep.score(peer)).to.be.closeTo(-PENALTY_INVALID_GOSSIP, 1e-9)
      clock.t = 0
      rep.penalise(peer, PENALTY_INVALID_GOSSIP, 'test')
      expect(rep.score(peer)).to.be.at.most(BAN_SCORE)
      expect(rep.isBanned(peer)).to.equal(true)
      await waitFor('disconnect of the banned peer', () => closed.includes(peer.toString()) ? true : undefined, WAIT_MS, POLL_MS)
      clock.t = 5001
      expect(rep.isBanned(peer)).to.equal(false)
    })

    it('refuses a penalty that is not a positive number', () => {
      const { rep } = reputation({ t: 0 })
      expect(() => rep.penalise('x', 0, 'zero')).to.throw(RangeError)
      expect(() => rep.penalise('x', Number.NaN, 'nan')).to.throw(RangeError)
    })
  })

  describe('gossip', () => {
    // A - B - C in a line: A and C only meet through B.
    type G = { gossip: Gossip }
    let a: Host<G>, b: Host<G>, c: Host<G>
    const receipts = new Map<string, GossipReceipt[]>()

    // A tx is "valid" when its JSON has ok: true; a block with orphan: true has an unknown parent.
    const validate = async (data: Uint8Array): Promise<ValidationOutcome> => {
      const item = JSON.parse(new TextDecoder().decode(data))
      if (item.orphan === true) return { result: 'ignore', code: 'BLOCK_UNKNOWN_PARENT', unknownParent: true, id: item.id }
      return item.ok === true ? { result: 'accept', id: item.id, createdAt: item.createdAt } : { result: 'reject', code: 'TX_BAD_SIGNATURE', id: item.id }
    }

    async function gossipHost (name: string, bootstrap: string[]): Promise<Host<G>> {
      const host = await startHost<G>({ bootstrap, services: { gossip: gossip({ network: NETWORK, validateTx: validate, validateBlock: validate }) } })
      receipts.set(name, [])
      host.services.gossip.addEventListener('gossip', (evt) => { receipts.get(name)!.push(evt.detail) })
      return host
    }

    before(async () => {
      b = await gossipHost('b', [])
      a = await gossipHost('a', [addrOf(b)])
      c = await gossipHost('c', [addrOf(b)])
      // Meshes form on gossipsub heartbeats once subscriptions are exchanged.
      await waitFor('meshes A-B-C', () => {
        const bMesh = b.services.gossip.meshPeers()
        const meshed = bMesh.tx.includes(a.peerId.toString()) && bMesh.tx.includes(c.peerId.toString()) &&
          bMesh.block.includes(a.peerId.toString()) &&
          a.services.gossip.meshPeers().tx.includes(b.peerId.toString()) &&
          c.services.gossip.meshPeers().tx.includes(b.peerId.toString())
        return meshed ? true : undefined
      }, WAIT_MS, POLL_MS)
      expect(a.getPeers().map(String)).to.not.include(c.peerId.toString())
    })

    it('subscribes to the network topics', () => {
      expect(a.services.pubsub.getTopics()).to.have.members([txTopic(NETWORK), blockTopic(NETWORK)])
      expect(b.services.gossip.subscribers().tx).to.include.members([a.peerId.toString(), c.peerId.toString()])
    })

    it('a tx published by A reaches C through B, with a receipt event at each hop', async () => {
      const tx = { ok: true, id: 'tx-good-1', createdAt: Date.now() }
      const sent = await a.services.gossip.publishTx(tx as never)
      expect(sent.recipients).to.equal(1)
      const atC = await waitFor('the tx at C', () => receipts.get('c')!.find(r => r.id === 'tx-good-1'), WAIT_MS, POLL_MS)
      expect(atC).to.include({ topic: txTopic(NETWORK), kind: 'tx', from: b.peerId.toString(), result: 'accept', createdAt: tx.createdAt })
      expect(atC.msgId).to.equal(nodeSha256Hex(JSON.stringify(tx)))
      expect(receipts.get('b')!.find(r => r.id === 'tx-good-1')?.from).to.equal(a.peerId.toString())
    })

    it('a block published by C reaches A', async () => {
      await c.services.gossip.publishBlock({ ok: true, id: 'block-good-1' } as never)
      const atA = await waitFor('the block at A', () => receipts.get('a')!.find(r => r.id === 'block-good-1'), WAIT_MS, POLL_MS)
      expect(atA).to.include({ topic: blockTopic(NETWORK), kind: 'block', result: 'accept' })
    })

    it('a rejected message is not forwarded, and the sender\'s score drops at the validating peer', async () => {
      const scoreBefore = b.services.pubsub.getScore(a.peerId.toString())
      await a.services.gossip.publishTx({ ok: false, id: 'tx-bad-1' } as never)
      const atB = await waitFor('the bad tx at B', () => receipts.get('b')!.find(r => r.id === 'tx-bad-1'), WAIT_MS, POLL_MS)
      expect(atB).to.include({ result: 'reject', code: 'TX_BAD_SIGNATURE', from: a.peerId.toString() })
      // A valid tx sent after the bad one arrives at C; the bad one never does.
      await a.services.gossip.publishTx({ ok: true, id: 'tx-good-2' } as never)
      await waitFor('the next good tx at C', () => receipts.get('c')!.find(r => r.id === 'tx-good-2'), WAIT_MS, POLL_MS)
      expect(receipts.get('c')!.map(r => r.id)).to.not.include('tx-bad-1')
      expect(b.services.reputation.score(a.peerId)).to.be.below(0)
      await waitFor('gossipsub score of A at B to drop below 0', () => b.services.pubsub.getScore(a.peerId.toString()) < Math.min(0, scoreBefore) ? true : undefined, WAIT_MS, POLL_MS)
    })

    it('BLOCK_UNKNOWN_PARENT: a block with an unknown parent is ignored and asks for a sync with its sender', async () => {
      const asked = new Promise<string>((resolve) => {
        b.services.gossip.addEventListener('unknown-parent', (evt) => { resolve(evt.detail.from) }, { once: true })
      })
      await a.services.gossip.publishBlock({ orphan: true, id: 'block-orphan-1' } as never)
      expect(await asked).to.equal(a.peerId.toString())
      const atB = receipts.get('b')!.find(r => r.id === 'block-orphan-1')
      expect(atB).to.include({ result: 'ignore', code: 'BLOCK_UNKNOWN_PARENT' })
      expect(receipts.get('c')!.map(r => r.id)).to.not.include('block-orphan-1')
    })

    it('a lone node can publish (allowPublishToZeroTopicPeers)', async () => {
      const lone = await gossipHost('lone', [])
      expect((await lone.services.gossip.publishTx({ ok: true, id: 'alone' } as never)).recipients).to.equal(0)
    })
  })

  describe('persistent offenders', () => {
    it('a peer whose messages keep being rejected is disconnected and refused', async () => {
      type G = { gossip: Gossip }
      const reject = async (): Promise<ValidationOutcome> => ({ result: 'reject', code: 'TX_BAD_SIGNATURE' })
      const judge = await startHost<G>({ services: { gossip: gossip({ network: NETWORK, validateTx: reject, validateBlock: reject }) } })
      const offender = await startHost<G>({
        bootstrap: [addrOf(judge)],
        bootstrapOptions: { minBackoffMs: 50, maxBackoffMs: 200 },
        services: { gossip: gossip({ network: NETWORK, validateTx: reject, validateBlock: reject }) }
      })
      await waitFor('offender meshed with judge', () => offender.services.gossip.meshPeers().tx.includes(judge.peerId.toString()) ? true : undefined, WAIT_MS, POLL_MS)
      const bans: string[] = []
      judge.services.reputation.addEventListener('ban', (evt) => { bans.push(evt.detail.peer) })
      // PENALTY_INVALID_GOSSIP (20) three times crosses BAN_SCORE (-50); twice does not.
      for (let i = 0; i < 3; i++) await offender.services.gossip.publishTx({ bad: i } as never)
      await waitFor('the offender banned', () => bans.includes(offender.peerId.toString()) ? true : undefined, WAIT_MS, POLL_MS)
      await waitFor('the offender disconnected', () => judge.getConnections(offender.peerId).length === 0 ? true : undefined, WAIT_MS, POLL_MS)
      expect(judge.services.reputation.isBanned(offender.peerId)).to.equal(true)
      // The offender's bootstrap dialer keeps redialing; the judge's gater refuses it after the noise
      // handshake, so the judge never sees it connect. (The dialer may see its dial succeed for a
      // moment: noise negotiates the muxer early, before the listener's gater runs.)
      const reconnects: string[] = []
      judge.addEventListener('peer:connect', (evt) => { reconnects.push(evt.detail.toString()) })
      await offender.dial(judge.peerId).catch(() => {})
      await waitFor('the refused connection to close', () => offender.getConnections(judge.peerId).length === 0 ? true : undefined, WAIT_MS, POLL_MS)
      expect(reconnects).to.not.include(offender.peerId.toString())
      expect(judge.getConnections(offender.peerId)).to.have.length(0)
    })
  })

  describe('bootstrap', () => {
    it('keeps dialing a bootstrap address until its node comes up, and redials it when the connection is lost', async () => {
      const port = await freePort()
      const address = `/ip4/127.0.0.1/tcp/${port}`
      // No peer id in the address: libp2p's own reconnect queue could not redial it.
      const leaf = await startHost({ bootstrap: [address], bootstrapOptions: { minBackoffMs: 50, maxBackoffMs: 200 } })
      expect(leaf.services.bootstrap.status()).to.deep.equal([{ address, peerId: undefined, connected: false }])
      const hub = await startHost({ listen: [address] })
      await waitFor('the leaf to reach the hub once it listens', () => leaf.services.bootstrap.status()[0].connected ? true : undefined, WAIT_MS, POLL_MS)
      expect(leaf.services.bootstrap.status()).to.deep.equal([{ address, peerId: hub.peerId.toString(), connected: true }])

      const lost = new Promise<void>((resolve) => {
        leaf.addEventListener('peer:disconnect', (evt) => { if (evt.detail.equals(hub.peerId)) resolve() })
      })
      // The dialer finishes its upgrade before the listener does (noise negotiates the muxer in its
      // handshake): wait until the hub has registered the connection, or hangUp finds nothing to close.
      await waitFor('the hub to register the connection', () => hub.getConnections(leaf.peerId).length > 0 ? true : undefined, WAIT_MS, POLL_MS)
      await hub.hangUp(leaf.peerId)
      await lost
      await waitFor('the leaf to reconnect', () => leaf.getConnections(hub.peerId).length > 0 ? true : undefined, WAIT_MS, POLL_MS)
    })
  })

  describe('http over libp2p', () => {
    type S = { sync: unknown, test: unknown, slow: unknown, small: unknown }
    let server: Host<S>
    let client: Host
    let release: () => void = () => {}
    const released = new Promise<void>((resolve) => { release = resolve })
    const TEST_PROTOCOL = '/gossipchain-test/http/1.1'
    const SLOW_SERVER_PROTOCOL = '/gossipchain-test/slow-server/1.1'
    const SMALL_SERVER_PROTOCOL = '/gossipchain-test/small-server/1.1'

    // 256 blocks of ~24 KiB: a ~6 MiB batch.
    const blocks: Block[] = []
    let prev = '0'.repeat(64)
    for (let i = 1; i <= 256; i++) {
      const hash = nodeSha256Hex(`block-${i}`)
      blocks.push({ index: i, transactions: [{ scheme: 'rsa-legacy', senderPK: 'x', signature: 'y', data: 'z'.repeat(24 * 1024), timestamp: i, id: hash }], timestamp: i, previous_hash: prev, nonce: 0, hash, version: 1, bits: 0, tx_root: hash })
      prev = hash
    }
    const source: SyncSource = {
      status: () => ({ network: NETWORK, genesis: '0'.repeat(64), head: { hash: prev, index: 256, work: '257' } }),
      blocksAfter: async (hash, max) => hash === '0'.repeat(64) ? blocks.slice(0, max) : undefined,
      locate: async () => undefined,
      locator: async () => ['0'.repeat(64)]
    }

    before(async () => {
      const app = new Hono()
      app.get('/text', (c) => c.text('this is not json'))
      app.get('/big', (c) => c.json({ s: 'x'.repeat(5000) }))
      app.get('/never', async (c) => { await released; return c.json({}) })
      server = await startHost<S>({
        services: {
          sync: httpOverLibp2pServer({ protocol: syncProtocol(NETWORK), handler: syncHandler(source) }),
          test: httpOverLibp2pServer({ protocol: TEST_PROTOCOL, handler: (req) => app.fetch(req) }),
          slow: httpOverLibp2pServer({ protocol: SLOW_SERVER_PROTOCOL, handler: (req) => app.fetch(req), timeoutMs: 300 }),
          small: httpOverLibp2pServer({ protocol: SMALL_SERVER_PROTOCOL, handler: (req) => app.fetch(req), maxResponseBytes: 1000 })
        }
      })
      client = await startHost({ bootstrap: [addrOf(server)] })
      await waitFor('client connected', () => client.getConnections(server.peerId).length > 0 ? true : undefined, WAIT_MS, POLL_MS)
    })
    after(() => { release() })

    it('GET /p2p/v1/status', async () => {
      const status = await fetchFromPeer(client, server.peerId, '/p2p/v1/status', { protocol: syncProtocol(NETWORK) })
      expect(status).to.deep.equal(source.status())
    })

    it('a ~6 MiB response arrives whole', async () => {
      const got = await fetchFromPeer(client, server.peerId, `/p2p/v1/blocks/after/${'0'.repeat(64)}/256`, { protocol: syncProtocol(NETWORK) }) as Block[]
      expect(got).to.have.length(256)
      expect(Buffer.byteLength(JSON.stringify(got))).to.be.above(6 * 1024 * 1024).and.at.most(MAX_RESPONSE_BYTES)
      expect(got[255].hash).to.equal(prev)
    })

    it('TIMEOUT: a peer that does not answer in time', async () => {
      const t0 = Date.now()
      const err = await fetchFromPeer(client, server.peerId, '/never', { protocol: TEST_PROTOCOL, timeoutMs: 300 }).then(() => undefined, (e: unknown) => e)
      expect(err).to.be.instanceOf(PeerRequestError)
      expect((err as PeerRequestError).code).to.equal(PeerRequestErrorCode.TIMEOUT)
      expect(Date.now() - t0).to.be.below(5_000)
    })

    it('the server aborts a request it cannot answer within its own timeout', async () => {
      const err = await fetchFromPeer(client, server.peerId, '/never', { protocol: SLOW_SERVER_PROTOCOL, timeoutMs: 10_000 }).then(() => undefined, (e: unknown) => e)
      expect((err as PeerRequestError).code).to.equal(PeerRequestErrorCode.UNREACHABLE)
    })

    it('the server aborts a response above its own size bound', async () => {
      const err = await fetchFromPeer(client, server.peerId, '/big', { protocol: SMALL_SERVER_PROTOCOL }).then(() => undefined, (e: unknown) => e)
      expect((err as PeerRequestError).code).to.equal(PeerRequestErrorCode.UNREACHABLE)
    })

    it('TOO_LARGE: a response above maxBytes', async () => {
      const err = await fetchFromPeer(client, server.peerId, `/p2p/v1/blocks/after/${'0'.repeat(64)}/256`, { protocol: syncProtocol(NETWORK), maxBytes: 1024 * 1024 })
        .then(() => undefined, (e: unknown) => e)
      expect((err as PeerRequestError).code).to.equal(PeerRequestErrorCode.TOO_LARGE)
      expect((err as PeerRequestError).meta.limit).to.equal(1024 * 1024)
      // The connection survives an aborted stream.
      expect(await fetchFromPeer(client, server.peerId, '/p2p/v1/status', { protocol: syncProtocol(NETWORK) })).to.have.property('network', NETWORK)
    })

    it('BAD_STATUS: a 4xx answer carries the peer\'s error code', async () => {
      const err = await fetchFromPeer(client, server.peerId, '/p2p/v1/blocks/after/zz/5', { protocol: syncProtocol(NETWORK) }).then(() => undefined, (e: unknown) => e)
      expect((err as PeerRequestError).code).to.equal(PeerRequestErrorCode.BAD_STATUS)
      expect((err as PeerRequestError).meta).to.include({ status: 400, remoteCode: 'BAD_HASH' })
    })

    it('BAD_JSON: a body that is not JSON', async () => {
      const err = await fetchFromPeer(client, server.peerId, '/text', { protocol: TEST_PROTOCOL }).then(() => undefined, (e: unknown) => e)
      expect((err as PeerRequestError).code).to.equal(PeerRequestErrorCode.BAD_JSON)
    })

    it('UNREACHABLE: a peer that does not speak the protocol', async () => {
      const err = await fetchFromPeer(client, server.peerId, '/p2p/v1/status', { protocol: '/gossipchain/other-net/http/1.1' }).then(() => undefined, (e: unknown) => e)
      expect((err as PeerRequestError).code).to.equal(PeerRequestErrorCode.UNREACHABLE)
    })

    it('refuses a path with a query string (http-fetch would drop it)', async () => {
      const err = await fetchFromPeer(client, server.peerId, '/p2p/v1/status?x=1', { protocol: syncProtocol(NETWORK) }).then(() => undefined, (e: unknown) => e)
      expect(err).to.be.instanceOf(TypeError)
    })
  })
})
