// `docker compose up` runs a 4-node network from docker-compose.yml and config/ (docs/design.md §13). This file
// checks the Dockerfile, .dockerignore and docker-compose.yml statically and through `docker-compose config`
// (Debian's v1, installed by .ci/run); test/compose-netns.test.ts runs the same command lines and configs
// as processes, and test/compose-podman.test.ts (`npm run test:compose`) runs the file under podman-compose.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { join } from 'node:path'
import { expect } from 'chai'
import { main, type CliContext } from '../src/cli.js'
import { loadConfig, type NodeConfig } from '../src/config.js'
import {
  containerArgv, dependsOn, execForm, healthcheckShell, IMAGE_ENTRYPOINT, isExcludedFromContext, lastInstruction,
  parseComposeYaml, parseDockerignore, parseHealthcheck, portMappings, readComposeFile, readDockerfile, replicaCount,
  repoRoot, serviceEnvironment, sourceArgv, stageEnvironment, startedServices, startOrder, type ComposeFile,
  type ComposeService
} from './helpers/compose-files.js'

const NODES = ['node-1', 'node-2', 'node-3', 'node-4']
/** The scalable service: `docker compose up --scale peer=N` (or GOSSIPCHAIN_PEERS=N); none by default. */
const PEER = 'peer'
/** Every service that runs a gossipchain node. */
const NODE_SERVICES = [...NODES, PEER]
const MONITORING = ['prometheus', 'grafana']
const composePath = join(repoRoot, 'docker-compose.yml')

/** The config file a service starts with (`start --config <file>`), loaded with no env: the file alone. */
function serviceConfigFile (compose: ComposeFile, name: string): { path: string, config: NodeConfig } {
  const argv = containerArgv(compose, readDockerfile(), name)
  const at = argv.indexOf('--config')
  if (at < 0) throw new Error(`service ${name} runs no --config file: ${argv.join(' ')}`)
  const path = argv[at + 1]
  return { path, config: loadConfig({ file: join(repoRoot, path), env: {} }) }
}

/** The p2p host and port of a `/dns4/<host>/tcp/<port>` address (the compose form: a service name). */
function dnsTarget (address: string): { host: string, port: number } | undefined {
  const match = /^\/dns4?\/([^/]+)\/tcp\/(\d+)$/.exec(address)
  return match === null ? undefined : { host: match[1], port: Number(match[2]) }
}

