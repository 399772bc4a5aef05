// Transactions and the verifier (docs/design.md §2) beyond the one-test-per-code cases of core-errors.
import { expect } from 'chai'
import fc from 'fast-check'
import {
  TxError, TxErrorCode, canonicalJson, computeTxId, fromHex, isLegacySubmission, parseLegacySubmission,
  parseTx, sha256Hex, signTx, signatureCacheKey, toHex, txSigningPayload, txSize, utf8, verifyTx,
  latin1Bytes, utf8ByteLength, isHex
} from '../src/core/index.js'
import { createNodeVerifier, ed25519PublicKeyFromSeed, nodeEd25519Signer, signEd25519 } from '../src/crypto/index.js'
import { NOW_MS, TEST_NETWORK_ID, caught, legacyBody, makeTx, rsaKeys, seed, txNonce, verifier } from './core-fixtures.js'

describe('core tx', () => {
  it('parseTx returns a fresh object with the design field order, whatever the input order', () => {
    const tx = makeTx(1)
    const shuffled = Object.fromEntries(Object.entries(tx).reverse())
    const parsed = parseTx(shuffled)
    expect(parsed).not.to.equal(shuffled)
    expect(Object.keys(parsed)).to.deep.equal(['scheme', 'senderPK', 'receiverPK', 'item', 'data', 'timestamp', 'nonce', 'signature', 'id'])
    expect(JSON.stringify(parsed)).to.equal(JSON.stringify(tx))
  })

  it('the signing payload is domain, network and JCS of the tx without signature and id', () => {
    const tx = makeTx(1, { item: 'lot-9' })
    const { signature, id, ...unsigned } = tx
    const text = `gossipchain/tx/v1\n${TEST_NETWORK_ID}\n${canonicalJson(unsigned)}`
    expect(toHex(txSigningPayload(tx, TEST_NETWORK_ID))).to.equal(toHex(utf8(text)))
    expect(id).to.equal(sha256Hex(utf8(text)))
    expect(computeTxId(tx, TEST_NETWORK_ID)).to.equal(id)
    expect(signature).to.equal(toHex(signEd25519(seed('alice'), utf8(text))))
    expect(() => txSigningPayload(tx, 'a\nb')).to.throw(TypeError, /network/)
  })

  it('signTx fills receiverPK and item with null and refuses fields the schema refuses', () => {
    const alice = nodeEd25519Signer(seed('alice'))
    const tx = signTx({ data: 'x', timestamp: 1, nonce: txNonce(1) }, alice, TEST_NETWORK_ID)
    expect(tx.receiverPK).to.equal(null)
    expect(tx.item).to.equal(null)
    expect(tx.senderPK).to.equal(toHex(ed25519PublicKeyFromSeed(seed('alice'))))
    let signed = 0
    const counting = { publicKey: alice.publicKey, sign: (m: Uint8Array) => { signed++; return alice.sign(m) } }
    expect(() => signTx({ data: 'x', timestamp: 1, nonce: 'short' }, counting, TEST_NETWORK_ID)).to.throw(TxError).with.property('code', TxErrorCode.BAD_FORMAT)
    expect(signed, 'nothing is signed before the schema passes').to.equal(0)
    expect(() => nodeEd25519Signer(new Uint8Array(31))).to.throw(TypeError, /seed/)
    expect(() => signTx({ data: 'x', timestamp: 1, nonce: txNonce(1) }, { publicKey: new Uint8Array(31), sign: alice.sign }, TEST_NETWORK_ID))
      .to.throw(TypeError, /signer.publicKey must be 32 bytes/)
    expect(() => signTx({ data: 'x', timestamp: 1, nonce: txNonce(1) }, { publicKey: alice.publicKey, sign: () => new Uint8Array(63) }, TEST_NETWORK_ID))
      .to.throw(TypeError, /signer.sign must return 64 bytes/)
  })

  it('timestamps: integers and up to 3 decimals pass, the largest safe-ms value passes', () => {
    for (const timestamp of [0, 1, 1767225600.1, 1767225600.12, 1767225600.123, 0.001, 9_007_199_254_740]) {
      expect(parseTx(makeTx(1, { timestamp })).timestamp).to.equal(timestamp)
    }
    const err = (() => { try { parseTx({ ...makeTx(1), timestamp: 9_007_199_254_741 }) } catch (e) { return e as TxError } })()
    expect(err?.code).to.equal(TxErrorCode.TOO_LARGE)
  })

  it('legacy submission: detected by the missing scheme, stamped in seconds with 3 decimals', () => {
    const body = legacyBody('pallet 7 loaded')
    expect(isLegacySubmission(body)).to.equal(true)
    expect(isLegacySubmission(makeTx(1))).to.equal(false)
    expect(isLegacySubmission([body])).to.equal(false)
    const tx = parseLegacySubmission(body, 1767225600123.6)
    expect(tx.timestamp).to.equal(1767225600.124)
    expect(tx.scheme).to.equal('rsa-legacy')
    expect(tx.id).to.equal(sha256Hex(utf8(canonicalJson({ scheme: 'rsa-legacy', senderPK: body.senderPK, signature: body.signature, data: body.data }))))
    // A replay later gets the same id (a duplicate), whatever its stamp.
    expect(parseLegacySubmission(body, NOW_MS + 5000).id).to.equal(tx.id)
    expect(parseTx(JSON.parse(JSON.stringify(tx)))).to.deep.equal(tx)
    expect(() => parseLegacySubmission(body, Number.NaN)).to.throw(TypeError, /nowMs/)
  })

  it('legacy: a CRLF PEM (as some wallets write it) is accepted and verifies', async () => {
    const body = legacyBody('crlf')
    const tx = parseLegacySubmission({ ...body, senderPK: body.senderPK.replace(/\n/g, '\r\n') }, NOW_MS)
    await verifyTx(tx, { network: TEST_NETWORK_ID, nowMs: NOW_MS, verifier })
    expect(latin1Bytes(body.signature).length).to.equal(256)
  })

  it('legacy: a non-RSA or unreadable key is a BAD_FORMAT of senderPK, before any signature work', async () => {
    const ed = '-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----\n'
    const tx = parseLegacySubmission({ ...legacyBody('x'), senderPK: ed }, NOW_MS)
    const err = await caught(() => verifyTx(tx, { network: TEST_NETWORK_ID, nowMs: NOW_MS, verifier }))
    expect(err.code).to.equal(TxErrorCode.BAD_FORMAT)
    expect(err.meta.field).to.equal('senderPK')
    const garbled = parseLegacySubmission({ ...legacyBody('x'), senderPK: rsaKeys.rsa2048.publicKeyPem.replace('\nMII', '\nMIJ') }, NOW_MS)
    expect((await caught(() => verifyTx(garbled, { network: TEST_NETWORK_ID, nowMs: NOW_MS, verifier }))).code).to.equal(TxErrorCode.BAD_FORMAT)
  })

  it('txSize is the UTF-8 byte length of JSON.stringify(tx)', () => {
    const tx = makeTx(1, { data: 'é🐄\n' })
    expect(txSize(tx)).to.equal(Buffer.byteLength(JSON.stringify(tx), 'utf8'))
    expect(utf8ByteLength('a\u00e9\u20ac\u{1F404}\ud800')).to.equal(1 + 2 + 3 + 4 + 3)
  })

  it('utf8ByteLength is what TextEncoder writes, for ASCII (its fast path) and any other string', () => {
    const encoder = new TextEncoder()
    fc.assert(fc.property(fc.oneof(fc.string({ unit: 'binary-ascii', maxLength: 2000 }), fc.string({ unit: 'binary', maxLength: 200 }), fc.string({ unit: 'grapheme', maxLength: 200 })), s => {
      expect(utf8ByteLength(s)).to.equal(encoder.encode(s).length)
    }), { numRuns: 500 })
    for (const s of ['', '\x7f', '\x80', 'ascii then \u00e9', '\ud800 lone', 'x'.repeat(100_000)]) expect(utf8ByteLength(s)).to.equal(encoder.encode(s).length)
  })

  it('signatureCacheKey covers the signature of an ed25519 tx', () => {
    const tx = makeTx(1)
    expect(signatureCacheKey({ ...tx, signature: makeTx(2).signature })).not.to.equal(signatureCacheKey(tx))
  })

  it('hex helpers are strict: lowercase, exact length, errors name the field', () => {
    expect(isHex('00ff', 2)).to.equal(true)
    expect(isHex('00FF', 2)).to.equal(false)
    expect(isHex('0', undefined)).to.equal(false)
    expect(() => fromHex('abc', 'previous_hash')).to.throw(TypeError, /previous_hash/)
    expect(() => fromHex('aa', 'id', 32)).to.throw(TypeError, /id must be 64/)
    expect(toHex(fromHex('00ff10', 'x'))).to.equal('00ff10')
  })
})

