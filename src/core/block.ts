// Blocks (docs/design.md §3): header bytes, hash, proof of work, schema, genesis.
import * as z from 'zod'
import { jsonSizeOf } from './serialized.js'
import { BlockError, BlockErrorCode, TxError } from './errors.js'
import { fromHex, isHex, toHex } from './bytes.js'
import { sha256 } from './hash.js'
import { computeTxRoot } from './merkle.js'
import { checkNetworkName } from './network.js'
import {
  hexCheck, integerCheck, jsonArray, jsonNumber, jsonString, schemaMessage, timestampCheck, validate, type SchemaFailure
} from './schema.js'
import { parseTx } from './tx.js'
import {
  BLOCK_VERSION, HEADER_BYTES, HEADER_PREFIX_BYTES, MAX_BLOCK_BYTES, MAX_BLOCK_TXS, MAX_TIMESTAMP_SECONDS,
  type Block, type NetworkParams, type Tx
} from './types.js'

export type HeaderFields = Pick<Block, 'version' | 'index' | 'previous_hash' | 'tx_root' | 'timestamp' | 'bits' | 'nonce'>
export type UnminedBlock = Omit<Block, 'nonce' | 'hash'>
/** Header fields before the nonce; a nonce, if present, is ignored. */
export type HeaderPrefixFields = Omit<HeaderFields, 'nonce'> & { nonce?: number }

export const ZERO_HASH = '0'.repeat(64)
export const MAX_BITS = 255

function checkUint (value: number, max: number, field: string): void {
  if (!Number.isInteger(value) || value < 0 || value > max) throw new TypeError(`${field} must be an integer in [0, ${max}]`)
}

function writeU64 (view: DataView, offset: number, value: number): void {
  view.setUint32(offset, Math.floor(value / 0x1_0000_0000))
  view.setUint32(offset + 4, value >>> 0)
}

/** Milliseconds of a timestamp in seconds (at most 3 decimals), as the header stores it. */
export function timestampMs (seconds: number): number {
  return Math.round(seconds * 1000)
}

function writePrefix (b: HeaderPrefixFields, out: Uint8Array): DataView {
  checkUint(b.version, 0xffff, 'version')
  checkUint(b.index, Number.MAX_SAFE_INTEGER, 'index')
  if (!Number.isFinite(b.timestamp) || b.timestamp < 0 || b.timestamp > MAX_TIMESTAMP_SECONDS) {
    throw new TypeError(`timestamp must be a number of seconds in [0, ${MAX_TIMESTAMP_SECONDS}]`)
  }
  checkUint(b.bits, MAX_BITS, 'bits')
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength)
  view.setUint16(0, b.version)
  writeU64(view, 2, b.index)
  out.set(fromHex(b.previous_hash, 'previous_hash', 32), 10)
  out.set(fromHex(b.tx_root, 'tx_root', 32), 42)
  writeU64(view, 74, timestampMs(b.timestamp))
  out[82] = b.bits
  return view
}

/**
 * docs/design.md §3 header, 91 bytes big-endian: version u16 | index u64 | previous_hash 32 | tx_root 32 |
 * timestamp ms u64 | bits u8 | nonce u64.
 */
export function encodeHeader (b: HeaderFields): Uint8Array {
  const out = new Uint8Array(HEADER_BYTES)
  const view = writePrefix(b, out)
  checkUint(b.nonce, Number.MAX_SAFE_INTEGER, 'nonce')
  writeU64(view, HEADER_PREFIX_BYTES, b.nonce)
  return out
}

/** The first 83 header bytes (everything but the nonce). */
export function headerPrefix (b: HeaderPrefixFields): Uint8Array {
  const out = new Uint8Array(HEADER_PREFIX_BYTES)
  writePrefix(b, out)
  return out
}

