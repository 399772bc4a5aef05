// One test per coded error of src/core/errors.ts, named after the code: each builds an otherwise
// valid tx or block and breaks exactly one rule. (TX_DUPLICATE and TX_MEMPOOL_FULL: core-mempool.)
import { expect } from 'chai'
import {
  BlockError, BlockErrorCode, MAX_BLOCK_BYTES, MAX_BLOCK_TXS, MAX_FUTURE_DRIFT_MS, MAX_TX_DATA_BYTES, TxError, TxErrorCode,
  assertGenesis, blockSize, checkTxIsNew, computeBlockHash, computeTxRoot, genesisBlock, leadingZeroBits, fromHex,
  parseBlock, parseLegacySubmission, parseTx, planReorg, validateBlock, validateBlockBody, validateBlockHeader, verifyTx,
  type Block, type HeaderInfo, type Tx
} from '../src/core/index.js'
import {
  NOW_MS, TEST_GENESIS, TEST_NETWORK, TEST_NETWORK_ID, blockContext, caught, legacyBody, makeBlock, makeTx, rsaKeys,
  verifier
} from './core-fixtures.js'

const txCtx = { network: TEST_NETWORK_ID, nowMs: NOW_MS, verifier }

function expectTxError (err: unknown, code: TxErrorCode, field?: string): void {
  expect(err).to.be.instanceOf(TxError)
  expect((err as TxError).code, (err as Error).message).to.equal(code)
  if (field !== undefined) expect((err as TxError).meta.field).to.equal(field)
}

function expectBlockError (err: unknown, code: BlockErrorCode, meta: Record<string, unknown> = {}): void {
  expect(err).to.be.instanceOf(BlockError)
  expect((err as BlockError).code, (err as Error).message).to.equal(code)
  for (const [k, v] of Object.entries(meta)) expect((err as BlockError).meta[k], k).to.equal(v)
}

/** The JSON a peer would send: a plain copy we can break. */
function json<T> (value: T): any { return JSON.parse(JSON.stringify(value)) } // eslint-disable-line @typescript-eslint/no-explicit-any

