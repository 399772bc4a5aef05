// The worker-thread verifier pool (src/crypto/verifier-pool.ts) against the per-item verifier on the libuv
// threadpool (createNodeVerifier): the same verdict for every input, batches answered in order, the
// stop-at-first-failure contract of verifyMany, aborts and close. No timing is asserted.
import { expect } from 'chai'
import fc from 'fast-check'
import { fromHex, latin1Bytes, txSignatureCheck, utf8, type SignatureCheck } from '../src/core/index.js'
import { createNodeVerifier, VerifierPool } from '../src/crypto/index.js'
import { decodeChunk, encodeChunk, SCHEME_ED25519, SCHEME_RSA } from '../src/crypto/verifier-wire.js'
import { legacyBody, makeTx, TEST_NETWORK_ID } from './core-fixtures.js'

const good = Array.from({ length: 40 }, (_, i) => txSignatureCheck(makeTx(i), TEST_NETWORK_ID))

function flipped (check: SignatureCheck, at: number): SignatureCheck {
  const signature = check.signature.slice()
  signature[at % signature.length] ^= 1
  return { ...check, signature }
}

async function reference (item: SignatureCheck): Promise<boolean> {
  const v = createNodeVerifier()
  return item.scheme === 'ed25519'
    ? await v.verifyEd25519(item.publicKey, item.message, item.signature)
    : await v.verifyRsaPkcs1Sha256(item.spkiPem, item.message, item.signature)
}

