// Writes the known-answer vectors of docs/design.md §2-§3 (test/vectors/*.json). The values come from
// src/core, so on their own they only pin behaviour; test/crosscheck/crosscheck.py recomputes
// every one of them with an independent implementation (Python hashlib + cryptography), and the
// Merkle file also carries the RFC 6962 / Certificate Transparency reference roots.
// Run: npx tsx test/vectors/generate.ts   (RSA keys in keys.json are made once, then reused)
import { generateKeyPairSync, sign as rsaSign } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import {
  buildMerkleProofFromLeaves, canonicalJson, computeBlockHash, computeTxRoot, encodeHeader, fromHex,
  genesisBlock, leadingZeroBits, merkleLeafHash, merkleRoot, networkId, parseLegacySubmission, sha256,
  signTx, toHex, txLeafHash, txSigningPayload, utf8, type HeaderFields, type Tx
} from '../../src/core/index.js'
import { ed25519PublicKeyFromSeed, nodeEd25519Signer } from '../../src/crypto/node-ed25519.js'

const dir = (name: string): string => fileURLToPath(new URL(name, import.meta.url))
const write = (name: string, value: unknown): void => { writeFileSync(dir(name), JSON.stringify(value, null, 2) + '\n') }

export const DEFAULT_NETWORK = { name: 'gossipchain-dev', genesisTimestamp: 1767225600, bits: 16 }

// ---- keys (made once: RSA key generation is random) ----
interface Keys { rsa2048: { privateKeyPem: string, publicKeyPem: string }, rsa512: { privateKeyPem: string, publicKeyPem: string } }
function loadKeys (): Keys {
  if (existsSync(dir('keys.json'))) return JSON.parse(readFileSync(dir('keys.json'), 'utf8')) as Keys
  const make = (modulusLength: number): Keys['rsa2048'] => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength })
    return {
      privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
      publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString()
    }
  }
  const keys = { rsa2048: make(2048), rsa512: make(512) }
  write('keys.json', { note: 'Test-only keys for the legacy (rsa-legacy) vectors and the TX_WEAK_KEY test.', ...keys })
  return keys
}

// ---- genesis ----
const genesis = genesisBlock(DEFAULT_NETWORK)
const network = networkId(DEFAULT_NETWORK)
write('genesis.json', {
  params: DEFAULT_NETWORK,
  headerHex: toHex(encodeHeader(genesis)),
  hash: genesis.hash,
  networkId: network,
  block: genesis,
  others: [
    { name: 'gossipchain-dev', genesisTimestamp: 1767225600.125, bits: 20 },
    { name: 'supply-test.1', genesisTimestamp: 0, bits: 0 }
  ].map(params => ({ params, hash: genesisBlock(params).hash, networkId: networkId(params) }))
})

// ---- headers ----
const headerFieldsOf = (b: HeaderFields): HeaderFields => ({ version: b.version, index: b.index, previous_hash: b.previous_hash, tx_root: b.tx_root, timestamp: b.timestamp, bits: b.bits, nonce: b.nonce })
const headerCases: Array<{ name: string, fields: HeaderFields }> = [
  { name: 'genesis of the default network', fields: headerFieldsOf(genesis) },
  { name: 'small values', fields: { version: 1, index: 1, previous_hash: genesis.hash, tx_root: '11'.repeat(32), timestamp: 1767225660.5, bits: 16, nonce: 42 } },
  { name: 'millisecond timestamp', fields: { version: 1, index: 300, previous_hash: 'ab'.repeat(32), tx_root: 'cd'.repeat(32), timestamp: 1767225600.001, bits: 8, nonce: 4294967296 } },
  { name: 'nonce above 2^32 and big index', fields: { version: 1, index: 4294967297, previous_hash: '0f'.repeat(32), tx_root: 'f0'.repeat(32), timestamp: 1700000000.999, bits: 24, nonce: 1234567890123 } },
  { name: 'largest values', fields: { version: 65535, index: Number.MAX_SAFE_INTEGER, previous_hash: 'ff'.repeat(32), tx_root: 'ee'.repeat(32), timestamp: 9007199254740, bits: 255, nonce: Number.MAX_SAFE_INTEGER } },
  { name: 'zeros', fields: { version: 0, index: 0, previous_hash: '00'.repeat(32), tx_root: '00'.repeat(32), timestamp: 0, bits: 0, nonce: 0 } }
]
write('headers.json', headerCases.map(({ name, fields }) => {
  const hash = computeBlockHash(fields)
  return { name, fields, headerHex: toHex(encodeHeader(fields)), hash, leadingZeroBits: leadingZeroBits(fromHex(hash, 'hash')) }
}))