describe('core errors: TxError codes', () => {
  const valid = makeTx(1, { item: 'lot-1', receiverPK: makeTx(0, {}, 'bob').senderPK })

  it('the fixture tx is valid (every test below breaks exactly one rule of it)', async () => {
    expect(parseTx(json(valid))).to.deep.equal(valid)
    await verifyTx(valid, txCtx)
  })

  it('TX_NOT_OBJECT: a tx that is not a JSON object', () => {
    for (const input of [null, [], 'tx', 42, [json(valid)]]) {
      expectTxError(captureSync(() => parseTx(input)), TxErrorCode.NOT_OBJECT)
    }
  })

  it('TX_UNKNOWN_FIELD: a field the schema does not know', () => {
    expectTxError(captureSync(() => parseTx({ ...json(valid), fee: 1 })), TxErrorCode.UNKNOWN_FIELD, 'fee')
    const legacy = parseLegacySubmission(legacyBody('x'), NOW_MS)
    expectTxError(captureSync(() => parseTx({ ...json(legacy), nonce: valid.nonce })), TxErrorCode.UNKNOWN_FIELD, 'nonce')
    expectTxError(captureSync(() => parseLegacySubmission({ ...legacyBody('x'), timestamp: 1 }, NOW_MS)), TxErrorCode.UNKNOWN_FIELD, 'timestamp')
  })

  it('TX_MISSING_FIELD: a required field is absent', () => {
    for (const field of Object.keys(valid)) {
      const broken = json(valid)
      delete broken[field]
      expectTxError(captureSync(() => parseTx(broken)), TxErrorCode.MISSING_FIELD, field)
    }
    const body = legacyBody('x') as Record<string, unknown>
    delete body.signature
    expectTxError(captureSync(() => parseLegacySubmission(body, NOW_MS)), TxErrorCode.MISSING_FIELD, 'signature')
  })

  it('TX_WRONG_TYPE: a field of the wrong JSON type', () => {
    const cases: Array<[string, unknown]> = [['scheme', 1], ['senderPK', null], ['receiverPK', 5], ['item', ['lot']],
      ['data', { text: 'x' }], ['timestamp', '1767225661'], ['nonce', 7], ['signature', true], ['id', null]]
    for (const [field, value] of cases) {
      expectTxError(captureSync(() => parseTx({ ...json(valid), [field]: value })), TxErrorCode.WRONG_TYPE, field)
    }
  })

  it('TX_BAD_FORMAT: a field with the right type but a bad shape', () => {
    const cases: Array<[string, unknown]> = [
      ['scheme', 'ed448'],
      ['senderPK', valid.senderPK.toUpperCase()],
      ['receiverPK', valid.senderPK.slice(2)],
      ['item', ''],
      ['item', 'lot-\ud800'],
      ['data', 'lone \udc00 surrogate'],
      ['timestamp', 1767225661.0001],
      ['timestamp', -1],
      ['nonce', valid.nonce + '00'],
      ['signature', 'zz' + valid.signature.slice(2)],
      ['id', valid.id.slice(1)]
    ]
    for (const [field, value] of cases) {
      expectTxError(captureSync(() => parseTx({ ...json(valid), [field]: value })), TxErrorCode.BAD_FORMAT, field)
    }
    const body = legacyBody('x')
    expectTxError(captureSync(() => parseLegacySubmission({ ...body, senderPK: 'not a pem' }, NOW_MS)), TxErrorCode.BAD_FORMAT, 'senderPK')
    expectTxError(captureSync(() => parseLegacySubmission({ ...body, signature: 'caf\u00e9\u0100' }, NOW_MS)), TxErrorCode.BAD_FORMAT, 'signature')
  })

  it('TX_TOO_LARGE: data over 16 KiB of UTF-8, item over 128 characters', () => {
    // 8,193 two-byte characters: under the limit in UTF-16 units, over it in UTF-8 bytes.
    const err = captureSync(() => makeTx(1, { data: '\u00e9'.repeat(MAX_TX_DATA_BYTES / 2 + 1) }))
    expectTxError(err, TxErrorCode.TOO_LARGE, 'data')
    expect((err as TxError).meta.limit).to.equal(MAX_TX_DATA_BYTES)
    expect(() => makeTx(1, { data: '\u00e9'.repeat(MAX_TX_DATA_BYTES / 2) })).not.to.throw()
    expectTxError(captureSync(() => makeTx(1, { item: 'x'.repeat(129) })), TxErrorCode.TOO_LARGE, 'item')
    expect(() => makeTx(1, { item: '\u{1F404}'.repeat(128) })).not.to.throw() // 128 code points, 256 UTF-16 units
    expectTxError(captureSync(() => parseLegacySubmission(legacyBody('d'.repeat(MAX_TX_DATA_BYTES + 1)), NOW_MS)), TxErrorCode.TOO_LARGE, 'data')
  })

  it('TX_WEAK_KEY: a legacy tx signed with a 512-bit RSA key', async () => {
    const tx = parseLegacySubmission(legacyBody('weak', rsaKeys.rsa512), NOW_MS)
    expectTxError(await caught(() => verifyTx(tx, txCtx)), TxErrorCode.WEAK_KEY, 'senderPK')
  })

  it('TX_BAD_SIGNATURE: a signature that does not verify under senderPK', async () => {
    // The ed25519 id does not cover the signature: only the signature rule breaks.
    const other = makeTx(2)
    const forged = { ...valid, signature: other.signature }
    expectTxError(await caught(() => verifyTx(parseTx(forged), txCtx)), TxErrorCode.BAD_SIGNATURE, 'signature')
    // Legacy: a real signature of other data, restamped so the id matches.
    const body = { ...legacyBody('original'), data: 'changed' }
    const legacy = parseLegacySubmission(body, NOW_MS)
    expectTxError(await caught(() => verifyTx(legacy, txCtx)), TxErrorCode.BAD_SIGNATURE, 'signature')
  })

  it('TX_ID_MISMATCH: an id that is not the hash of the content', async () => {
    expectTxError(await caught(() => verifyTx({ ...valid, id: makeTx(2).id }, txCtx)), TxErrorCode.ID_MISMATCH, 'id')
    // The same tx on another network: its id (and signature) belong to the first network.
    expectTxError(await caught(() => verifyTx(valid, { ...txCtx, network: 'gossipchain-other-00000000' })), TxErrorCode.ID_MISMATCH, 'id')
    const legacy = parseLegacySubmission(legacyBody('x'), NOW_MS)
    expectTxError(await caught(() => verifyTx({ ...legacy, id: valid.id }, txCtx)), TxErrorCode.ID_MISMATCH, 'id')
  })

  it('TX_FUTURE_TIMESTAMP: a timestamp more than 2 h ahead of the node\'s clock', async () => {
    const limitSeconds = (NOW_MS + MAX_FUTURE_DRIFT_MS) / 1000
    await verifyTx(makeTx(1, { timestamp: limitSeconds }), txCtx) // exactly 2 h ahead is accepted
    const ahead = makeTx(1, { timestamp: limitSeconds + 0.001 })
    expectTxError(await caught(() => verifyTx(ahead, txCtx)), TxErrorCode.FUTURE_TIMESTAMP, 'timestamp')
  })

  it('TX_LEGACY_DISABLED: a legacy tx on a node with legacyTransactions: false', async () => {
    const legacy = parseLegacySubmission(legacyBody('x'), NOW_MS)
    await verifyTx(legacy, txCtx)
    expectTxError(await caught(() => verifyTx(legacy, { ...txCtx, legacyTransactions: false })), TxErrorCode.LEGACY_DISABLED, 'scheme')
  })

  it('TX_ALREADY_IN_CHAIN: a tx the main chain already holds', async () => {
    await checkTxIsNew(valid, { isPending: () => false, isInMainChain: async () => false })
    expectTxError(await caught(() => checkTxIsNew(valid, { isPending: () => false, isInMainChain: async id => id === valid.id })), TxErrorCode.ALREADY_IN_CHAIN)
    expectTxError(await caught(() => checkTxIsNew(valid, { isPending: id => id === valid.id, isInMainChain: () => false })), TxErrorCode.DUPLICATE)
  })
})

