// A private network of Linux network namespaces for replaying the compose network without Docker
// (docs/design.md §13): one namespace per host name, each with a veth into a bridge in the root namespace on a
// private /24, and /etc/netns/<ns>/hosts naming every host, so `ip netns exec` resolves /dns4/node-1
// as Docker's DNS would. The namespaces have no default route: the only addresses anything in them can
// reach are the other namespaces, the bridge and their own loopback.
//
// Needs root and iproute2. Everything created here is removed by `destroy()` (call it in after hooks);
// a process exit removes whatever a crashed run left behind.
import { execFile, execFileSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, rmSync, rmdirSync, writeFileSync } from 'node:fs'
import { promisify } from 'node:util'

const execFileAsync = promisify(execFile)
const NETNS_ETC = '/etc/netns'

export interface NamespaceHost {
  hostname: string
  /** The `ip netns` name, e.g. `gc-3fa9c1-1`. */
  namespace: string
  /** Its IPv4 address on the bridge's /24. */
  address: string
}

export interface NetnsNetwork {
  readonly bridge: string
  /** e.g. `10.213.57.0/24`; the bridge holds `.1`. */
  readonly subnet: string
  readonly hosts: NamespaceHost[]
  host: (hostname: string) => NamespaceHost
  /** Runs `command args` inside the host's namespace (`ip netns exec`); the process is killed by destroy(). */
  spawn: (hostname: string, command: string, args: string[], options?: Pick<SpawnOptions, 'cwd' | 'env'>) => ChildProcess
  /** Kills every spawned process, then deletes the namespaces, veths, bridge and /etc/netns dirs. Idempotent. */
  destroy: () => Promise<void>
}

/**
 * Why namespaces cannot be used here, or undefined when they can. Probes by creating and deleting one;
 * synchronous so that a test file can put the reason in its title when it loads.
 */
export function netnsUnavailableReason (): string | undefined {
  if (process.platform !== 'linux') return `network namespaces need Linux, this is ${process.platform}`
  if (process.getuid?.() !== 0) return 'network namespaces need root (ip netns add)'
  try {
    execFileSync('ip', ['-V'], { stdio: 'ignore' })
  } catch {
    return 'the ip command (iproute2) is not installed'
  }
  const probe = `gc-probe-${randomBytes(3).toString('hex')}`
  try {
    for (const args of [
      ['netns', 'add', probe],
      ['-n', probe, 'link', 'add', 'gcprobe0', 'type', 'veth', 'peer', 'name', 'gcprobe1'],
      ['netns', 'exec', probe, 'true']
    ]) {
      try {
        execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 10_000 })
      } catch (error) {
        const stderr = String((error as { stderr?: unknown }).stderr ?? '').trim().split('\n')[0]
        return `ip netns is unavailable here: ip ${args.join(' ')}: ${stderr !== '' ? stderr : (error as Error).message}`
      }
    }
    return undefined
  } finally {
    try { execFileSync('ip', ['netns', 'del', probe], { stdio: 'ignore' }) } catch {}
  }
}

/** Creates one namespace per host name (at most 200) on a fresh bridge; cleans up after itself if it fails. */
export async function createNetnsNetwork (hostnames: string[]): Promise<NetnsNetwork> {
  if (!Array.isArray(hostnames) || hostnames.length === 0 || hostnames.length > 200 ||
      !hostnames.every(name => typeof name === 'string' && /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i.test(name))) {
    throw new TypeError('createNetnsNetwork: "hostnames" must be 1 to 200 DNS labels')
  }
  if (new Set(hostnames).size !== hostnames.length) throw new TypeError('createNetnsNetwork: "hostnames" has duplicates')
  const id = randomBytes(3).toString('hex')
  const network = new NamespaceNetwork(id, await pickFreeSubnet(), hostnames)
  live.add(network)
  try {
    await network.create()
  } catch (error) {
    await network.destroy().catch(() => {})
    throw error
  }
  return network
}

class NamespaceNetwork implements NetnsNetwork {
  readonly bridge: string
  readonly subnet: string
  readonly hosts: NamespaceHost[]
  private readonly prefix: string
  private readonly processes = new Set<ChildProcess>()
  private readonly createdNetnsEtc: boolean
  private destroyed = false