// ---- transactions ----
const seeds = {
  rfc8032Test1: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
  farmA: toHex(sha256(utf8('gossipchain vector seed: farm_A'))),
  mill: toHex(sha256(utf8('gossipchain vector seed: mill')))
}
const pub = (seed: string): string => toHex(ed25519PublicKeyFromSeed(fromHex(seed, 'seed', 32)))
const txCases = [
  { name: 'minimal record', seed: seeds.farmA, fields: { data: 'harvest 2026-01-01', timestamp: 1767225700, nonce: '00'.repeat(16) } },
  { name: 'custody hand-over', seed: seeds.farmA, fields: { receiverPK: pub(seeds.mill), item: 'lot-0042', data: '{"kg":1200,"grade":"A"}', timestamp: 1767225712.345, nonce: '0123456789abcdef0123456789abcdef' } },
  { name: 'unicode, escapes and controls', seed: seeds.mill, fields: { receiverPK: null, item: 'café ☕ 批次-7 🐄', data: 'line1\nline2\t"quoted" \\ back\u0001\u001f\u007f € 𝄞 \u2028', timestamp: 1767225799.9, nonce: 'ffffffffffffffffffffffffffffffff' } },
  { name: 'RFC 8032 test 1 key, empty data', seed: seeds.rfc8032Test1, fields: { data: '', timestamp: 0.001, nonce: 'a5'.repeat(16) } }
]
const ed25519 = txCases.map(({ name, seed, fields }) => {
  const tx = signTx(fields, nodeEd25519Signer(fromHex(seed, 'seed', 32)), network)
  const payload = txSigningPayload(tx, network)
  return { name, seedHex: seed, publicKey: tx.senderPK, tx, payloadHex: toHex(payload), jcs: canonicalJson(tx), leafHash: toHex(txLeafHash(tx)) }
})

const keys = loadKeys()
const legacyData = ['shipment #17 left the mill', 'Grüße aus der Mühle — 5 t']
const rsaLegacy = legacyData.map((data, i) => {
  const signature = rsaSign('sha256', Buffer.from(data, 'utf8'), keys.rsa2048.privateKeyPem).toString('latin1')
  const body = { senderPK: keys.rsa2048.publicKeyPem, signature, data }
  const nowMs = 1767225800123 + i * 1000
  const tx = parseLegacySubmission(body, nowMs)
  return { name: `legacy #${i}`, body, nowMs, tx, idPreimage: canonicalJson({ scheme: 'rsa-legacy', senderPK: tx.senderPK, signature: tx.signature, data: tx.data }), jcs: canonicalJson(tx), leafHash: toHex(txLeafHash(tx)) }
})
write('txs.json', { network, ed25519, rsaLegacy })

// ---- Merkle ----
const ctData = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f']
const ctLeaves = ctData.map(d => merkleLeafHash(fromHex(d, 'leaf')))
const leaves = Array.from({ length: 9 }, (_, i) => merkleLeafHash(utf8(`leaf ${i}`)))
const allTxs: Tx[] = [...ed25519.map(v => v.tx), ...rsaLegacy.map(v => v.tx)]
write('merkle.json', {
  note: 'leafData are raw leaf inputs (hex); leaf hash = sha256(0x00 || data); node = sha256(0x01 || l || r).',
  rfc6962: {
    source: 'Certificate Transparency reference tree (RFC 6962), roots for sizes 0..8',
    leafData: ctData,
    roots: [0, 1, 2, 3, 4, 5, 6, 7, 8].map(n => toHex(merkleRoot(ctLeaves.slice(0, n))))
  },
  trees: Array.from({ length: 10 }, (_, n) => ({
    leafData: Array.from({ length: n }, (_, i) => toHex(utf8(`leaf ${i}`))),
    root: toHex(merkleRoot(leaves.slice(0, n)))
  })),
  proofs: [[1, 0], [2, 1], [3, 2], [5, 4], [6, 3], [7, 6], [8, 5], [9, 8], [9, 0]].map(([n, index]) => ({
    leafHash: toHex(leaves[index]),
    proof: buildMerkleProofFromLeaves(leaves.slice(0, n), index),
    root: toHex(merkleRoot(leaves.slice(0, n)))
  })),
  txRoot: { txs: allTxs, leafHashes: allTxs.map(tx => toHex(txLeafHash(tx))), root: computeTxRoot(allTxs) }
})
console.log('vectors written to', dir('.'))
