// The hand-checked fast paths of the tx hot path (docs/design.md §11) against their references, on arbitrary
// input (fast-check): parseEd25519TxFast against the zod schema (parseTxWithSchema), and the signing
// payload's hand-written JCS against canonicalJson (RFC 8785, the canonicalize package).
import { expect } from 'chai'
import fc from 'fast-check'
import { canonicalJson, parseEd25519TxFast, parseTx, parseTxWithSchema, TX_SIGNING_DOMAIN, txCanonicalJson, txSigningPayload, utf8, type Tx, type UnsignedEd25519Tx } from '../src/core/index.js'
import { makeTx, TEST_NETWORK_ID } from './core-fixtures.js'

const FIELDS = ['scheme', 'senderPK', 'receiverPK', 'item', 'data', 'timestamp', 'nonce', 'signature', 'id'] as const

const hexOf = (bytes: number): fc.Arbitrary<string> => fc.uint8Array({ minLength: bytes, maxLength: bytes }).map(b => Buffer.from(b).toString('hex'))
/** Values near and far from what each field accepts. */
const fieldValue: fc.Arbitrary<unknown> = fc.oneof(
  hexOf(32), hexOf(16), hexOf(64), hexOf(31), hexOf(33),
  hexOf(32).map(h => h.toUpperCase()), hexOf(32).map(h => h.slice(0, 63) + 'g'),
  fc.constant(null), fc.constant(''), fc.constant('ed25519'), fc.constant('rsa-legacy'),
  fc.string({ maxLength: 40 }), fc.string({ unit: 'grapheme', maxLength: 70 }), fc.string({ unit: 'binary', maxLength: 20 }),
  fc.string({ minLength: 4090, maxLength: 4200 }), fc.constant('\ud800x'), fc.constant('a'.repeat(65)),
  fc.integer(), fc.double(), fc.constantFrom(-0, 0, 1767225600.5, 1767225600.123, 1767225600.1234, 1e309, -1, 2 ** 53, Number.MAX_SAFE_INTEGER / 1000),
  fc.boolean(), fc.constant([]), fc.constant({}), fc.jsonValue({ maxDepth: 2 })
)

/** A valid tx with some fields replaced, deleted or added (as JSON.parse gives them). */
const mutatedTx: fc.Arbitrary<unknown> = fc.record({
  base: fc.nat(50),
  replace: fc.dictionary(fc.constantFrom(...FIELDS), fieldValue, { maxKeys: 3 }),
  remove: fc.subarray([...FIELDS], { maxLength: 2 }),
  extra: fc.dictionary(fc.oneof(fc.string({ maxLength: 8 }), fc.constant('__proto__'), fc.constant('constructor')), fieldValue, { maxKeys: 2 }),
  mutate: fc.boolean()
}).map(({ base, replace, remove, extra, mutate }) => {
  const tx: Record<string, unknown> = { ...makeTx(base, { item: base % 3 === 0 ? null : `lot-${base}`, receiverPK: base % 2 === 0 ? null : 'ab'.repeat(32) }) }
  if (!mutate) return JSON.parse(JSON.stringify(tx))
  Object.assign(tx, replace)
  for (const k of remove) delete tx[k]
  // Through JSON text, as every input arrives (an own "__proto__" key included).
  const text = JSON.stringify(tx).slice(0, -1) + Object.entries(extra).map(([k, v]) => `,${JSON.stringify(k)}:${JSON.stringify(v) ?? 'null'}`).join('') + '}'
  return JSON.parse(text)
})

function reference (input: unknown): { ok: true, value: unknown } | { ok: false, error: string } {
  try {
    return { ok: true, value: parseTxWithSchema(input) }
  } catch (err) {
    return { ok: false, error: (err as Error).message }
  }
}

describe('tx hot path: fast paths equal their references', () => {
  it('parseEd25519TxFast accepts exactly what the schema accepts as a native tx, with the same value (fast-check)', () => {
    let fastHits = 0
    fc.assert(fc.property(fc.oneof(mutatedTx, fc.jsonValue({ maxDepth: 2 })), input => {
      const fast = parseEd25519TxFast(input)
      const ref = reference(input)
      if (fast !== undefined) {
        fastHits++
        expect(ref.ok).to.equal(true)
        expect(fast).to.deep.equal((ref as { value: unknown }).value)
        expect(Object.keys(fast)).to.deep.equal(FIELDS)
      } else if (ref.ok && (ref.value as { scheme: string }).scheme === 'ed25519') {
        throw new Error(`the schema accepts a native tx the fast path refuses: ${JSON.stringify(input).slice(0, 300)}`)
      }
      // parseTx answers as the reference does, error message included.
      let got: { ok: true, value: unknown } | { ok: false, error: string }
      try { got = { ok: true, value: parseTx(input) } } catch (err) { got = { ok: false, error: (err as Error).message } }
      expect(got).to.deep.equal(ref)
    }), { numRuns: 3000 })
    expect(fastHits).to.be.above(100)
  })

  it('the fast path returns a fresh object, and refuses objects that are not plain', () => {
    const tx = JSON.parse(JSON.stringify(makeTx(1)))
    const parsed = parseEd25519TxFast(tx)
    expect(parsed).to.deep.equal(tx)
    expect(parsed).to.not.equal(tx)
    expect(parseEd25519TxFast(Object.assign(Object.create(null), tx))).to.equal(undefined)
    expect(parseEd25519TxFast(Object.assign(Object.create({ extra: 1 }), tx))).to.equal(undefined)
    expect(parseTx(Object.assign(Object.create(null), tx))).to.deep.equal(tx)
  })

  it('the signing payload\'s JCS is canonicalJson byte for byte, whatever the field values (fast-check)', () => {
    const text = fc.oneof(fc.string({ maxLength: 30 }), fc.string({ unit: 'grapheme', maxLength: 30 }), fc.string({ unit: 'binary', maxLength: 30 }),
      fc.constantFrom('\u2028', '\u0000\u001f"\\/', '\ud800', 'é', '😀'))
    fc.assert(fc.property(fc.record({
      senderPK: text, receiverPK: fc.option(text, { nil: null }), item: fc.option(text, { nil: null }), data: text, nonce: text,
      timestamp: fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer(), fc.constantFrom(-0, 1e21, 1e-7, 123.456, 5e-324))
    }), fields => {
      const unsigned: UnsignedEd25519Tx = { scheme: 'ed25519', ...fields }
      let expected: Uint8Array | string
      try { expected = utf8(`${TX_SIGNING_DOMAIN}\n${TEST_NETWORK_ID}\n${canonicalJson(unsigned)}`) } catch (err) { expected = (err as Error).message }
      let got: Uint8Array | string
      try { got = txSigningPayload(unsigned, TEST_NETWORK_ID) } catch (err) { got = (err as Error).message }
      if (typeof expected === 'string' || typeof got === 'string') expect(got).to.equal(expected)
      else expect(Buffer.from(got).equals(Buffer.from(expected))).to.equal(true)
      // The tx_root leaf's JCS of the whole stored tx, with arbitrary id and signature text too.
      for (const extra of [{ signature: fields.nonce, id: fields.data }, { signature: fields.senderPK, id: '\ud800' }]) {
        const tx = { ...unsigned, ...extra } as Tx
        let want: string
        try { want = canonicalJson(tx) } catch (err) { want = (err as Error).message }
        let have: string
        try { have = txCanonicalJson(tx) } catch (err) { have = (err as Error).message }
        expect(have).to.equal(want)
      }
    }), { numRuns: 2000 })
  })
})
