// The schema contract of parseTx / parseLegacySubmission / parseBlock beyond one broken rule at a
// time (core-errors): which failure wins when several are present, the exact messages, and JSON
// numbers that are not finite. One code per failure, meta.field naming the field.
import { expect } from 'chai'
import {
  BlockError, BlockErrorCode, MAX_BLOCK_TXS, MAX_TX_DATA_BYTES, TxError, TxErrorCode, parseBlock, parseLegacySubmission, parseTx
} from '../src/core/index.js'
import { NOW_MS, legacyBody, makeBlock, makeTx } from './core-fixtures.js'

/** The JSON a peer would send: a plain copy we can break. */
function json<T> (value: T): any { return JSON.parse(JSON.stringify(value)) } // eslint-disable-line @typescript-eslint/no-explicit-any

function failure (fn: () => unknown): { code: string, field: unknown, limit: unknown, message: string } {
  try {
    fn()
  } catch (err) {
    expect(err).to.satisfy((e: unknown) => e instanceof TxError || e instanceof BlockError)
    const coded = err as TxError | BlockError
    return { code: coded.code, field: coded.meta.field, limit: coded.meta.limit, message: coded.message }
  }
  throw new Error('expected an error, none was thrown')
}

describe('core schema: precedence and messages', () => {
  const valid = makeTx(1, { item: 'lot-1', receiverPK: makeTx(0, {}, 'bob').senderPK })

  it('an unknown field wins over every field problem', () => {
    const broken = { ...json(valid), senderPK: 1, fee: 1 }
    delete broken.id
    expect(failure(() => parseTx(broken))).to.include({ code: TxErrorCode.UNKNOWN_FIELD, field: 'fee' })
  })

  it('then the fields in design order, a missing field being one of a field\'s problems', () => {
    const wrongTypeFirst = { ...json(valid), senderPK: 1 }
    delete wrongTypeFirst.id
    expect(failure(() => parseTx(wrongTypeFirst))).to.include({ code: TxErrorCode.WRONG_TYPE, field: 'senderPK' })
    const missingFirst = { ...json(valid), id: 'x', timestamp: '1' }
    delete missingFirst.senderPK
    expect(failure(() => parseTx(missingFirst))).to.include({ code: TxErrorCode.MISSING_FIELD, field: 'senderPK' })
    const formatBeforeSize = { ...json(valid), receiverPK: 'AB', data: 'd'.repeat(MAX_TX_DATA_BYTES + 1) }
    expect(failure(() => parseTx(formatBeforeSize))).to.include({ code: TxErrorCode.BAD_FORMAT, field: 'receiverPK' })
  })

  it('scheme picks the shape before anything else is judged', () => {
    const { scheme: _scheme, ...noScheme } = json(valid)
    expect(failure(() => parseTx({ ...noScheme, fee: 1 }))).to.include({ code: TxErrorCode.MISSING_FIELD, field: 'scheme' })
    expect(failure(() => parseTx({ ...noScheme, scheme: 7, fee: 1 }))).to.include({ code: TxErrorCode.WRONG_TYPE, field: 'scheme' })
    expect(failure(() => parseTx({ ...noScheme, scheme: 'ed448', fee: 1 }))).to.include({ code: TxErrorCode.BAD_FORMAT, field: 'scheme' })
    // A legacy stored tx is judged by its own shape: a nonce is unknown there.
    const legacy = json(parseLegacySubmission(legacyBody('x'), NOW_MS))
    expect(failure(() => parseTx({ ...legacy, nonce: valid.nonce, signature: 1 }))).to.include({ code: TxErrorCode.UNKNOWN_FIELD, field: 'nonce' })
  })

  it('messages name the object and the field', () => {
    const cases: Array<[unknown, string]> = [
      [[json(valid)], 'tx must be a JSON object'],
      [{ ...json(valid), fee: 1 }, 'tx has an unknown field "fee"'],
      [{ ...json(valid), scheme: 1 }, 'tx.scheme must be a string'],
      [{ ...json(valid), scheme: 'ed448' }, 'tx.scheme must be "ed25519" or "rsa-legacy"'],
      [{ ...json(valid), senderPK: null }, 'tx.senderPK must be a string'],
      [{ ...json(valid), receiverPK: 5 }, 'tx.receiverPK must be a string or null'],
      [{ ...json(valid), item: '' }, 'tx.item must not be empty (use null)'],
      [{ ...json(valid), timestamp: '1' }, 'tx.timestamp must be a number'],
      [{ ...json(valid), timestamp: 1.0001 }, 'tx.timestamp must have at most 3 decimals'],
      [{ ...json(valid), nonce: 'short' }, 'tx.nonce must be 32 lowercase hex digits']
    ]
    for (const [input, message] of cases) expect(failure(() => parseTx(input)).message).to.equal(message)
    const { nonce: _nonce, ...noNonce } = json(valid)
    expect(failure(() => parseTx(noNonce)).message).to.equal('tx lacks the field "nonce"')
    expect(failure(() => parseTx({ ...json(valid), data: 'd'.repeat(MAX_TX_DATA_BYTES + 1) })))
      .to.deep.equal({ code: TxErrorCode.TOO_LARGE, field: 'data', limit: MAX_TX_DATA_BYTES, message: `tx.data must be at most ${MAX_TX_DATA_BYTES} UTF-8 bytes` })
    expect(failure(() => parseBlock({ ...json(makeBlock([])), transactions: {} })).message).to.equal('block.transactions must be an array')
  })

  it('a JSON number that is not finite (1e309) is a number of a bad format, not a wrong type', () => {
    const tx = JSON.parse(JSON.stringify(valid).replace(/"timestamp":[0-9.]+/, '"timestamp":1e309'))
    expect(tx.timestamp).to.equal(Infinity)
    expect(failure(() => parseTx(tx))).to.include({ code: TxErrorCode.BAD_FORMAT, field: 'timestamp' })
    const block = JSON.parse(JSON.stringify(makeBlock([])).replace(/"nonce":[0-9]+/, '"nonce":-1e309'))
    expect(failure(() => parseBlock(block))).to.include({ code: BlockErrorCode.BAD_FORMAT, field: 'nonce' })
  })

  it('a "__proto__" key of JSON is an unknown field, never a prototype', () => {
    const text = JSON.stringify(valid).replace('{', '{"__proto__":{"id":1},')
    expect(failure(() => parseTx(JSON.parse(text)))).to.include({ code: TxErrorCode.UNKNOWN_FIELD, field: '__proto__' })
  })

  it('a block\'s own fields are judged before its count of txs, and that before any tx', () => {
    const block = json(makeBlock([makeTx(1)]))
    const many = new Array(MAX_BLOCK_TXS + 1).fill({})
    expect(failure(() => parseBlock({ ...block, transactions: many, version: 1.5 }))).to.include({ code: BlockErrorCode.BAD_FORMAT, field: 'version' })
    expect(failure(() => parseBlock({ ...block, transactions: many }))).to.include({ code: BlockErrorCode.TOO_MANY_TXS, limit: MAX_BLOCK_TXS })
    const badTx = { ...block, transactions: [{ ...block.transactions[0], nonce: 1 }] }
    expect(failure(() => parseBlock({ ...badTx, hash: 'x' }))).to.include({ code: BlockErrorCode.BAD_FORMAT, field: 'hash' })
    expect(failure(() => parseBlock(badTx))).to.include({ code: BlockErrorCode.INVALID_TX, field: 'nonce' })
  })

  it('a valid tx, legacy body and block come back as fresh objects with exactly the schema\'s fields', () => {
    const input = { ...json(valid) }
    const parsed = parseTx(input)
    expect(parsed).to.deep.equal(valid)
    expect(parsed).to.not.equal(input)
    const body = legacyBody('x')
    expect(Object.keys(parseLegacySubmission(body, NOW_MS))).to.deep.equal(['scheme', 'senderPK', 'signature', 'data', 'timestamp', 'id'])
    const block = makeBlock()
    const shuffled = Object.fromEntries(Object.entries(json(block)).reverse())
    expect(JSON.stringify(parseBlock(shuffled))).to.equal(JSON.stringify(block))
  })
})
