// Shared fixtures of the core tests: a low-difficulty network, deterministic keys and txs, and
// blocks mined at bits 8 (a few hundred hashes each). Not a test file (no .test.ts).
import { readFileSync } from 'node:fs'
import { sign as rsaSign } from 'node:crypto'
import {
  createBlockTemplate, genesisBlock, mineBlock, networkId, sha256, signTx, toHex, utf8,
  type Block, type BlockContext, type Ed25519Tx, type NetworkParams, type Tx, type TxFields, type UnminedBlock
} from '../src/core/index.js'
import { createNodeVerifier, nodeEd25519Signer } from '../src/crypto/index.js'

export const vectorsDir = new URL('./vectors/', import.meta.url)
export function loadVector<T = any> (name: string): T { // eslint-disable-line @typescript-eslint/no-explicit-any
  return JSON.parse(readFileSync(new URL(name, vectorsDir), 'utf8')) as T
}

export const TEST_NETWORK: NetworkParams = { name: 'gossipchain-test', genesisTimestamp: 1767225600, bits: 8 }
export const TEST_GENESIS = genesisBlock(TEST_NETWORK)
export const TEST_NETWORK_ID = networkId(TEST_NETWORK)
/** The clock of the tests: one hour after genesis. */
export const NOW_MS = (TEST_NETWORK.genesisTimestamp + 3600) * 1000

export const verifier = createNodeVerifier()

export function seed (label: string): Uint8Array {
  return sha256(utf8(`core test seed ${label}`))
}

/** A deterministic 16-byte nonce (hex) per label. */
export function txNonce (label: string | number): string {
  return toHex(sha256(utf8(`nonce ${label}`)).subarray(0, 16))
}

export function makeTx (i: number, fields: Partial<TxFields> = {}, signer = 'alice'): Ed25519Tx {
  return signTx({ data: `record ${i}`, timestamp: TEST_NETWORK.genesisTimestamp + 60 + i, nonce: txNonce(i), ...fields }, nodeEd25519Signer(seed(signer)), TEST_NETWORK_ID)
}

export function mine (unmined: UnminedBlock): Block {
  const block = mineBlock(unmined)
  if (block === null) throw new Error('no nonce found')
  return block
}

/** A valid block on top of genesis holding `txs`, mined at the test bits, with overrides applied before mining. */
export function makeBlock (txs: Tx[] = [makeTx(1), makeTx(2), makeTx(3)], overrides: Partial<UnminedBlock> = {}): Block {
  const template = createBlockTemplate(TEST_GENESIS, txs, TEST_NETWORK.genesisTimestamp + 600, TEST_NETWORK.bits)
  return mine({ ...template, ...overrides })
}

export function blockContext (overrides: Partial<BlockContext> = {}): BlockContext {
  return {
    networkId: TEST_NETWORK_ID,
    bits: TEST_NETWORK.bits,
    parent: { hash: TEST_GENESIS.hash, index: 0 },
    ancestorTimestamps: [TEST_GENESIS.timestamp],
    nowMs: NOW_MS,
    txInAncestry: () => false,
    verifier,
    ...overrides
  }
}

interface RsaKeyPair { privateKeyPem: string, publicKeyPem: string }
export const rsaKeys = loadVector<{ rsa2048: RsaKeyPair, rsa512: RsaKeyPair }>('keys.json')

/** The legacy wallet's HTTP body: data signed with RSA PKCS#1 v1.5 / SHA-256, signature as latin-1. */
export function legacyBody (data: string, key: RsaKeyPair = rsaKeys.rsa2048): { senderPK: string, signature: string, data: string } {
  return { senderPK: key.publicKeyPem, signature: rsaSign('sha256', Buffer.from(data, 'utf8'), key.privateKeyPem).toString('latin1'), data }
}

/** Runs fn and returns what it threw (sync or async); fails if it did not throw. */
export async function caught (fn: () => unknown): Promise<any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  try {
    await fn()
  } catch (err) {
    return err
  }
  throw new Error('expected an error, none was thrown')
}
