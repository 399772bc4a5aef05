import { expect } from 'chai'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { Hono } from 'hono'
import { createHost } from '../src/p2p/host.js'
import { httpOverLibp2pServer } from '../src/p2p/http-over-libp2p.js'
import { createSyncRoutes, jsonArrayWithin, syncHandler } from '../src/p2p/sync-routes.js'
import { syncLoop, SyncErrorCode } from '../src/p2p/sync-loop.js'
import { SYNC_ERROR_OUTCOMES } from '../src/p2p/sync-errors.js'
import { MAX_BLOCKS_PER_REQUEST, MAX_LOCATOR_HASHES, syncProtocol } from '../src/p2p/constants.js'
import type { Host } from '../src/p2p/host.js'
import type { SyncSource, SyncStatus } from '../src/p2p/sync-routes.js'
import type { SyncLoop, SyncLoopInit, SyncResult, SyncTarget } from '../src/p2p/sync-loop.js'
import type { Block } from '../src/core/types.js'
import type { ServiceMap } from '@libp2p/interface'
import { nodeSha256Hex } from '../src/crypto/sha256.js'
import { waitFor } from '../src/devnet/wait.js'

const NETWORK = 'synctest-0badc0de'
const LOCAL = ['/ip4/127.0.0.1/tcp/0']
// In-process hosts settle fast: poll often, and give up well inside the suite's mocha timeout.
const WAIT_MS = 10_000
const POLL_MS = 25

/** A fake block: linkage and index are real, everything else is filler. `bad` makes import fail. */
function fakeBlock (parent: Block | undefined, salt = ''): Block & { bad?: boolean } {
  const index = parent == null ? 0 : parent.index + 1
  const previous = parent?.hash ?? '0'.repeat(64)
  const hash = nodeSha256Hex(`${previous}/${index}/${salt}`)
  return { index, transactions: [], timestamp: index, previous_hash: previous, nonce: 0, hash, version: 1, bits: 0, tx_root: nodeSha256Hex('') }
}

function fakeChain (length: number, genesis?: Block, salt = ''): Block[] {
  const blocks: Block[] = [genesis ?? fakeBlock(undefined)]
  while (blocks.length < length) blocks.push(fakeBlock(blocks[blocks.length - 1], salt))
  return blocks
}

/**
 * An in-memory chain where every block has work 1 and the main chain is an array. It only
 * extends its tip (enough for these tests: every fork point is our tip).
 */
class FakeChain implements SyncSource, SyncTarget {
  readonly blocks: Block[]
  readonly byHash = new Map<string, Block>()
  readonly imports: Array<{ count: number, from: string }> = []
  /** Lies in status(): claim this much more work and height than we hold. */
  claimExtra = 0

  constructor (blocks: Block[], readonly network = NETWORK) {
    this.blocks = [...blocks]
    for (const b of blocks) this.byHash.set(b.hash, b)
  }

  get tip (): Block { return this.blocks[this.blocks.length - 1] }

  status (): SyncStatus {
    return {
      network: this.network,
      genesis: this.blocks[0].hash,
      head: { hash: this.tip.hash, index: this.tip.index + this.claimExtra, work: String(this.blocks.length + this.claimExtra) }
    }
  }

  async blocksAfter (hash: string, max: number): Promise<Block[] | undefined> {
    const at = this.blocks.findIndex(b => b.hash === hash)
    return at === -1 ? undefined : this.blocks.slice(at + 1, at + 1 + max)
  }

  async locate (hashes: string[]): Promise<{ hash: string, index: number } | undefined> {
    let best: Block | undefined
    for (const h of hashes) {
      const b = this.byHash.get(h)
      if (b != null && this.blocks[b.index]?.hash === h && (best == null || b.index > best.index)) best = b
    }
    return best == null ? undefined : { hash: best.hash, index: best.index }
  }

  async locator (): Promise<string[]> {
    const out: string[] = []
    let step = 1
    for (let i = this.tip.index; i > 0; i -= step) {
      out.push(this.blocks[i].hash)
      if (out.length >= 10) step *= 2
    }
    out.push(this.blocks[0].hash)
    return out
  }

  headWork (): bigint { return BigInt(this.blocks.length) }
  /** Every block weighs 1, genesis included. */
  workAt (index: number): bigint { return BigInt(index + 1) }
  hasBlock (hash: string): boolean { return this.byHash.has(hash) }