describe('core errors: BlockError codes', function () {
  this.timeout(20_000)
  const block = makeBlock()

  it('the fixture block is valid (every test below breaks exactly one rule of it)', async () => {
    expect(parseBlock(json(block))).to.deep.equal(block)
    await validateBlock(block, blockContext())
  })

  it('BLOCK_NOT_OBJECT: a block that is not a JSON object', () => {
    for (const input of [null, [json(block)], 'block', 1]) expectBlockError(captureSync(() => parseBlock(input)), BlockErrorCode.NOT_OBJECT)
  })

  it('BLOCK_UNKNOWN_FIELD: a field the schema does not know', () => {
    expectBlockError(captureSync(() => parseBlock({ ...json(block), miner: 'me' })), BlockErrorCode.UNKNOWN_FIELD, { field: 'miner' })
  })

  it('BLOCK_MISSING_FIELD: a required field is absent', () => {
    for (const field of Object.keys(block)) {
      const broken = json(block)
      delete broken[field]
      expectBlockError(captureSync(() => parseBlock(broken)), BlockErrorCode.MISSING_FIELD, { field })
    }
  })

  it('BLOCK_WRONG_TYPE: a field of the wrong JSON type', () => {
    const cases: Array<[string, unknown]> = [['index', '1'], ['transactions', {}], ['timestamp', null], ['previous_hash', 1],
      ['nonce', '7'], ['hash', null], ['version', '1'], ['bits', true], ['tx_root', []]]
    for (const [field, value] of cases) expectBlockError(captureSync(() => parseBlock({ ...json(block), [field]: value })), BlockErrorCode.WRONG_TYPE, { field })
  })

  it('BLOCK_BAD_FORMAT: a field with the right type but a bad shape', () => {
    const cases: Array<[string, unknown]> = [['index', 1.5], ['index', -1], ['timestamp', 1767226200.0005], ['previous_hash', 'AB'.repeat(32)],
      ['nonce', 2 ** 53], ['nonce', -1], ['hash', block.hash.slice(2)], ['version', 70000], ['bits', 256], ['tx_root', 'x'.repeat(64)]]
    for (const [field, value] of cases) expectBlockError(captureSync(() => parseBlock({ ...json(block), [field]: value })), BlockErrorCode.BAD_FORMAT, { field })
  })

  it('BLOCK_WRONG_VERSION: version is not 1', async () => {
    const b = makeBlock(undefined, { version: 2 })
    expectBlockError(await caught(() => validateBlock(b, blockContext())), BlockErrorCode.WRONG_VERSION, { field: 'version' })
  })

  it('BLOCK_WRONG_BITS: bits differ from the network\'s', async () => {
    const b = makeBlock(undefined, { bits: TEST_NETWORK.bits + 1 }) // more work, still the wrong rule
    expectBlockError(await caught(() => validateBlock(b, blockContext())), BlockErrorCode.WRONG_BITS, { field: 'bits' })
  })

  it('BLOCK_HASH_MISMATCH: the hash field is not sha256(header)', async () => {
    const other = makeBlock([makeTx(9)])
    const b = { ...block, hash: other.hash } // a hash that does meet the proof of work
    expect(leadingZeroBits(fromHex(b.hash, 'hash'))).to.be.at.least(TEST_NETWORK.bits)
    expectBlockError(await caught(() => validateBlock(b, blockContext())), BlockErrorCode.HASH_MISMATCH, { field: 'hash' })
  })

  it('BLOCK_INSUFFICIENT_WORK: a correct hash with too few leading zero bits', async () => {
    let nonce = 0
    let hash = computeBlockHash({ ...block, nonce })
    while (leadingZeroBits(fromHex(hash, 'hash')) >= TEST_NETWORK.bits) hash = computeBlockHash({ ...block, nonce: ++nonce })
    const b = { ...block, nonce, hash }
    expectBlockError(await caught(() => validateBlock(b, blockContext())), BlockErrorCode.INSUFFICIENT_WORK, { field: 'hash' })
  })

  it('BLOCK_UNKNOWN_PARENT: previous_hash names no known block', async () => {
    expectBlockError(await caught(() => validateBlock(block, blockContext({ parent: undefined }))), BlockErrorCode.UNKNOWN_PARENT, { field: 'previous_hash' })
    // planReorg raises it too when a header on the way is missing.
    const headers = new Map<string, HeaderInfo>([['b', { hash: 'b', previous_hash: 'a', index: 1, work: 2n }]])
    expectBlockError(await caught(() => planReorg('b', 'b2', h => headers.get(h))), BlockErrorCode.UNKNOWN_PARENT)
  })

  it('BLOCK_WRONG_INDEX: index is not parent.index + 1', async () => {
    const b = makeBlock(undefined, { index: 2 })
    expectBlockError(await caught(() => validateBlock(b, blockContext())), BlockErrorCode.WRONG_INDEX, { field: 'index', expected: 1 })
  })

  it('BLOCK_TIMESTAMP_TOO_OLD: timestamp not after the median of the last 11 ancestors', async () => {
    const ancestorTimestamps = [block.timestamp - 5, block.timestamp - 1, block.timestamp, block.timestamp + 1, block.timestamp + 9]
    expectBlockError(await caught(() => validateBlock(block, blockContext({ ancestorTimestamps }))), BlockErrorCode.TIMESTAMP_TOO_OLD,
      { field: 'timestamp', median: block.timestamp })
    await validateBlock(block, blockContext({ ancestorTimestamps: ancestorTimestamps.map(t => t - 0.001) }))
  })

  it('BLOCK_TIMESTAMP_TOO_NEW: timestamp more than 2 h ahead of the node\'s clock', async () => {
    const nowMs = block.timestamp * 1000 - MAX_FUTURE_DRIFT_MS
    await validateBlock(block, blockContext({ nowMs: nowMs + 70_000 })) // its txs are a minute older than the block
    expectBlockError(await caught(() => validateBlock(block, blockContext({ nowMs: nowMs - 1 }))), BlockErrorCode.TIMESTAMP_TOO_NEW, { field: 'timestamp' })
  })

  it('BLOCK_TX_ROOT_MISMATCH: tx_root is not the Merkle root of the transactions', async () => {
    const b = makeBlock(undefined, { tx_root: computeTxRoot([makeTx(1), makeTx(3), makeTx(2)]) })
    expectBlockError(await caught(() => validateBlock(b, blockContext())), BlockErrorCode.TX_ROOT_MISMATCH, { field: 'tx_root' })
  })

  it('BLOCK_TOO_LARGE: a serialized block over 1 MiB', async () => {
    const big = Array.from({ length: 65 }, (_, i) => makeTx(i, { data: 'd'.repeat(MAX_TX_DATA_BYTES) }))
    const b = makeBlock(big)
    expect(blockSize(b)).to.be.above(MAX_BLOCK_BYTES)
    expectBlockError(await caught(() => validateBlock(b, blockContext())), BlockErrorCode.TOO_LARGE, { limit: MAX_BLOCK_BYTES })
    await validateBlock(makeBlock(big.slice(0, 60)), blockContext()) // just under the limit
  })

  it('BLOCK_TOO_MANY_TXS: more than 2,000 transactions', async () => {
    const many = Array.from({ length: MAX_BLOCK_TXS + 1 }, (_, i) => makeTx(i, { data: '' }))
    const b = makeBlock(many)
    expect(blockSize(b)).to.be.below(MAX_BLOCK_BYTES)
    expectBlockError(await caught(() => validateBlock(b, blockContext())), BlockErrorCode.TOO_MANY_TXS, { limit: MAX_BLOCK_TXS })
    expectBlockError(captureSync(() => parseBlock(json(b))), BlockErrorCode.TOO_MANY_TXS) // refused before any tx is parsed
  })

  it('BLOCK_INVALID_TX: a transaction breaks a tx rule', async () => {
    const txs = [makeTx(1), makeTx(2), makeTx(3)]
    const forged: Tx = { ...txs[1], signature: txs[0].signature as string }
    const b = makeBlock([txs[0], forged, txs[2]])
    expectBlockError(await caught(() => validateBlock(b, blockContext())), BlockErrorCode.INVALID_TX,
      { txIndex: 1, txCode: TxErrorCode.BAD_SIGNATURE, field: 'signature' })
    // The schema of a tx inside a block: parseBlock names the tx and its field.
    const broken = json(block)
    broken.transactions[2].nonce = 'short'
    expectBlockError(captureSync(() => parseBlock(broken)), BlockErrorCode.INVALID_TX, { txIndex: 2, txCode: TxErrorCode.BAD_FORMAT, field: 'nonce' })
  })

  it('BLOCK_TX_IN_ANCESTRY: a transaction already stands in the block\'s ancestry', async () => {
    const id = block.transactions[2].id
    expectBlockError(await caught(() => validateBlock(block, blockContext({ txInAncestry: async t => t === id }))), BlockErrorCode.TX_IN_ANCESTRY,
      { txIndex: 2, txId: id })
  })

  it('BLOCK_DUPLICATE_TX: the same transaction twice inside the block', async () => {
    const tx = makeTx(1)
    const b = makeBlock([tx, makeTx(2), tx])
    expectBlockError(await caught(() => validateBlock(b, blockContext())), BlockErrorCode.DUPLICATE_TX, { txIndex: 2, txId: tx.id })
  })

  it('BLOCK_WRONG_GENESIS: another network\'s genesis, or chains that share no block', async () => {
    // The genesis header holds timestamp and bits (not the name): another network's differs there.
    const foreign = genesisBlock({ ...TEST_NETWORK, genesisTimestamp: TEST_NETWORK.genesisTimestamp + 1 })
    expectBlockError(captureSync(() => assertGenesis(foreign, TEST_NETWORK)), BlockErrorCode.WRONG_GENESIS)
    assertGenesis(TEST_GENESIS, TEST_NETWORK)
    expectBlockError(captureSync(() => validateBlockHeader(foreign, blockContext())), BlockErrorCode.WRONG_GENESIS)
    const headers = new Map<string, HeaderInfo>([
      ['g1', { hash: 'g1', previous_hash: '0'.repeat(64), index: 0, work: 1n }],
      ['a', { hash: 'a', previous_hash: 'g1', index: 1, work: 2n }],
      ['g2', { hash: 'g2', previous_hash: '0'.repeat(64), index: 0, work: 1n }],
      ['b', { hash: 'b', previous_hash: 'g2', index: 1, work: 2n }]
    ])
    expectBlockError(captureSync(() => planReorg('a', 'b', h => headers.get(h))), BlockErrorCode.WRONG_GENESIS)
  })

  it('BLOCK_ALREADY_KNOWN: raised by the chain (core keeps no block index), not by core', () => {
    expect(BlockErrorCode.ALREADY_KNOWN).to.equal('BLOCK_ALREADY_KNOWN')
  })

  it('validateBlockBody alone skips header rules, and a signature cache skips only the signature', async () => {
    const forged: Block = makeBlock([{ ...makeTx(1), signature: makeTx(2).signature }])
    await validateBlockBody(forged, blockContext({ alreadyVerified: () => true }))
    expectBlockError(await caught(() => validateBlockBody(forged, blockContext({ alreadyVerified: () => false }))), BlockErrorCode.INVALID_TX)
    const badId = makeBlock([{ ...makeTx(1), id: makeTx(2).id }])
    expectBlockError(await caught(() => validateBlockBody(badId, blockContext({ alreadyVerified: () => true }))), BlockErrorCode.INVALID_TX,
      { txCode: TxErrorCode.ID_MISMATCH })
  })
})

function captureSync (fn: () => unknown): unknown {
  try {
    fn()
  } catch (err) {
    return err
  }
  throw new Error('expected an error, none was thrown')
}
