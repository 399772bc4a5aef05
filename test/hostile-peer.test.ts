// A hostile peer speaking the real protocols (gossipsub topics, the sync protocol over libp2p) against
// a real node process: it gossips forged txs and blocks, and serves a fake heavier chain. The honest
// node must reject all of it, penalise and drop the peer, and stay on its valid chain.
import { expect } from 'chai'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { multiaddr } from '@multiformats/multiaddr'
import { peerIdFromString } from '@libp2p/peer-id'
import { computeBlockHash, genesisBlock, meetsProofOfWork } from '../src/core/block.js'
import type { Block } from '../src/core/types.js'
import { syncProtocol } from '../src/p2p/constants.js'
import { gossip, type Gossip } from '../src/p2p/gossip.js'
import { createHost, type Host } from '../src/p2p/host.js'
import { httpOverLibp2pServer, type HttpOverLibp2pServer } from '../src/p2p/http-over-libp2p.js'
import { syncHandler, type SyncSource } from '../src/p2p/sync-routes.js'
import { SyncErrorCode } from '../src/p2p/sync-errors.js'
import { makeTx, mineOn } from './helpers/fixtures.js'
import { chainOf, headOf, killAll, mine, NodeProcess, peersOf, pendingOf, waitFor } from '../src/devnet/index.js'
import { postTx } from './helpers/network.js'

const BITS = 8

async function readTrace (path: string): Promise<any[]> {
  const text = await readFile(path, 'utf8').catch(() => '')
  return text.split('\n').filter(line => line !== '').map(line => JSON.parse(line))
}
const NETWORK_PARAMS = { name: 'gossipchain-dev', genesisTimestamp: 1767225600, bits: BITS }

type HostileServices = { gossip: Gossip, syncServer: HttpOverLibp2pServer }

async function hostilePeer (network: string, source: SyncSource): Promise<Host<HostileServices>> {
  const acceptAll = async (): Promise<{ result: 'accept' }> => ({ result: 'accept' })
  return await createHost<HostileServices>({
    privateKey: await generateKeyPair('Ed25519'),
    listen: ['/ip4/127.0.0.1/tcp/0'],
    bootstrap: [],
    network,
    services: {
      gossip: gossip({ network, validateTx: acceptAll, validateBlock: acceptAll }) as never,
      syncServer: httpOverLibp2pServer({ protocol: syncProtocol(network), handler: syncHandler(source) }) as never
    }
  })
}

/** A block whose hash field is right but whose hash misses the target: forged proof of work. */
function blockWithoutWork (parent: Block): Block {
  for (let nonce = 0; ; nonce++) {
    const fields = { version: 1, index: parent.index + 1, previous_hash: parent.hash, tx_root: genesisBlock(NETWORK_PARAMS).tx_root, timestamp: parent.timestamp + 1, bits: BITS, nonce }
    const hash = computeBlockHash(fields)
    if (!meetsProofOfWork(hash, BITS)) return { ...fields, transactions: [], hash }
  }
}

