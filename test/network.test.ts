// Multi-node tests: real `gossipchain start` processes on 127.0.0.1 (docs/design.md §4-§7, issue 3).
import { expect } from 'chai'
import { computeBlockHash, genesisBlock, meetsProofOfWork } from '../src/core/block.js'
import type { Block } from '../src/core/types.js'
import { mineOn } from './helpers/fixtures.js'
import { chainOf, connect, headOf, killAll, mine, NodeProcess, pendingOf, waitFor, waitForMesh, waitForSameHead } from '../src/devnet/index.js'
import { postTx } from './helpers/network.js'

const BITS = 8
const DEV_NETWORK = { name: 'gossipchain-dev', genesisTimestamp: 1767225600, bits: BITS }

describe('network of node processes', function () {
  this.timeout(180_000)
  afterEach(async () => { await killAll() })

  it('five nodes in a line: a tx posted at one end reaches every mempool; a block mined there reaches every chain', async () => {
    const nodes: NodeProcess[] = [await NodeProcess.start()]
    for (let i = 1; i < 5; i++) nodes.push(await NodeProcess.start({ bootstrap: [nodes[i - 1].multiaddr] }))
    for (let i = 1; i < 5; i++) {
      await waitForMesh(nodes[i], nodes[i - 1])
      await waitForMesh(nodes[i - 1], nodes[i])
    }
    const tx = await postTx(nodes[0], 'lot 17: 40 crates of apples, farm_A -> packer_B')
    await Promise.all(nodes.map(async n => await waitFor(`tx in mempool of ${n.url}`, async () =>
      (await pendingOf(n)).some(p => p.id === tx.id) ? true : undefined)))

    const block = await mine(nodes[0])
    expect(block.transactions.map(t => t.id)).to.deep.equal([tx.id])
    await waitForSameHead(nodes, 30_000, block.hash)
    for (const n of nodes) expect(await pendingOf(n)).to.deep.equal([])
  })

  it("the seed's scenario: nodes on 8000-8002 register with 8000, post, mine, and every /chain is equal", async function () {
    const ports = [8000, 8001, 8002]
    for (const port of ports) {
      if (!(await isPortFree(port))) this.skip() // something else listens there already
    }
    const [n0, n1, n2] = await Promise.all(ports.map(async httpPort => await NodeProcess.start({ httpPort })))
    await connect(n1, n0)
    await connect(n2, n0)
    await waitForMesh(n0, n1)
    await waitForMesh(n0, n2)
    await postTx(n0, 'shipment 1 left the farm')
    await postTx(n0, 'shipment 1 reached the packer', 2)
    const block = await mine(n0)
    expect(block.transactions).to.have.length(2)
    await waitForSameHead([n0, n1, n2], 30_000, block.hash)
    const chains = await Promise.all([n0, n1, n2].map(chainOf))
    expect(chains[1]).to.deep.equal(chains[0])
    expect(chains[2]).to.deep.equal(chains[0])
    expect(chains[0]).to.have.length(2)
  })

  it('a node that joins late syncs a chain of 500 blocks', async () => {
    const a = await NodeProcess.start()
    // Build 500 empty blocks here and hand them to `a` through /add_block.
    let parent: Block = genesisBlock(DEV_NETWORK)
    for (let i = 0; i < 500; i++) {
      parent = mineOn(parent, [], BITS, parent.timestamp + 1)
      const res = await a.post('/add_block', parent)
      if (res.status !== 201) throw new Error(`add_block #${i + 1}: ${res.status} ${JSON.stringify(res.body)}`)
    }
    expect((await headOf(a)).index).to.equal(500)
    const late = await NodeProcess.start({ bootstrap: [a.multiaddr] })
    await waitForSameHead([a, late], 60_000, parent.hash)
    const chain = await chainOf(late)
    expect(chain).to.have.length(501)
    for (let i = 1; i < chain.length; i++) {
      expect(chain[i].previous_hash).to.equal(chain[i - 1].hash)
      expect(computeBlockHash(chain[i])).to.equal(chain[i].hash)
      expect(meetsProofOfWork(chain[i].hash, BITS)).to.equal(true)
    }
  })

  it('a partition: two halves mine apart, reconnect, and all end on the heavier chain with no tx lost', async () => {
    const [a, b, c, d] = await Promise.all([0, 1, 2, 3].map(async () => await NodeProcess.start()))
    await connect(b, a)
    await connect(d, c)
    await waitForMesh(a, b)
    await waitForMesh(c, d)
    await waitForMesh(b, a)
    await waitForMesh(d, c)

    // Left half: 2 blocks. Right half: 3 blocks (more work). Each with its own txs.
    const leftTxs = [await postTx(a, 'left 1'), await postTx(b, 'left 2', 2)]
    await waitFor('left txs on a', async () => (await pendingOf(a)).length === 2 ? true : undefined)
    await mine(a)
    const leftOnly = await postTx(b, 'left 3 (mined on the losing side)', 3)
    await waitFor('left 3 on a', async () => (await pendingOf(a)).some(t => t.id === leftOnly.id) ? true : undefined)
    await mine(a)
    const leftPendingOnly = await postTx(b, 'left pending, never mined', 4)
    const rightTxs = []
    for (let i = 1; i <= 3; i++) {
      const tx = await postTx(d, `right ${i}`, i)
      rightTxs.push(tx)
      await waitFor(`right ${i} on c`, async () => (await pendingOf(c)).some(t => t.id === tx.id) ? true : undefined)
      if (i < 3) await mine(c)
    }
    const rightHead = await mine(c)
    await waitForSameHead([a, b], 30_000)
    await waitForSameHead([c, d], 30_000, rightHead.hash)

    // Heal the partition.
    await connect(b, c)
    await waitForSameHead([a, b, c, d], 60_000, rightHead.hash)
    const winning = await chainOf(a)
    expect(winning).to.have.length(4)
    const confirmed = new Set(winning.flatMap(blk => blk.transactions.map(t => t.id)))
    for (const tx of rightTxs) expect(confirmed.has(tx.id)).to.equal(true)
    // Every tx of the losing branch, and the one never mined, is in the winning chain or back in a mempool.
    const pending = new Set((await Promise.all([a, b, c, d].map(pendingOf))).flat().map(t => t.id))
    for (const tx of [...leftTxs, leftOnly, leftPendingOnly]) {
      expect(confirmed.has(tx.id) || pending.has(tx.id), `tx ${tx.data} lost`).to.equal(true)
    }
  })

  it('kill -9 while mining and importing: the restarted node holds every acknowledged block and pending tx', async () => {
    const node = await NodeProcess.start({ mineInterval: 20, bits: 12 })
    const acknowledgedTxs: string[] = []
    const acknowledgedBlocks: string[] = []
    // Blocks built here, on genesis of the bits-12 network, reach the node as a competing branch.
    let parent: Block = genesisBlock({ ...DEV_NETWORK, bits: 12 })
    let killed = false
    const feedBlocks = (async () => {
      while (!killed) {
        const block = mineOn(parent, [], 12, parent.timestamp + 1)
        const res = await node.post('/add_block', block).catch(() => undefined)
        if (res?.status === 201) { acknowledgedBlocks.push(block.hash); parent = block }
      }
    })()
    const feedTxs = (async () => {
      for (let i = 0; !killed; i++) {
        const tx = await postTx(node, `record ${i}`, 1 + (i % 5)).catch(() => undefined)
        if (tx !== undefined && !killed) acknowledgedTxs.push(tx.id)
      }
    })()
    await waitFor('the node to mine some blocks and import some', async () =>
      (await headOf(node)).index >= 5 && acknowledgedBlocks.length >= 5 && acknowledgedTxs.length >= 20 ? true : undefined, 60_000)
    const minedBefore = (await chainOf(node)).map(b => b.hash)
    await node.kill()
    killed = true
    await Promise.allSettled([feedBlocks, feedTxs])

    const restarted = await NodeProcess.start({ dataDir: node.opts.dataDir, httpPort: node.opts.httpPort, p2pPort: node.opts.p2pPort, bits: 12 })
    const chain = await chainOf(restarted)
    for (let i = 1; i < chain.length; i++) {
      expect(chain[i].previous_hash).to.equal(chain[i - 1].hash)
      expect(computeBlockHash(chain[i])).to.equal(chain[i].hash)
    }
    for (const hash of [...acknowledgedBlocks, ...minedBefore]) {
      const res = await fetch(`${restarted.url}/blocks/${hash}`)
      expect(res.status, `block ${hash} lost`).to.equal(200)
    }
    const pending = new Set((await pendingOf(restarted)).map(t => t.id))
    for (const id of acknowledgedTxs) {
      if (pending.has(id)) continue
      const res = await fetch(`${restarted.url}/tx/${id}`)
      expect(res.status, `tx ${id} lost`).to.equal(200)
    }
  })
})

async function isPortFree (port: number): Promise<boolean> {
  const { createServer } = await import('node:net')
  return await new Promise(resolve => {
    const server = createServer()
    server.once('error', () => resolve(false))
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)))
  })
}