/** The header's fields back from its bytes (inverse of encodeHeader). */
export function decodeHeader (bytes: Uint8Array): HeaderFields {
  if (!(bytes instanceof Uint8Array) || bytes.length !== HEADER_BYTES) throw new TypeError(`header must be ${HEADER_BYTES} bytes`)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const u64 = (offset: number): number => view.getUint32(offset) * 0x1_0000_0000 + view.getUint32(offset + 4)
  return {
    version: view.getUint16(0),
    index: u64(2),
    previous_hash: toHex(bytes.subarray(10, 42)),
    tx_root: toHex(bytes.subarray(42, 74)),
    timestamp: u64(74) / 1000,
    bits: bytes[82],
    nonce: u64(83)
  }
}

/** hash = sha256(header), lowercase hex. */
export function computeBlockHash (b: HeaderFields): string {
  return toHex(sha256(encodeHeader(b)))
}

/** Leading zero bits of a hash read as a big-endian number. */
export function leadingZeroBits (hash: Uint8Array): number {
  let bits = 0
  for (let i = 0; i < hash.length; i++) {
    if (hash[i] === 0) { bits += 8; continue }
    return bits + Math.clz32(hash[i]) - 24
  }
  return bits
}

/** docs/design.md §3 proof of work: at least `bits` leading zero bits. */
export function meetsProofOfWork (hashHex: string, bits: number): boolean {
  return leadingZeroBits(fromHex(hashHex, 'hash', 32)) >= bits
}

/** Work of one block: 2^bits (docs/design.md §3). */
export function blockWork (bits: number): bigint {
  checkUint(bits, MAX_BITS, 'bits')
  return 2n ** BigInt(bits)
}

// ---- schema ----

const BLOCK_SCHEMA = z.strictObject({
  index: jsonNumber(integerCheck(0, Number.MAX_SAFE_INTEGER)),
  transactions: jsonArray(),
  timestamp: jsonNumber(timestampCheck),
  previous_hash: jsonString(hexCheck(32)),
  nonce: jsonNumber(integerCheck(0, Number.MAX_SAFE_INTEGER)),
  hash: jsonString(hexCheck(32)),
  version: jsonNumber(integerCheck(0, 0xffff)),
  bits: jsonNumber(integerCheck(0, MAX_BITS)),
  tx_root: jsonString(hexCheck(32))
})

function blockSchemaError (failure: SchemaFailure): BlockError {
  const meta: Record<string, string | number> = {}
  if (failure.field !== undefined) meta.field = failure.field
  if (failure.limit !== undefined) meta.limit = failure.limit
  // A header field over its range is a shape error; BLOCK_TOO_LARGE means the 1 MiB rule.
  const code = failure.kind === 'TOO_LARGE' ? BlockErrorCode.BAD_FORMAT : BlockErrorCode[failure.kind]
  return new BlockError(code, schemaMessage('block', failure), meta)
}

/**
 * Checks a block's JSON shape and every tx's schema; returns a fresh object in design field order.
 * A bad tx -> BLOCK_INVALID_TX with meta.txIndex, meta.txCode, meta.field.
 */
export function parseBlock (input: unknown): Block {
  const { value: b, failure } = validate(BLOCK_SCHEMA, input)
  if (failure !== undefined) throw blockSchemaError(failure)
  // Refuse before parsing: a 10^6-element array must not cost 10^6 tx parses.
  if (b.transactions.length > MAX_BLOCK_TXS) {
    throw new BlockError(BlockErrorCode.TOO_MANY_TXS, `a block holds at most ${MAX_BLOCK_TXS} transactions`,
      { count: b.transactions.length, limit: MAX_BLOCK_TXS })
  }
  const transactions: Tx[] = new Array(b.transactions.length)
  for (let i = 0; i < b.transactions.length; i++) {
    try {
      transactions[i] = parseTx(b.transactions[i])
    } catch (err) {
      if (!(err instanceof TxError)) throw err
      throw invalidTx(i, err)
    }
  }
  // zod's output is already a fresh object in schema (design) order: only the txs are swapped in.
  return { ...b, transactions }
}