  constructor (private readonly id: string, subnetPrefix: string, hostnames: string[]) {
    // Interface names are limited to 15 characters: gc<6 hex>br, gc<6 hex>h<n>, gc<6 hex>n<n>.
    this.bridge = `gc${id}br`
    this.prefix = subnetPrefix
    this.subnet = `${subnetPrefix}.0/24`
    this.hosts = hostnames.map((hostname, i) => ({ hostname, namespace: `gc-${id}-${i + 1}`, address: `${subnetPrefix}.${i + 11}` }))
    this.createdNetnsEtc = !existsSync(NETNS_ETC)
  }

  host (hostname: string): NamespaceHost {
    const found = this.hosts.find(h => h.hostname === hostname)
    if (found === undefined) throw new Error(`no namespace for host ${hostname} (have ${this.hosts.map(h => h.hostname).join(', ')})`)
    return found
  }

  async create (): Promise<void> {
    await ip(['link', 'add', this.bridge, 'type', 'bridge'])
    await ip(['addr', 'add', `${this.prefix}.1/24`, 'dev', this.bridge])
    await ip(['link', 'set', this.bridge, 'up'])
    const hostsFile = [
      `# ${this.subnet}, written by test/helpers/netns.ts; removed with the namespaces`,
      '127.0.0.1 localhost',
      '::1 localhost ip6-localhost ip6-loopback',
      ...this.hosts.map(h => `${h.address} ${h.hostname}`)
    ].join('\n') + '\n'
    for (const [i, h] of this.hosts.entries()) {
      const outside = this.vethOutside(i)
      const inside = `gc${this.id}n${i + 1}`
      mkdirSync(`${NETNS_ETC}/${h.namespace}`, { recursive: true })
      writeFileSync(`${NETNS_ETC}/${h.namespace}/hosts`, hostsFile)
      // No name server: names come from the hosts file and nothing is asked outside the network.
      writeFileSync(`${NETNS_ETC}/${h.namespace}/resolv.conf`, '# no name server inside the test network\n')
      await ip(['netns', 'add', h.namespace])
      await ip(['link', 'add', outside, 'type', 'veth', 'peer', 'name', inside])
      await ip(['link', 'set', inside, 'netns', h.namespace])
      await ip(['link', 'set', outside, 'master', this.bridge])
      await ip(['link', 'set', outside, 'up'])
      await ip(['-n', h.namespace, 'link', 'set', 'lo', 'up'])
      await ip(['-n', h.namespace, 'addr', 'add', `${h.address}/24`, 'dev', inside])
      await ip(['-n', h.namespace, 'link', 'set', inside, 'up'])
    }
  }

  spawn (hostname: string, command: string, args: string[], options: Pick<SpawnOptions, 'cwd' | 'env'> = {}): ChildProcess {
    if (this.destroyed) throw new Error('spawn: the namespace network was destroyed')
    const { namespace } = this.host(hostname)
    // `ip netns exec` execs the command in place: the child's pid is the command's own.
    const child = spawn('ip', ['netns', 'exec', namespace, command, ...args], { ...options, stdio: ['ignore', 'pipe', 'pipe'] })
    this.processes.add(child)
    child.once('exit', () => this.processes.delete(child))
    return child
  }

