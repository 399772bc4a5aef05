// The real docker-compose.yml, run under podman-compose (docs/design.md §13): `npm run test:compose`, not part of
// `npm test` (it builds images: minutes). .ci/run sets podman up (deploy/podman/setup-host.sh) and runs it.
//
// 1. The Dockerfile's base image, node:20-bookworm-slim, is built locally (deploy/podman/base-image.sh):
//    no image can be pulled here. It is kept between runs while Node and the script are unchanged.
// 2. `podman-compose build node-1` builds gossipchain:local from the Dockerfile, as `up --build` would.
// 3. `podman-compose up -d node-1 node-2 node-3 node-4 peer` with GOSSIPCHAIN_PEERS=2 and an API token
//    (a container whose published port another process took meanwhile is started again until it is free):
//    the services are named because podman-compose 1.0.3 ignores `profiles` (it would start the
//    monitoring services, whose images cannot be pulled here).
// 4. Every container's compose health check is run (`podman healthcheck run`: without systemd, podman
//    schedules no checks itself) until all are healthy; then the same network checks as the netns
//    replay, over the ports published on the host's loopback: bootstrap connections by service name,
//    full meshes, a tx posted to node-4 mined by node-1's own timer and held on every head; the token;
//    a restarted node keeping its peer id and chain in its named volume.
// 5. `podman-compose down -v` always, also when something failed; the project's anonymous volumes (the
//    peer's /data) and its network, which podman-compose 1.0.3 leaves behind, are removed too.
import { spawn, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createWriteStream, mkdtempSync, readFileSync, rmSync, type WriteStream } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect } from 'chai'
import { portMappings, readComposeFile, repoRoot, startedServices } from './helpers/compose-files.js'
import { getJson, txMinedEverywhere, waitForBootstrapConnections, waitForMeshes, type ComposeNode } from './helpers/compose-network.js'
import { waitFor } from '../src/devnet/wait.js'

const PROJECT = `gctest${randomBytes(3).toString('hex')}`
const API_TOKEN = randomBytes(16).toString('hex')
// Two replicas: podman-compose 1.0.3 once broke the second replica of a service (a list-form health check).
const PEERS = 2
const HOST_ENV = { GOSSIPCHAIN_API_TOKEN: API_TOKEN, GOSSIPCHAIN_PEERS: String(PEERS) }

interface Container { name: string, service: string, id: string }

