// The facade's routes (docs/design.md §7), good and bad input, through app.request() with no socket.
import { expect } from 'chai'
import { readFile } from 'node:fs/promises'
import { Hono } from 'hono'
import { computeBlockHash, leadingZeroBits } from '../src/core/block.js'
import { fromHex } from '../src/core/bytes.js'
import { BlockErrorCode, TxErrorCode } from '../src/core/errors.js'
import { txLeafHash, verifyMerkleProof } from '../src/core/merkle.js'
import type { Block } from '../src/core/types.js'
import { BLOCK_DISCARDED } from '../src/http/routes/block-routes.js'
import { HttpError, HttpErrorCode } from '../src/http/http-error.js'
import { makeTx, mineOn, TEST_NETWORK } from './helpers/fixtures.js'
import { call, GENESIS, legacyBody, NET, openHarness, OTHER_PEER_ID, SELF_PEER_ID, type Harness, type Reply } from './http-harness.js'
import type { PeerSyncSummary } from '../src/http/types.js'

const BITS = TEST_NETWORK.bits

function expectError (reply: { status: number, body: any }, status: number, code: string): void {
  expect(reply.status, JSON.stringify(reply.body)).to.equal(status)
  expect(reply.body.code).to.equal(code)
  expect(reply.body.error).to.be.a('string').and.not.equal('')
}

/** A block on `parent` whose hash is right but misses the proof of work. */
function blockWithoutWork (parent: Block): Block {
  const good = mineOn(parent, [], BITS)
  for (let nonce = 0; ; nonce++) {
    const hash = computeBlockHash({ ...good, nonce })
    if (leadingZeroBits(fromHex(hash, 'hash', 32)) < BITS) return { ...good, nonce, hash }
  }
}