  async importBlocks (blocks: unknown[], from: string): Promise<{ imported: number, error?: { code: string, message: string, peerFault: boolean } }> {
    this.imports.push({ count: blocks.length, from })
    let imported = 0
    for (const raw of blocks) {
      const block = raw as Block & { bad?: boolean, fromTheFuture?: boolean }
      if (this.byHash.has(block.hash)) continue
      if (block.bad === true) return { imported, error: { code: 'BLOCK_HASH_MISMATCH', message: `block ${block.hash} is invalid`, peerFault: true } }
      if (block.fromTheFuture === true) return { imported, error: { code: 'BLOCK_TIMESTAMP_TOO_NEW', message: 'ahead of our clock', peerFault: false } }
      if (block.previous_hash !== this.tip.hash) return { imported, error: { code: 'BLOCK_UNKNOWN_PARENT', message: 'parent unknown', peerFault: true } }
      this.blocks.push(block)
      this.byHash.set(block.hash, block)
      imported++
    }
    return { imported }
  }
}

describe('sync routes /p2p/v1 (docs/design.md §5)', () => {
  const chain = new FakeChain(fakeChain(300))
  const app = new Hono().route('/p2p/v1', createSyncRoutes(chain))
  const get = async (path: string): Promise<{ status: number, body: any }> => {
    const res = await app.request(`/p2p/v1${path}`)
    expect(res.headers.get('content-type')).to.match(/^application\/json/)
    return { status: res.status, body: await res.json() }
  }

  it('GET /status', async () => {
    expect(await get('/status')).to.deep.equal({ status: 200, body: chain.status() })
  })

  it('GET /blocks/after/:hash/:max returns the main-chain blocks after hash, at most max', async () => {
    const { status, body } = await get(`/blocks/after/${chain.blocks[10].hash}/5`)
    expect(status).to.equal(200)
    expect(body.map((b: Block) => b.index)).to.deep.equal([11, 12, 13, 14, 15])
    expect((await get(`/blocks/after/${chain.blocks[0].hash}/${MAX_BLOCKS_PER_REQUEST}`)).body).to.have.length(256)
    expect((await get(`/blocks/after/${chain.tip.hash}/10`)).body).to.deep.equal([])
  })

  it('a batch is cut to fit the response limit', async () => {
    const small = new Hono().route('/p2p/v1', createSyncRoutes(chain, { maxResponseBytes: 2000 }))
    const res = await small.request(`/p2p/v1/blocks/after/${chain.blocks[0].hash}/100`)
    const text = await res.text()
    expect(Buffer.byteLength(text)).to.be.at.most(2000)
    const blocks = JSON.parse(text) as Block[]
    expect(blocks.length).to.be.above(0).and.below(100)
    expect(blocks[0].index).to.equal(1)
    expect(jsonArrayWithin([{ a: 'x'.repeat(100) }], 50)).to.equal(undefined)
    expect(jsonArrayWithin([], 2)).to.equal('[]')
  })

  it('GET /locate/:hashes returns the highest hash on the main chain', async () => {
    const hashes = [nodeSha256Hex('not ours'), chain.blocks[200].hash, chain.blocks[5].hash]
    expect(await get(`/locate/${hashes.join(',')}`)).to.deep.equal({ status: 200, body: { hash: chain.blocks[200].hash, index: 200 } })
  })

  it('BAD_HASH: a hash that is not 64 lowercase hex', async () => {
    for (const path of ['/blocks/after/abc/5', `/blocks/after/${'A'.repeat(64)}/5`, `/locate/${chain.blocks[1].hash},xyz`, `/locate/${chain.blocks[1].hash},`]) {
      const { status, body } = await get(path)
      expect(status, path).to.equal(400)
      expect(body.code, path).to.equal('BAD_HASH')
      expect(body.error, path).to.be.a('string')
    }
  })

  it('BAD_MAX: max outside 1..256 or not an integer', async () => {
    for (const max of ['0', '257', '-1', '1.5', 'ten', '0256', '1e2']) {
      const { status, body } = await get(`/blocks/after/${chain.blocks[0].hash}/${max}`)
      expect(status, max).to.equal(400)
      expect(body.code, max).to.equal('BAD_MAX')
    }
  })

  it('NOT_FOUND: an unknown sync route answers JSON on the libp2p handler', async () => {
    // Mounted on the facade, the facade's own notFound answers instead (Hono applies the parent's).
    const res = await syncHandler(chain)(new Request('http://x/p2p/v1/locate/'))
    expect(res.status).to.equal(404)
    expect(await res.json()).to.include({ code: 'NOT_FOUND' })
  })

  it('TOO_MANY_HASHES: more than 64 locator hashes', async () => {
    const hashes = Array.from({ length: MAX_LOCATOR_HASHES + 1 }, (_, i) => nodeSha256Hex(String(i)))
    const { status, body } = await get(`/locate/${hashes.join(',')}`)
    expect(status).to.equal(400)
    expect(body.code).to.equal('TOO_MANY_HASHES')
  })

  it('UNKNOWN_BLOCK: blocks after a hash not on the main chain', async () => {
    const { status, body } = await get(`/blocks/after/${nodeSha256Hex('elsewhere')}/5`)
    expect(status).to.equal(404)
    expect(body.code).to.equal('UNKNOWN_BLOCK')
  })

  it('NO_COMMON_BLOCK: none of the locator hashes is on the main chain', async () => {
    const { status, body } = await get(`/locate/${nodeSha256Hex('a')},${nodeSha256Hex('b')}`)
    expect(status).to.equal(404)
    expect(body.code).to.equal('NO_COMMON_BLOCK')
  })

  it('INTERNAL: a failing source gives a 500 JSON error, not a crash', async () => {
    const broken = new Hono().route('/p2p/v1', createSyncRoutes({ ...chain, status: () => { throw new Error('boom') } } as unknown as SyncSource))
    const res = await broken.request('/p2p/v1/status')
    expect(res.status).to.equal(500)
    expect(await res.json()).to.deep.equal({ error: 'the node failed to answer this request', code: 'INTERNAL' })
  })

  it('syncHandler serves the routes under /p2p/v1 and 404s elsewhere', async () => {
    const handler = syncHandler(chain)
    expect((await handler(new Request('http://x/p2p/v1/status'))).status).to.equal(200)
    const res = await handler(new Request('http://x/status'))
    expect(res.status).to.equal(404)
    expect((await res.json() as { code: string }).code).to.equal('NOT_FOUND')
  })
})