  async destroy (): Promise<void> {
    this.destroyed = true
    await Promise.all([...this.processes].map(async child => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise(resolve => child.once('exit', resolve))
        child.kill('SIGKILL')
        await exited
      }
    }))
    const failures: string[] = []
    for (const [i, h] of this.hosts.entries()) {
      await ip(['netns', 'del', h.namespace]).catch(noteUnlessGone(failures))
      // Deleting the namespace deletes the pair; this catches a veth that never moved into it.
      await ip(['link', 'del', this.vethOutside(i)]).catch(noteUnlessGone(failures))
      rmSync(`${NETNS_ETC}/${h.namespace}`, { recursive: true, force: true })
    }
    await ip(['link', 'del', this.bridge]).catch(noteUnlessGone(failures))
    if (this.createdNetnsEtc) removeIfEmpty(NETNS_ETC)
    live.delete(this)
    if (failures.length > 0) throw new Error(`netns cleanup: ${failures.join('; ')}`)
  }

  /** Synchronous last resort for a process that exits before destroy() ran. */
  destroySync (): void {
    for (const child of this.processes) child.kill('SIGKILL')
    for (const [i, h] of this.hosts.entries()) {
      for (const args of [['netns', 'del', h.namespace], ['link', 'del', this.vethOutside(i)]]) {
        try { execFileSync('ip', args, { stdio: 'ignore' }) } catch {}
      }
      rmSync(`${NETNS_ETC}/${h.namespace}`, { recursive: true, force: true })
    }
    try { execFileSync('ip', ['link', 'del', this.bridge], { stdio: 'ignore' }) } catch {}
    if (this.createdNetnsEtc) removeIfEmpty(NETNS_ETC)
  }

  private vethOutside (i: number): string {
    return `gc${this.id}h${i + 1}`
  }
}

const live = new Set<NamespaceNetwork>()
const destroyLive = (): void => {
  for (const network of live) {
    network.destroySync()
    live.delete(network)
  }
}
process.on('exit', destroyLive)
// Ctrl-C or a CI timeout ends the run without 'exit': clean up, then let the signal do what it would have.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  const onSignal = (): void => {
    destroyLive()
    process.removeListener(signal, onSignal)
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal)
  }
  process.on(signal, onSignal)
}

async function ip (args: string[]): Promise<string> {
  try {
    const { stdout } = await execFileAsync('ip', args, { timeout: 10_000 })
    return stdout
  } catch (error) {
    const stderr = String((error as { stderr?: unknown }).stderr ?? '').trim()
    throw new Error(`ip ${args.join(' ')}: ${stderr !== '' ? stderr : (error as Error).message}`)
  }
}

function noteUnlessGone (failures: string[]): (error: Error) => void {
  return (error) => {
    if (!/Cannot find device|No such file|does not exist|Cannot open network namespace/i.test(error.message)) failures.push(error.message)
  }
}

function removeIfEmpty (dir: string): void {
  try { rmdirSync(dir) } catch {}
}

// Private ranges (RFC 1918) tried in turn; a random /24 inside keeps parallel runs apart.
const PRIVATE_BASES = ['10.213', '172.30', '192.168']

/** A private /24 (e.g. 10.213.57) that no address or route of the root namespace overlaps. */
async function pickFreeSubnet (): Promise<string> {
  const taken: Array<{ network: number, bits: number }> = []
  const routes = JSON.parse(await ip(['-j', '-4', 'route', 'show', 'table', 'all'])) as Array<{ dst?: string }>
  for (const route of routes) {
    if (route.dst === undefined || route.dst === 'default') continue
    const [address, bits = '32'] = route.dst.split('/')
    if (/^\d+\.\d+\.\d+\.\d+$/.test(address)) taken.push({ network: ipv4ToInt(address), bits: Number(bits) })
  }
  const addrs = JSON.parse(await ip(['-j', '-4', 'addr', 'show'])) as Array<{ addr_info?: Array<{ local?: string }> }>
  for (const link of addrs) {
    for (const info of link.addr_info ?? []) if (info.local !== undefined) taken.push({ network: ipv4ToInt(info.local), bits: 32 })
  }
  const overlaps = (candidate: number): boolean => taken.some(({ network, bits }) => {
    const common = Math.min(bits, 24)
    const mask = common === 0 ? 0 : (~0 << (32 - common)) >>> 0
    return ((network & mask) >>> 0) === ((candidate & mask) >>> 0)
  })
  for (const base of PRIVATE_BASES) {
    for (let attempt = 0; attempt < 32; attempt++) {
      const prefix = `${base}.${randomBytes(1)[0]}`
      if (!overlaps(ipv4ToInt(`${prefix}.0`))) return prefix
    }
  }
  throw new Error(`no free /24 in ${PRIVATE_BASES.map(base => `${base}.0.0/16`).join(', ')} for the test network`)
}

function ipv4ToInt (address: string): number {
  return address.split('.').reduce((sum, part) => ((sum << 8) >>> 0) + Number(part), 0) >>> 0
}
