// The compose network (docs/design.md §13) without Docker: every service of docker-compose.yml runs as a process
// in its own network namespace, with the command line of its container (Dockerfile ENTRYPOINT + the
// service's command, run from src/ through tsx), the service's environment, and host names resolving
// like Docker's DNS. Only the data dir (a temp dir for /data) and the difficulty (GOSSIPCHAIN_BITS=8,
// to keep the test fast) differ; every other setting comes from config/node-N.json.
import type { ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect } from 'chai'
import {
  containerArgv, portMappings, readComposeFile, readDockerfile, repoRoot, serviceEnvironment, sourceArgv, stageEnvironment, startOrder
} from './helpers/compose-files.js'
import { loadConfig } from '../src/config.js'
import { makeTx } from './helpers/fixtures.js'
import { createNetnsNetwork, netnsUnavailableReason, type NetnsNetwork } from './helpers/netns.js'
import { waitFor } from './helpers/node-process.js'

const unavailable = netnsUnavailableReason()
const title = 'compose network replayed in network namespaces (docker-compose.yml + config/, no Docker)'

interface ServiceNode {
  name: string
  address: string
  /** The facade: the container port the service publishes. */
  url: string
  child: ChildProcess
  /** Resolves with the exit code (or signal) when the process ends. */
  exited: Promise<number | string | null>
  output: string
  dataDir: string
  peerId: string
}

