// Benchmark 3, sync (docs/design.md §11): a fresh node process syncs a chain from a node process that has it,
// from POST /register_with to the same head. Chains: many empty blocks, and blocks full of signed txs.
import { cp } from 'node:fs/promises'
import { join } from 'node:path'
import { Chain } from '../src/chain/chain.js'
import { createNodeVerifier } from '../src/crypto/node-verifier.js'
import { BlockStore } from '../src/store/block-store.js'
import type { Block, Ed25519Tx } from '../src/core/types.js'
import { mineOn } from '../test/helpers/fixtures.js'
import { headOf } from '../src/devnet/index.js'
import { cpuSeconds, fmt, log, memoryMiB, pollUntil, row, sleep, withResources, writeResult, type BenchRow, type BenchSection, type Resources, type RunOptions } from './harness.js'
import type { OpensslReferences } from './machine.js'
import { startBenchNode } from './nodes.js'
import type { NodeProcess } from '../src/devnet/index.js'
import { BENCH_NETWORK } from './tx-pool.js'

export interface BuiltChain {
  dataDir: string
  head: string
  blocks: number
  txs: number
  /** Wall time of Chain.submitBlock over all blocks, in-process (validation + one LevelDB batch each). */
  importSeconds: number
}

/** Mine blocks at bits 8 (test/helpers/fixtures.ts mineOn) and import them through Chain.submitBlock into a data dir. */
export async function buildChain (res: Resources, blockCount: number, txsPerBlock: number, pool: Ed25519Tx[]): Promise<BuiltChain> {
  const dataDir = await res.tempDir('sync-source')
  const blocks: Block[] = []
  let parent: Pick<Block, 'hash' | 'index' | 'timestamp'> | undefined
  const store = await BlockStore.open({ path: join(dataDir, 'chain') })
  try {
    const chain = await Chain.open({
      store, network: BENCH_NETWORK, verifier: createNodeVerifier(), now: Date.now, mempool: { maxCount: 10_000, maxBytes: 32 * 2 ** 20 }, legacyTransactions: true
    })
    parent = chain.genesis
    for (let i = 0; i < blockCount; i++) {
      const block = mineOn(parent, pool.slice(i * txsPerBlock, (i + 1) * txsPerBlock), BENCH_NETWORK.bits)
      blocks.push(block)
      parent = block
    }
    const t0 = performance.now()
    for (const block of blocks) await chain.submitBlock(block)
    const importSeconds = (performance.now() - t0) / 1000
    if (chain.head.hash !== parent.hash) throw new Error('the source chain did not take the mined blocks as its head')
    return { dataDir, head: parent.hash, blocks: blockCount, txs: blockCount * txsPerBlock, importSeconds }
  } finally {
    await store.close()
  }
}

/** The data dir of a node that synced the chain, copied once it stopped (a second process cannot open a LevelDB in use). */
async function copyOf (res: Resources, node: NodeProcess): Promise<string> {
  await node.stop()
  const dir = await res.tempDir('synced')
  await cp(node.dataDir, dir, { recursive: true })
  return dir
}

/** Start a node on the built chain and a fresh one; time from POST /register_with to the same head. */
async function timeSync (res: Resources, built: BuiltChain, timeoutMs: number): Promise<{ seconds: number | undefined, cpuFresh: number, cpuSource: number, registerStatus: number | string, fresh: NodeProcess, source: NodeProcess }> {
  const source = await startBenchNode(res, { dataDir: built.dataDir })
  const fresh = await startBenchNode(res)
  const served = (await headOf(source)).hash
  if (served !== built.head) throw new Error(`the source node serves head ${served}, expected ${built.head}`)
  const cpuF0 = cpuSeconds(fresh.child.pid); const cpuS0 = cpuSeconds(source.child.pid)
  const t0 = performance.now()
  const register = fresh.post('/register_with', { node_address: source.url }).then(r => r.status, (err: Error) => err.message)
  const done = await pollUntil(async () => (await headOf(fresh)).hash === built.head ? performance.now() : undefined, timeoutMs, 20)
  const registerStatus = await register
  return {
    seconds: done === undefined ? undefined : (done - t0) / 1000,
    cpuFresh: cpuSeconds(fresh.child.pid) - cpuF0,
    cpuSource: cpuSeconds(source.child.pid) - cpuS0,
    registerStatus,
    fresh,
    source
  }
}

