// Benchmark 2, signature verification and ingest (DESIGN §11): the node's verifier, Chain.submitTx,
// and POST /new_transaction on a real node whose txs must also reach a second node by gossip, each
// against the machine's Ed25519 verify capacity (`openssl speed ed25519` verify/s x cores).
import { join } from 'node:path'
import { Chain } from '../src/chain/chain.js'
import { fromHex } from '../src/core/bytes.js'
import { txSigningPayload } from '../src/core/tx.js'
import { createNodeVerifier } from '../src/core/verifier.js'
import { BlockStore } from '../src/store/block-store.js'
import type { Ed25519Tx } from '../src/core/types.js'
import { waitForMesh } from '../test/helpers/network.js'
import { cpuSeconds, fmt, log, pollUntil, row, runPool, withResources, type BenchSection, type RunOptions } from './harness.js'
import type { MachineInfo, OpensslReferences } from './machine.js'
import { BIG_MEMPOOL_ARGS, pendingCount, postRaw, startBenchNode } from './nodes.js'
import { BENCH_NETWORK, BENCH_NETWORK_ID } from './tx-pool.js'

const BAR = '>= 50% of machine verify capacity'

export async function ingestBenchmark (opts: RunOptions, refs: OpensslReferences, machine: MachineInfo, pool: Ed25519Tx[]): Promise<BenchSection> {
  const capacity = refs.ed25519VerifiesPerSec * machine.cores
  const capacityRef = { label: `openssl ed25519 verify x ${machine.cores} cores`, value: capacity, unit: 'verify/s' }
  const section: BenchSection = {
    id: 'ingest',
    title: '2. Signature verification and ingest',
    method: [
      `Reference: machine verify capacity = \`openssl speed -seconds ${refs.seconds} ed25519\` verify/s (one core) x ${machine.cores} cores.`,
      'Txs are signed before any timing (src/core/tx.ts signTx, 4 signer seeds, in worker threads).',
      '(a) `createNodeVerifier().verifyEd25519` (async crypto.verify on the libuv threadpool, KeyObjects cached) over the',
      'txs\' signing payloads with a fixed number of verifications in flight.',
      '(b) `Chain.submitTx` on an in-process Chain with a LevelDB store (parse, id, stateful checks, verify, mempool,',
      'journal write), with 256 submissions in flight.',
      '(c) Two real node processes (test/helpers/node-process.ts, tsx), B bootstrapped to A, meshes formed; the benchmark',
      'process POSTs the pre-serialized txs to A\'s /new_transaction from 32 concurrent keep-alive fetch clients.',
      '"pooled" = 201 answers / time to the last answer; "gossiped" = B\'s mempool count (GET /node_info, polled every 50 ms,',
      'then GET /pending_tx at the end) reaching every tx / time from the first POST. Client, A and B share the machine\'s cores,',
      'as a real deployment of one node would not: CPU seconds per tx of each process are given to show where the time goes.'
    ].join(' '),
    rows: [],
    details: []
  }

  const items = pool.map(tx => ({
    publicKey: fromHex(tx.senderPK, 'senderPK', 32),
    payload: txSigningPayload(tx, BENCH_NETWORK_ID),
    signature: fromHex(tx.signature, 'signature', 64)
  }))

  // (a) the verifier alone
  const verifier = createNodeVerifier()
  for (const item of items.slice(0, 64)) await verifier.verifyEd25519(item.publicKey, item.payload, item.signature) // warm: key cache, JIT
  for (const concurrency of [1, 16, 256]) {
    const count = Math.min(items.length, concurrency === 1 ? (opts.quick ? 1000 : 3000) : (opts.quick ? 5000 : 20_000))
    let bad = 0
    const t0 = performance.now()
    await runPool(count, concurrency, async i => {
      const it = items[i]
      if (!await verifier.verifyEd25519(it.publicKey, it.payload, it.signature)) bad++
    })
    const rate = count / ((performance.now() - t0) / 1000)
    if (bad > 0) throw new Error(`${bad} valid signatures did not verify`)
    section.rows.push(row({
      group: section.title, metric: `(a) createNodeVerifier, ${concurrency} in flight`, value: rate, unit: 'verify/s', reference: capacityRef,
      ratioLabel: 'x capacity', bar: concurrency === 256 ? BAR : undefined, meets: concurrency === 256 ? rate / capacity >= 0.5 : undefined,
      note: `${count} verifies`
    }))
    log(`ingest: verifier x${concurrency}: ${fmt(rate)} verify/s`)
  }

  // (b) Chain.submitTx in-process
  await withResources(async res => {
    const dir = await res.tempDir('submit')
    const store = await BlockStore.open({ path: join(dir, 'chain') })
    res.defer(async () => await store.close())
    const chain = await Chain.open({
      store, network: BENCH_NETWORK, verifier: createNodeVerifier(), now: Date.now, mempool: { maxCount: 1_000_000, maxBytes: 2 ** 30 }, legacyTransactions: true
    })
    const count = Math.min(pool.length, opts.quick ? 5000 : 20_000)
    const cpu0 = process.cpuUsage()
    const t0 = performance.now()
    const { failed, firstError } = await runPool(count, 256, async i => { await chain.submitTx(pool[i]) })
    const seconds = (performance.now() - t0) / 1000
    const cpu = process.cpuUsage(cpu0)
    if (failed > 0) throw new Error(`submitTx failed ${failed} times: ${(firstError as Error).message}`)
    const rate = count / seconds
    section.rows.push(row({
      group: section.title, metric: '(b) Chain.submitTx, 256 in flight', value: rate, unit: 'tx/s', reference: capacityRef,
      ratioLabel: 'x capacity', bar: BAR, meets: rate / capacity >= 0.5, note: `${count} txs, mempool ${chain.mempool.count}`
    }))
    section.details.push(`(b) submitTx: ${count} txs in ${seconds.toFixed(2)} s; main-thread CPU ${((cpu.user + cpu.system) / count).toFixed(0)} us/tx (the verify itself runs on the threadpool).`)
    log(`ingest: submitTx ${fmt(rate)} tx/s`)
  })

  // (c) HTTP ingest, pooled at A and gossiped to B
  await withResources(async res => {
    const a = await startBenchNode(res, { extraArgs: BIG_MEMPOOL_ARGS })
    const b = await startBenchNode(res, { extraArgs: BIG_MEMPOOL_ARGS, bootstrap: [a.multiaddr] })
    await waitForMesh(a, b, 30_000)
    await waitForMesh(b, a, 30_000)
    const count = Math.min(pool.length, opts.quick ? 5000 : 20_000)
    const bodies = pool.slice(0, count).map(tx => JSON.stringify(tx))
    const url = `${a.url}/new_transaction`
    await postRaw(`${a.url}/health`, '{}').catch(() => undefined) // open a keep-alive socket before timing

    const cpuA0 = cpuSeconds(a.child.pid); const cpuB0 = cpuSeconds(b.child.pid); const cpuC0 = process.cpuUsage()
    const statuses = new Map<number, number>()
    let lastAnswer = 0
    let bDone: number | undefined
    const t0 = performance.now()
    let posting = true
    const watchB = (async () => {
      // Poll B while A ingests, so "gossiped" ends when B has them, not when we look.
      const deadline = Date.now() + (opts.quick ? 60_000 : 120_000)
      while (Date.now() < deadline) {
        const n = await pendingCount(b).catch(() => -1)
        if (n >= count) { bDone = performance.now(); return }
        if (!posting && n < 0) return
        await new Promise(resolve => setTimeout(resolve, 50))
      }
    })()
    await runPool(count, 32, async i => {
      const status = await postRaw(url, bodies[i])
      statuses.set(status, (statuses.get(status) ?? 0) + 1)
      lastAnswer = performance.now()
    })
    posting = false
    await watchB
    const cpuA = cpuSeconds(a.child.pid) - cpuA0; const cpuB = cpuSeconds(b.child.pid) - cpuB0
    const cpuC = process.cpuUsage(cpuC0)
    const accepted = statuses.get(201) ?? 0
    const pooledRate = accepted / ((lastAnswer - t0) / 1000)
    const finalA = (await a.get<unknown[]>('/pending_tx')).length
    const finalB = await pollUntil(async () => (await b.get<unknown[]>('/pending_tx')).length, 5000, 100) ?? 0
    const gossipSeconds = bDone === undefined ? Number.NaN : (bDone - t0) / 1000
    const gossipedRate = bDone === undefined ? 0 : finalB / gossipSeconds

    section.rows.push(row({
      group: section.title, metric: '(c) HTTP POST /new_transaction, pooled at A', value: pooledRate, unit: 'tx/s', reference: capacityRef,
      ratioLabel: 'x capacity', note: `${accepted}/${count} answered 201`
    }))
    section.rows.push(row({
      group: section.title, metric: '(c) HTTP ingest, verified + pooled at A AND gossiped to B', value: gossipedRate, unit: 'tx/s', reference: capacityRef,
      ratioLabel: 'x capacity', bar: BAR, meets: gossipedRate / capacity >= 0.5,
      note: bDone === undefined ? `B had ${finalB}/${count} at the deadline` : `B had all ${finalB} after ${gossipSeconds.toFixed(2)} s`
    }))
    const us = (s: number): string => (s / count * 1e6).toFixed(0)
    section.details.push(`(c) statuses ${JSON.stringify(Object.fromEntries(statuses))}; A pending ${finalA}, B pending ${finalB} of ${count}.`)
    section.details.push(`(c) CPU per tx: node A ${us(cpuA)} us, node B ${us(cpuB)} us, benchmark client ${us((cpuC.user + cpuC.system) / 1e6)} us ` +
      `(to meet the bar, all three together may spend ${(machine.cores / (0.5 * capacity) * 1e6).toFixed(0)} us of CPU per tx; one OpenSSL verify costs ${(1e6 / refs.ed25519VerifiesPerSec).toFixed(0)} us).`)
    log(`ingest: HTTP pooled ${fmt(pooledRate)} tx/s, gossiped ${fmt(gossipedRate)} tx/s`)
  })
  return section
}
