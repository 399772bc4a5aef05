// The store's item index (docs/design.md §6, §7 /items/:item/history): kept by every import and reorg in
// the block's own batch, read without scanning the chain, rebuilt once for a store written without it.
import { expect } from 'chai'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ClassicLevel } from 'classic-level'
import { Chain } from '../src/chain/chain.js'
import { computeBlockHash, genesisBlock, networkId } from '../src/core/block.js'
import { txLeafHash, verifyMerkleProof } from '../src/core/merkle.js'
import type { Block } from '../src/core/types.js'
import { createNodeVerifier } from '../src/crypto/node-verifier.js'
import { BlockStore, StoreBatch } from '../src/store/block-store.js'
import { legacyBody, rsaKeys } from './core-fixtures.js'
import { makeTx, mineOn, TEST_NETWORK } from './helpers/fixtures.js'

const NET = networkId(TEST_NETWORK)
const GENESIS = genesisBlock(TEST_NETWORK)
const NOW = (TEST_NETWORK.genesisTimestamp + 10_000) * 1000
const BITS = TEST_NETWORK.bits

describe('item index', function () {
  let dir: string
  let store: BlockStore
  let chain: Chain
  let log: string[]

  async function openChain (): Promise<Chain> {
    log = []
    store = await BlockStore.open({ path: join(dir, 'db') })
    chain = await Chain.open({
      store, network: TEST_NETWORK, verifier: createNodeVerifier(), now: () => NOW,
      mempool: { maxCount: 1000, maxBytes: 1 << 22 }, legacyTransactions: true, log: line => log.push(line)
    })
    return chain
  }

  async function reopen (between?: (db: ClassicLevel<string, string>) => Promise<void>): Promise<void> {
    await store.close()
    if (between !== undefined) {
      const db = new ClassicLevel<string, string>(join(dir, 'db'), { valueEncoding: 'utf8' })
      await db.open()
      try { await between(db) } finally { await db.close() }
    }
    await openChain()
  }

  async function history (item: string, limit = 100): Promise<string[]> {
    return (await chain.itemHistory(item, limit)).records.map(r => r.tx.data)
  }

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gossipchain-items-'))
    await openChain()
  })

  afterEach(async () => {
    await store.close().catch(() => undefined)
    await rm(dir, { recursive: true, force: true })
  })

  it('lists an item\'s records oldest first with header, confirmations and a proof that checks against tx_root', async () => {
    const b1 = mineOn(GENESIS, [makeTx(NET, 'harvested', { item: 'lot-7' }), makeTx(NET, 'other', { item: 'lot-8' })], BITS)
    const b2 = mineOn(b1, [makeTx(NET, 'no item'), makeTx(NET, 'shipped', { item: 'lot-7' }), makeTx(NET, 'stored', { item: 'lot-7' })], BITS)
    const b3 = mineOn(b2, [], BITS)
    for (const b of [b1, b2, b3]) await chain.submitBlock(b)

    const page = await chain.itemHistory('lot-7', 100)
    expect(page.records.map(r => r.tx.data)).to.deep.equal(['harvested', 'shipped', 'stored'])
    expect(page.records.map(r => r.confirmations)).to.deep.equal([2, 1, 1])
    expect(page.records.map(r => r.proof.index)).to.deep.equal([0, 1, 2])
    expect(page.next).to.equal(undefined)
    for (const r of page.records) {
      expect(r.block).to.not.have.property('transactions')
      expect(computeBlockHash(r.block)).to.equal(r.block.hash)
      expect(verifyMerkleProof(txLeafHash(r.tx), r.proof, r.block.tx_root)).to.equal(true)
    }
    expect(await history('lot-9')).to.deep.equal([])
    expect(await history('LOT-7'), 'items are exact strings').to.deep.equal([])
  })

  it('indexes a legacy record under the item before its first "|" (the original frontend\'s item|receiverPEM)', async () => {
    const pem = rsaKeys.rsa2048.publicKeyPem
    await chain.submitTx(legacyBody(`crate-1|${pem}`))
    await chain.submitTx(legacyBody('no bar in this legacy data'))
    await chain.submitTx(legacyBody('crate-1|not a pem'))
    await chain.submitBlock(mineOn(GENESIS, chain.pending(), BITS))
    const records = (await chain.itemHistory('crate-1', 10)).records
    expect(records.map(r => r.tx.data)).to.deep.equal([`crate-1|${pem}`])
  })

  it('pages with a cursor that stays valid while blocks are added', async () => {
    let parent: Block = GENESIS
    for (let i = 0; i < 5; i++) {
      parent = mineOn(parent, [makeTx(NET, `r${i}a`, { item: 'pallet' }), makeTx(NET, `r${i}b`, { item: 'pallet' })], BITS)
      await chain.submitBlock(parent)
    }
    const first = await chain.itemHistory('pallet', 3)
    expect(first.records.map(r => r.tx.data)).to.deep.equal(['r0a', 'r0b', 'r1a'])
    expect(first.next).to.deep.equal({ index: 2, position: 0 })
    await chain.submitBlock(mineOn(parent, [makeTx(NET, 'r5a', { item: 'pallet' })], BITS))
    const rest: string[] = []
    let next = first.next
    while (next !== undefined) {
      const page = await chain.itemHistory('pallet', 3, next)
      rest.push(...page.records.map(r => r.tx.data))
      next = page.next
    }
    expect(rest).to.deep.equal(['r1b', 'r2a', 'r2b', 'r3a', 'r3b', 'r4a', 'r4b', 'r5a'])
  })

  it('follows a reorg: records of the branch that left disappear, those of the new branch appear', async () => {
    const moved = makeTx(NET, 'in both branches', { item: 'box' })
    const onlyA = makeTx(NET, 'only in branch a', { item: 'box' })
    const onlyB = makeTx(NET, 'only in branch b', { item: 'box' })
    const a1 = mineOn(GENESIS, [moved, onlyA], BITS)
    await chain.submitBlock(a1)
    expect(await history('box')).to.deep.equal(['in both branches', 'only in branch a'])

    const b1 = mineOn(GENESIS, [onlyB], BITS, GENESIS.timestamp + 2)
    const b2 = mineOn(b1, [moved], BITS)
    await chain.submitBlock(b1)
    expect(await history('box'), 'a lighter side branch changes nothing').to.deep.equal(['in both branches', 'only in branch a'])
    await chain.submitBlock(b2)
    expect(chain.head.hash).to.equal(b2.hash)
    const records = (await chain.itemHistory('box', 10)).records
    expect(records.map(r => r.tx.data)).to.deep.equal(['only in branch b', 'in both branches'])
    expect(records.map(r => r.block.hash)).to.deep.equal([b1.hash, b2.hash])
    expect(chain.pending().map(t => t.data), 'the record of the losing branch is pending again, not in the history').to.deep.equal(['only in branch a'])
  })

  it('writes the index in the same batch as the block and the head, never after', async () => {
    const batches: StoreBatch[] = []
    const commit = store.commit.bind(store)
    store.commit = async (batch: StoreBatch) => { batches.push(batch); await commit(batch) }
    await chain.submitBlock(mineOn(GENESIS, [makeTx(NET, 'x', { item: 'lot' })], BITS))
    const headBatches = batches.filter(b => b.ops.some(op => op.key === 'm!head'))
    expect(headBatches).to.have.length(1)
    const keys = headBatches[0].ops.map(op => op.key)
    expect(keys.some(k => k.startsWith('i!'))).to.equal(true)
    expect(keys).to.include('m!items')
    expect(batches.flatMap(b => b.ops).filter(op => op.key.startsWith('i!') || op.key === 'm!items'), 'no other write touches the index')
      .to.have.length(keys.filter(k => k.startsWith('i!') || k === 'm!items').length)
  })

  it('reads only the item\'s own blocks: no chain scan', async () => {
    let parent: Block = GENESIS
    for (let i = 0; i < 40; i++) {
      parent = mineOn(parent, [makeTx(NET, `filler ${i}`, { item: i === 17 ? 'needle' : 'hay' })], BITS)
      await chain.submitBlock(parent)
    }
    await reopen() // empty caches: every block read goes to the store
    const read: string[] = []
    const getBlocks = store.getBlocks.bind(store)
    store.getBlocks = async (hashes: string[]) => { read.push(...hashes); return await getBlocks(hashes) }
    const records = (await chain.itemHistory('needle', 10)).records
    expect(records.map(r => r.block.index)).to.deep.equal([18])
    expect(read).to.deep.equal([records[0].block.hash])
  })

  it('survives a restart without rebuilding, and rebuilds once for a store written without the index', async () => {
    const b1 = mineOn(GENESIS, [makeTx(NET, 'one', { item: 'lot' })], BITS)
    const b2 = mineOn(b1, [makeTx(NET, 'two', { item: 'lot' })], BITS)
    await chain.submitBlock(b1)
    await chain.submitBlock(b2)
    await reopen()
    expect(log.filter(l => l.includes('rebuild'))).to.deep.equal([])
    expect(await history('lot')).to.deep.equal(['one', 'two'])

    // A store from a version without the index: no marker, no entries.
    await reopen(async db => { await db.clear({ gt: 'i!', lt: 'i"' }); await db.del('m!items') })
    expect(log.some(l => l.includes('rebuilding from 3 main-chain blocks'))).to.equal(true)
    expect(await history('lot')).to.deep.equal(['one', 'two'])

    // An older version imported a block after ours: the marker names a head that is no longer the head.
    const b3 = mineOn(b2, [makeTx(NET, 'three', { item: 'lot' })], BITS)
    await reopen(async db => {
      await db.batch([
        { type: 'put', key: 'b!' + b3.hash, value: JSON.stringify(b3) },
        { type: 'put', key: 'x!' + b3.hash, value: JSON.stringify({ hash: b3.hash, previous_hash: b2.hash, index: 3, timestamp: b3.timestamp, work: '768' }) },
        { type: 'put', key: 'n!' + (3).toString(16).padStart(16, '0'), value: b3.hash },
        { type: 'put', key: 'm!head', value: b3.hash }
      ])
    })
    expect(chain.head.hash).to.equal(b3.hash)
    expect(log.some(l => l.includes('rebuilding'))).to.equal(true)
    expect(await history('lot')).to.deep.equal(['one', 'two', 'three'])
  })
})