describe('sync loop (docs/design.md §5)', function () {
  this.timeout(30_000)
  type S = { syncServer: unknown, sync: SyncLoop }
  const hosts: Array<Host<ServiceMap>> = []
  afterEach(async () => { await Promise.all(hosts.splice(0).map(async h => { await h.stop() })) })

  type LoopOptions = Pick<SyncLoopInit, 'syncOnConnect' | 'requestTimeoutMs' | 'maxConcurrentSyncs' | 'maxManualSyncs' | 'stallMs' | 'timeBudgetMs' | 'batchSize'>
  async function node (chain: FakeChain, opts: { bootstrap?: string[], network?: string } & LoopOptions = {}): Promise<Host<S>> {
    const network = opts.network ?? NETWORK
    const host = await createHost<S>({
      privateKey: await generateKeyPair('Ed25519'),
      listen: LOCAL,
      bootstrap: opts.bootstrap ?? [],
      network,
      services: {
        syncServer: httpOverLibp2pServer({ protocol: syncProtocol(network), handler: syncHandler(chain) }),
        sync: syncLoop({
          network,
          source: chain,
          target: chain,
          syncOnConnect: opts.syncOnConnect,
          requestTimeoutMs: opts.requestTimeoutMs,
          maxConcurrentSyncs: opts.maxConcurrentSyncs,
          maxManualSyncs: opts.maxManualSyncs,
          stallMs: opts.stallMs,
          timeBudgetMs: opts.timeBudgetMs,
          batchSize: opts.batchSize
        })
      }
    })
    hosts.push(host as unknown as Host<ServiceMap>)
    return host
  }

  function finished (host: Host<S>, peer: string): Promise<SyncResult> {
    return new Promise((resolve) => {
      const listener = (evt: CustomEvent<SyncResult>): void => {
        if (evt.detail.peer === peer && evt.detail.outcome !== 'up-to-date') {
          host.services.sync.removeEventListener('sync:finished', listener)
          resolve(evt.detail)
        }
      }
      host.services.sync.addEventListener('sync:finished', listener)
    })
  }

  it('downloads a 600-block chain in batches of at most 256 on connect', async () => {
    const full = fakeChain(600)
    const server = new FakeChain(full)
    const fresh = new FakeChain(full.slice(0, 1))
    const serverHost = await node(server)
    const batches: number[] = []
    const freshHost = await node(fresh, { bootstrap: [serverHost.getMultiaddrs()[0].toString()] })
    freshHost.services.sync.addEventListener('sync:batch', (evt) => { batches.push(evt.detail.received) })
    const result = await finished(freshHost, serverHost.peerId.toString())
    expect(result).to.include({ outcome: 'synced', reason: 'connect', imported: 599 })
    expect(fresh.tip.hash).to.equal(server.tip.hash)
    expect(batches).to.deep.equal([256, 256, 87])
    expect(fresh.imports.every(i => i.from === serverHost.peerId.toString())).to.equal(true)
    // Peers we sync with are kept alive.
    const peer = await freshHost.peerStore.get(serverHost.peerId)
    expect([...peer.tags.keys()]).to.include('keep-alive-gossipchain-sync')
  })

  it('catches up from a common prefix found with the locator (fork point deep in the chain)', async () => {
    const full = fakeChain(700)
    const server = new FakeChain(full)
    const behind = new FakeChain(full.slice(0, 450))
    const serverHost = await node(server, { syncOnConnect: false })
    const behindHost = await node(behind, { syncOnConnect: false })
    await behindHost.dial(serverHost.getMultiaddrs()[0])
    const result = await behindHost.services.sync.requestSync(serverHost.peerId, 'unknown-parent')
    expect(result).to.include({ outcome: 'synced', reason: 'unknown-parent', imported: 250, batches: 1 })
    expect(behind.tip.index).to.equal(699)
    // Nothing to do the second time.
    expect((await behindHost.services.sync.requestSync(serverHost.peerId))?.outcome).to.equal('up-to-date')
  })

  it('SYNC_WORK_NOT_DELIVERED: a lying peer (status claims more work than it serves) is penalised and disconnected', async () => {
    const full = fakeChain(20)
    const liar = new FakeChain(full)
    liar.claimExtra = 1000
    const victim = new FakeChain(full.slice(0, 1))
    const liarHost = await node(liar, { syncOnConnect: false })
    // Full batches (19 of 19), then an empty one: it served everything it has, not what it claimed.
    const victimHost = await node(victim, { syncOnConnect: false, batchSize: 19 })
    await victimHost.dial(liarHost.getMultiaddrs()[0])
    const result = await victimHost.services.sync.requestSync(liarHost.peerId)
    expect(result).to.include({ outcome: 'lied', imported: 19 })
    expect(result?.error?.code).to.equal(SyncErrorCode.WORK_NOT_DELIVERED)
    expect(result?.error?.meta).to.include({ claimed: '1020', reached: '20' })
    expect(victimHost.services.reputation.score(liarHost.peerId)).to.be.below(0)
    expect(victimHost.services.reputation.isBanned(liarHost.peerId)).to.equal(true)
    await waitFor('the liar disconnected', () => victimHost.getConnections(liarHost.peerId).length === 0 ? true : undefined, WAIT_MS, POLL_MS)
  })

  it('SYNC_INVALID_BLOCK: a peer that serves an invalid block is penalised and disconnected', async () => {
    const full = fakeChain(40)
    ;(full[30] as Block & { bad?: boolean }).bad = true
    const evil = new FakeChain(full)
    const victim = new FakeChain(full.slice(0, 1))
    const evilHost = await node(evil, { syncOnConnect: false })
    const victimHost = await node(victim, { syncOnConnect: false })
    await victimHost.dial(evilHost.getMultiaddrs()[0])
    const result = await victimHost.services.sync.requestSync(evilHost.peerId)
    expect(result).to.include({ outcome: 'invalid-data', imported: 29 })
    expect(result?.error?.code).to.equal(SyncErrorCode.INVALID_BLOCK)
    expect(result?.error?.meta.ruleCode).to.equal('BLOCK_HASH_MISMATCH')
    expect(victimHost.services.reputation.isBanned(evilHost.peerId)).to.equal(true)
    await waitFor('the peer disconnected', () => victimHost.getConnections(evilHost.peerId).length === 0 ? true : undefined, WAIT_MS, POLL_MS)
  })

  it('SYNC_BLOCK_IGNORED: a block refused for our own reasons (our clock) ends the sync without a penalty', async () => {
    const full = fakeChain(40)
    ;(full[30] as Block & { fromTheFuture?: boolean }).fromTheFuture = true
    const honest = new FakeChain(full)
    const behind = new FakeChain(full.slice(0, 1))
    const honestHost = await node(honest, { syncOnConnect: false })
    const behindHost = await node(behind, { syncOnConnect: false })
    await behindHost.dial(honestHost.getMultiaddrs()[0])
    const result = await behindHost.services.sync.requestSync(honestHost.peerId)
    expect(result).to.include({ outcome: 'failed', imported: 29 })
    expect(result?.error?.code).to.equal(SyncErrorCode.BLOCK_IGNORED)
    expect(behindHost.services.reputation.isBanned(honestHost.peerId)).to.equal(false)
    expect(behindHost.services.reputation.score(honestHost.peerId)).to.equal(0)
    expect(behindHost.getConnections(honestHost.peerId)).to.not.have.length(0)
  })

  it('SYNC_WRONG_NETWORK: a peer of another network (different genesis) is banned and disconnected without downloading', async () => {
    const ours = new FakeChain(fakeChain(3))
    // Same network name, different genesis: the status check must catch it.
    const theirs = new FakeChain(fakeChain(50, fakeBlock(undefined, 'other genesis')))
    const theirHost = await node(theirs, { syncOnConnect: false })
    const ourHost = await node(ours, { syncOnConnect: false })
    await ourHost.dial(theirHost.getMultiaddrs()[0])
    const result = await ourHost.services.sync.requestSync(theirHost.peerId)
    expect(result).to.include({ outcome: 'wrong-network', imported: 0, batches: 0 })
    expect(result?.error?.code).to.equal(SyncErrorCode.WRONG_NETWORK)
    expect(ourHost.services.reputation.isBanned(theirHost.peerId)).to.equal(true)
    expect(ours.imports).to.have.length(0)
    await waitFor('the foreign peer disconnected', () => ourHost.getConnections(theirHost.peerId).length === 0 ? true : undefined, WAIT_MS, POLL_MS)
  })

  /** Peers that break the protocol one way each: the code the sync names, and what it does about the peer. */
  const misbehaving: Array<{ code: SyncErrorCode, what: string, peerFault: boolean, make: (full: Block[]) => FakeChain }> = [
    {
      code: SyncErrorCode.BAD_STATUS_BODY,
      what: 'a status whose head hash is not 64 hex',
      peerFault: true,
      make: full => Object.assign(new FakeChain(full), { status () { return { ...FakeChain.prototype.status.call(this), head: { hash: 'nope', index: 1, work: '99' } } } })
    },
    {
      code: SyncErrorCode.BAD_LOCATE,
      what: 'a fork point that is not in our locator',
      peerFault: true,
      make: full => Object.assign(new FakeChain(full), { locate: async () => ({ hash: full[30].hash, index: 30 }) })
    },
    {
      code: SyncErrorCode.NO_COMMON_BLOCK,
      what: 'no common block, though our locator ends with the genesis we share',
      peerFault: true,
      make: full => Object.assign(new FakeChain(full), { locate: async () => undefined })
    },
    {
      code: SyncErrorCode.BAD_BATCH,
      what: 'a batch that skips a block',
      peerFault: true,
      make: full => Object.assign(new FakeChain(full), { blocksAfter: async () => [full[1], full[3]] })
    },
    {
      code: SyncErrorCode.BRANCH_MOVED,
      what: 'its chain moved: it no longer has the block we continue from',
      peerFault: false,
      make: full => Object.assign(new FakeChain(full), { blocksAfter: async () => undefined })
    },
    {
      code: SyncErrorCode.TIMEOUT,
      what: 'a batch that never comes',
      peerFault: false,
      make: full => Object.assign(new FakeChain(full), { blocksAfter: async () => await new Promise<undefined>(() => {}) })
    }
  ]
  for (const { code, what, peerFault, make } of misbehaving) {
    it(`${code}: ${what}${peerFault ? ' (penalised and disconnected)' : ' (no penalty)'}`, async () => {
      const full = fakeChain(40)
      const peerHost = await node(make(full), { syncOnConnect: false })
      const victimHost = await node(new FakeChain(full.slice(0, 1)), { syncOnConnect: false, requestTimeoutMs: 500 })
      await victimHost.dial(peerHost.getMultiaddrs()[0])
      const result = await victimHost.services.sync.requestSync(peerHost.peerId)
      expect(result?.error?.code, result?.error?.message).to.equal(code)
      expect(result?.outcome).to.equal(SYNC_ERROR_OUTCOMES[code].outcome)
      expect(victimHost.services.reputation.isBanned(peerHost.peerId)).to.equal(peerFault)
      if (!peerFault) expect(victimHost.services.reputation.score(peerHost.peerId)).to.equal(0)
    })
  }

  it('one sync at a time per peer: concurrent requests share the running sync', async () => {
    const full = fakeChain(300)
    const server = new FakeChain(full)
    const client = new FakeChain(full.slice(0, 1))
    const serverHost = await node(server, { syncOnConnect: false })
    const clientHost = await node(client, { syncOnConnect: false })
    await clientHost.dial(serverHost.getMultiaddrs()[0])
    const [first, second] = await Promise.all([
      clientHost.services.sync.requestSync(serverHost.peerId),
      clientHost.services.sync.requestSync(serverHost.peerId.toString())
    ])
    expect(first).to.equal(second)
    expect(first?.outcome).to.equal('synced')
    expect(client.imports.reduce((n, i) => n + i.count, 0)).to.equal(299)
  })

  /** A peer that holds a slot: its status claims a chain longer than ours, and it never serves a batch. */
  function stallingPeer (full: Block[]): FakeChain {
    return Object.assign(new FakeChain(full), { blocksAfter: async () => await new Promise<undefined>(() => {}) })
  }

  it('SYNC_SHORT_BATCH (defect 1, sync slots): a peer that serves a block at a time, short of its head, is penalised and dropped', async () => {
    const full = fakeChain(300)
    const dribbler = Object.assign(new FakeChain(full), {
      async blocksAfter (hash: string) {
        const at = full.findIndex(b => b.hash === hash)
        return full.slice(at + 1, at + 2)
      }
    })
    const peerHost = await node(dribbler, { syncOnConnect: false })
    const victimHost = await node(new FakeChain(full.slice(0, 1)), { syncOnConnect: false })
    await victimHost.dial(peerHost.getMultiaddrs()[0])
    const result = await victimHost.services.sync.requestSync(peerHost.peerId)
    expect(result).to.include({ outcome: 'lied', imported: 0, batches: 1 })
    expect(result?.error?.code).to.equal(SyncErrorCode.SHORT_BATCH)
    expect(victimHost.services.reputation.isBanned(peerHost.peerId)).to.equal(true)
  })

  it('SYNC_WORK_INDEX_MISMATCH: a status whose work is not what its height weighs is caught before any download', async () => {
    const full = fakeChain(10)
    const boaster = Object.assign(new FakeChain(full), {
      status () { return { ...FakeChain.prototype.status.call(this), head: { hash: full[9].hash, index: 9, work: '1000000000000' } } }
    })
    const peerHost = await node(boaster, { syncOnConnect: false })
    const victim = new FakeChain(full.slice(0, 1))
    const victimHost = await node(victim, { syncOnConnect: false })
    await victimHost.dial(peerHost.getMultiaddrs()[0])
    const result = await victimHost.services.sync.requestSync(peerHost.peerId)
    expect(result).to.include({ outcome: 'invalid-data', batches: 0 })
    expect(result?.error?.code).to.equal(SyncErrorCode.WORK_INDEX_MISMATCH)
    expect(victim.imports).to.have.length(0)
  })

  it('SYNC_EVICTED (defect 1): stalled syncs holding every slot give one up to an honest peer within the stall time', async () => {
    const full = fakeChain(50)
    const victim = new FakeChain(full.slice(0, 1))
    const victimHost = await node(victim, { syncOnConnect: false, maxConcurrentSyncs: 2, stallMs: 300, requestTimeoutMs: 3000 })
    const stallers = await Promise.all([0, 1].map(async () => await node(stallingPeer(full), { syncOnConnect: false })))
    for (const h of stallers) await victimHost.dial(h.getMultiaddrs()[0])
    const stalled = stallers.map(h => victimHost.services.sync.requestSync(h.peerId, 'connect'))
    await waitFor('both slots taken', () => victimHost.services.sync.syncing().length === 2 ? true : undefined, WAIT_MS, POLL_MS)
    const honestHost = await node(new FakeChain(full), { syncOnConnect: false })
    await victimHost.dial(honestHost.getMultiaddrs()[0])
    const started = Date.now()
    const honest = await victimHost.services.sync.requestSync(honestHost.peerId, 'unknown-parent')
    expect(honest?.outcome).to.equal('synced')
    expect(Date.now() - started).to.be.below(5000) // not the stallers' 10 s request timeout
    expect(victim.tip.hash).to.equal(full[49].hash)
    const ended = (await Promise.all(stalled)).filter(r => r?.error?.code === SyncErrorCode.EVICTED)
    expect(ended).to.have.length.at.least(1)
    expect(ended.every(r => r?.outcome === 'failed')).to.equal(true) // evicted, not penalised
  })

  it('a manual sync (/register_with) has its own slots: background syncs that fill theirs cannot keep it out', async () => {
    const full = fakeChain(30)
    const victimHost = await node(new FakeChain(full.slice(0, 1)), { syncOnConnect: false, maxConcurrentSyncs: 1, stallMs: 60_000 })
    const staller = await node(stallingPeer(full), { syncOnConnect: false })
    await victimHost.dial(staller.getMultiaddrs()[0])
    void victimHost.services.sync.requestSync(staller.peerId, 'connect')
    await waitFor('the background slot taken', () => victimHost.services.sync.syncing().length === 1 ? true : undefined, WAIT_MS, POLL_MS)
    const honestHost = await node(new FakeChain(full), { syncOnConnect: false })
    await victimHost.dial(honestHost.getMultiaddrs()[0])
    // A periodic sync finds no slot and does not wait; a manual one runs at once.
    expect(await victimHost.services.sync.requestSync(honestHost.peerId, 'interval')).to.equal(undefined)
    expect((await victimHost.services.sync.requestSync(honestHost.peerId, 'manual'))?.outcome).to.equal('synced')
  })

  it('SYNC_NO_PROGRESS: a sync that imports nothing within its time budget ends, and the peer is penalised', async () => {
    const full = fakeChain(30)
    const peerHost = await node(stallingPeer(full), { syncOnConnect: false })
    const victimHost = await node(new FakeChain(full.slice(0, 1)), { syncOnConnect: false, timeBudgetMs: 400 })
    await victimHost.dial(peerHost.getMultiaddrs()[0])
    const started = Date.now()
    const result = await victimHost.services.sync.requestSync(peerHost.peerId)
    expect(Date.now() - started).to.be.below(5000)
    expect(result).to.include({ outcome: 'lied' })
    expect(result?.error?.code).to.equal(SyncErrorCode.NO_PROGRESS)
    expect(victimHost.services.reputation.isBanned(peerHost.peerId)).to.equal(true)
  })

  it('SYNC_ABANDONED: the asker\'s signal ends the sync', async () => {
    const full = fakeChain(30)
    const peerHost = await node(stallingPeer(full), { syncOnConnect: false })
    const victimHost = await node(new FakeChain(full.slice(0, 1)), { syncOnConnect: false })
    await victimHost.dial(peerHost.getMultiaddrs()[0])
    const result = await victimHost.services.sync.requestSync(peerHost.peerId, 'manual', { signal: AbortSignal.timeout(300) })
    expect(result?.error?.code).to.equal(SyncErrorCode.ABANDONED)
    expect(victimHost.services.reputation.score(peerHost.peerId)).to.equal(0)
  })

  it('SYNC_UNREACHABLE: a request to an unreachable peer fails without penalty', async () => {
    const ours = new FakeChain(fakeChain(3))
    const ourHost = await node(ours, { syncOnConnect: false })
    // A host without the sync protocol.
    const bare = await createHost({ privateKey: await generateKeyPair('Ed25519'), listen: LOCAL, bootstrap: [] })
    hosts.push(bare as unknown as Host<ServiceMap>)
    await ourHost.dial(bare.getMultiaddrs()[0])
    const result = await ourHost.services.sync.requestSync(bare.peerId)
    expect(result).to.include({ outcome: 'failed' })
    expect(result?.error?.code).to.equal(SyncErrorCode.UNREACHABLE)
    expect(ourHost.services.reputation.score(bare.peerId)).to.equal(0)
  })
})
