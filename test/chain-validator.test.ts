// The chain's validator kept apart from its import (docs/design.md §4, §12; src/chain/block-validator.ts):
// validation takes no lock and writes nothing, checks every signature of a batch in one verifyMany call
// that stops at the first failure, skips txs the mempool verified, and the import rechecks a block
// validated against a main chain that moved. The checkpoint rule and the side-branch bounds.
import { expect } from 'chai'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Chain } from '../src/chain/chain.js'
import { genesisBlock, networkId } from '../src/core/block.js'
import { BlockErrorCode } from '../src/core/errors.js'
import type { BatchSignatureVerifier, SignatureCheck, SignatureVerifier, VerifyManyOptions } from '../src/core/signature.js'
import type { Block } from '../src/core/types.js'
import { createNodeVerifier } from '../src/crypto/node-verifier.js'
import { verifyManyWith } from '../src/crypto/verify-many.js'
import { BlockStore } from '../src/store/block-store.js'
import { makeTx, mineOn, TEST_NETWORK } from './helpers/fixtures.js'

const NET = networkId(TEST_NETWORK)
const GENESIS = genesisBlock(TEST_NETWORK)
const NOW = (TEST_NETWORK.genesisTimestamp + 10_000) * 1000
const BITS = TEST_NETWORK.bits

/** The node's verifier, counting what it is asked. */
class CountingVerifier implements SignatureVerifier, BatchSignatureVerifier {
  readonly batches: number[] = []
  private readonly inner = verifyManyWith(createNodeVerifier())
  verifyEd25519 = this.inner.verifyEd25519
  verifyRsaPkcs1Sha256 = this.inner.verifyRsaPkcs1Sha256
  async verifyMany (items: readonly SignatureCheck[], opts?: VerifyManyOptions): Promise<Array<boolean | undefined>> {
    this.batches.push(items.length)
    return await this.inner.verifyMany(items, opts)
  }
}

async function expectCode (promise: Promise<unknown>, code: string): Promise<void> {
  const err = await promise.then(() => undefined, (e: unknown) => e)
  expect((err as { code?: string } | undefined)?.code, String(err)).to.equal(code)
}

function chainOf (parent: Block, n: number, txsPerBlock = 0, tag = 'c'): Block[] {
  const out: Block[] = []
  for (let i = 0; i < n; i++) {
    parent = mineOn(parent, Array.from({ length: txsPerBlock }, (_, j) => makeTx(NET, `${tag} ${i}.${j}`)), BITS)
    out.push(parent)
  }
  return out
}