describe('Dockerfile (docs/design.md §13)', () => {
  const stages = readDockerfile()
  const runtime = stages[stages.length - 1]
  const build = stages[0]

  it('builds on node:20-bookworm-slim: npm ci, npm run build, then the dev dependencies are pruned', () => {
    expect(stages.map(stage => stage.image)).to.deep.equal(['node:20-bookworm-slim', 'node:20-bookworm-slim'])
    const runs = build.instructions.filter(i => i.keyword === 'RUN').map(i => i.args).join(' && ')
    const ci = runs.indexOf('npm ci')
    const compile = runs.indexOf('npm run build')
    const prune = runs.search(/npm prune --omit=dev/)
    expect(ci, 'npm ci').to.be.at.least(0)
    expect(compile, 'npm run build after npm ci').to.be.greaterThan(ci)
    expect(prune, 'npm prune --omit=dev after the build').to.be.greaterThan(compile)
    // The runtime stage takes the pruned node_modules and the compiled dist/ from the build stage.
    const copies = runtime.instructions.filter(i => i.keyword === 'COPY').map(i => i.args)
    expect(copies).to.include(`--from=${build.name} /app/node_modules ./node_modules`)
    expect(copies).to.include(`--from=${build.name} /app/dist ./dist`)
    expect(runtime.instructions.some(i => i.keyword === 'RUN' && /npm (ci|install)/.test(i.args)), 'no install in the runtime stage').to.equal(false)
  })

  it('runs as a non-root user, with its data in the /data volume', () => {
    const user = lastInstruction(runtime, 'USER')?.args
    expect(user, 'USER').to.be.a('string')
    expect(['root', '0'], 'USER').not.to.include(user?.split(':')[0])
    expect(execForm(lastInstruction(runtime, 'VOLUME')!)).to.deep.equal(['/data'])
    expect(stageEnvironment(runtime).GOSSIPCHAIN_DATA_DIR).to.equal('/data')
    // A fresh named volume copies the owner of the image's /data: it must be the user that writes it.
    const chown = runtime.instructions.find(i => i.keyword === 'RUN' && /chown\s+(\S+)\s+\/data\b/.test(i.args))
    expect(chown?.args, 'RUN chown <user> /data').to.match(new RegExp(`chown ${user}(:${user})? /data`))
  })

  it('ENTRYPOINT ["node", "bin/gossipchain.js"] and CMD ["start"], in exec form (node is PID 1 and gets SIGTERM)', () => {
    expect(execForm(lastInstruction(runtime, 'ENTRYPOINT')!)).to.deep.equal(IMAGE_ENTRYPOINT)
    expect(execForm(lastInstruction(runtime, 'CMD')!)).to.deep.equal(['start'])
    expect(lastInstruction(runtime, 'WORKDIR')?.args).to.equal('/app')
    // What the entry point needs at run time is in the image.
    const copied = runtime.instructions.filter(i => i.keyword === 'COPY').map(i => i.args.split(/\s+/).at(-1))
    for (const needed of ['./bin', './config', './dist', './node_modules', './']) expect(copied).to.include(needed)
  })

  describe('HEALTHCHECK: node fetches /health (the slim image has no curl)', () => {
    let server: Server | undefined
    let status = 200
    let port = 0
    before(async () => {
      server = createServer((req, res) => {
        res.writeHead(req.url === '/health' ? status : 404, { 'content-type': 'application/json' })
        res.end('{"status":"ok"}')
      })
      await new Promise<void>(resolve => server!.listen(0, '127.0.0.1', resolve))
      port = (server.address() as { port: number }).port
    })
    after(async () => { await new Promise(resolve => server?.close(resolve)) })

    const healthcheck = (): string[] => {
      const { command, options } = parseHealthcheck(lastInstruction(runtime, 'HEALTHCHECK')!)
      expect(Object.keys(options)).to.include.members(['interval', 'timeout', 'start-period', 'retries'])
      expect(command[0]).to.equal('node')
      return command
    }
    // The image's check follows GOSSIPCHAIN_HTTP_PORT (compose overrides it per service instead). Run
    // asynchronously: the server answering it lives in this process.
    const run = async (env: Record<string, string>): Promise<number | null> => await new Promise((resolve, reject) => {
      const child = spawn(process.execPath, healthcheck().slice(1), { env: { PATH: process.env.PATH, ...env }, stdio: 'ignore', timeout: 10_000 })
      child.once('error', reject)
      child.once('exit', code => resolve(code))
    })

    it('exits 0 while /health answers 200', async () => {
      status = 200
      expect(await run({ GOSSIPCHAIN_HTTP_PORT: String(port) })).to.equal(0)
    })
    it('exits 1 when /health answers an error', async () => {
      status = 503
      expect(await run({ GOSSIPCHAIN_HTTP_PORT: String(port) })).to.equal(1)
    })
    it('exits 1 when nothing listens', async () => {
      const closed = await new Promise<number>(resolve => {
        const probe = createServer().listen(0, '127.0.0.1', () => {
          const { port: free } = probe.address() as { port: number }
          probe.close(() => resolve(free))
        })
      })
      expect(await run({ GOSSIPCHAIN_HTTP_PORT: String(closed) })).to.equal(1)
    })
  })
})