/** The BLOCK_INVALID_TX wrapping of a tx's error. */
export function invalidTx (txIndex: number, err: TxError): BlockError {
  const meta: Record<string, string | number | boolean | undefined> = { txIndex, txCode: err.code }
  if (err.meta.field !== undefined) meta.field = err.meta.field
  return new BlockError(BlockErrorCode.INVALID_TX, `transaction #${txIndex} is invalid: ${err.message}`, meta)
}

/** UTF-8 bytes of JSON.stringify(block): the 1 MiB rule's measure. */
export function blockSize (b: Block): number {
  return jsonSizeOf(b) // serialized once per block object (src/core/serialized.ts)
}

/**
 * Bytes the transactions of one block may take, each counted as txSize + 1 (its comma in the
 * array): MAX_BLOCK_BYTES minus the largest possible empty block, plus the one comma n txs lack.
 */
export const BLOCK_TX_BYTES_BUDGET = MAX_BLOCK_BYTES - blockSize({
  index: Number.MAX_SAFE_INTEGER,
  transactions: [],
  timestamp: MAX_TIMESTAMP_SECONDS + 0.999,
  previous_hash: ZERO_HASH,
  nonce: Number.MAX_SAFE_INTEGER,
  hash: ZERO_HASH,
  version: 0xffff,
  bits: MAX_BITS,
  tx_root: ZERO_HASH
}) + 1

/** A block to mine on top of `parent`: tx_root computed, nonce and hash still to find (pow.ts). */
export function createBlockTemplate (parent: { hash: string, index: number }, transactions: Tx[], timestamp: number, bits: number): UnminedBlock {
  if (!isHex(parent.hash, 32)) throw new TypeError('parent.hash must be 64 lowercase hex digits')
  return {
    index: parent.index + 1,
    transactions,
    timestamp,
    previous_hash: parent.hash,
    version: BLOCK_VERSION,
    bits,
    tx_root: computeTxRoot(transactions)
  }
}

// ---- genesis ----

function checkNetworkParams (p: NetworkParams): void {
  if (typeof p !== 'object' || p === null) throw new TypeError('network params must be an object')
  checkNetworkName(p.name)
  if (typeof p.genesisTimestamp !== 'number' || timestampCheck(p.genesisTimestamp) !== undefined) {
    throw new TypeError('genesisTimestamp must be non-negative Unix seconds with at most 3 decimals')
  }
  checkUint(p.bits, MAX_BITS, 'bits')
}

/** docs/design.md §3 Genesis: built from the network config, not mined (exempt from proof of work). */
export function genesisBlock (p: NetworkParams): Block {
  checkNetworkParams(p)
  const unmined: UnminedBlock = {
    index: 0,
    transactions: [],
    timestamp: p.genesisTimestamp,
    previous_hash: ZERO_HASH,
    version: BLOCK_VERSION,
    bits: p.bits,
    tx_root: computeTxRoot([])
  }
  const nonce = 0
  return {
    index: unmined.index,
    transactions: unmined.transactions,
    timestamp: unmined.timestamp,
    previous_hash: unmined.previous_hash,
    nonce,
    hash: computeBlockHash({ ...unmined, nonce }),
    version: unmined.version,
    bits: unmined.bits,
    tx_root: unmined.tx_root
  }
}

/** `<name>-<first 8 hex of the genesis hash>` (docs/design.md §3). */
export function networkId (p: NetworkParams): string {
  return `${p.name}-${genesisBlock(p).hash.slice(0, 8)}`
}

/** Throws BLOCK_WRONG_GENESIS unless `b` is exactly this network's genesis. */
export function assertGenesis (b: Block, p: NetworkParams): void {
  const expected = genesisBlock(p)
  if (b.hash !== expected.hash || computeBlockHash(b) !== expected.hash || b.transactions.length !== 0) {
    throw new BlockError(BlockErrorCode.WRONG_GENESIS, 'the block is not this network\'s genesis', { expected: expected.hash, got: b.hash })
  }
}