describe(unavailable === undefined ? title : `${title} - skipped: ${unavailable}`, function () {
  this.timeout(60_000)
  const compose = readComposeFile()
  const dockerfile = readDockerfile()
  const runtimeStage = dockerfile[dockerfile.length - 1]
  const order = startOrder(compose)
  // Passed through like the host's GOSSIPCHAIN_API_TOKEN in compose; checked on the admin routes below.
  const apiToken = randomBytes(16).toString('hex')
  let network: NetnsNetwork | undefined
  const nodes = new Map<string, ServiceNode>()
  const dataDirs: string[] = []

  before(async function () {
    if (unavailable !== undefined) this.skip()
    network = await createNetnsNetwork(Object.keys(compose.services))
    // As Compose does with depends_on: dependencies first, each dependant once they answer /health.
    for (const name of order) {
      const node = await startService(name)
      nodes.set(name, node)
      const healthy = waitFor(`${name} to answer /health on ${node.url}`, async () => {
        const res = await fetch(`${node.url}/health`, { signal: AbortSignal.timeout(2_000) })
        return res.ok ? true : undefined
      }, 30_000)
      // A node that dies at start (bad config, broken build) fails the run at once, with its output.
      const died = node.exited.then(code => { throw new Error(`${name} exited with ${code} before it was healthy:\n${node.output}`) })
      // The loser of the race settles later (the kill in after(), or the poll's deadline): not an error.
      healthy.catch(() => {})
      died.catch(() => {})
      await Promise.race([healthy, died])
      node.peerId = (await getJson<{ peerId: string }>(node, '/node_info')).peerId
    }
  })

  afterEach(function () {
    if (this.currentTest?.state !== 'failed') return
    for (const node of nodes.values()) console.log(`---- ${node.name} (${node.address}) output ----\n${node.output.slice(-4000)}`)
  })

  after(async () => {
    // Processes first (destroy kills them), then the namespaces and links, then the data.
    try {
      await network?.destroy()
    } finally {
      await Promise.all(dataDirs.map(async dir => await rm(dir, { recursive: true, force: true })))
    }
  })

  async function startService (name: string): Promise<ServiceNode> {
    if (network === undefined) throw new Error('no network')
    const service = compose.services[name]
    const [command, ...args] = sourceArgv(containerArgv(compose, dockerfile, name))
    const dataDir = await mkdtemp(join(tmpdir(), `gossipchain-${name}-`))
    dataDirs.push(dataDir)
    const env: Record<string, string | undefined> = {
      // Nothing of this machine's GOSSIPCHAIN_* setup leaks in: the config file and the container env decide.
      ...Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('GOSSIPCHAIN_'))),
      ...stageEnvironment(runtimeStage),
      ...serviceEnvironment(service, { GOSSIPCHAIN_API_TOKEN: apiToken }),
      GOSSIPCHAIN_DATA_DIR: dataDir,
      GOSSIPCHAIN_BITS: '8'
    }
    const port = portMappings(service)[0]?.target
    if (port === undefined) throw new Error(`service ${name} publishes no port`)
    const { address } = network.host(name)
    // The container's working directory (/app) is the repository root.
    const child = network.spawn(name, command, args, { cwd: repoRoot, env })
    const exited = new Promise<number | string | null>(resolve => child.once('exit', (code, signal) => resolve(code ?? signal)))
    const node: ServiceNode = { name, address, url: `http://${address}:${port}`, child, exited, output: '', dataDir, peerId: '' }
    child.stdout?.on('data', (chunk: Buffer) => { node.output += chunk.toString() })
    child.stderr?.on('data', (chunk: Buffer) => { node.output += chunk.toString() })
    return node
  }

  function node (name: string): ServiceNode {
    const found = nodes.get(name)
    if (found === undefined) throw new Error(`service ${name} is not running`)
    return found
  }

  it('every service answers /health on its namespace address, started in depends_on order', async () => {
    expect(order).to.deep.equal(['node-1', 'node-2', 'node-3'])
    for (const { name, url } of nodes.values()) {
      const health = await getJson<{ status: string }>(node(name), '/health')
      expect(health.status, `${url}/health`).to.equal('ok')
    }
    // All on one network id: the config files agree on the genesis parameters.
    const networks = await Promise.all([...nodes.values()].map(async n => (await getJson<{ network: string }>(n, '/node_info')).network))
    expect(new Set(networks).size).to.equal(1)
  })

  it("each service's compose healthcheck passes inside its namespace, where 127.0.0.1 is the node's own", async () => {
    for (const name of order) {
      const test = compose.services[name].healthcheck?.test
      if (!Array.isArray(test) || test[0] !== 'CMD') throw new Error(`service ${name}: healthcheck.test must be ["CMD", ...]`)
      const [program, ...args] = test.slice(1)
      expect(program, `${name} healthcheck program`).to.equal('node')
      const child = network!.spawn(name, process.execPath, args, { cwd: repoRoot, env: { PATH: process.env.PATH } })
      let output = ''
      child.stdout?.on('data', (chunk: Buffer) => { output += chunk.toString() })
      child.stderr?.on('data', (chunk: Buffer) => { output += chunk.toString() })
      const code = await new Promise<number | null>(resolve => child.once('exit', resolve))
      expect(code, `${name} healthcheck exit code ${output}`).to.equal(0)
    }
  })

  it('node-1 announces its compose name, /dns4/node-1/tcp/9000, from its config', async () => {
    const info = await getJson<{ addresses: string[] }>(node('node-1'), '/node_info')
    expect(info.addresses).to.include(`/dns4/node-1/tcp/9000/p2p/${node('node-1').peerId}`)
  })

  it('node-2 and node-3 connect to node-1 by its compose name: /peers shows the /dns4/node-1/tcp/9000 connection', async () => {
    const node1 = node('node-1')
    const byName = '/dns4/node-1/tcp/9000'
    for (const name of ['node-2', 'node-3']) {
      // The bootstrap address comes from the service's config file, with no /p2p/ id in it.
      const [, , ...args] = containerArgv(compose, dockerfile, name)
      const configFile = args[args.indexOf('--config') + 1]
      expect(loadConfig({ file: join(repoRoot, configFile), env: {} }).bootstrap, configFile).to.include(byName)
      await waitFor(`${name} to list node-1 at ${byName} in /peers`, async () => {
        const { peers } = await getJson<{ peers: Array<{ peerId: string, addresses: string[] }> }>(node(name), '/peers')
        const peer = peers.find(p => p.peerId === node1.peerId)
        return peer?.addresses.includes(`${byName}/p2p/${node1.peerId}`) === true ? true : undefined
      }, 20_000)
    }
    // node-3 also bootstraps to node-2 (/dns4/node-2/tcp/9001).
    await waitFor('node-3 to list node-2 in /peers', async () => {
      const { peers } = await getJson<{ peers: Array<{ peerId: string }> }>(node('node-3'), '/peers')
      return peers.some(p => p.peerId === node('node-2').peerId) ? true : undefined
    }, 20_000)
  })

  it('a tx posted to node-3 is mined by node-1 (mineInterval 10 s in its config) and all three end on that head', async () => {
    const all = [...nodes.values()]
    // Gossip reaches only mesh peers: wait until every node has both others in its tx and block meshes.
    await waitFor('full tx and block meshes', async () => {
      for (const n of all) {
        const { peers } = await getJson<{ peers: Array<{ peerId: string, mesh?: string[] }> }>(n, '/peers')
        for (const other of all.filter(o => o !== n)) {
          const mesh = peers.find(p => p.peerId === other.peerId)?.mesh ?? []
          if (!mesh.includes('tx') || !mesh.includes('block')) return undefined
        }
      }
      return true
    }, 20_000)

    const networkId = (await getJson<{ network: string }>(node('node-3'), '/node_info')).network
    const tx = makeTx(networkId, 'compose-netns: pallet 7 left the packer for the port', { timestamp: Math.floor(Date.now() / 1000) })
    const posted = await fetch(`${node('node-3').url}/new_transaction`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(tx)
    })
    expect(posted.status, await posted.clone().text()).to.equal(201)

    // Nobody calls /mine: node-1's own timer mines the pending tx.
    const minedIn = await waitFor(`node-1 to mine tx ${tx.id}`, async () => {
      const found = await getJson<{ status: string, block?: { hash: string } }>(node('node-1'), `/tx/${tx.id}`).catch(() => undefined)
      return found?.status === 'confirmed' ? found.block?.hash : undefined
    }, 25_000, 200)
    await waitFor(`all three heads to be ${minedIn}, holding tx ${tx.id}`, async () => {
      for (const n of all) {
        const { head } = await getJson<{ head: { hash: string } }>(n, '/node_info')
        const found = await getJson<{ status: string, block?: { hash: string } }>(n, `/tx/${tx.id}`).catch(() => undefined)
        if (head.hash !== minedIn || found?.status !== 'confirmed' || found.block?.hash !== minedIn) return undefined
      }
      return true
    }, 15_000, 200)
  })

  it('GOSSIPCHAIN_API_TOKEN from the service environment guards the admin routes', async () => {
    const url = `${node('node-1').url}/mine`
    expect((await fetch(url, { method: 'POST' })).status).to.equal(401)
    expect((await fetch(url, { method: 'POST', headers: { authorization: 'Bearer wrong-token' } })).status).to.equal(401)
  })
})

async function getJson<T> (node: { url: string }, path: string): Promise<T> {
  const res = await fetch(node.url + path, { signal: AbortSignal.timeout(5_000) })
  if (!res.ok) throw new Error(`GET ${node.url}${path} -> ${res.status}: ${await res.text()}`)
  return await res.json() as T
}
