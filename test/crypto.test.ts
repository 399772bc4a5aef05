// The implementations behind core's interfaces (docs/design.md §1): native (node:crypto, src/crypto/node-*.ts,
// sha256.ts) for the node and the CLI, @noble/curves + WebCrypto (src/crypto/browser-ed25519.ts) for the page.
// Both must give the same bytes and the same verdicts: the vectors (core-vectors.test.ts) pin known
// answers, these properties compare the two on arbitrary inputs.
import { expect } from 'chai'
import fc from 'fast-check'
import {
  computeBlockHash, computeTxId, fromHex, resetSha256, setSha256, sha256, sha256Hex, signTx, toHex, txLeafHash, txSigningPayload, utf8
} from '../src/core/index.js'
import { createBrowserVerifier, ed25519PublicKey, nobleEd25519Signer } from '../src/crypto/browser-ed25519.js'
import { createNodeVerifier, ed25519PublicKeyFromSeed, nodeEd25519Signer, nodeSha256, nodeSha256Hex, useNativeSha256 } from '../src/crypto/index.js'
import { TEST_GENESIS, TEST_NETWORK_ID, legacyBody, makeTx } from './core-fixtures.js'

const seedArb = fc.uint8Array({ minLength: 32, maxLength: 32 })
const messageArb = fc.uint8Array({ maxLength: 2048 })

describe('crypto: native and browser implementations agree', () => {
  it('Ed25519: the same public key and the same signature from node:crypto and @noble/curves', () => {
    fc.assert(fc.property(seedArb, messageArb, (seed, message) => {
      const native = nodeEd25519Signer(seed)
      const noble = nobleEd25519Signer(seed)
      expect(toHex(noble.publicKey)).to.equal(toHex(native.publicKey))
      expect(toHex(ed25519PublicKey(seed))).to.equal(toHex(ed25519PublicKeyFromSeed(seed)))
      expect(toHex(noble.sign(message))).to.equal(toHex(native.sign(message)))
    }), { numRuns: 50 })
  })

  it('signTx gives the same tx with either signer, and the noble signer keeps its own copy of the seed', () => {
    const seed = new Uint8Array(32).fill(7)
    const noble = nobleEd25519Signer(seed)
    const fields = { data: 'x', item: 'lot-1', timestamp: 1767225700, nonce: '11'.repeat(16) }
    const expected = signTx(fields, nodeEd25519Signer(seed), TEST_NETWORK_ID)
    seed.fill(0)
    expect(signTx(fields, noble, TEST_NETWORK_ID)).to.deep.equal(expected)
  })

  it('verifiers: node and browser give the same verdict on good, altered and malformed signatures', async () => {
    const node = createNodeVerifier()
    const browser = createBrowserVerifier()
    const tx = makeTx(1)
    const pk = fromHex(tx.senderPK, 'pk', 32)
    const payload = txSigningPayload(tx, TEST_NETWORK_ID)
    const sig = fromHex(tx.signature, 'sig', 64)
    const flipped = sig.slice()
    flipped[10] ^= 1
    // S >= the group order L (s + L): RFC 8032 §5.1.7 says reject; both must.
    const sPlusL = sig.slice()
    const L = fromHex('edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010', 'L', 32) // little-endian
    let carry = 0
    for (let i = 0; i < 32; i++) { const v = sPlusL[32 + i] + L[i] + carry; sPlusL[32 + i] = v & 0xff; carry = v >> 8 }
    const cases: Array<[string, Uint8Array, Uint8Array, Uint8Array, boolean]> = [
      ['good', pk, payload, sig, true],
      ['other message', pk, utf8('other'), sig, false],
      ['flipped bit', pk, payload, flipped, false],
      ['S + L (non-canonical)', pk, payload, sPlusL, false],
      ['short signature', pk, payload, sig.subarray(0, 63), false],
      ['short key', new Uint8Array(31), payload, sig, false],
      ['key not on the curve', new Uint8Array(32).fill(0xff), payload, sig, false]
    ]
    for (const [name, key, message, signature, expected] of cases) {
      expect(await node.verifyEd25519(key, message, signature), `node: ${name}`).to.equal(expected)
      expect(await browser.verifyEd25519(key, message, signature), `browser: ${name}`).to.equal(expected)
    }
    const body = legacyBody('rsa')
    const rsaSig = new Uint8Array([...body.signature].map(c => c.charCodeAt(0)))
    for (const v of [node, browser]) {
      expect(await v.verifyRsaPkcs1Sha256(body.senderPK, utf8('rsa'), rsaSig)).to.equal(true)
      expect(await v.verifyRsaPkcs1Sha256(body.senderPK, utf8('rsa!'), rsaSig)).to.equal(false)
      expect(await v.verifyRsaPkcs1Sha256('not a key', utf8('rsa'), rsaSig)).to.equal(false)
    }
  })
})

describe('crypto: SHA-256 (core default @noble/hashes, node installs OpenSSL)', () => {
  afterEach(() => { resetSha256() })

  it('nodeSha256 and core sha256 agree on bytes and strings', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 4096 }), bytes => {
      expect(toHex(nodeSha256(bytes))).to.equal(sha256Hex(bytes))
      expect(nodeSha256Hex(bytes)).to.equal(sha256Hex(bytes))
    }), { numRuns: 200 })
    expect(nodeSha256Hex('é🐄')).to.equal(sha256Hex(utf8('é🐄')))
  })

  it('useNativeSha256: every rule gives the same ids, leaves and hashes as with noble', () => {
    const txs = Array.from({ length: 20 }, (_, i) => makeTx(i))
    const before = txs.map(tx => [computeTxId(tx, TEST_NETWORK_ID), toHex(txLeafHash(tx))])
    const genesisHash = computeBlockHash(TEST_GENESIS)
    useNativeSha256()
    expect(txs.map(tx => [computeTxId(tx, TEST_NETWORK_ID), toHex(txLeafHash(tx))])).to.deep.equal(before)
    expect(computeBlockHash(TEST_GENESIS)).to.equal(genesisHash)
  })

  it('setSha256 refuses a function that is not SHA-256, and keeps the one it had', () => {
    const good = sha256Hex(utf8('abc'))
    expect(() => setSha256(bytes => sha256(bytes).reverse())).to.throw(TypeError, /does not give SHA-256/)
    expect(() => setSha256(() => 'nope' as unknown as Uint8Array)).to.throw(TypeError, /does not give SHA-256/)
    expect(() => setSha256(undefined as unknown as (b: Uint8Array) => Uint8Array)).to.throw(TypeError, /function/)
    expect(sha256Hex(utf8('abc'))).to.equal(good)
  })
})