describe('verifier pool (worker threads)', function () {
  this.timeout(60_000)
  let pool: VerifierPool
  beforeEach(() => { pool = new VerifierPool({ threads: 2, maxBatch: 8 }) })
  afterEach(async () => { await pool.close() })

  it('the wire format carries every check byte for byte', () => {
    fc.assert(fc.property(fc.array(fc.record({
      scheme: fc.constantFrom(SCHEME_ED25519, SCHEME_RSA),
      key: fc.uint8Array({ maxLength: 64 }),
      message: fc.uint8Array({ maxLength: 300 }),
      signature: fc.uint8Array({ maxLength: 80 })
    }), { maxLength: 20 }), checks => {
      const seen: unknown[] = []
      decodeChunk(encodeChunk(checks), checks.length, (scheme, key, message, signature) => {
        seen.push({ scheme, key: [...key], message: [...message], signature: [...signature] })
      })
      expect(seen).to.deep.equal(checks.map(c => ({ scheme: c.scheme, key: [...c.key], message: [...c.message], signature: [...c.signature] })))
    }))
    expect(() => { decodeChunk(new ArrayBuffer(5), 1, () => {}) }).to.throw(RangeError, /truncated/)
  })

  it('gives the verdict of createNodeVerifier on good, altered and malformed checks of both schemes', async () => {
    const body = legacyBody('rsa')
    const rsa: SignatureCheck = { scheme: 'rsa-pkcs1-sha256', spkiPem: body.senderPK, message: utf8('rsa'), signature: latin1Bytes(body.signature) }
    const ed = good[0]
    if (ed.scheme !== 'ed25519') throw new Error('fixture')
    const cases: SignatureCheck[] = [
      ed, flipped(ed, 3), flipped(ed, 40), { ...ed, message: utf8('other') },
      { ...ed, signature: ed.signature.subarray(0, 63) }, { ...ed, publicKey: new Uint8Array(31) },
      { ...ed, publicKey: new Uint8Array(32).fill(0xff) }, { ...ed, signature: 'x' as unknown as Uint8Array },
      rsa, { ...rsa, message: utf8('rsa!') }, { ...rsa, spkiPem: 'not a key' }, { ...rsa, signature: new Uint8Array(3) },
      { scheme: 'ed448', publicKey: ed.publicKey, message: ed.message, signature: ed.signature } as unknown as SignatureCheck
    ]
    const expected = await Promise.all(cases.map(reference))
    expect(expected.slice(0, 3)).to.deep.equal([true, false, false])
    expect(await pool.verifyMany(cases)).to.deep.equal(expected)
    expect(await Promise.all(cases.map(async c => (await pool.verifyMany([c]))[0]))).to.deep.equal(expected)
    expect(await pool.verifyEd25519(ed.publicKey, ed.message, ed.signature)).to.equal(true)
    expect(await pool.verifyRsaPkcs1Sha256(rsa.spkiPem, rsa.message, rsa.signature)).to.equal(true)
    expect(await pool.verifyRsaPkcs1Sha256(rsa.spkiPem, utf8('other'), rsa.signature)).to.equal(false)
  })

  it('answers arbitrary batches in item order, as the reference does', async () => {
    await fc.assert(fc.asyncProperty(fc.array(fc.tuple(fc.nat(good.length - 1), fc.option(fc.nat(63), { nil: undefined })), { maxLength: 60 }), async picks => {
      const items = picks.map(([i, flip]) => flip === undefined ? good[i] : flipped(good[i], flip))
      const got = await pool.verifyMany(items)
      expect(got).to.have.length(items.length)
      expect(got).to.deep.equal(picks.map(([, flip]) => flip === undefined))
    }), { numRuns: 40 })
  })

  it('many concurrent callers are batched into few messages and all answered', async () => {
    const items = Array.from({ length: 600 }, (_, i) => i % 7 === 3 ? flipped(good[i % good.length], i) : good[i % good.length])
    const results = await Promise.all(items.map(async (c, i) => i % 2 === 0
      ? (await pool.verifyMany([c]))[0]
      : await pool.verifyEd25519((c as { publicKey: Uint8Array }).publicKey, c.message, c.signature)))
    expect(results).to.deep.equal(items.map((_, i) => i % 7 !== 3))
    expect(pool.stats.chunks).to.be.below(items.length)
    expect(pool.stats).to.include({ started: 2, queued: 0, inFlight: 0 })
  })

  it('a lone check asked for after a large batch is answered before that batch: it goes out ahead of the batch\'s queued chunks', async () => {
    const onePool = new VerifierPool({ threads: 1, maxBatch: 8 })
    try {
      const order: string[] = []
      const large = Array.from({ length: 400 }, (_, i) => good[i % good.length])
      const big = onePool.verifyMany(large).then(r => { order.push('large'); return r })
      const lone = onePool.verifyMany([good[0]]).then(r => { order.push('lone'); return r })
      const [bigResults, loneResults] = await Promise.all([big, lone])
      expect(order).to.deep.equal(['lone', 'large'])
      expect(loneResults).to.deep.equal([true])
      expect(bigResults.every(ok => ok === true)).to.equal(true)
    } finally {
      await onePool.close()
    }
  })

  it('stopOnFirstFailure: everything before the first failure is checked, nothing after it is reported valid unchecked', async () => {
    for (const bad of [0, 5, 17, 39]) {
      const items = good.map((c, i) => i === bad ? flipped(c, i) : c)
      const results = await pool.verifyMany(items, { stopOnFirstFailure: true })
      expect(results.slice(0, bad)).to.deep.equal(new Array(bad).fill(true))
      expect(results[bad]).to.equal(false)
      expect(results.indexOf(false)).to.equal(bad)
      for (const r of results.slice(bad + 1)) expect(r === undefined || r === true).to.equal(true)
    }
    // A malformed item is a failure found before any worker runs.
    const malformed = [good[0], { ...good[1], signature: new Uint8Array(2) }, ...good.slice(2)]
    const r = await pool.verifyMany(malformed, { stopOnFirstFailure: true })
    expect(r[0]).to.equal(true)
    expect(r[1]).to.equal(false)
    expect(r.slice(2).every(x => x === undefined || x === true)).to.equal(true)
  })

  it('an aborted batch rejects with the signal\'s reason; the pool goes on serving', async () => {
    const controller = new AbortController()
    const many = Array.from({ length: 400 }, (_, i) => good[i % good.length])
    const pending = pool.verifyMany(many, { signal: controller.signal })
    controller.abort(new Error('client went away'))
    await pending.then(() => { throw new Error('resolved') }, (err: Error) => { expect(err.message).to.equal('client went away') })
    const again = new AbortController()
    again.abort(new Error('before'))
    await pool.verifyMany(good, { signal: again.signal }).then(() => { throw new Error('resolved') }, (err: Error) => { expect(err.message).to.equal('before') })
    expect(await pool.verifyMany(good.slice(0, 3))).to.deep.equal([true, true, true])
  })

  it('close() fails what waits and refuses new work; an empty batch needs no worker', async () => {
    const fresh = new VerifierPool({ threads: 1 })
    expect(await fresh.verifyMany([])).to.deep.equal([])
    expect(fresh.stats.started).to.equal(0)
    const waiting = fresh.verifyMany(Array.from({ length: 200 }, (_, i) => good[i % good.length]))
    await fresh.close()
    await waiting.then(() => { throw new Error('resolved') }, (err: Error) => { expect(err.message).to.match(/closed/) })
    await fresh.verifyMany(good).then(() => { throw new Error('resolved') }, (err: Error) => { expect(err.message).to.match(/closed/) })
  })

  it('refuses bad options by name', () => {
    expect(() => new VerifierPool({ threads: 0 })).to.throw(RangeError, /threads/)
    expect(() => new VerifierPool({ maxBatch: 0 })).to.throw(RangeError, /maxBatch/)
    expect(() => new VerifierPool({ keyCacheSize: -1 })).to.throw(TypeError, /keyCacheSize/)
  })

  it('checks the Ed25519 keys of real txs signed by several signers', async () => {
    const txs = ['a', 'b', 'c'].flatMap(s => [makeTx(1, {}, s), makeTx(2, {}, s)])
    const checks = txs.map(t => txSignatureCheck(t, TEST_NETWORK_ID))
    expect(await pool.verifyMany(checks)).to.deep.equal(checks.map(() => true))
    const wrongKey = { ...checks[0], publicKey: fromHex(txs[2].senderPK, 'pk', 32) } as SignatureCheck
    expect(await pool.verifyMany([wrongKey])).to.deep.equal([false])
  })
})