describe('chain validator (validation apart from import)', function () {
  let dir: string
  let store: BlockStore
  let chain: Chain
  let verifier: CountingVerifier
  let commits: number

  async function openChain (opts: { finalityDepth?: number, maxSideBlocks?: number } = {}): Promise<void> {
    store = await BlockStore.open({ path: join(dir, 'db') })
    const commit = store.commit.bind(store)
    store.commit = async (batch) => { commits++; await commit(batch) }
    verifier = new CountingVerifier()
    chain = await Chain.open({
      store, network: TEST_NETWORK, verifier, now: () => NOW, mempool: { maxCount: 1000, maxBytes: 8 << 20 }, legacyTransactions: true, ...opts
    })
    commits = 0
  }

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gossipchain-validator-'))
    await openChain()
  })
  afterEach(async () => {
    await store.close().catch(() => undefined)
    await rm(dir, { recursive: true, force: true })
  })

  it('expensive signatures under the chain lock (defect 2): validation runs with the chain lock held elsewhere and writes nothing; the import then writes once', async () => {
    const b1 = mineOn(GENESIS, [makeTx(NET, 'a'), makeTx(NET, 'b')], BITS)
    let release!: () => void
    const held = (chain as unknown as { lock: { run: (f: () => Promise<void>) => Promise<void> } }).lock.run(async () => {
      await new Promise<void>(resolve => { release = resolve })
    })
    const validated = await chain.validateBlock(b1)
    expect(validated.block.hash).to.equal(b1.hash)
    expect(commits).to.equal(0)
    expect(chain.hasBlock(b1.hash)).to.equal(false)
    const imported = chain.importBlock(validated)
    release()
    await held
    expect((await imported).status).to.equal('head')
    expect(commits).to.equal(1)
  })

  it('checks the signatures of a whole sync batch in one verifyMany call, and imports the valid prefix in one write', async () => {
    const blocks = chainOf(GENESIS, 5, 3)
    const bad = mineOn(blocks[4], [makeTx(NET, 'ok'), { ...makeTx(NET, 'forged'), signature: 'ab'.repeat(64) }], BITS)
    const after = mineOn(bad, [makeTx(NET, 'after the bad one')], BITS)
    const result = await chain.importBlocks([...blocks, bad, after])
    expect(result.imported).to.equal(5)
    expect(result.error?.code).to.equal(BlockErrorCode.INVALID_TX)
    expect(result.error?.peerFault).to.equal(true)
    expect(verifier.batches).to.deep.equal([5 * 3 + 2 + 1]) // one call for every block's txs; it stops at the forged one
    expect(commits).to.equal(1)
    expect(chain.head.hash).to.equal(blocks[4].hash)
  })

  it('a block refused for a bad signature is refused again by its header hash alone; garbage under a valid block\'s hash is not', async () => {
    const forged = mineOn(GENESIS, [makeTx(NET, 'fine'), { ...makeTx(NET, 'forged'), signature: 'ab'.repeat(64) }], BITS)
    await expectCode(chain.submitBlock(forged), BlockErrorCode.INVALID_TX)
    verifier.batches.length = 0
    await expectCode(chain.submitBlock(forged), BlockErrorCode.INVALID_TX)
    await expectCode(chain.submitBlock({ ...forged, transactions: 'not even parsed' }), BlockErrorCode.INVALID_TX)
    expect(verifier.batches).to.deep.equal([])
    // The good tx of the refused block verified once: a block reusing it does not check it again.
    const reuse = mineOn(GENESIS, [forged.transactions[0]], BITS, GENESIS.timestamp + 3)
    await chain.submitBlock(reuse)
    expect(verifier.batches).to.deep.equal([])
    // A body that does not match its header is never remembered: the real block still gets in.
    const real = mineOn(reuse, [makeTx(NET, 'real')], BITS)
    await expectCode(chain.submitBlock({ ...real, transactions: [makeTx(NET, 'swapped')] }), BlockErrorCode.TX_ROOT_MISMATCH)
    expect((await chain.submitBlock(real)).status).to.equal('head')
  })

  it('stops at the first bad signature: nothing after it is verified', async () => {
    let calls = 0
    const inner = createNodeVerifier()
    const batch = verifyManyWith({
      verifyEd25519: async (...args) => { calls++; return await inner.verifyEd25519(...args) },
      verifyRsaPkcs1Sha256: async (...args) => { calls++; return await inner.verifyRsaPkcs1Sha256(...args) }
    }, { concurrency: 1 })
    const txs = Array.from({ length: 10 }, (_, i) => makeTx(NET, `t${i}`))
    txs[3] = { ...txs[3], signature: 'cd'.repeat(64) }
    const { txSignatureCheck } = await import('../src/core/tx.js')
    const results = await batch.verifyMany(txs.map(t => txSignatureCheck(t, NET)), { stopOnFirstFailure: true })
    expect(results.slice(0, 4)).to.deep.equal([true, true, true, false])
    expect(results.slice(4).every(r => r === undefined)).to.equal(true)
    expect(calls).to.equal(4)
    // In parallel, the lowest failing index is still the one reported, and everything before it is checked.
    txs[7] = { ...txs[7], signature: 'ef'.repeat(64) }
    const parallel = await verifyManyWith(inner, { concurrency: 8 }).verifyMany(txs.map(t => txSignatureCheck(t, NET)), { stopOnFirstFailure: true })
    expect(parallel.indexOf(false)).to.equal(3)
    expect(parallel.slice(0, 3)).to.deep.equal([true, true, true])
  })

  it('does not verify again the signatures of txs the mempool verified', async () => {
    const txs = [makeTx(NET, 'pending 1'), makeTx(NET, 'pending 2')]
    for (const tx of txs) await chain.submitTx(tx)
    verifier.batches.length = 0
    await chain.submitBlock(mineOn(GENESIS, [...txs, makeTx(NET, 'new')], BITS))
    expect(verifier.batches).to.deep.equal([1])
  })

  it('rechecks at import a block validated against a main chain that has moved (the checkpoint rule)', async () => {
    await store.close()
    await openChain({ finalityDepth: 1 })
    const sibling = mineOn(GENESIS, [], BITS, GENESIS.timestamp + 5)
    const validated = await chain.validateBlock(sibling)
    for (const b of chainOf(GENESIS, 2)) await chain.submitBlock(b)
    await expectCode(chain.importBlock(validated), BlockErrorCode.FORK_TOO_DEEP)
    expect(chain.hasBlock(sibling.hash)).to.equal(false)
  })

  it('BLOCK_FORK_TOO_DEEP (defect 7, side branches at any depth): a sibling of genesis is refused before its body is read', async () => {
    await store.close()
    await openChain({ finalityDepth: 10 })
    for (const b of chainOf(GENESIS, 12)) await chain.submitBlock(b)
    verifier.batches.length = 0
    const commitsBefore = commits
    // A valid block with valid txs: only the checkpoint rule refuses it, and before any signature work.
    await expectCode(chain.submitBlock(mineOn(GENESIS, [makeTx(NET, 'old fork')], BITS, GENESIS.timestamp + 7)), BlockErrorCode.FORK_TOO_DEEP)
    expect(verifier.batches).to.deep.equal([])
    expect(commits).to.equal(commitsBefore)
    // A fork within the depth is fine.
    const head = chain.head
    const main = await chain.mainChain()
    const near = mineOn(main[head.index - 5], [], BITS, main[head.index - 5].timestamp + 0.5)
    expect((await chain.submitBlock(near)).status).to.equal('side')
  })

  it('prunes side blocks from memory and disk once their fork point falls below the checkpoint', async () => {
    await store.close()
    await openChain({ finalityDepth: 3 })
    const main = chainOf(GENESIS, 2, 0, 'main')
    for (const b of main) await chain.submitBlock(b)
    const side = mineOn(main[0], [makeTx(NET, 'side')], BITS, main[0].timestamp + 0.5)
    expect((await chain.submitBlock(side)).status).to.equal('side')
    expect(await store.getBlock(side.hash)).to.not.equal(undefined)
    // Fork point #1; head #4 puts the floor at #1 (kept), head #5 at #2 (pruned).
    const more = chainOf(main[1], 3, 0, 'more')
    await chain.submitBlock(more[0])
    await chain.submitBlock(more[1])
    expect(chain.hasBlock(side.hash)).to.equal(true)
    await chain.submitBlock(more[2])
    expect(chain.hasBlock(side.hash)).to.equal(false)
    expect(await store.getBlock(side.hash)).to.equal(undefined)
    expect(await chain.getBlock(side.hash)).to.equal(undefined)
    // And after a restart it stays gone, with the main chain intact.
    await store.close()
    await openChain({ finalityDepth: 3 })
    expect(chain.hasBlock(side.hash)).to.equal(false)
    expect(chain.head.hash).to.equal(more[2].hash)
  })

  it('BLOCK_SIDE_BRANCHES_FULL: side blocks are bounded; a block that makes its branch the heaviest still gets in', async () => {
    await store.close()
    await openChain({ maxSideBlocks: 2 })
    const main = chainOf(GENESIS, 3, 0, 'main')
    for (const b of main) await chain.submitBlock(b)
    const s1 = mineOn(main[1], [], BITS, main[1].timestamp + 0.25)
    const s2 = mineOn(main[1], [], BITS, main[1].timestamp + 0.5)
    const s3 = mineOn(main[1], [], BITS, main[1].timestamp + 0.75)
    await chain.submitBlock(s1)
    await chain.submitBlock(s2)
    await expectCode(chain.submitBlock(s3), BlockErrorCode.SIDE_BRANCHES_FULL)
    // s1's branch overtakes: two more blocks make it the heaviest; the first of them is refused as a lone
    // side block, but the two arrive together by sync and connect in one write.
    const [t1, t2] = chainOf(s1, 2, 0, 'overtake')
    expect((await chain.importBlocks([t1, t2])).imported).to.equal(2)
    expect(chain.head.hash).to.equal(t2.hash)
  })

  it('preverify: a sync batch\'s signatures checked ahead are not checked again at import; only txs whose id binds the signed fields are trusted', async () => {
    const [b1, b2] = chainOf(GENESIS, 2, 3, 'pre')
    await chain.preverify([JSON.parse(JSON.stringify(b1)), JSON.parse(JSON.stringify(b2))])
    expect(verifier.batches).to.deep.equal([6])
    expect((await chain.importBlocks([b1, b2])).imported).to.equal(2)
    expect(verifier.batches).to.deep.equal([6]) // nothing left to verify

    // A signature that verifies over other fields than the id commits to is never cached: its block still fails.
    const honest = makeTx(NET, 'honest')
    const forged = { ...makeTx(NET, 'forged'), id: honest.id } // valid signature over "forged", id of "honest"
    const carrier = mineOn(b2, [forged], BITS)
    await chain.preverify([carrier])
    expect(verifier.batches).to.deep.equal([6]) // the id check comes first: no signature work, nothing cached
    await expectCode(chain.submitBlock(carrier), BlockErrorCode.INVALID_TX)
  })

  it('preverify: a block with a wrong hash or too little proof of work ends the look-ahead before its signatures', async () => {
    const [b1] = chainOf(GENESIS, 1, 3, 'pow')
    await chain.preverify([{ ...b1, hash: 'f'.repeat(64) }])
    await chain.preverify([{ ...b1, bits: BITS + 1 }])
    await chain.preverify([{ ...b1, nonce: b1.nonce + 1 }])
    await chain.preverify(['junk', null, { transactions: 'no' }])
    expect(verifier.batches).to.deep.equal([])
  })
})