describe('.dockerignore', () => {
  const patterns = parseDockerignore(readFileSync(join(repoRoot, '.dockerignore'), 'utf8'))

  it('keeps node_modules, dist, data, .git and .env files out of the build context', () => {
    for (const path of ['node_modules/libp2p/package.json', 'dist/cli.js', 'data/node-1/peer.key', '.git/HEAD', '.env',
      'src/node_modules/x.js', 'config/data/x', 'test/network.test.ts']) {
      expect(isExcludedFromContext(path, patterns), path).to.equal(true)
    }
  })

  it('lets in every file the Dockerfile copies from the context', () => {
    const sources = readDockerfile().flatMap(stage => stage.instructions)
      .filter(i => i.keyword === 'COPY' && !/--from=/.test(i.args))
      .flatMap(i => i.args.split(/\s+/).filter(part => !part.startsWith('--')).slice(0, -1))
    expect(sources).to.include.members(['package.json', 'package-lock.json', 'tsconfig.json', 'src', 'bin', 'config'])
    for (const source of sources) {
      expect(existsSync(join(repoRoot, source)), `${source} exists`).to.equal(true)
      expect(isExcludedFromContext(source, patterns), `${source} is in the context`).to.equal(false)
    }
    for (const path of ['src/cli.ts', 'src/core/block.ts', 'bin/gossipchain.js', 'config/node-1.json']) {
      expect(isExcludedFromContext(path, patterns), path).to.equal(false)
    }
  })
})

