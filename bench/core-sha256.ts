// What @noble/hashes SHA-256 in src/core would cost the node (docs/design.md §1: core bundles for the browser,
// so it hashes with noble by default; the node installs OpenSSL's with useNativeSha256). A micro-benchmark
// of the node's hot paths (tx id, Merkle leaf, header hash), each with noble and with node:crypto over the
// SAME bytes, and the CPU per tx of the real paths (in-process Chain.submitTx, Chain.submitBlock of 1,000-tx
// blocks) with core hashing either way. CPU time, fewest of several runs: the machine is shared.
// Not part of `npm run bench`: run it on its own.
//   node --import tsx bench/core-sha256.ts
import '../src/polyfill.js'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js'
import { Chain } from '../src/chain/chain.js'
import { encodeHeader } from '../src/core/block.js'
import { utf8 } from '../src/core/bytes.js'
import { canonicalJson } from '../src/core/canonical.js'
import { signTx, txSigningPayload } from '../src/core/tx.js'
import type { Block, Ed25519Tx } from '../src/core/types.js'
import { nodeEd25519Signer } from '../src/crypto/node-ed25519.js'
import { createNodeVerifier } from '../src/crypto/node-verifier.js'
import { nodeSha256, useNativeSha256 } from '../src/crypto/sha256.js'
import { resetSha256 } from '../src/core/hash.js'
import { BlockStore } from '../src/store/block-store.js'
import { mineOn } from '../test/helpers/fixtures.js'
import { BENCH_NETWORK, BENCH_NETWORK_ID } from './tx-pool.js'

const TXS = 4000
const ROUNDS = 9
/** Passes over the inputs per round: ~50-100 ms of CPU, far above cpuUsage's resolution. */
const REPEAT = 5

type Hash = (bytes: Uint8Array) => Uint8Array
const implementations: Array<[string, Hash]> = [['noble', nobleSha256], ['node:crypto', nodeSha256]]

/**
 * Fewest CPU microseconds per call of `work` over `inputs` in ROUNDS rounds. CPU time, not wall
 * time, and the minimum: the machine is shared, and other processes only ever add to a round.
 */
function usPer (inputs: Uint8Array[][], hash: Hash, work: (hash: Hash, input: Uint8Array[]) => void): number {
  for (const input of inputs.slice(0, 500)) work(hash, input) // warm-up
  let best = Infinity
  for (let r = 0; r < ROUNDS; r++) {
    const cpu0 = cpuUs()
    for (let k = 0; k < REPEAT; k++) for (const input of inputs) work(hash, input)
    best = Math.min(best, (cpuUs() - cpu0) / (REPEAT * inputs.length))
  }
  return best
}

function cpuUs (): number {
  const { user, system } = process.cpuUsage()
  return user + system
}