export async function syncBenchmark (opts: RunOptions, refs: OpensslReferences, pool: Ed25519Tx[]): Promise<BenchSection> {
  const emptyBlocks = opts.quick ? 2000 : 10_000
  const txBlocks = Math.min(opts.quick ? 10 : 100, Math.floor(pool.length / 1000))
  const section: BenchSection = {
    id: 'sync',
    title: '3. Sync',
    method: [
      `Chains are mined at bits 8 with test/helpers/fixtures.ts \`mineOn\` and imported into a data dir through \`Chain.submitBlock\``,
      '(in-process, timed: that import is the reference of the empty-block sync). A node process is started on that data dir,',
      'a fresh node process next to it; the time runs from POST /register_with {node_address: source} on the fresh node until',
      'its GET /node_info head equals the source\'s head (polled every 20 ms). The sync runs over libp2p (http-fetch,',
      `up to 256 blocks / 8 MiB per request). Chains: ${emptyBlocks.toLocaleString('en')} empty blocks, and ${txBlocks} blocks x 1,000`,
      'signed txs (every signature verified by the fresh node: nothing is in its signature cache). Reference of the tx chain:',
      '`openssl speed ed25519` verify/s on ONE core.'
    ].join(' '),
    rows: [],
    details: []
  }

  await withResources(async res => {
    const built = await buildChain(res, emptyBlocks, 0, pool)
    log(`sync: built ${emptyBlocks} empty blocks, in-process import ${built.importSeconds.toFixed(2)} s`)
    const r = await timeSync(res, built, opts.quick ? 60_000 : 120_000)
    const barSeconds = emptyBlocks / 10_000
    const value = r.seconds ?? Number.POSITIVE_INFINITY
    const rows: BenchRow[] = [
      row({
        group: section.title, metric: `${emptyBlocks.toLocaleString('en')} empty blocks, connect to same head`, value, unit: 's',
        reference: { label: 'in-process Chain.submitBlock of the same blocks', value: built.importSeconds, unit: 's' },
        ratioLabel: 'x in-process import time',
        bar: `<= 1 s per 10,000 blocks (${barSeconds.toFixed(1)} s here)`, meets: value <= barSeconds,
        note: r.seconds === undefined ? 'did not reach the head before the deadline' : `${fmt(emptyBlocks / r.seconds)} blocks/s`
      })
    ]
    section.rows.push(...rows)
    await writeResult('sync-empty', rows[0])
    section.details.push(`Empty blocks: register_with answered ${r.registerStatus}; CPU fresh node ${r.cpuFresh.toFixed(2)} s ` +
      `(${(r.cpuFresh / emptyBlocks * 1e6).toFixed(0)} us/block), source node ${r.cpuSource.toFixed(2)} s; ` +
      `in-process import ${fmt(emptyBlocks / built.importSeconds)} blocks/s.`)
    log(`sync: ${emptyBlocks} empty blocks in ${r.seconds?.toFixed(2) ?? 'timeout'} s`)
  })

  if (txBlocks === 0) return section
  await withResources(async res => {
    const built = await buildChain(res, txBlocks, 1000, pool)
    log(`sync: built ${txBlocks} x 1000-tx blocks, in-process import ${built.importSeconds.toFixed(2)} s`)
    const r = await timeSync(res, built, opts.quick ? 90_000 : 180_000)
    const oneCore = { label: 'openssl ed25519 verify, 1 core', value: refs.ed25519VerifiesPerSec, unit: 'verify/s' }
    const rate = r.seconds === undefined ? 0 : built.txs / r.seconds
    const txRow = row({
      group: section.title, metric: `${txBlocks} blocks x 1,000 txs (${fmt(built.txs)} txs), connect to same head`, value: rate, unit: 'tx/s',
      reference: oneCore, ratioLabel: 'x one core', bar: '>= 1.5x one core\'s verify rate', meets: rate >= 1.5 * refs.ed25519VerifiesPerSec,
      note: r.seconds === undefined ? 'did not reach the head before the deadline' : `${r.seconds.toFixed(2)} s`
    })
    section.rows.push(txRow)
    await writeResult('sync-txs', txRow)

    // Memory: the node that synced the chain holds it; then a node started on that chain's data dir.
    await sleep(2000)
    const held = memoryMiB(r.fresh.child.pid)
    const heldRow = row({
      group: section.title, metric: `RSS of the node holding the ${fmt(built.txs)}-tx chain (it synced it; 2 s later)`, value: held.rss, unit: 'MiB',
      reference: { label: 'the bar, 300 MB', value: 300e6 / 2 ** 20, unit: 'MiB' }, ratioLabel: 'x bar', bar: '<= 300 MB', meets: held.rss * 2 ** 20 <= 300e6,
      note: `peak ${held.peak.toFixed(0)} MiB`
    })
    section.rows.push(heldRow)
    await writeResult('memory-chain', heldRow)
    const copied = await copyOf(res, r.fresh)
    const t0 = performance.now()
    const restarted = await startBenchNode(res, { dataDir: copied })
    const readyMs = performance.now() - t0
    await sleep(2000)
    const mem = memoryMiB(restarted.child.pid)
    const readyRow = row({
      group: section.title, metric: `ready, a node started on the ${fmt(built.txs)}-tx chain (spawn to facade up)`, value: readyMs, unit: 'ms',
      reference: { label: 'the bar, 1 s', value: 1000, unit: 'ms' }, ratioLabel: 'x bar', bar: '<= 1 s', meets: readyMs <= 1000,
      note: `RSS 2 s later ${mem.rss.toFixed(0)} MiB`
    })
    section.rows.push(readyRow)
    await writeResult('ready-chain', readyRow)
    const importRate = built.txs / built.importSeconds
    section.rows.push(row({
      group: section.title, metric: 'same blocks, in-process Chain.submitBlock (no network)', value: importRate, unit: 'tx/s',
      reference: oneCore, ratioLabel: 'x one core', note: `${built.importSeconds.toFixed(2)} s`
    }))
    section.details.push(`Tx blocks: register_with answered ${r.registerStatus}; CPU fresh node ${r.cpuFresh.toFixed(2)} s ` +
      `(${(r.cpuFresh / built.txs * 1e6).toFixed(0)} us/tx), source node ${r.cpuSource.toFixed(2)} s.`)
    log(`sync: ${built.txs} txs in ${r.seconds?.toFixed(2) ?? 'timeout'} s`)
  })
  return section
}
