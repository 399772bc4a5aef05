// The compose network (docs/design.md §13) without Docker: every node service `docker compose up` starts
// (node-1..4; no peer replicas) runs as a process in its own network namespace, with the command line of
// its container (Dockerfile ENTRYPOINT + the service's command, run from src/ through tsx), the
// service's environment, and host names resolving like Docker's DNS. Only the data dir (a temp dir for
// /data) and the difficulty (GOSSIPCHAIN_BITS=8, to keep the test fast) differ; every other setting
// comes from config/node-N.json.
// The monitoring profile's Prometheus runs too, as Debian's `prometheus` in a namespace named
// `prometheus` with monitoring/prometheus/prometheus.yml unchanged: it must find every node by its
// service name and scrape its /metrics, and the Grafana dashboard's queries must evaluate on it.
import { spawnSync, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect } from 'chai'
import {
  containerArgv, healthcheckShell, portMappings, readComposeFile, readDockerfile, repoRoot, serviceEnvironment, sourceArgv,
  stageEnvironment, startedServices
} from './helpers/compose-files.js'
import { bootstrapTargets, getJson, txMinedEverywhere, waitForBootstrapConnections, waitForMeshes } from './helpers/compose-network.js'
import {
  dashboardQueries, expandGrafanaVariables, exportedSampleNames, PROMETHEUS_CONFIG, promqlMetricNames, readDashboard
} from './helpers/monitoring-files.js'
import { createNetnsNetwork, netnsUnavailableReason, type NetnsNetwork } from './helpers/netns.js'
import { waitFor } from '../src/devnet/wait.js'