describe('core verifier', () => {
  const tx = makeTx(1)
  const pk = fromHex(tx.senderPK, 'pk', 32)
  const payload = txSigningPayload(tx, TEST_NETWORK_ID)
  const sig = fromHex(tx.signature, 'sig', 64)

  it('verifies good signatures and refuses bad ones without throwing', async () => {
    const v = createNodeVerifier({ keyCacheSize: 2 })
    expect(await v.verifyEd25519(pk, payload, sig)).to.equal(true)
    expect(await v.verifyEd25519(pk, utf8('other'), sig)).to.equal(false)
    expect(await v.verifyEd25519(pk, payload, sig.subarray(0, 63))).to.equal(false)
    expect(await v.verifyEd25519(new Uint8Array(31), payload, sig)).to.equal(false)
    expect(await v.verifyEd25519(new Uint8Array(32).fill(0xff), payload, sig)).to.equal(false)
    const body = legacyBody('rsa')
    expect(await v.verifyRsaPkcs1Sha256(body.senderPK, utf8('rsa'), latin1Bytes(body.signature))).to.equal(true)
    expect(await v.verifyRsaPkcs1Sha256(body.senderPK, utf8('rsa!'), latin1Bytes(body.signature))).to.equal(false)
    expect(await v.verifyRsaPkcs1Sha256('not a key', utf8('rsa'), latin1Bytes(body.signature))).to.equal(false)
    expect(await v.verifyRsaPkcs1Sha256(body.senderPK, utf8('rsa'), new Uint8Array(3))).to.equal(false)
  })

  it('keeps at most keyCacheSize KeyObjects (LRU)', async () => {
    const v = createNodeVerifier({ keyCacheSize: 2 })
    const txs = [makeTx(1, {}, 'a'), makeTx(1, {}, 'b'), makeTx(1, {}, 'c')]
    for (const t of txs) {
      expect(await v.verifyEd25519(fromHex(t.senderPK, 'pk', 32), txSigningPayload(t, TEST_NETWORK_ID), fromHex(t.signature, 'sig', 64))).to.equal(true)
    }
    expect(v.cachedKeys).to.equal(2)
    expect(() => createNodeVerifier({ keyCacheSize: -1 })).to.throw(TypeError, /keyCacheSize/)
  })

  it('many concurrent verifications all resolve (threadpool)', async () => {
    const v = createNodeVerifier()
    const txs = Array.from({ length: 200 }, (_, i) => makeTx(i))
    const results = await Promise.all(txs.map(async t => await v.verifyEd25519(fromHex(t.senderPK, 'pk', 32), txSigningPayload(t, TEST_NETWORK_ID), fromHex(t.signature, 'sig', 64))))
    expect(results.every(r => r)).to.equal(true)
  })
})