describe('docker-compose.yml (docs/design.md §13)', () => {
  const compose = readComposeFile()

  it('services: node-1..4 and the scalable peer (config/<name>.json each), prometheus and grafana in the monitoring profile', () => {
    expect(Object.keys(compose.services)).to.deep.equal([...NODES, PEER, ...MONITORING])
    for (const name of NODE_SERVICES) {
      const argv = containerArgv(compose, readDockerfile(), name)
      expect(argv, name).to.deep.equal([...IMAGE_ENTRYPOINT, 'start', '--config', `config/${name}.json`])
      expect(compose.services[name].command, name).to.deep.equal(['start', '--config', `config/${name}.json`])
      expect(sourceArgv(argv).slice(1), name).to.deep.equal(['--import', 'tsx', join(repoRoot, 'src', 'cli.ts'), 'start', '--config', `config/${name}.json`])
      expect(compose.services[name].profiles, `${name} starts without a profile`).to.equal(undefined)
      expect(compose.services[name].image, name).to.equal('gossipchain:local')
    }
    for (const name of MONITORING) expect(compose.services[name].profiles, name).to.deep.equal(['monitoring'])
  })

  it('`up` starts the four nodes; `up` with GOSSIPCHAIN_PEERS=N adds N peers; --profile monitoring adds prometheus and grafana', () => {
    expect(startedServices(compose, {})).to.deep.equal(NODES)
    expect(replicaCount(compose.services[PEER], {})).to.equal(0)
    expect(replicaCount(compose.services[PEER], { GOSSIPCHAIN_PEERS: '3' })).to.equal(3)
    expect(startedServices(compose, { GOSSIPCHAIN_PEERS: '2' })).to.deep.equal([...NODES, PEER])
    expect(startedServices(compose, {}, ['monitoring'])).to.deep.equal([...NODES, ...MONITORING])
    expect(() => replicaCount(compose.services[PEER], { GOSSIPCHAIN_PEERS: 'many' })).to.throw(/non-negative integer/)
  })

  it('the only environment: GOSSIPCHAIN_DATA_DIR=/data and GOSSIPCHAIN_API_TOKEN passed through from the host (no interpolation)', () => {
    for (const name of NODE_SERVICES) {
      // Valueless: Compose and podman take it from the host when set. `${GOSSIPCHAIN_API_TOKEN:-}` would
      // reach the container verbatim under podman-compose 1.0.3 (no empty defaults there).
      expect(compose.services[name].environment, name).to.deep.equal(['GOSSIPCHAIN_DATA_DIR=/data', 'GOSSIPCHAIN_API_TOKEN'])
      expect(serviceEnvironment(compose.services[name], {}).GOSSIPCHAIN_API_TOKEN).to.equal('')
      expect(serviceEnvironment(compose.services[name], { GOSSIPCHAIN_API_TOKEN: 's3cret' }).GOSSIPCHAIN_API_TOKEN).to.equal('s3cret')
    }
  })

  it("each node publishes its config's httpPort on 127.0.0.1 only (peers on any free port), keeps p2p unpublished and health-checks that port", () => {
    for (const name of NODE_SERVICES) {
      const service = compose.services[name]
      const { config, path } = serviceConfigFile(compose, name)
      expect(config.httpHost, `${path}: the facade must listen beyond the container's loopback`).to.equal('0.0.0.0')
      const published = name === PEER ? undefined : config.httpPort
      expect(portMappings(service), name).to.deep.equal([{ hostIp: '127.0.0.1', published, target: config.httpPort, protocol: 'tcp' }])
      expect(service.network_mode, name).to.equal(undefined)
      // A string, not a list: podman-compose 1.0.3 consumes a list-form test on the first replica of a
      // service, and the second one then fails to start.
      expect(service.healthcheck?.test, `${name} healthcheck`).to.be.a('string')
      const command = healthcheckShell(service, name)
      expect(command, `${name} healthcheck`).to.match(/^node -e "[^"]+"$/)
      expect(command, `${name} healthcheck`).to.include(`'http://127.0.0.1:${config.httpPort}/health'`)
      expect(service.healthcheck?.interval, `${name} healthcheck interval`).to.match(/^\d+s$/)
    }
    const published = NODES.map(name => portMappings(compose.services[name])[0].published)
    expect(published).to.deep.equal([8000, 8001, 8002, 8003])
  })

  it('each named node keeps its data in its own named volume at /data; peers in the image\'s anonymous /data volume', () => {
    const volumes = NODES.map(name => compose.services[name].volumes)
    expect(volumes).to.deep.equal(NODES.map(name => [`${name}-data:/data`]))
    expect(compose.services[PEER].volumes).to.equal(undefined)
    expect(Object.keys(compose.volumes ?? {})).to.deep.equal([...NODES.map(name => `${name}-data`), 'prometheus-data', 'grafana-data'])
  })

  it('bootstrap and announce addresses name compose services at their p2p ports; depends_on waits for the bootstrap peers to be healthy', () => {
    const p2pPorts = Object.fromEntries(NODES.map(name => [name, serviceConfigFile(compose, name).config.p2pPort]))
    for (const name of NODE_SERVICES) {
      const { config, path } = serviceConfigFile(compose, name)
      // A peer replica announces the addresses it listens on (its container's): there are many of it.
      expect(config.announce, `${path} announce`).to.deep.equal(name === PEER ? [] : [`/dns4/${name}/tcp/${config.p2pPort}`])
      expect(config.p2pHost, `${path} p2pHost`).to.equal('0.0.0.0')
      const targets = config.bootstrap.map(address => {
        const target = dnsTarget(address)
        if (target === undefined) throw new Error(`${path}: bootstrap ${address} is not /dns4/<service>/tcp/<port>`)
        expect(NODES, `${path}: bootstrap ${address} names a node service`).to.include(target.host)
        expect(target.port, `${path}: bootstrap ${address} is that service's p2pPort`).to.equal(p2pPorts[target.host])
        return target.host
      })
      const deps = dependsOn(compose.services[name])
      expect(deps, `${name} depends_on`).to.deep.equal(Object.fromEntries(targets.map(host => [host, 'service_healthy'])))
    }
    const bootstrapOf = (name: string): string[] => serviceConfigFile(compose, name).config.bootstrap
    expect(bootstrapOf('node-1')).to.deep.equal([])
    expect(bootstrapOf('node-2')).to.deep.equal(['/dns4/node-1/tcp/9000'])
    expect(bootstrapOf('node-3')).to.deep.equal(['/dns4/node-1/tcp/9000', '/dns4/node-2/tcp/9001'])
    // node-4 is two hops from the miner: what it gets, it gets relayed.
    expect(bootstrapOf('node-4')).to.deep.equal(['/dns4/node-2/tcp/9001', '/dns4/node-3/tcp/9002'])
    expect(bootstrapOf(PEER)).to.deep.equal(NODES.map(name => `/dns4/${name}/tcp/${p2pPorts[name]}`))
    expect(startOrder(compose)).to.deep.equal([...NODE_SERVICES, ...MONITORING])
  })

  it('only node-1 mines (every 10 s); all nodes are on one network', () => {
    const configs = NODE_SERVICES.map(name => serviceConfigFile(compose, name).config)
    expect(configs.map(config => config.mineInterval)).to.deep.equal([10_000, 0, 0, 0, 0])
    expect(new Set(configs.map(config => JSON.stringify(config.network))).size).to.equal(1)
  })

  it('the config each container ends up with (`gossipchain config show` with the image and service env): data in /data, token only when set', async () => {
    const runtime = readDockerfile().at(-1)!
    for (const name of NODE_SERVICES) {
      const argv = containerArgv(compose, readDockerfile(), name)
      expect(argv[2]).to.equal('start')
      // WORKDIR /app is the repository root: its relative --config path is the same file here.
      const args = argv.slice(3).map((arg, i, all) => all[i - 1] === '--config' ? join(repoRoot, arg) : arg)
      for (const [hostEnv, token] of [[{}, undefined], [{ GOSSIPCHAIN_API_TOKEN: '' }, undefined], [{ GOSSIPCHAIN_API_TOKEN: 's3cret' }, '(set, hidden)']] as const) {
        const env = { ...stageEnvironment(runtime), ...serviceEnvironment(compose.services[name], hostEnv) }
        const effective = await configShow(args, env)
        const fromFile = serviceConfigFile(compose, name).config
        expect(effective.dataDir, name).to.equal('/data')
        expect(effective.apiToken, `${name} with host env ${JSON.stringify(hostEnv)}`).to.equal(token)
        // Everything else is the config file's.
        const { dataDir: _dataDir, apiToken: _apiToken, ...rest } = effective
        const { dataDir: _fileDataDir, apiToken: _fileToken, ...restOfFile } = fromFile
        expect(rest, name).to.deep.equal(JSON.parse(JSON.stringify(restOfFile)))
      }
    }
  })

  it('the YAML parser resolves anchors and << merge keys as Compose does (a key of the service itself wins)', () => {
    const parsed = parseComposeYaml('x: &base\n  image: a\n  command: ["start"]\nservices:\n  s:\n    <<: *base\n    command: ["other"]\n')
    expect(parsed.services.s).to.deep.equal({ image: 'a', command: ['other'] })
  })

  it('port specs: host ip, empty (any free) host port, protocol', () => {
    expect(portMappings({ ports: ['127.0.0.1::8000', '8001:8001/udp', '9000'] })).to.deep.equal([
      { hostIp: '127.0.0.1', published: undefined, target: 8000, protocol: 'tcp' },
      { hostIp: undefined, published: 8001, target: 8001, protocol: 'udp' },
      { hostIp: undefined, published: undefined, target: 9000, protocol: 'tcp' }
    ])
  })
})