describe('http facade routes', function () {
  let h: Harness

  beforeEach(async () => { h = await openHarness() })
  afterEach(async () => {
    expect(h.internalErrors, 'no client input may reach a 500').to.deep.equal([])
    await h.close()
  })

  describe('GET /chain', () => {
    it('answers the original shape {length, chain, peers}', async () => {
      const r = await call(h.app, 'GET', '/chain')
      expect(r.status).to.equal(200)
      expect(r.headers.get('content-type')).to.match(/^application\/json/)
      expect(r.body).to.deep.equal({ length: 1, chain: [GENESIS], peers: [`/ip4/10.0.0.2/tcp/9000/p2p/${OTHER_PEER_ID}`] })
    })

    it('pages with ?from=&limit= while length stays the whole chain', async () => {
      let parent = GENESIS
      for (let i = 0; i < 5; i++) { parent = mineOn(parent, [], BITS); await h.chain.submitBlock(parent) }
      const r = await call(h.app, 'GET', '/chain?from=2&limit=2')
      expect(r.status).to.equal(200)
      expect(r.body.length).to.equal(6)
      expect(r.body.chain.map((b: Block) => b.index)).to.deep.equal([2, 3])
      const tail = await call(h.app, 'GET', '/chain?from=4')
      expect(tail.body.chain.map((b: Block) => b.index)).to.deep.equal([4, 5])
      const past = await call(h.app, 'GET', '/chain?from=100&limit=3')
      expect(past.body).to.include({ length: 6 })
      expect(past.body.chain).to.deep.equal([])
    })

    it('streams a chain longer than one read batch and one 64 KiB piece, linked end to end', async () => {
      let parent = GENESIS
      for (let i = 0; i < 70; i++) { parent = mineOn(parent, [makeTx(NET, `${i}:`.padEnd(2048, '.'))], BITS); await h.chain.submitBlock(parent) }
      const res = await h.app.request('/chain')
      expect(res.body).to.be.instanceOf(ReadableStream)
      const text = await res.text()
      expect(text.length).to.be.above(140 * 1024)
      const body = JSON.parse(text)
      expect(body.length).to.equal(71)
      expect(body.chain).to.have.length(71)
      for (let i = 1; i < 71; i++) expect(body.chain[i].previous_hash).to.equal(body.chain[i - 1].hash)
      expect(body.peers).to.have.length(1)
    })

    for (const q of ['from=-1', 'from=abc', 'limit=1.5', 'limit=', 'from=1e3', 'limit=9999999999999999']) {
      it(`BAD_QUERY: ?${q}`, async () => {
        expectError(await call(h.app, 'GET', `/chain?${q}`), 400, HttpErrorCode.BAD_QUERY)
      })
    }
  })

  describe('POST /new_transaction', () => {
    it('accepts a signed tx without a Content-Type, answers 201 and gossips it', async () => {
      const tx = makeTx(NET, 'lot 42 left the farm')
      const r = await call(h.app, 'POST', '/new_transaction', tx)
      expect(r.status).to.equal(201)
      expect(r.body).to.deep.equal({ message: 'Success', id: tx.id })
      expect(h.network.publishedTxs.map(t => t.id)).to.deep.equal([tx.id])
      const pending = await call(h.app, 'GET', '/pending_tx')
      expect(pending.status).to.equal(200)
      expect(pending.body).to.deep.equal([tx])
    })

    it('unbounded responses (defect 4): GET /pending_tx is one page at a time, streamed, with a Link to the next', async () => {
      const posted = []
      for (let i = 0; i < 5; i++) {
        const tx = makeTx(NET, `paged ${i}`, { signer: 10 + i })
        expect((await call(h.app, 'POST', '/new_transaction', tx)).status).to.equal(201)
        posted.push(tx)
      }
      const first = await call(h.app, 'GET', '/pending_tx?limit=2')
      expect(first.body).to.deep.equal(posted.slice(0, 2)) // the original shape: a bare array
      expect(first.headers.get('x-total-count')).to.equal('5')
      const next = /^<([^>]+)>; rel="next"$/.exec(first.headers.get('link') ?? '')?.[1]
      expect(next).to.be.a('string')
      // The cursor is an arrival number: a tx leaving the mempool does not shift the next page.
      h.chain.mempool.remove([posted[0].id])
      const second = await call(h.app, 'GET', next!)
      expect(second.body).to.deep.equal(posted.slice(2, 4))
      const last = await call(h.app, 'GET', /^<([^>]+)>/.exec(second.headers.get('link')!)![1])
      expect(last.body).to.deep.equal([posted[4]])
      expect(last.headers.get('link')).to.equal(null)
      // Without a query, old clients get the first page (up to the default limit), as a bare array.
      expect((await call(h.app, 'GET', '/pending_tx')).body).to.deep.equal(posted.slice(1))
      expectError(await call(h.app, 'GET', '/pending_tx?limit=1001'), 400, HttpErrorCode.BAD_QUERY)
      expectError(await call(h.app, 'GET', '/pending_tx?from=-1'), 400, HttpErrorCode.BAD_QUERY)
    })

    it('mempool monopoly (defect 3): a fresh sender gets into a mempool one sender filled, and that sender then gets 429; nothing acknowledged is dropped', async () => {
      const small = await openHarness({ mempoolMaxCount: 40 })
      try {
        const flood = []
        for (let i = 0; ; i++) {
          const tx = makeTx(NET, `flood ${i}`, { signer: 7 })
          const r = await call(small.app, 'POST', '/new_transaction', tx)
          if (r.status !== 201) {
            expectError(r, 503, TxErrorCode.MEMPOOL_FULL) // alone, it shares with nobody: only the size stops it
            break
          }
          flood.push(tx)
        }
        expect(flood).to.have.length(40)
        const honest = makeTx(NET, 'honest', { signer: 8 })
        expect((await call(small.app, 'POST', '/new_transaction', honest)).status).to.equal(201)
        // Now two share it: the flooder is over its share and refused before any signature work.
        expectError(await call(small.app, 'POST', '/new_transaction', makeTx(NET, 'more flood', { signer: 7 })), 429, TxErrorCode.MEMPOOL_SHARE_EXCEEDED)
        // The tx that made room is parked, still pending and journaled, not dropped.
        const displaced = flood[flood.length - 1]
        expect((await call(small.app, 'GET', '/pending_tx?limit=1000')).body.map((t: { id: string }) => t.id)).to.not.include(displaced.id)
        expect((await call(small.app, 'GET', `/tx/${displaced.id}`)).body.status).to.equal('pending')
        // The next block takes from both senders, and the displaced tx comes back.
        const mined = await call(small.app, 'POST', '/mine')
        expect(mined.body.block.transactions.map((t: { id: string }) => t.id)).to.include(honest.id)
        expect((await call(small.app, 'GET', '/pending_tx?limit=1000')).body.map((t: { id: string }) => t.id)).to.include(displaced.id)
      } finally {
        await small.close()
      }
    })

    it('TX_DUPLICATE: the same tx twice is 409 and gossiped once', async () => {
      const tx = makeTx(NET, 'twice')
      expect((await call(h.app, 'POST', '/new_transaction', tx)).status).to.equal(201)
      expectError(await call(h.app, 'POST', '/new_transaction', tx), 409, TxErrorCode.DUPLICATE)
      expect(h.network.publishedTxs).to.have.length(1)
    })

    it('TX_ALREADY_IN_CHAIN: a confirmed tx is 409', async () => {
      const tx = makeTx(NET, 'confirmed')
      await call(h.app, 'POST', '/new_transaction', tx)
      expect((await call(h.app, 'POST', '/mine')).status).to.equal(200)
      expectError(await call(h.app, 'POST', '/new_transaction', tx), 409, TxErrorCode.ALREADY_IN_CHAIN)
    })

    it('MALFORMED_JSON: a body that is not JSON', async () => {
      expectError(await call(h.app, 'POST', '/new_transaction', '{"data": '), 400, HttpErrorCode.MALFORMED_JSON)
      expectError(await call(h.app, 'POST', '/new_transaction', ''), 400, HttpErrorCode.MALFORMED_JSON)
      expectError(await call(h.app, 'POST', '/new_transaction', new Uint8Array([0x7b, 0xff, 0x7d])), 400, HttpErrorCode.MALFORMED_JSON)
    })

    it('BODY_NOT_OBJECT: JSON that is not an object', async () => {
      for (const body of ['[]', '"tx"', '42', 'null', 'true']) {
        expectError(await call(h.app, 'POST', '/new_transaction', body), 400, HttpErrorCode.BODY_NOT_OBJECT)
      }
    })

    it('BODY_TOO_DEEP: absurd nesting is refused before any rule recurses into it', async () => {
      const deep = '{"data":' + '['.repeat(5000) + ']'.repeat(5000) + '}'
      expectError(await call(h.app, 'POST', '/new_transaction', deep), 400, HttpErrorCode.BODY_TOO_DEEP)
    })

    it('TX_WRONG_TYPE: a field of the wrong JSON type', async () => {
      expectError(await call(h.app, 'POST', '/new_transaction', { ...makeTx(NET, 'x'), timestamp: '1767225700' }), 400, TxErrorCode.WRONG_TYPE)
    })

    it('TX_UNKNOWN_FIELD: a field the schema does not know', async () => {
      expectError(await call(h.app, 'POST', '/new_transaction', { ...makeTx(NET, 'x'), extra: 1 }), 400, TxErrorCode.UNKNOWN_FIELD)
    })

    it('TX_MISSING_FIELD: a native tx without its nonce', async () => {
      const { nonce: _n, ...tx } = makeTx(NET, 'x')
      expectError(await call(h.app, 'POST', '/new_transaction', tx), 400, TxErrorCode.MISSING_FIELD)
    })

    it('TX_BAD_SIGNATURE: a signature of other bytes', async () => {
      const tx = makeTx(NET, 'x')
      const other = makeTx(NET, 'y')
      expectError(await call(h.app, 'POST', '/new_transaction', { ...tx, signature: other.signature }), 400, TxErrorCode.BAD_SIGNATURE)
    })

    it('TX_ID_MISMATCH: an id that is not the hash of the signing payload', async () => {
      expectError(await call(h.app, 'POST', '/new_transaction', { ...makeTx(NET, 'x'), id: 'ab'.repeat(32) }), 400, TxErrorCode.ID_MISMATCH)
    })

    it('TX_TOO_LARGE: data over 16 KiB is 413', async () => {
      expectError(await call(h.app, 'POST', '/new_transaction', { ...makeTx(NET, 'x'), data: 'x'.repeat(16 * 1024 + 1) }), 413, TxErrorCode.TOO_LARGE)
    })

    it('BODY_TOO_LARGE: a body over the limit is 413 before it is parsed', async () => {
      const small = await openHarness({ bodyLimitBytes: 1024 })
      try {
        expectError(await call(small.app, 'POST', '/new_transaction', { ...makeTx(NET, 'x'), data: 'x'.repeat(2000) }), 413, HttpErrorCode.BODY_TOO_LARGE)
        expect(small.internalErrors).to.deep.equal([])
      } finally { await small.close() }
      const huge = '{"data":"' + 'x'.repeat(2 * 1024 * 1024) + '"}'
      expectError(await call(h.app, 'POST', '/new_transaction', huge), 413, HttpErrorCode.BODY_TOO_LARGE)
    })

    it('TX_MEMPOOL_FULL: a full mempool refuses with 503', async () => {
      const tiny = await openHarness({ mempoolMaxCount: 1 })
      try {
        expect((await call(tiny.app, 'POST', '/new_transaction', makeTx(NET, '1'))).status).to.equal(201)
        expectError(await call(tiny.app, 'POST', '/new_transaction', makeTx(NET, '2')), 503, TxErrorCode.MEMPOOL_FULL)
        expect(tiny.internalErrors).to.deep.equal([])
      } finally { await tiny.close() }
    })

    it('accepts a legacy RSA body of the original wallet; its replay is TX_DUPLICATE', async () => {
      const body = legacyBody('pallet 7 received')
      const r = await call(h.app, 'POST', '/new_transaction', body, { 'Content-Type': 'application/json' })
      expect(r.status, JSON.stringify(r.body)).to.equal(201)
      expect(r.body.id).to.match(/^[0-9a-f]{64}$/)
      const [stored] = h.chain.pending()
      expect(stored).to.include({ scheme: 'rsa-legacy', data: 'pallet 7 received', id: r.body.id, timestamp: NOW_SECONDS })
      expectError(await call(h.app, 'POST', '/new_transaction', body), 409, TxErrorCode.DUPLICATE)
    })

    it('TX_BAD_SIGNATURE: a legacy body whose data was changed', async () => {
      expectError(await call(h.app, 'POST', '/new_transaction', { ...legacyBody('original'), data: 'tampered' }), 400, TxErrorCode.BAD_SIGNATURE)
    })

    it('TX_LEGACY_DISABLED: a legacy body on a node that turned them off', async () => {
      const strict = await openHarness({ legacyTransactions: false })
      try {
        const r = await call(strict.app, 'POST', '/new_transaction', legacyBody('old wallet'))
        expectError(r, 400, TxErrorCode.LEGACY_DISABLED)
      } finally { await strict.close() }
    })
  })

  describe('/mine', () => {
    it('says there is nothing to mine with an empty mempool', async () => {
      const r = await call(h.app, 'GET', '/mine')
      expect(r).to.deep.include({ status: 200, body: { message: 'No transactions to mine' } })
    })

    it('mines pending txs on GET and POST', async () => {
      await call(h.app, 'POST', '/new_transaction', makeTx(NET, 'a'))
      const r = await call(h.app, 'GET', '/mine')
      expect(r.status).to.equal(200)
      expect(r.body.message).to.equal('Block #1 is mined.')
      expect(r.body.block).to.include({ index: 1, previous_hash: GENESIS.hash })
      expect(h.chain.height).to.equal(1)
      await call(h.app, 'POST', '/new_transaction', makeTx(NET, 'b'))
      const again = await call(h.app, 'POST', '/mine')
      expect(again.body.message).to.equal('Block #2 is mined.')
    })
  })

  describe('admin token', () => {
    let secured: Harness
    beforeEach(async () => { secured = await openHarness({ apiToken: 's3cret-token' }) })
    afterEach(async () => {
      expect(secured.internalErrors).to.deep.equal([])
      await secured.close()
    })

    for (const [method, path] of [['GET', '/mine'], ['POST', '/mine'], ['GET', '/save'], ['POST', '/save'], ['POST', '/register_with'], ['POST', '/register_node']]) {
      it(`UNAUTHORIZED: ${method} ${path} without or with a wrong token`, async () => {
        const missing = await call(secured.app, method, path)
        expectError(missing, 401, HttpErrorCode.UNAUTHORIZED)
        expect(missing.headers.get('www-authenticate')).to.match(/^Bearer/)
        expectError(await call(secured.app, method, path, undefined, { Authorization: 'Bearer wrong' }), 401, HttpErrorCode.UNAUTHORIZED)
        expectError(await call(secured.app, method, path, undefined, { Authorization: 'Bearer s3cret-token-longer' }), 401, HttpErrorCode.UNAUTHORIZED)
        expectError(await call(secured.app, method, path, undefined, { Authorization: 's3cret-token' }), 401, HttpErrorCode.UNAUTHORIZED)
        expectError(await call(secured.app, method, path, undefined, { Authorization: 'Basic czNjcmV0' }), 401, HttpErrorCode.UNAUTHORIZED)
      })
    }

    it('lets the right token through', async () => {
      const auth = { Authorization: 'Bearer s3cret-token' }
      expect((await call(secured.app, 'POST', '/mine', undefined, auth)).status).to.equal(200)
      expect((await call(secured.app, 'GET', '/save', undefined, auth)).status).to.equal(201)
      expect((await call(secured.app, 'GET', '/save', undefined, { authorization: 'bearer   s3cret-token' })).status).to.equal(201)
    })

    it('leaves the public routes open', async () => {
      expect((await call(secured.app, 'GET', '/chain')).status).to.equal(200)
      expect((await call(secured.app, 'POST', '/new_transaction', makeTx(NET, 'open'))).status).to.equal(201)
    })
  })

  describe('/save', () => {
    it('writes an atomic JSON snapshot of the main chain in the data dir', async () => {
      await call(h.app, 'POST', '/new_transaction', makeTx(NET, 'saved'))
      await call(h.app, 'POST', '/mine')
      const r = await call(h.app, 'POST', '/save')
      expect(r.status).to.equal(201)
      expect(r.body).to.include({ message: 'Success', length: 2 })
      expect(r.body.path).to.match(/chain-snapshot\.json$/)
      const snapshot = JSON.parse(await readFile(r.body.path, 'utf8'))
      expect(snapshot).to.include({ network: NET, genesis: GENESIS.hash, length: 2 })
      expect(snapshot.chain.map((b: Block) => b.index)).to.deep.equal([0, 1])
      expect(snapshot.chain[1].transactions[0].data).to.equal('saved')
      // A second save replaces the first whole, with no temp file left behind.
      expect((await call(h.app, 'GET', '/save')).status).to.equal(201)
      const { readdir } = await import('node:fs/promises')
      expect(await readdir(`${h.dir}/data`)).to.deep.equal(['chain-snapshot.json'])
    })
  })

  describe('POST /add_block', () => {
    it('accepts a mined block with 201 and gossips it', async () => {
      const tx = makeTx(NET, 'in a block')
      const block = mineOn(GENESIS, [tx], BITS)
      const r = await call(h.app, 'POST', '/add_block', block)
      expect(r).to.deep.include({ status: 201, body: { message: 'Block added to the chain' } })
      expect(h.chain.head.hash).to.equal(block.hash)
      expect(h.network.publishedBlocks.map(b => b.hash)).to.deep.equal([block.hash])
    })

    async function expectDiscarded (body: unknown, status: number, code: string): Promise<void> {
      const r = await call(h.app, 'POST', '/add_block', body)
      expectError(r, status, code)
      expect(r.body.error).to.equal(BLOCK_DISCARDED)
      expect(r.body.detail).to.be.a('string').and.not.equal('')
      expect(h.network.publishedBlocks).to.have.length(0)
    }

    it('BLOCK_ALREADY_KNOWN: a known block is 409', async () => {
      const block = mineOn(GENESIS, [], BITS)
      await h.chain.submitBlock(block)
      await expectDiscarded(block, 409, BlockErrorCode.ALREADY_KNOWN)
    })

    it('BLOCK_INSUFFICIENT_WORK: a forged block without proof of work', async () => {
      await expectDiscarded(blockWithoutWork(GENESIS), 400, BlockErrorCode.INSUFFICIENT_WORK)
    })

    it('BLOCK_HASH_MISMATCH: a block whose hash is not its header\'s', async () => {
      const block = mineOn(GENESIS, [], BITS)
      await expectDiscarded({ ...block, timestamp: block.timestamp + 1 }, 400, BlockErrorCode.HASH_MISMATCH)
    })

    it('BLOCK_UNKNOWN_PARENT: a block on a parent this node lacks', async () => {
      const orphan = mineOn({ hash: 'cd'.repeat(32), index: 0, timestamp: GENESIS.timestamp }, [], BITS)
      await expectDiscarded(orphan, 400, BlockErrorCode.UNKNOWN_PARENT)
    })

    it('BLOCK_WRONG_INDEX: a block whose index does not follow its parent', async () => {
      const b1 = mineOn(GENESIS, [], BITS)
      await h.chain.submitBlock(b1)
      await expectDiscarded(mineOn({ ...b1, index: 5 }, [], BITS), 400, BlockErrorCode.WRONG_INDEX)
    })

    it('BLOCK_TX_ROOT_MISMATCH: transactions that are not the ones the header commits to', async () => {
      const block = mineOn(GENESIS, [makeTx(NET, 'a')], BITS)
      await expectDiscarded({ ...block, transactions: [makeTx(NET, 'b')] }, 400, BlockErrorCode.TX_ROOT_MISMATCH)
    })

    it('BLOCK_INVALID_TX: a block carrying a forged tx', async () => {
      const tx = makeTx(NET, 'a')
      await expectDiscarded(mineOn(GENESIS, [{ ...tx, signature: makeTx(NET, 'b').signature }], BITS), 400, BlockErrorCode.INVALID_TX)
    })

    it('BLOCK_MISSING_FIELD and BLOCK_UNKNOWN_FIELD: schema', async () => {
      const { tx_root: _r, ...noRoot } = mineOn(GENESIS, [], BITS)
      await expectDiscarded(noRoot, 400, BlockErrorCode.MISSING_FIELD)
      await expectDiscarded({ ...mineOn(GENESIS, [], BITS), miner: 'me' }, 400, BlockErrorCode.UNKNOWN_FIELD)
    })

    it('MALFORMED_JSON: a body that is not JSON', async () => {
      expectError(await call(h.app, 'POST', '/add_block', '{'), 400, HttpErrorCode.MALFORMED_JSON)
    })

    it('RATE_LIMITED (defect 2, expensive signatures): a client past its block-byte budget is refused before its body is read', async () => {
      // ~900 KB bodies: the 2 MiB burst lets three in (the third into debt), the fourth is turned away.
      const big = JSON.stringify({ junk: 'a'.repeat(900_000) })
      for (let i = 0; i < 3; i++) expectError(await call(h.app, 'POST', '/add_block', big), 400, BlockErrorCode.UNKNOWN_FIELD)
      const refused = await call(h.app, 'POST', '/add_block', big)
      expectError(refused, 429, HttpErrorCode.RATE_LIMITED)
      expect(Number(refused.headers.get('retry-after'))).to.be.within(1, 2)
      // Only /add_block is budgeted: the same client's other requests go on.
      expect((await call(h.app, 'POST', '/new_transaction', makeTx(NET, 'still served'))).status).to.equal(201)
    })
  })

  describe('/register_with and /register_node', () => {
    function nodeInfoFetch (info: unknown, init: ResponseInit = { status: 200 }): typeof fetch & { urls: string[] } {
      const urls: string[] = []
      const f = async (input: string | URL | Request): Promise<Response> => {
        urls.push(String(input instanceof Request ? input.url : input))
        return new Response(typeof info === 'string' ? info : JSON.stringify(info), init)
      }
      return Object.assign(f as typeof fetch, { urls })
    }

    const remoteInfo = {
      peerId: OTHER_PEER_ID,
      addresses: [
        `/ip4/192.168.1.9/tcp/9000/p2p/${OTHER_PEER_ID}`,
        `/ip4/127.0.0.1/tcp/9001/p2p/${OTHER_PEER_ID}`
      ],
      network: NET
    }

    it('reads a facade URL\'s /node_info, dials its loopback address first and reports the peer', async () => {
      const fetchImpl = nodeInfoFetch(remoteInfo)
      const app = (await reopen({ fetchImpl })).app
      const r = await call(app, 'POST', '/register_with', { node_address: 'http://127.0.0.1:8001' }, { 'Content-Type': 'application/json' })
      expect(r).to.deep.include({ status: 200, body: { message: 'Registration successful', peer: OTHER_PEER_ID, sync: { outcome: 'up-to-date', imported: 0 } } })
      expect(fetchImpl.urls).to.deep.equal(['http://127.0.0.1:8001/node_info'])
      expect(h.network.connects).to.deep.equal([`/ip4/127.0.0.1/tcp/9001/p2p/${OTHER_PEER_ID}`])
      expect(h.network.syncs).to.deep.equal([OTHER_PEER_ID])
    })

    it('falls back to the next address when a dial fails', async () => {
      const app = (await reopen({ fetchImpl: nodeInfoFetch(remoteInfo) })).app
      h.network.connectImpl = async addr => { if (addr.includes('127.0.0.1')) throw new Error('connection refused'); return OTHER_PEER_ID }
      const r = await call(app, 'POST', '/register_with', { node_address: 'http://localhost:8001/' })
      expect(r.status).to.equal(200)
      expect(h.network.connects).to.deep.equal([`/ip4/127.0.0.1/tcp/9001/p2p/${OTHER_PEER_ID}`, `/ip4/192.168.1.9/tcp/9000/p2p/${OTHER_PEER_ID}`])
    })

    it('dials a multiaddr directly', async () => {
      const addr = `/ip4/127.0.0.1/tcp/9002/p2p/${OTHER_PEER_ID}`
      const r = await call(h.app, 'POST', '/register_with', { node_address: addr })
      expect(r.body).to.deep.equal({ message: 'Registration successful', peer: OTHER_PEER_ID, sync: { outcome: 'up-to-date', imported: 0 } })
      expect(h.network.connects).to.deep.equal([addr])
    })

    for (const [label, nodeAddress] of [
      ['missing', undefined], ['a number', 8000], ['null', null], ['empty', ''], ['garbage', 'not an address'],
      ['ftp URL', 'ftp://127.0.0.1:8000'], ['URL with credentials', 'http://u:p@127.0.0.1:8000'],
      ['multiaddr without /p2p', '/ip4/127.0.0.1/tcp/9000'], ['multiaddr with a bad peer id', '/ip4/127.0.0.1/tcp/9000/p2p/abc'],
      ['bare /p2p', `/p2p/${OTHER_PEER_ID}`], ['unknown protocol', '/foo/1'], ['this node itself', `/ip4/127.0.0.1/tcp/9000/p2p/${SELF_PEER_ID}`],
      ['too long', 'http://' + 'a'.repeat(3000) + '.example']
    ] as Array<[string, unknown]>) {
      it(`BAD_NODE_ADDRESS: ${label}`, async () => {
        expectError(await call(h.app, 'POST', '/register_with', nodeAddress === undefined ? {} : { node_address: nodeAddress }), 400, HttpErrorCode.BAD_NODE_ADDRESS)
        expectError(await call(h.app, 'POST', '/register_node', nodeAddress === undefined ? {} : { node_address: nodeAddress }), 400, HttpErrorCode.BAD_NODE_ADDRESS)
        expect(h.network.connects).to.deep.equal([])
      })
    }

    it('NETWORK_MISMATCH: a facade of another network is refused before dialing', async () => {
      const app = (await reopen({ fetchImpl: nodeInfoFetch({ ...remoteInfo, network: 'othernet-12345678' }) })).app
      expectError(await call(app, 'POST', '/register_with', { node_address: 'http://127.0.0.1:8001' }), 400, HttpErrorCode.NETWORK_MISMATCH)
      expect(h.network.connects).to.deep.equal([])
    })

    /** docs/design.md §7: a 4xx, and one sentence for every way of not finding a node there (no port scanner). */
    function expectUnreachable (r: Reply, origin: string): void {
      expectError(r, 422, HttpErrorCode.PEER_UNREACHABLE)
      expect(r.body.error).to.equal(`no gossipchain node answered at ${origin}`)
    }

    it('PEER_UNREACHABLE (defect 8): a closed port, an open one that is not a node, a timeout and a bad answer read the same', async () => {
      const refused = (async () => { throw new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) }) }) as typeof fetch
      const hanging = (async (_url: unknown, init?: RequestInit) => await new Promise<Response>((_resolve, reject) => {
        init?.signal?.addEventListener('abort', () => { reject(init.signal!.reason) })
      })) as typeof fetch
      const answers: Array<[string, typeof fetch, number?]> = [
        ['closed port', refused],
        ['silent port', hanging, 50],
        ['oversized', nodeInfoFetch('x'.repeat(64 * 1024 + 1))],
        ['not JSON', nodeInfoFetch('<html>not json</html>')],
        ['bad peer id', nodeInfoFetch({ peerId: 'nope', addresses: [], network: NET })],
        ['bad addresses', nodeInfoFetch({ peerId: OTHER_PEER_ID, addresses: 'x', network: NET })],
        ['an array', nodeInfoFetch([1, 2, 3])],
        ['an error status', nodeInfoFetch({ error: 'down' }, { status: 500 })],
        ['a redirect', nodeInfoFetch('', { status: 302, headers: { location: 'http://169.254.169.254/' } })]
      ]
      for (const [, fetchImpl, nodeInfoTimeoutMs] of answers) {
        const app = (await reopen({ fetchImpl, nodeInfoTimeoutMs })).app
        expectUnreachable(await call(app, 'POST', '/register_with', { node_address: 'http://127.0.0.1:8001' }), 'http://127.0.0.1:8001')
      }
      expect(h.network.connects).to.deep.equal([])
    })

    it('PEER_UNREACHABLE: every dial fails, whatever the reason', async () => {
      const addr = `/ip4/10.1.1.1/tcp/9000/p2p/${OTHER_PEER_ID}`
      for (const reason of ['dial timed out', 'connect ECONNREFUSED', 'noise handshake failed']) {
        h.network.connectImpl = async () => { throw new Error(reason) }
        expectUnreachable(await call(h.app, 'POST', '/register_with', { node_address: addr }), addr)
      }
      expect(h.network.syncs).to.deep.equal([])
    })

    it('register_with without a deadline (defect 6): one deadline for /node_info, dial and sync together', async () => {
      const app = (await reopen({ connectTimeoutMs: 300 })).app
      h.network.syncImpl = async (_peer, signal) => await new Promise(resolve => {
        signal.addEventListener('abort', () => { resolve({ outcome: 'failed', imported: 0, code: 'SYNC_ABANDONED' }) })
      })
      const started = Date.now()
      const r = await call(app, 'POST', '/register_with', { node_address: `/ip4/10.1.1.1/tcp/9000/p2p/${OTHER_PEER_ID}` })
      expectError(r, 422, HttpErrorCode.PEER_TIMEOUT)
      expect(Date.now() - started).to.be.below(3000)
      // A slow dial eats into the same deadline.
      h.network.connectImpl = async (_addr, signal) => await new Promise<string>((_resolve, reject) => {
        signal.addEventListener('abort', () => { reject(new Error('aborted')) })
      })
      expectError(await call(app, 'POST', '/register_with', { node_address: `/ip4/10.1.1.1/tcp/9000/p2p/${OTHER_PEER_ID}` }), 422, HttpErrorCode.PEER_UNREACHABLE)
    })

    it('register_with answered 200 without syncing (defect 1): 200 only after a sync, and what the sync found is the answer', async () => {
      const addr = `/ip4/127.0.0.1/tcp/9002/p2p/${OTHER_PEER_ID}`
      const cases: Array<[PeerSyncSummary | undefined, number, string]> = [
        [{ outcome: 'lied', imported: 0, code: 'SYNC_SHORT_BATCH' }, 422, HttpErrorCode.PEER_BAD_CHAIN],
        [{ outcome: 'invalid-data', imported: 3, code: 'SYNC_INVALID_BLOCK' }, 422, HttpErrorCode.PEER_BAD_CHAIN],
        [{ outcome: 'wrong-network', imported: 0, code: 'SYNC_WRONG_NETWORK' }, 400, HttpErrorCode.NETWORK_MISMATCH],
        [{ outcome: 'failed', imported: 0, code: 'SYNC_TIMEOUT' }, 422, HttpErrorCode.PEER_SYNC_FAILED],
        [{ outcome: 'stopped', imported: 0 }, 503, HttpErrorCode.NODE_STOPPING],
        [undefined, 503, HttpErrorCode.SYNC_BUSY]
      ]
      for (const [summary, status, code] of cases) {
        h.network.syncImpl = async () => summary
        expectError(await call(h.app, 'POST', '/register_with', { node_address: addr }), status, code)
      }
      h.network.syncImpl = async () => ({ outcome: 'synced', imported: 7 })
      const ok = await call(h.app, 'POST', '/register_with', { node_address: addr })
      expect(ok).to.deep.include({ status: 200, body: { message: 'Registration successful', peer: OTHER_PEER_ID, sync: { outcome: 'synced', imported: 7 } } })
    })

    it('/register_node dials, then answers the original {length, chain, peers}', async () => {
      const addr = `/ip4/127.0.0.1/tcp/9002/p2p/${OTHER_PEER_ID}`
      const r = await call(h.app, 'POST', '/register_node', { node_address: addr })
      expect(r.status).to.equal(200)
      expect(r.body).to.deep.equal({ length: 1, chain: [GENESIS], peers: [`/ip4/10.0.0.2/tcp/9000/p2p/${OTHER_PEER_ID}`] })
      expect(h.network.connects).to.deep.equal([addr])
    })

    /** A second app on the same chain and network with other facade options. */
    async function reopen (opts: Parameters<typeof openHarness>[0]): Promise<{ app: Hono }> {
      const { createApp } = await import('../src/http/app.js')
      return {
        app: createApp({
          chain: h.chain, miner: h.miner, network: h.network, dataDir: `${h.dir}/data`,
          logInternalError: err => { h.internalErrors.push(err) }, ...opts
        })
      }
    }
  })

  describe('status and lookup routes', () => {
    it('GET /node_info', async () => {
      await call(h.app, 'POST', '/new_transaction', makeTx(NET, 'p'))
      const r = await call(h.app, 'GET', '/node_info')
      expect(r.status).to.equal(200)
      expect(r.body).to.deep.equal({
        peerId: SELF_PEER_ID,
        addresses: [`/ip4/127.0.0.1/tcp/9000/p2p/${SELF_PEER_ID}`],
        network: NET,
        genesis: GENESIS.hash,
        head: { hash: GENESIS.hash, index: 0, work: '0' },
        pending: 1
      })
    })

    it('GET /peers', async () => {
      const r = await call(h.app, 'GET', '/peers')
      expect(r).to.deep.include({ status: 200, body: { peers: [{ peerId: OTHER_PEER_ID, addresses: ['/ip4/10.0.0.2/tcp/9000'] }] } })
    })

    it('GET /health', async () => {
      expect(await call(h.app, 'GET', '/health')).to.deep.include({ status: 200, body: { status: 'ok', height: 0, peers: 1 } })
    })

    it('GET /blocks/:hash: found, BLOCK_NOT_FOUND, BAD_HASH', async () => {
      expect(await call(h.app, 'GET', `/blocks/${GENESIS.hash}`)).to.deep.include({ status: 200, body: GENESIS })
      expect((await call(h.app, 'GET', `/blocks/${GENESIS.hash.toUpperCase()}`)).body).to.deep.equal(GENESIS)
      expectError(await call(h.app, 'GET', `/blocks/${'ab'.repeat(32)}`), 404, HttpErrorCode.BLOCK_NOT_FOUND)
      for (const bad of ['abc', 'zz'.repeat(32), 'ab'.repeat(33)]) {
        expectError(await call(h.app, 'GET', `/blocks/${bad}`), 400, HttpErrorCode.BAD_HASH)
      }
    })

    it('GET /tx/:id: pending, then confirmed with a Merkle proof that verifies', async () => {
      const txs = [makeTx(NET, 'a'), makeTx(NET, 'b'), makeTx(NET, 'c')]
      for (const tx of txs) await call(h.app, 'POST', '/new_transaction', tx)
      expect(await call(h.app, 'GET', `/tx/${txs[1].id}`)).to.deep.include({ status: 200, body: { status: 'pending', tx: txs[1] } })
      const mined = await call(h.app, 'POST', '/mine')
      const r = await call(h.app, 'GET', `/tx/${txs[2].id}`)
      expect(r.status).to.equal(200)
      expect(r.body).to.include({ status: 'confirmed', txRoot: mined.body.block.tx_root })
      expect(r.body.block).to.deep.equal({ hash: mined.body.block.hash, index: 1 })
      expect(verifyMerkleProof(txLeafHash(r.body.tx), r.body.proof, r.body.txRoot)).to.equal(true)
    })

    it('GET /tx/:id: TX_NOT_FOUND and BAD_TX_ID', async () => {
      expectError(await call(h.app, 'GET', `/tx/${'ef'.repeat(32)}`), 404, HttpErrorCode.TX_NOT_FOUND)
      expectError(await call(h.app, 'GET', '/tx/12'), 400, HttpErrorCode.BAD_TX_ID)
    })
  })

  describe('routing', () => {
    it('NOT_FOUND: an unknown route answers JSON', async () => {
      expectError(await call(h.app, 'GET', '/nope'), 404, HttpErrorCode.NOT_FOUND)
      expectError(await call(h.app, 'POST', '/blocks'), 404, HttpErrorCode.NOT_FOUND)
    })

    it('METHOD_NOT_ALLOWED: a known route with the wrong method answers 405 JSON with Allow', async () => {
      const r = await call(h.app, 'DELETE', '/chain')
      expectError(r, 405, HttpErrorCode.METHOD_NOT_ALLOWED)
      expect(r.headers.get('allow')).to.contain('GET')
      expectError(await call(h.app, 'GET', '/new_transaction'), 405, HttpErrorCode.METHOD_NOT_ALLOWED)
      expectError(await call(h.app, 'PUT', '/mine'), 405, HttpErrorCode.METHOD_NOT_ALLOWED)
      expectError(await call(h.app, 'POST', `/blocks/${GENESIS.hash}`), 405, HttpErrorCode.METHOD_NOT_ALLOWED)
    })

    it('mounts the sync sub-app under /p2p/v1 when given', async () => {
      const sync = new Hono()
      sync.get('/status', c => c.json(h.chain.status()))
      const { createApp } = await import('../src/http/app.js')
      const app = createApp({ chain: h.chain, miner: h.miner, network: h.network, dataDir: `${h.dir}/data`, syncRoutes: sync })
      expect(await call(app, 'GET', '/p2p/v1/status')).to.deep.include({ status: 200, body: h.chain.status() })
      expectError(await call(h.app, 'GET', '/p2p/v1/status'), 404, HttpErrorCode.NOT_FOUND)
    })

    it('mounts extra sub-apps (UI, metrics) whose errors still answer through the one onError', async () => {
      const extra = new Hono()
      extra.get('/metrics', c => c.text('up 1\n'))
      extra.get('/boom', () => { throw new HttpError(418, 'TEAPOT', 'short and stout') })
      const { createApp } = await import('../src/http/app.js')
      const app = createApp({ chain: h.chain, miner: h.miner, network: h.network, dataDir: `${h.dir}/data`, extraRoutes: [{ path: '/', routes: extra }] })
      expect(await (await app.request('/metrics')).text()).to.equal('up 1\n')
      expectError(await call(app, 'GET', '/boom'), 418, 'TEAPOT')
      expectError(await call(app, 'POST', '/metrics'), 405, HttpErrorCode.METHOD_NOT_ALLOWED)
      expect(() => createApp({ chain: h.chain, miner: h.miner, network: h.network, dataDir: 'x', extraRoutes: [{ path: 'x', routes: extra }] })).to.throw(/extraRoutes/)
    })

    it('INTERNAL: a failure that is not the client\'s is a logged 500 JSON, without details', async () => {
      h.network.peerList = undefined as never // peers().length throws inside /health
      const r = await call(h.app, 'GET', '/health')
      expect(r).to.deep.include({ status: 500, body: { error: 'internal error', code: HttpErrorCode.INTERNAL } })
      expect(h.internalErrors).to.have.length(1)
      h.internalErrors.length = 0
    })

    it('validates its options when built', async () => {
      const { createApp } = await import('../src/http/app.js')
      const base = { chain: h.chain, miner: h.miner, network: h.network, dataDir: `${h.dir}/data` }
      expect(() => createApp({ ...base, bodyLimitBytes: 0 })).to.throw(/bodyLimitBytes/)
      expect(() => createApp({ ...base, apiToken: '' })).to.throw(/apiToken/)
      expect(() => createApp({ ...base, dataDir: '' })).to.throw(/dataDir/)
      expect(() => createApp({ ...base, connectTimeoutMs: -1 })).to.throw(/connectTimeoutMs/)
    })
  })
})

const NOW_SECONDS = (TEST_NETWORK.genesisTimestamp + 10_000)
