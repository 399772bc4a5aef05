// Wire compatibility (docs/design.md §5): a peer on libp2p 2 + @chainsafe/libp2p-gossipsub 14 (StrictNoSign,
// noise, yamux or mplex) exchanges txs and blocks with a real node process (libp2p 3 +
// @libp2p/gossipsub 17) in both directions.
import { expect } from 'chai'
import type { Block, Tx } from '../src/core/types.js'
import { startLibp2p2Peer, type Libp2p2Muxer, type Libp2p2Peer, type ReceivedGossip } from './compat/libp2p2-peer.js'
import { makeTx, mineOn } from './helpers/fixtures.js'
import { chainOf, headOf, killAll, mine, networkIdOf, NodeProcess, peersOf, pendingOf, waitFor } from '../src/devnet/index.js'
import { postTx } from './helpers/network.js'

/** NodeProcess.start() runs the node at 8 bits. */
const BITS = 8
const encoder = new TextEncoder()
const decoder = new TextDecoder()
/** The muxers of the wire (docs/design.md §5) and the protocol id each negotiates. */
const MUXERS: Array<[Libp2p2Muxer, string]> = [['yamux', '/yamux/1.0.0'], ['mplex', '/mplex/6.7.0']]

for (const [muxer, muxerProtocol] of MUXERS) describe(`compat: a libp2p 2 / gossipsub 14 peer on noise + ${muxer} and a node process`, function () {
  this.timeout(30_000)
  let node: NodeProcess
  let peer: Libp2p2Peer | undefined
  let network: string
  // Spelled out rather than taken from src/p2p/constants.ts: the wire names are the contract.
  let txTopic: string
  let blockTopic: string

  before(async () => {
    node = await NodeProcess.start()
    network = await networkIdOf(node)
    txTopic = `/gossipchain/${network}/tx/1`
    blockTopic = `/gossipchain/${network}/block/1`
    peer = await startLibp2p2Peer([txTopic, blockTopic], muxer)
    await peer.dial(node.multiaddr)
    const v2 = peer
    expect(v2.connectionTo(node.peerId)).to.include({ encryption: '/noise', multiplexer: muxerProtocol })
    await waitFor('the node and the libp2p 2 peer to have each other in their tx and block meshes', async () => {
      const view = (await peersOf(node)).find(p => p.peerId === v2.peerId)
      const nodeSide = view?.mesh?.includes('tx') === true && view.mesh.includes('block')
      const peerSide = v2.meshPeers(txTopic).includes(node.peerId) && v2.meshPeers(blockTopic).includes(node.peerId)
      return nodeSide && peerSide ? true : undefined
    }, 15_000)
    // Both gossipsubs offer /meshsub/1.2.0 (v1.1 plus IDONTWANT) first, then 1.1.0 and 1.0.0.
    expect(v2.connectionTo(node.peerId)?.streams).to.include('/meshsub/1.2.0')
  })

  after(async () => {
    try {
      await peer?.stop()
    } finally {
      await killAll()
    }
  })

  async function receivedByPeer (topic: string, matches: (item: any) => boolean, what: string): Promise<ReceivedGossip> {
    return await waitFor(`the libp2p 2 peer to receive ${what} on ${topic}`, () =>
      peer?.received.find(m => m.topic === topic && matches(JSON.parse(decoder.decode(m.data)))), 10_000, 50)
  }

  it('a tx posted to the node over HTTP reaches the libp2p 2 peer on the tx topic', async () => {
    const tx = await postTx(node, 'compat: pallet 9 handed to carrier_C')
    const message = await receivedByPeer(txTopic, (item: Tx) => item.id === tx.id, `tx ${tx.id}`)
    expect(JSON.parse(decoder.decode(message.data))).to.deep.equal(tx)
    expect(message.type).to.equal('unsigned')
    expect(message.from).to.equal(node.peerId)
  })

  it('a block mined on the node reaches the libp2p 2 peer on the block topic', async () => {
    const block = await mine(node)
    const message = await receivedByPeer(blockTopic, (item: Block) => item.hash === block.hash, `block ${block.hash}`)
    expect(JSON.parse(decoder.decode(message.data))).to.deep.equal(block)
    expect(message.type).to.equal('unsigned')
  })

  it('a tx and a block published by the libp2p 2 peer are accepted by the node', async () => {
    const v2 = peer as Libp2p2Peer
    const tx = makeTx(network, 'compat: pallet 9 received by shop_D', { signer: 7, timestamp: Math.floor(Date.now() / 1000) })
    expect(await v2.publish(txTopic, encoder.encode(JSON.stringify(tx)))).to.be.at.least(1)
    await waitFor(`tx ${tx.id} in the node's mempool`, async () =>
      (await pendingOf(node)).some(p => p.id === tx.id) ? true : undefined, 10_000, 50)

    const chain = await chainOf(node)
    const head = chain[chain.length - 1]
    const block = mineOn(head, [tx], BITS, Math.max(Math.ceil(head.timestamp) + 1, Math.floor(Date.now() / 1000)))
    expect(await v2.publish(blockTopic, encoder.encode(JSON.stringify(block)))).to.be.at.least(1)
    await waitFor(`block ${block.hash} as the node's head`, async () =>
      (await headOf(node)).hash === block.hash ? true : undefined, 10_000, 50)
    expect((await pendingOf(node)).map(p => p.id)).to.not.include(tx.id)
  })
})
