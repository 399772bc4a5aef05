// Whatever a client sends, the facade answers JSON with a 4xx (or success), never a 5xx (docs/design.md §7).
// A table of hostile bodies, then fast-check bodies and field mutations of valid txs and blocks.
import { expect } from 'chai'
import fc from 'fast-check'
import { makeTx, mineOn, TEST_NETWORK } from './helpers/fixtures.js'
import { call, GENESIS, legacyBody, NET, openHarness, OTHER_PEER_ID, type Harness } from './http-harness.js'

const BODY_ROUTES = ['/new_transaction', '/add_block', '/register_with', '/register_node']

const HOSTILE_BODIES: string[] = [
  '', ' ', '\n', '{', '}', '{"', '{"a":}', '{"a":1,}', "{'a':1}", '{"a":1}{"b":2}', '[', '[]', '[{}]', 'null', 'true',
  '0', '-0', '1e309', 'NaN', 'Infinity', '"string"', '"\\ud800"', '{"__proto__":{"polluted":1}}',
  '{"constructor":{"prototype":{"x":1}}}', '{"node_address":{"__proto__":null}}', '{"data":"\\u0000"}',
  '\ufeff{}', '{"a":' + '['.repeat(100) + ']'.repeat(100) + '}', '['.repeat(100000), '{"a":"' + '\\'.repeat(1001) + '"}',
  JSON.stringify({ transactions: 'x' }), JSON.stringify({ transactions: [null] }), JSON.stringify({ transactions: new Array(2001).fill({}) }),
  JSON.stringify({ index: -1, transactions: [], timestamp: -5, previous_hash: 'x', nonce: 1.5, hash: 'y', version: 1, bits: 999, tx_root: 'z' }),
  JSON.stringify({ scheme: 'rsa-legacy' }), JSON.stringify({ scheme: 'ed25519' }), JSON.stringify({ scheme: 'nope' }),
  JSON.stringify({ senderPK: '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----', signature: 'x', data: 'y' }),
  JSON.stringify({ senderPK: 'x'.repeat(100000), signature: 'x', data: 'y' }), JSON.stringify({ senderPK: 1, signature: 2, data: 3 }),
  JSON.stringify({ node_address: 'http://[::1' }), JSON.stringify({ node_address: '/ip6/zz/tcp/1/p2p/x' }), JSON.stringify({ node_address: ['http://a'] }),
  JSON.stringify({ node_address: 'javascript:alert(1)' }), JSON.stringify({ node_address: 'file:///etc/passwd' })
]

/** Values that break fields in every way a schema can be broken. */
const BAD_VALUES: unknown[] = [
  null, true, 0, -1, 1.5, 2 ** 53, -(2 ** 60), 1e308, '', ' ', 'x', 'ä'.repeat(9000), 'x'.repeat(20_000), '0'.repeat(63), 'G'.repeat(64),
  'AB'.repeat(32), [], [1], {}, { a: 1 }, '\ud800', '__proto__'
]

function expectNo5xx (reply: { status: number, body: any }, what: string): void {
  expect(reply.status, `${what} -> ${reply.status} ${JSON.stringify(reply.body).slice(0, 300)}`).to.be.below(500)
  if (reply.status >= 400) {
    expect(reply.body.code, what).to.be.a('string')
    expect(reply.body.error, what).to.be.a('string')
  }
}

describe('http facade under malformed input', function () {
  this.timeout(120_000)
  let h: Harness

  before(async () => {
    // /register_* succeed against a fake peer, so only the body itself can decide the answer.
    const fetchImpl = (async () => new Response(JSON.stringify({
      peerId: OTHER_PEER_ID, addresses: [`/ip4/127.0.0.1/tcp/9001/p2p/${OTHER_PEER_ID}`], network: NET
    }))) as typeof fetch
    h = await openHarness({ fetchImpl, mempoolMaxCount: 50 })
  })
  after(async () => { await h.close() })
  afterEach(() => { expect(h.internalErrors, 'no client input may reach a 500').to.deep.equal([]) })

  it('answers every hostile body on every body route with JSON and no 5xx', async () => {
    for (const route of BODY_ROUTES) {
      for (const body of HOSTILE_BODIES) {
        expectNo5xx(await call(h.app, 'POST', route, body), `${route} ${body.slice(0, 60)}`)
      }
    }
  })

  it('answers every field mutation of a valid tx, legacy body and block with no 5xx', async () => {
    const tx = makeTx(NET, 'base')
    const legacy = legacyBody('base')
    const block = mineOn(GENESIS, [makeTx(NET, 'in block')], TEST_NETWORK.bits)
    const bases: Array<[string, Record<string, unknown>]> = [['/new_transaction', { ...tx }], ['/new_transaction', legacy], ['/add_block', { ...block }]]
    for (const [route, base] of bases) {
      for (const field of Object.keys(base)) {
        for (const value of BAD_VALUES) {
          expectNo5xx(await call(h.app, 'POST', route, { ...base, [field]: value }), `${route} ${field}=${JSON.stringify(value)?.slice(0, 40)}`)
        }
        const { [field]: _dropped, ...without } = base
        expectNo5xx(await call(h.app, 'POST', route, without), `${route} without ${field}`)
      }
    }
    for (const value of BAD_VALUES) {
      expectNo5xx(await call(h.app, 'POST', '/add_block', { ...block, transactions: [{ ...tx, data: value }] }), `block tx data=${String(value).slice(0, 40)}`)
      expectNo5xx(await call(h.app, 'POST', '/add_block', { ...block, transactions: [value] }), `block tx=${String(value).slice(0, 40)}`)
    }
  })

  it('answers arbitrary JSON values and strings with no 5xx (fast-check)', async () => {
    await fc.assert(fc.asyncProperty(
      fc.constantFrom(...BODY_ROUTES),
      fc.oneof(fc.json(), fc.string(), fc.jsonValue().map(v => JSON.stringify(v)),
        fc.dictionary(fc.constantFrom('scheme', 'senderPK', 'signature', 'data', 'id', 'node_address', 'transactions', 'hash', 'index'), fc.jsonValue())
          .map(o => JSON.stringify(o))),
      async (route, body) => {
        expectNo5xx(await call(h.app, 'POST', route, body), `${route} ${body.slice(0, 80)}`)
      }), { seed: 20260101, numRuns: 400 })
  })

  it('answers hostile query strings and path parameters with no 5xx', async () => {
    const paths = [
      '/chain?from=%00', '/chain?limit=%FF', '/chain?from=1&from=2', '/chain?from=' + '9'.repeat(400), '/blocks/%00', '/blocks/..%2F..%2Fetc',
      '/tx/' + 'a'.repeat(10_000), '/tx/%E0%A4%A', '/blocks/' + '0'.repeat(64) + '/x', '/%2e%2e/', '/chain?' + 'a=1&'.repeat(1000)
    ]
    for (const path of paths) expectNo5xx(await call(h.app, 'GET', path), path)
  })
})