const dockerCompose = findDockerCompose()
const composeTitle = 'docker-compose config (Compose v1, as installed by .ci/run)'

describe(dockerCompose === undefined
  ? `${composeTitle} - skipped: docker-compose is not installed (apt-get install docker-compose)`
  : `${composeTitle}: ${dockerCompose.version}`, function () {
  this.timeout(30_000)
  before(function () {
    if (dockerCompose === undefined) this.skip()
  })

  it('accepts docker-compose.yml (docker-compose -f docker-compose.yml config -q), with and without the monitoring profile', () => {
    for (const args of [['config', '-q'], ['--profile', 'monitoring', 'config', '-q']]) {
      const result = runDockerCompose(['-f', composePath, ...args], {})
      expect(result.status, result.stderr).to.equal(0)
      expect(result.stdout).to.equal('')
    }
  })

  it('its parsed services match the configs: commands, ports, env, volumes, healthchecks, replicas', () => {
    for (const token of [undefined, 's3cret']) {
      const hostEnv: Record<string, string> = token === undefined ? {} : { GOSSIPCHAIN_API_TOKEN: token, GOSSIPCHAIN_PEERS: '3' }
      const result = runDockerCompose(['-f', composePath, 'config'], hostEnv)
      expect(result.status, result.stderr).to.equal(0)
      const resolved = parseComposeYaml(result.stdout)
      for (const name of NODE_SERVICES) {
        const service: ComposeService = resolved.services[name]
        const { config } = serviceConfigFile(readComposeFile(), name)
        expect(service.command, name).to.deep.equal(['start', '--config', `config/${name}.json`])
        expect(service.entrypoint, name).to.equal(undefined)
        expect(service.environment, name).to.deep.equal({ GOSSIPCHAIN_API_TOKEN: token ?? null, GOSSIPCHAIN_DATA_DIR: '/data' })
        expect(portMappings(service), name).to.deep.equal([{ hostIp: '127.0.0.1', published: name === PEER ? undefined : config.httpPort, target: config.httpPort, protocol: 'tcp' }])
        expect(service.volumes?.map(String).map(volume => volume.replace(/:rw$/, '')), name).to.deep.equal(name === PEER ? undefined : [`${name}-data:/data`])
        expect(healthcheckShell(service, name), name).to.include(`:${config.httpPort}/health`)
        expect(service.image, name).to.equal('gossipchain:local')
        expect(typeof service.build === 'object' ? service.build.context : service.build, name).to.equal(repoRoot)
      }
      // Interpolated and cast to a number, as Compose does for deploy.replicas.
      expect(resolved.services[PEER].deploy?.replicas).to.equal(token === undefined ? 0 : 3)
      expect(dependsOn(resolved.services['node-2'])).to.deep.equal({ 'node-1': 'service_healthy' })
      expect(dependsOn(resolved.services['node-4'])).to.deep.equal({ 'node-2': 'service_healthy', 'node-3': 'service_healthy' })
    }
  })

  it('mounts the Prometheus config and the Grafana provisioning and dashboards from monitoring/, read-only', () => {
    const result = runDockerCompose(['-f', composePath, '--profile', 'monitoring', 'config'], {})
    expect(result.status, result.stderr).to.equal(0)
    const resolved = parseComposeYaml(result.stdout)
    const binds = (name: string): string[] => (resolved.services[name].volumes ?? []).map(String)
    expect(binds('prometheus')).to.include(`${join(repoRoot, 'monitoring/prometheus/prometheus.yml')}:/etc/prometheus/prometheus.yml:ro`)
    expect(binds('grafana')).to.include.members([
      `${join(repoRoot, 'monitoring/grafana/provisioning')}:/etc/grafana/provisioning:ro`,
      `${join(repoRoot, 'monitoring/grafana/dashboards')}:/etc/grafana/dashboards:ro`
    ])
  })
})