const unavailable = netnsUnavailableReason()
const title = 'compose network replayed in network namespaces (docker-compose.yml + config/, no Docker)'
const prometheusVersion = ((): string | undefined => {
  const result = spawnSync('prometheus', ['--version'], { encoding: 'utf8' })
  return result.status === 0 ? /prometheus, version (\S+)/.exec(`${result.stdout}${result.stderr}`)?.[1] : undefined
})()
const PROMETHEUS_HOST = 'prometheus'

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
  const order = startedServices(compose, {})
  // Passed through like the host's GOSSIPCHAIN_API_TOKEN in compose; checked on the admin routes below.
  const apiToken = randomBytes(16).toString('hex')
  let network: NetnsNetwork | undefined
  const nodes = new Map<string, ServiceNode>()
  const dataDirs: string[] = []
  let prometheus: { url: string, output: string, exited: Promise<unknown> } | undefined

  before(async function () {
    if (unavailable !== undefined) this.skip()
    network = await createNetnsNetwork(prometheusVersion === undefined ? order : [...order, PROMETHEUS_HOST])
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
    if (prometheusVersion !== undefined) prometheus = await startPrometheus()
  })

  afterEach(function () {
    if (this.currentTest?.state !== 'failed') return
    for (const node of nodes.values()) console.log(`---- ${node.name} (${node.address}) output ----\n${node.output.slice(-4000)}`)
    if (prometheus !== undefined) console.log(`---- prometheus output ----\n${prometheus.output.slice(-4000)}`)
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

  /** Debian's prometheus in its own namespace, on the repository's config file as the compose service mounts it. */
  async function startPrometheus (): Promise<{ url: string, output: string, exited: Promise<unknown> }> {
    const storage = await mkdtemp(join(tmpdir(), 'gossipchain-prometheus-'))
    dataDirs.push(storage)
    const child = network!.spawn(PROMETHEUS_HOST, 'prometheus', [
      `--config.file=${PROMETHEUS_CONFIG}`, `--storage.tsdb.path=${storage}`, '--web.listen-address=0.0.0.0:9090'
    ], { cwd: storage, env: { PATH: process.env.PATH } })
    const started = { url: `http://${network!.host(PROMETHEUS_HOST).address}:9090`, output: '', exited: new Promise(resolve => child.once('exit', resolve)) }
    child.stdout?.on('data', (chunk: Buffer) => { started.output += chunk.toString() })
    child.stderr?.on('data', (chunk: Buffer) => { started.output += chunk.toString() })
    const ready = waitFor('prometheus to be ready', async () => (await fetch(`${started.url}/-/ready`)).ok ? true : undefined, 30_000)
    const died = started.exited.then(code => { throw new Error(`prometheus exited with ${String(code)}:\n${started.output}`) })
    ready.catch(() => {})
    died.catch(() => {})
    await Promise.race([ready, died])
    return started
  }

  function node (name: string): ServiceNode {
    const found = nodes.get(name)
    if (found === undefined) throw new Error(`service ${name} is not running`)
    return found
  }

  it('every service answers /health on its namespace address, started in depends_on order', async () => {
    expect(order).to.deep.equal(['node-1', 'node-2', 'node-3', 'node-4'])
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
      // A shell string: Docker and podman run it with /bin/sh -c; `node` is found on PATH as in the image.
      const command = healthcheckShell(compose.services[name], name)
      const child = network!.spawn(name, '/bin/sh', ['-c', command], { cwd: repoRoot, env: { PATH: process.env.PATH } })
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

  it('every node connects to its bootstrap peers by compose name: /peers shows e.g. the /dns4/node-1/tcp/9000 connection', async () => {
    expect(bootstrapTargets(compose, 'node-4').map(target => target.service)).to.deep.equal(['node-2', 'node-3'])
    await waitForBootstrapConnections(compose, nodes, 20_000)
  })

  it('a tx posted to node-4 (two hops from the miner) is mined by node-1 (mineInterval 10 s in its config) and all four end on that head', async () => {
    await waitForMeshes(nodes, 20_000)
    await txMinedEverywhere(nodes, 'node-4', 'node-1', 'compose-netns: pallet 7 left the packer for the port', 25_000)
  })

  describe(prometheusVersion === undefined
    ? 'monitoring: Prometheus - skipped: Debian\'s prometheus is not installed (apt-get install prometheus)'
    : `monitoring: Debian's prometheus ${prometheusVersion} on monitoring/prometheus/prometheus.yml`, () => {
    before(function () { if (prometheusVersion === undefined) this.skip() })

    interface Target { labels: Record<string, string>, health: string, lastError: string, scrapeUrl: string }

    it('scrapes /metrics of every node by service name: every target up, labelled instance="node-N"', async () => {
      const targets = await waitFor('every gossipchain target up', async () => {
        const { data } = await getJson<{ data: { activeTargets: Target[] } }>(prometheus!, '/api/v1/targets?state=active')
        const ours = data.activeTargets.filter(t => t.labels.job === 'gossipchain')
        return ours.length === order.length && ours.every(t => t.health === 'up') ? ours : undefined
      }, 30_000, 500).catch(async (error: Error) => {
        const { data } = await getJson<{ data: { activeTargets: Target[] } }>(prometheus!, '/api/v1/targets?state=active')
        throw new Error(`${error.message}: ${JSON.stringify(data.activeTargets.map(t => [t.scrapeUrl, t.health, t.lastError]))}`)
      })
      expect(targets.map(t => t.labels.instance).sort()).to.deep.equal([...order].sort())
      expect(targets.map(t => t.scrapeUrl).sort()).to.deep.equal(order.map(name => `http://${name}:${portMappings(compose.services[name])[0].target}/metrics`).sort())
    })

    it('every dashboard query selects metrics the nodes export and evaluates on it; head height shows each node\'s head', async () => {
      const exported = exportedSampleNames(await (await fetch(`${node('node-1').url}/metrics`)).text())
      for (const { panel, target } of dashboardQueries(readDashboard())) {
        const expr = expandGrafanaVariables(target.expr, '30s')
        for (const name of promqlMetricNames(expr)) expect(exported.has(name), `${panel.title}: ${name} is not in node-1's /metrics`).to.equal(true)
        const result = await getJson<{ status: string }>(prometheus!, `/api/v1/query?query=${encodeURIComponent(expr)}`)
        expect(result.status, `${panel.title}: ${expr}`).to.equal('success')
      }
      // After the mined tx above every node is at the same height, and Prometheus sees it per node.
      const heights = Object.fromEntries(await Promise.all(order.map(async name => [name, (await getJson<{ head: { index: number } }>(node(name), '/node_info')).head.index] as const)))
      const heightQuery = dashboardQueries(readDashboard()).find(q => q.target.expr.startsWith('gossipchain_chain_height'))!
      await waitFor('Prometheus to hold every node\'s head height', async () => {
        const { data } = await getJson<{ data: { result: Array<{ metric: { instance: string }, value: [number, string] }> } }>(
          prometheus!, `/api/v1/query?query=${encodeURIComponent(expandGrafanaVariables(heightQuery.target.expr))}`)
        const seen = Object.fromEntries(data.result.map(r => [r.metric.instance, Number(r.value[1])]))
        return order.every(name => seen[name] === heights[name]) ? true : undefined
      }, 20_000, 500)
    })
  })

  it('GOSSIPCHAIN_API_TOKEN from the service environment guards the admin routes', async () => {
    const url = `${node('node-1').url}/mine`
    expect((await fetch(url, { method: 'POST' })).status).to.equal(401)
    expect((await fetch(url, { method: 'POST', headers: { authorization: 'Bearer wrong-token' } })).status).to.equal(401)
  })
})