describe(`docker-compose.yml under podman-compose (project ${PROJECT})`, function () {
  // Image builds take minutes on a fresh machine; each step below has its own deadline.
  this.timeout(20 * 60_000)
  const compose = readComposeFile()
  const services = startedServices(compose, HOST_ENV)
  const logDir = mkdtempSync(join(tmpdir(), 'gossipchain-compose-'))
  const nodes = new Map<string, ComposeNode>()
  let containers: Container[] = []
  let started = false
  /** Set at the end of before(): when it stays false, the logs are kept. */
  let setUp = false

  before(async function () {
    this.timeout(30 * 60_000)
    for (const command of ['podman', 'podman-compose']) {
      if (spawnSync(command, ['--version'], { stdio: 'ignore' }).status !== 0) {
        throw new Error(`${command} is not installed: run deploy/podman/setup-host.sh (as root) first`)
      }
    }
    expect(services).to.deep.equal(['node-1', 'node-2', 'node-3', 'node-4', 'peer'])
    for (const port of [8000, 8001, 8002, 8003]) await expectPortFree(port)

    await timed('base image node:20-bookworm-slim (deploy/podman/base-image.sh)', async () =>
      await run('bash', [join(repoRoot, 'deploy/podman/base-image.sh')], 'base-image'))
    // Docker format keeps the Dockerfile's HEALTHCHECK in the image (the OCI format has no field for it).
    await timed('image gossipchain:local (podman-compose build)', async () =>
      await compose_(['build', 'node-1'], 'build', { BUILDAH_FORMAT: 'docker' }))
    started = true
    await timed(`podman-compose up -d ${services.join(' ')}`, async () => await compose_(['up', '-d', ...services], 'up'))
    containers = listContainers()
    expect(containers.map(c => c.service).sort()).to.deep.equal([...services, ...Array(PEERS - 1).fill('peer')].sort())
    // podman-compose goes on when a container fails to start. A published port taken meanwhile (on a
    // shared machine other tests use 8000-8002 too) is waited out; anything else fails the run.
    for (const container of containers.filter(c => inspect(c.name, '{{.State.Status}}') !== 'running')) {
      const deadline = Date.now() + 120_000
      for (;;) {
        const start = spawnSync('podman', ['start', container.name], { encoding: 'utf8' })
        if (start.status === 0) break
        if (!/address already in use/.test(start.stderr) || Date.now() > deadline) {
          throw new Error(`${container.name} does not start: ${start.stderr}\n${logsOf(container.name)}\n` +
            `podman-compose up:\n${readFileSync(join(logDir, 'up.log'), 'utf8').slice(-4000)}`)
        }
        console.log(`      ${container.name}: ${/listen tcp\S* (\S+?):? bind/.exec(start.stderr)?.[1] ?? 'a port'} is in use; retrying`)
        await new Promise(resolve => setTimeout(resolve, 2_000))
      }
    }

    await timed('all containers healthy (their compose health checks)', async () => {
      await Promise.all(containers.map(async container => await waitFor(`${container.name} to pass its health check`, async () => {
        const check = await runQuiet('podman', ['healthcheck', 'run', container.name])
        if (check !== 0) {
          const state = inspect(container.name, '{{.State.Status}}')
          if (state !== 'running') throw new Error(`${container.name} is ${state}:\n${logsOf(container.name)}`)
          return undefined
        }
        return inspect(container.name, '{{.State.Health.Status}}') === 'healthy' ? true : undefined
      }, 120_000, 1_000)))
    })

    for (const container of containers) {
      const url = container.service === 'peer' ? `http://127.0.0.1:${hostPortOf(container.name, 8000)}` : `http://127.0.0.1:${publishedPort(container.service)}`
      const name = container.service === 'peer' ? container.name : container.service
      const { peerId } = await getJson<{ peerId: string }>({ url }, '/node_info')
      nodes.set(name, { name: container.service, url, peerId })
    }
    setUp = true
  })

  let failed = false
  afterEach(function () {
    if (this.currentTest?.state !== 'failed') return
    failed = true
    for (const container of containers) console.log(`---- ${container.name} ----\n${logsOf(container.name).slice(-3000)}`)
  })

  after(async function () {
    this.timeout(5 * 60_000)
    if (!started) return
    // Anonymous volumes (the peer's /data) are found before the containers go.
    const anonymous = containers.flatMap(c => inspect(c.name, '{{range .Mounts}}{{if eq .Type "volume"}}{{.Name}} {{end}}{{end}}').split(' '))
      .filter(name => /^[0-9a-f]{64}$/.test(name))
    try {
      await timed('podman-compose down -v', async () => await compose_(['down', '-v'], 'down'))
    } finally {
      for (const volume of anonymous) spawnSync('podman', ['volume', 'rm', '--force', volume], { stdio: 'ignore' })
      // podman-compose 1.0.3's down leaves the project's network.
      spawnSync('podman', ['network', 'rm', '--force', `${PROJECT}_default`], { stdio: 'ignore' })
    }
    expect(listContainers(), 'containers left after down -v').to.deep.equal([])
    const volumes = spawnSync('podman', ['volume', 'ls', '--format', '{{.Name}}'], { encoding: 'utf8' }).stdout.split('\n')
    expect(volumes.filter(volume => volume.startsWith(`${PROJECT}_`) || anonymous.includes(volume)), 'volumes left after down -v').to.deep.equal([])
    const networks = spawnSync('podman', ['network', 'ls', '--format', '{{.Name}}'], { encoding: 'utf8' }).stdout.split('\n')
    expect(networks.filter(network => network.startsWith(`${PROJECT}_`)), 'networks left after down -v').to.deep.equal([])
    if (setUp && !failed) rmSync(logDir, { recursive: true, force: true })
    else console.log(`      podman-compose and build output kept in ${logDir}`)
  })

  it(`runs node-1..4 and ${PEERS} peer replicas, each healthy, on one network id`, async () => {
    expect([...nodes.keys()].slice(0, 4)).to.deep.equal(['node-1', 'node-2', 'node-3', 'node-4'])
    expect(nodes.size).to.equal(4 + PEERS)
    const infos = await Promise.all([...nodes.values()].map(async node => await getJson<{ network: string }>(node, '/node_info')))
    expect(new Set(infos.map(info => info.network)).size).to.equal(1)
    for (const container of containers) expect(inspect(container.name, '{{.State.Health.Status}}'), container.name).to.equal('healthy')
  })

  it('every node serves the web page at / (bundled into the image at build time) and Prometheus text at /metrics', async () => {
    for (const node of nodes.values()) {
      const res = await fetch(`${node.url}/`, { signal: AbortSignal.timeout(5_000) })
      expect(res.status, `${node.url}/`).to.equal(200)
      expect(res.headers.get('content-type'), `${node.url}/`).to.match(/^text\/html/)
      expect(await res.text(), `${node.url}/`).to.match(/<script[^>]+src=/)
      const metrics = await fetch(`${node.url}/metrics`, { signal: AbortSignal.timeout(5_000) })
      expect(metrics.status, `${node.url}/metrics`).to.equal(200)
      const { head } = await getJson<{ head: { index: number } }>(node, '/node_info')
      expect(await metrics.text(), `${node.url}/metrics`).to.match(new RegExp(`^gossipchain_chain_height(\\{[^}]*\\})? ${head.index}$`, 'm'))
    }
  })

  it('runs the image as the non-root user node, with node as PID 1 and /data owned by it', () => {
    const container = containers.find(c => c.service === 'node-1')!
    const result = spawnSync('podman', ['exec', container.name, 'sh', '-c', 'id -un; tr "\\0" " " < /proc/1/cmdline; echo; stat -c %U /data'], { encoding: 'utf8' })
    expect(result.status, result.stderr).to.equal(0)
    const [user, pid1, owner] = result.stdout.trim().split('\n')
    expect(user).to.equal('node')
    expect(pid1.trim()).to.equal('node bin/gossipchain.js start --config config/node-1.json')
    expect(owner).to.equal('node')
  })

  it('node-1 announces /dns4/node-1/tcp/9000; every node is connected to its bootstrap peers by service name', async () => {
    const node1 = nodes.get('node-1')!
    const { addresses } = await getJson<{ addresses: string[] }>(node1, '/node_info')
    expect(addresses).to.include(`/dns4/node-1/tcp/9000/p2p/${node1.peerId}`)
    await waitForBootstrapConnections(compose, nodes, 60_000)
  })

  it('a tx posted to node-4 is mined by node-1 (its 10 s timer) and held on every head, the peer replicas\' too', async () => {
    await waitForMeshes(nodes, 60_000)
    const { txId, blockHash } = await txMinedEverywhere(nodes, 'node-4', 'node-1', `compose-podman: crate ${randomBytes(4).toString('hex')} cleared customs`, 60_000)
    console.log(`      tx ${txId.slice(0, 16)}... mined in block ${blockHash.slice(0, 16)}... on all ${nodes.size} nodes`)
  })

  it('GOSSIPCHAIN_API_TOKEN from the host environment guards /mine', async () => {
    const url = `${nodes.get('node-2')!.url}/mine`
    expect((await fetch(url, { method: 'POST' })).status).to.equal(401)
    expect((await fetch(url, { method: 'POST', headers: { authorization: 'Bearer wrong' } })).status).to.equal(401)
    expect((await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${API_TOKEN}` } })).status).to.be.within(200, 299)
  })

  it('node-3, restarted, keeps its peer id and chain (its named volume) and rejoins', async () => {
    const node3 = nodes.get('node-3')!
    const before = await getJson<{ head: { hash: string, index: number } }>(node3, '/node_info')
    const container = containers.find(c => c.service === 'node-3')!
    expect(spawnSync('podman', ['restart', container.name], { encoding: 'utf8' }).status).to.equal(0)
    const after = await waitFor('node-3 to answer again', async () => await getJson<{ peerId: string, head: { index: number } }>(node3, '/node_info'), 60_000, 500)
    expect(after.peerId).to.equal(node3.peerId)
    expect(after.head.index).to.be.at.least(before.head.index)
    await waitForBootstrapConnections(compose, new Map([['node-1', nodes.get('node-1')!], ['node-2', nodes.get('node-2')!], ['node-3', node3]]), 60_000)
  })

  // ---- helpers ----

  function publishedPort (service: string): number {
    const published = portMappings(compose.services[service])[0]?.published
    if (published === undefined) throw new Error(`service ${service} publishes no fixed port`)
    return published
  }

  /** Runs podman-compose on the real file with this test's project name and host environment. */
  async function compose_ (args: string[], log: string, extraEnv: Record<string, string> = {}): Promise<void> {
    await run('podman-compose', ['-f', join(repoRoot, 'docker-compose.yml'), '-p', PROJECT, ...args], log, { ...HOST_ENV, ...extraEnv })
  }

  /** Runs a command with its output in a log file; on failure the error carries the log's tail. */
  async function run (command: string, args: string[], log: string, env: Record<string, string> = {}): Promise<void> {
    const path = join(logDir, `${log}.log`)
    const out: WriteStream = createWriteStream(path, { flags: 'a' })
    const child = spawn(command, args, { cwd: repoRoot, env: { ...cleanEnv(), ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    child.stdout.pipe(out, { end: false })
    child.stderr.pipe(out, { end: false })
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject)
      child.once('close', resolve)
    })
    await new Promise(resolve => out.end(resolve))
    if (code !== 0) throw new Error(`${command} ${args.join(' ')} exited ${code}; last output:\n${readFileSync(path, 'utf8').slice(-4000)}`)
  }

  async function runQuiet (command: string, args: string[]): Promise<number | null> {
    return await new Promise(resolve => {
      const child = spawn(command, args, { stdio: 'ignore' })
      child.once('error', () => resolve(null))
      child.once('close', resolve)
    })
  }

  function listContainers (): Container[] {
    const result = spawnSync('podman', ['ps', '-a', '--filter', `label=io.podman.compose.project=${PROJECT}`, '--format', 'json'], { encoding: 'utf8' })
    if (result.status !== 0) throw new Error(`podman ps: ${result.stderr}`)
    const listed = JSON.parse(result.stdout === '' ? '[]' : result.stdout) as Array<{ Id: string, Names: string[], Labels: Record<string, string> }>
    return listed.map(c => ({ id: c.Id, name: c.Names[0], service: c.Labels['com.docker.compose.service'] }))
  }

  function inspect (container: string, format: string): string {
    return spawnSync('podman', ['inspect', '--format', format, container], { encoding: 'utf8' }).stdout.trim()
  }

  function hostPortOf (container: string, port: number): number {
    const result = spawnSync('podman', ['port', container, `${port}/tcp`], { encoding: 'utf8' })
    const match = /:(\d+)\s*$/.exec(result.stdout.trim().split('\n')[0] ?? '')
    if (match === null) throw new Error(`podman port ${container} ${port}: ${result.stdout}${result.stderr}`)
    return Number(match[1])
  }

  function logsOf (container: string): string {
    const result = spawnSync('podman', ['logs', container], { encoding: 'utf8' })
    return `${result.stdout}${result.stderr}`
  }
})

/** The environment without this machine's GOSSIPCHAIN_* settings: the compose file and the test decide. */
function cleanEnv (): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('GOSSIPCHAIN_')))
}

async function timed (what: string, step: () => Promise<void>): Promise<void> {
  const start = Date.now()
  await step()
  console.log(`      ${what}: ${((Date.now() - start) / 1000).toFixed(1)} s`)
}

async function expectPortFree (port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const probe = createServer()
    probe.once('error', () => reject(new Error(`127.0.0.1:${port} is in use: docker-compose.yml publishes node facades on 8000-8003`)))
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve()))
  })
}