function findDockerCompose (): { version: string } | undefined {
  const result = spawnSync('docker-compose', ['version', '--short'], { encoding: 'utf8', timeout: 20_000 })
  if (result.status !== 0) return undefined
  return { version: `docker-compose ${result.stdout.trim()}` }
}

function runDockerCompose (args: string[], hostEnv: Record<string, string>): { status: number | null, stdout: string, stderr: string } {
  // Only the variables under test: none of this machine's GOSSIPCHAIN_* or COMPOSE_* settings.
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(GOSSIPCHAIN|COMPOSE)_/.test(key)))
  const result = spawnSync('docker-compose', args, { cwd: repoRoot, env: { ...env, ...hostEnv }, encoding: 'utf8', timeout: 20_000 })
  return { status: result.status, stdout: result.stdout, stderr: result.stderr }
}

/** `gossipchain config show ARGS` in-process, with `env` as the whole environment; returns the printed config. */
async function configShow (args: string[], env: Record<string, string>): Promise<NodeConfig> {
  let stdout = ''
  let stderr = ''
  const context: CliContext = {
    env,
    stdout: text => { stdout += text },
    stderr: text => { stderr += text },
    nowMs: () => 0,
    randomBytes: () => { throw new Error('config show needs no randomness') },
    promptHidden: undefined
  }
  const code = await main(['node', 'gossipchain', 'config', 'show', ...args], context)
  if (code !== 0) throw new Error(`gossipchain config show ${args.join(' ')} exited ${code}: ${stderr}`)
  return JSON.parse(stdout) as NodeConfig
}