describe('a hostile peer', function () {
  this.timeout(120_000)
  const hosts: Array<Host<HostileServices>> = []
  const traceDirs: string[] = []
  afterEach(async () => {
    await Promise.all(hosts.splice(0).map(async h => { await h.stop() }))
    await killAll()
    await Promise.all(traceDirs.splice(0).map(async d => { await rm(d, { recursive: true, force: true }) }))
  })

  async function tracePathFor (): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'gossipchain-trace-'))
    traceDirs.push(dir)
    return join(dir, 'trace.ndjson')
  }

  it('gossips forged txs and blocks: the node rejects every one, drops the peer and keeps its chain', async () => {
    const tracePath = await tracePathFor()
    const honest = await NodeProcess.start({ extraArgs: ['--trace', tracePath] })
    const network = (await honest.get<{ network: string }>('/node_info')).network
    await postTx(honest, 'an honest record')
    const honestBlock = await mine(honest)
    const chainBefore = await chainOf(honest)

    const genesis = genesisBlock(NETWORK_PARAMS)
    // It serves a truthful, empty chain, so only its gossip is on trial here.
    const truthfulEmptyChain: SyncSource = {
      status: () => ({ network, genesis: genesis.hash, head: { hash: genesis.hash, index: 0, work: '0' } }),
      blocksAfter: async () => [],
      locate: async () => ({ hash: genesis.hash, index: 0 }),
      locator: async () => [genesis.hash]
    }
    // Two forgers, two forgeries each: the node bans at its third reject from one peer, so four forgeries
    // from one peer would race the ban and the fourth might never be judged.
    const evil = await hostilePeer(network, truthfulEmptyChain)
    const accomplice = await hostilePeer(network, truthfulEmptyChain)
    hosts.push(evil, accomplice)
    for (const h of [evil, accomplice]) {
      await h.dial(multiaddr(honest.multiaddr))
      const hg = h.services.gossip
      await waitFor('the node to subscribe the hostile peer to both topics', () =>
        hg.subscribers().tx.includes(honest.peerId) && hg.subscribers().block.includes(honest.peerId) ? true : undefined)
    }
    const g = evil.services.gossip

    const badSignature = { ...makeTx(network, 'forged'), signature: 'ab'.repeat(64) }
    const tampered = { ...makeTx(network, 'original'), data: 'rewritten after signing' }
    const forgedWork = blockWithoutWork(honestBlock)
    const wrongHash = { ...mineOn(honestBlock, [], BITS), hash: 'ff'.repeat(32) }
    await g.publishTx(badSignature as never)
    await g.publishTx(tampered as never)
    await accomplice.services.gossip.publishBlock(forgedWork as never)
    await accomplice.services.gossip.publishBlock(wrongHash as never)
    const forgers = new Set([evil.peerId.toString(), accomplice.peerId.toString()])
    // Every forgery was judged Reject, each for the rule it broke.
    await waitFor('a Reject for each forgery in the trace', async () => {
      const codes = new Set((await readTrace(tracePath)).filter(e => e.type === 'gossip' && forgers.has(e.from)).map(e => e.code))
      return ['TX_BAD_SIGNATURE', 'TX_ID_MISMATCH', 'BLOCK_INSUFFICIENT_WORK', 'BLOCK_HASH_MISMATCH'].every(c => codes.has(c)) ? true : undefined
    })
    // Keep sending fresh forgeries (gossipsub drops repeats unseen) until the node cuts us off.
    const honestId = peerIdFromString(honest.peerId)
    let round = 0
    await waitFor('the node to disconnect the hostile peer', async () => {
      if (evil.getConnections(honestId).length === 0) return true
      round++
      await g.publishTx({ ...makeTx(network, `forged ${round}`), signature: 'cd'.repeat(64) }).catch(() => undefined)
      await g.publishBlock({ ...wrongHash, timestamp: wrongHash.timestamp + round / 1000 }).catch(() => undefined)
      return undefined
    }, 60_000, 200)
    await waitFor('the node to drop the hostile peer', async () =>
      (await peersOf(honest)).some(p => p.peerId === evil.peerId.toString()) ? undefined : true)
    expect(await pendingOf(honest)).to.deep.equal([])
    expect(await chainOf(honest)).to.deep.equal(chainBefore)
    // Every message the forgers sent was judged Reject.
    const fromForgers = (await readTrace(tracePath)).filter(e => e.type === 'gossip' && forgers.has(e.from))
    expect(fromForgers.length).to.be.at.least(4)
    expect(fromForgers.every(e => e.result === 'reject'), JSON.stringify(fromForgers)).to.equal(true)
    // The event stream (docs/design.md §10) says so: a penalty per rejected message, then one ban.
    const trace = await waitFor('the ban in the trace', async () => {
      const events = await readTrace(tracePath)
      return events.some(e => e.type === 'ban' && e.peer === evil.peerId.toString()) ? events : undefined
    })
    const penalties = trace.filter(e => e.type === 'penalty' && e.peer === evil.peerId.toString())
    expect(penalties.length).to.be.at.least(2)
    expect(penalties.every(e => e.points > 0 && e.score < 0 && /^invalid (tx|block) /.test(e.reason)), JSON.stringify(penalties)).to.equal(true)
    const bans = trace.filter(e => e.type === 'ban' && e.peer === evil.peerId.toString())
    expect(bans).to.have.length(1)
    expect(bans[0].untilMs).to.be.greaterThan(bans[0].at)
    // Banned: a fresh dial is refused or closed at once.
    await evil.dial(multiaddr(honest.multiaddr)).catch(() => undefined)
    await waitFor('the redial to be dropped', async () =>
      (await peersOf(honest)).some(p => p.peerId === evil.peerId.toString()) ? undefined : true)
  })

  it('serves a fake heavier chain: the node rejects it, drops the peer and stays on its valid chain', async () => {
    const tracePath = await tracePathFor()
    const honest = await NodeProcess.start({ extraArgs: ['--trace', tracePath] })
    const network = (await honest.get<{ network: string }>('/node_info')).network
    await postTx(honest, 'record before the attack')
    await mine(honest)
    const headBefore = await headOf(honest)

    const genesis = genesisBlock(NETWORK_PARAMS)
    // 300 blocks whose proof of work is forged, under a claim of the work 300 real blocks would weigh (a claim
    // of more than a height weighs is refused before any download: SYNC_WORK_INDEX_MISMATCH, test/p2p-sync.test.ts).
    const fake: Block[] = []
    let parent = genesis
    for (let i = 0; i < 300; i++) { parent = blockWithoutWork(parent); fake.push(parent) }
    const evil = await hostilePeer(network, {
      status: () => ({ network, genesis: genesis.hash, head: { hash: parent.hash, index: 300, work: (300n * 2n ** BigInt(BITS)).toString() } }),
      blocksAfter: async (hash, max) => {
        const at = hash === genesis.hash ? 0 : fake.findIndex(b => b.hash === hash) + 1
        return fake.slice(at, at + max)
      },
      locate: async () => ({ hash: genesis.hash, index: 0 }),
      locator: async () => [parent.hash, genesis.hash]
    })
    hosts.push(evil)
    await evil.dial(multiaddr(honest.multiaddr))

    await waitFor('the node to drop the peer that served forged blocks', async () =>
      (await peersOf(honest)).some(p => p.peerId === evil.peerId.toString()) ? undefined : true)
    expect(await headOf(honest)).to.deep.equal(headBefore)
    const syncs = await waitFor('the sync with the hostile peer in the trace', async () => {
      const found = (await readTrace(tracePath)).filter(e => e.type === 'sync' && e.peer === evil.peerId.toString())
      return found.length > 0 ? found : undefined
    })
    expect(syncs[0].outcome).to.equal('invalid-data')
    expect(syncs[0]).to.include({ code: SyncErrorCode.INVALID_BLOCK, ruleCode: 'BLOCK_INSUFFICIENT_WORK' })
    const chain = await chainOf(honest)
    for (const b of chain.slice(1)) expect(meetsProofOfWork(b.hash, BITS)).to.equal(true)
    // The honest node still works.
    await postTx(honest, 'record after the attack')
    const block = await mine(honest)
    expect(block.index).to.equal(headBefore.index + 1)
  })
})