async function main (): Promise<void> {
  const signers = [11, 12, 13, 14].map(n => nodeEd25519Signer(new Uint8Array(32).fill(n)))
  const now = Math.floor(Date.now() / 1000) - 60
  const txs: Ed25519Tx[] = []
  for (let i = 0; i < 2 * TXS; i++) {
    const data = JSON.stringify({ event: 'shipped', lot: `lot-${i}`, temperatureC: 4 + (i % 7), site: `warehouse-${i % 13}` })
    txs.push(signTx({ item: `lot-${i % 997}`, receiverPK: null, data, timestamp: now, nonce: i.toString(16).padStart(32, '0') }, signers[i % 4], BENCH_NETWORK_ID))
  }
  const sample = txs.slice(0, TXS)
  const payloads = sample.map(tx => [txSigningPayload(tx, BENCH_NETWORK_ID)])
  const leafInputs = sample.map(tx => [utf8(canonicalJson(tx))])
  const headers = sample.map((tx, i) => [encodeHeader({ version: 1, index: i + 1, previous_hash: tx.id, tx_root: tx.id, timestamp: now, bits: 8, nonce: i })])

  const paths: Array<{ name: string, inputs: Uint8Array[][], bytes: number, work: (hash: Hash, input: Uint8Array[]) => void }> = [
    { name: 'tx id: sha256(signing payload)', inputs: payloads, bytes: payloads[0][0].length, work: (h, [p]) => { h(p) } },
    {
      name: 'Merkle leaf: sha256(0x00 || sha256(JCS(tx)))',
      inputs: leafInputs,
      bytes: leafInputs[0][0].length,
      work: (h, [jcs]) => { const inner = h(jcs); const buf = new Uint8Array(33); buf.set(inner, 1); h(buf) }
    },
    { name: 'header hash: sha256(91-byte header)', inputs: headers, bytes: 91, work: (h, [header]) => { h(header) } }
  ]
  const results: Record<string, Record<string, number>> = {}
  for (const path of paths) {
    results[path.name] = {}
    for (const [name, hash] of implementations) results[path.name][name] = usPer(path.inputs, hash, path.work)
  }

  // The node's CPU per tx on the real paths, core hashing with noble (the default) and with OpenSSL (what
  // the node installs), alternately, the fewest of three runs each (all threads: threadpool verifies included).
  const chainCost: Record<string, ChainCost> = {}
  for (const [name, install] of [['noble', resetSha256], ['node:crypto', useNativeSha256]] as const) {
    install()
    chainCost[name] = { submit: Infinity, imported: Infinity, importedPending: Infinity }
  }
  for (let run = 0; run < 3; run++) {
    for (const [name, install] of [['noble', resetSha256], ['node:crypto', useNativeSha256]] as const) {
      install()
      const cost = await chainCosts(txs)
      const best = chainCost[name]
      chainCost[name] = { submit: Math.min(best.submit, cost.submit), imported: Math.min(best.imported, cost.imported), importedPending: Math.min(best.importedPending, cost.importedPending) }
    }
  }
  resetSha256()

  console.log(`SHA-256 on the node's hot paths, CPU us per call (fewest of ${ROUNDS} rounds of ${REPEAT} x ${TXS} inputs), Node ${process.version}`)
  for (const path of paths) {
    const r = results[path.name]
    console.log(`  ${path.name.padEnd(48)} ${String(path.bytes).padStart(4)} B   noble ${r.noble.toFixed(2)}   node:crypto ${r['node:crypto'].toFixed(2)}   extra ${(r.noble - r['node:crypto']).toFixed(2)}`)
  }
  const extra = (name: string): number => results[name].noble - results[name]['node:crypto']
  const ingestExtra = extra(paths[0].name)
  const importExtra = extra(paths[0].name) + extra(paths[1].name) + extra(paths[2].name) / 1000
  const pct = (part: number, whole: number): string => `${(100 * part / whole).toFixed(1)}%`
  const n = chainCost['node:crypto']
  const b = chainCost.noble
  console.log('CPU us per tx, core hashing with noble / with node:crypto (fewest of 3 runs):')
  console.log(`  Chain.submitTx (ingest)                                  ${b.submit.toFixed(0)} / ${n.submit.toFixed(0)}`)
  console.log(`  Chain.submitBlock, 1,000-tx blocks                       ${b.imported.toFixed(0)} / ${n.imported.toFixed(0)}`)
  console.log(`  Chain.submitBlock, 1,000-tx blocks of txs pending already ${b.importedPending.toFixed(0)} / ${n.importedPending.toFixed(0)}`)
  console.log(`noble's extra CPU from the micro-benchmark: ingest (1 id hash per tx) ${ingestExtra.toFixed(2)} us = ${pct(ingestExtra, n.submit)} of submitTx;` +
    ` block import (id + leaf per tx, header per block) ${importExtra.toFixed(2)} us = ${pct(importExtra, n.imported)} of submitBlock,` +
    ` ${pct(importExtra, n.importedPending)} when the txs are pending already`)
}

interface ChainCost { submit: number, imported: number, importedPending: number }

/**
 * CPU us per tx of Chain.submitTx over the first TXS txs, of Chain.submitBlock of them in 1,000-tx
 * blocks, and of the same blocks on a node that holds their txs pending already (gossip's usual case:
 * the verified-signature cache skips their signatures, so hashing weighs more).
 */
async function chainCosts (txs: Ed25519Tx[]): Promise<ChainCost> {
  const sample = txs.slice(0, TXS)
  const dir = await mkdtemp(join(tmpdir(), 'gossipchain-core-sha256-'))
  try {
    const open = async (name: string): Promise<{ chain: Chain, store: BlockStore }> => {
      const store = await BlockStore.open({ path: join(dir, name) })
      const chain = await Chain.open({ store, network: BENCH_NETWORK, verifier: createNodeVerifier(), now: Date.now, mempool: { maxCount: 100_000, maxBytes: 2 ** 30 }, legacyTransactions: true })
      return { chain, store }
    }
    const submitAll = async (chain: Chain, list: Ed25519Tx[]): Promise<void> => {
      for (let i = 0; i < list.length; i += 256) await Promise.all(list.slice(i, i + 256).map(async tx => await chain.submitTx(tx)))
    }
    const a = await open('submit')
    await submitAll(a.chain, txs.slice(TXS, TXS + 500)) // warm-up
    let cpu0 = cpuUs()
    await submitAll(a.chain, sample)
    const submit = (cpuUs() - cpu0) / TXS
    await a.store.close()

    const b = await open('import')
    const blocks: Block[] = []
    let parent: Pick<Block, 'hash' | 'index' | 'timestamp'> = b.chain.genesis
    for (let i = 0; i < TXS; i += 1000) {
      const block = mineOn(parent, sample.slice(i, i + 1000), BENCH_NETWORK.bits)
      blocks.push(block)
      parent = block
    }
    cpu0 = cpuUs()
    for (const block of blocks) await b.chain.submitBlock(block)
    const imported = (cpuUs() - cpu0) / TXS
    await b.store.close()

    const c = await open('import-pending')
    await submitAll(c.chain, sample)
    cpu0 = cpuUs()
    for (const block of blocks) await c.chain.submitBlock(block)
    const importedPending = (cpuUs() - cpu0) / TXS
    await c.store.close()
    return { submit, imported, importedPending }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

await main()
