// One `gossipchain start` in a child process on 127.0.0.1 (tests, benchmarks, devnets). Every process
// started here is tracked until it exits; stopAll()/killAll() end them, and so do the process's exit
// and SIGINT/SIGTERM (hooks installed with the first start), so none is ever left behind. If this
// process dies without running any hook (SIGKILL), each child notices that its parent is gone and stops
// itself (GOSSIPCHAIN_EXIT_WITH_PARENT, src/cli/start.ts).
import { spawn, type ChildProcess } from 'node:child_process'
import { rmSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { EXIT_WITH_PARENT_ENV } from '../config.js'
import { compiledCli, PACKAGE_ROOT, SOURCE_CLI } from './compiled.js'
import { freePort } from './ports.js'
import { waitFor } from './wait.js'

export interface StartOptions {
  /** Default: a fresh temp dir, removed by removeData()/killAll({removeData: true}). */
  dataDir?: string
  /** Default: a free port. */
  httpPort?: number
  p2pPort?: number
  /** Multiaddrs to dial and keep dialing (with or without /p2p/<id>). */
  bootstrap?: string[]
  /** Difficulty; default 8 (fast blocks). */
  bits?: number
  /** Auto-mining interval in ms; default 0 (off). */
  mineInterval?: number
  apiToken?: string
  /** NDJSON event trace file (--trace). */
  trace?: string
  /** More `gossipchain start` flags, appended last (so they win). */
  extraArgs?: string[]
  /** Node.js flags before the entry script (e.g. `--cpu-prof`, which NODE_OPTIONS refuses). */
  nodeArgs?: string[]
  /** Extra environment (GOSSIPCHAIN_* of the caller are not passed on, so the flags above decide). */
  env?: Record<string, string>
  /** 'compiled' (default): dist/cli.js, rebuilt first when src/ changed; 'source': src/cli.ts through tsx. */
  runtime?: 'compiled' | 'source'
  /** Serve the facade over HTTPS with this certificate and key (files). */
  tls?: { certPath: string, keyPath: string }
  /** How long the node may take to serve its facade; default 60 s. */
  readyTimeoutMs?: number
}

/** How much of a node's output is kept (the latest), for error messages and tests. */
const OUTPUT_LIMIT = 64 * 1024
const STOP_GRACE_MS = 10_000

const running = new Set<NodeProcess>()
const ownedDirs = new Set<string>()

export class NodeProcess {
  /** Facade URL, e.g. http://127.0.0.1:41234 (https with `tls`). */
  readonly url: string
  readonly dataDir: string
  readonly httpPort: number
  readonly p2pPort: number
  /** Known once the node has started. */
  peerId = ''
  private out = ''
  private readonly exited: Promise<number | null>

  private constructor (readonly child: ChildProcess, readonly opts: StartOptions & { dataDir: string, httpPort: number, p2pPort: number }) {
    this.url = `${opts.tls === undefined ? 'http' : 'https'}://127.0.0.1:${opts.httpPort}`
    this.dataDir = opts.dataDir
    this.httpPort = opts.httpPort
    this.p2pPort = opts.p2pPort
    const keep = (chunk: Buffer): void => {
      this.out += chunk.toString()
      if (this.out.length > OUTPUT_LIMIT * 2) this.out = this.out.slice(-OUTPUT_LIMIT)
    }
    child.stdout?.on('data', keep)
    child.stderr?.on('data', keep)
    this.exited = new Promise(resolve => child.once('exit', code => { running.delete(this); resolve(code) }))
  }

  /** The latest output (stdout and stderr), at most 64-128 KiB. */
  get output (): string {
    return this.out
  }

  get pid (): number | undefined {
    return this.child.pid
  }

  get running (): boolean {
    return this.child.exitCode === null && this.child.signalCode === null
  }

  /** Its p2p address with peer id, for --bootstrap and dials. */
  get multiaddr (): string {
    return `/ip4/127.0.0.1/tcp/${this.p2pPort}/p2p/${this.peerId}`
  }

  /** Spawn `gossipchain start` and resolve once its facade serves; on failure the process is killed. */
  static async start (options: StartOptions = {}): Promise<NodeProcess> {
    const entry = options.runtime === 'source' ? ['--import', 'tsx', SOURCE_CLI] : [await compiledCli()]
    let dataDir = options.dataDir
    if (dataDir === undefined) {
      dataDir = await mkdtemp(join(tmpdir(), 'gossipchain-node-'))
      registerTempDir(dataDir)
    }
    const httpPort = options.httpPort ?? await freePort()
    const p2pPort = options.p2pPort ?? await freePort()
    const args = [...(options.nodeArgs ?? []), ...entry, 'start',
      '--data-dir', dataDir, '--http-host', '127.0.0.1', '--http-port', String(httpPort),
      '--p2p-host', '127.0.0.1', '--p2p-port', String(p2pPort), '--bits', String(options.bits ?? 8),
      '--mine-interval', String(options.mineInterval ?? 0)]
    for (const b of options.bootstrap ?? []) args.push('--bootstrap', b)
    if (options.apiToken !== undefined) args.push('--api-token', options.apiToken)
    if (options.trace !== undefined) args.push('--trace', options.trace)
    if (options.tls !== undefined) args.push('--tls-cert', options.tls.certPath, '--tls-key', options.tls.keyPath)
    args.push(...(options.extraArgs ?? []))
    installExitHooks()
    const child = spawn(process.execPath, args, {
      cwd: PACKAGE_ROOT,
      env: { ...withoutGossipchainEnv(process.env), [EXIT_WITH_PARENT_ENV]: '1', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe']
    })
    const node = new NodeProcess(child, { ...options, dataDir, httpPort, p2pPort })
    running.add(node)
    try {
      node.peerId = await node.ready(options.readyTimeoutMs ?? 60_000)
    } catch (err) {
      await node.kill()
      throw err
    }
    return node
  }

  /**
   * The node's peer id once it logs its facade address (`http facade on URL`), the moment it serves.
   * With a quieter --log-level the log says nothing: then /node_info is polled.
   */
  private async ready (timeoutMs: number): Promise<string> {
    const logged = (): string | undefined => {
      if (!/^http facade on \S+$/m.test(this.out)) return undefined
      return /^gossipchain node (\S+) on network /m.exec(this.out)?.[1]
    }
    return await waitFor(`node on :${this.httpPort} to serve its facade`, async () => {
      if (!this.running) throw new Error(`node exited with ${this.child.exitCode ?? this.child.signalCode}: ${this.out}`)
      const id = logged()
      if (id !== undefined) return id
      if (this.opts.tls !== undefined) return undefined
      const res = await fetch(`${this.url}/node_info`, { signal: AbortSignal.timeout(2000) }).catch(() => undefined)
      return res?.ok === true ? (await res.json() as { peerId: string }).peerId : undefined
    }, timeoutMs, 50)
  }

  /** GET a facade path as JSON; throws on a non-2xx answer. */
  async get<T = any> (path: string): Promise<T> {
    const res = await fetch(this.url + path)
    if (!res.ok) throw new Error(`GET ${this.url}${path} -> ${res.status}: ${await res.text()}`)
    return await res.json() as T
  }

  /** POST JSON to a facade path; resolves with the status and the parsed body (undefined if not JSON). */
  async post (path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number, body: any }> {
    const res = await fetch(this.url + path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body)
    })
    return { status: res.status, body: await res.json().catch(() => undefined) }
  }

  /** SIGTERM, then wait for a clean exit (SIGKILL after 10 s); returns the exit code. */
  async stop (): Promise<number | null> {
    if (this.running) this.child.kill('SIGTERM')
    const timer = setTimeout(() => { if (this.running) this.child.kill('SIGKILL') }, STOP_GRACE_MS)
    try { return await this.exited } finally { clearTimeout(timer) }
  }

  /** kill -9: no chance to flush or close anything. */
  async kill (): Promise<void> {
    if (this.running) this.child.kill('SIGKILL')
    await this.exited
  }

  /** Wait for the process to exit by itself; returns its exit code. */
  async waitForExit (): Promise<number | null> {
    return await this.exited
  }

  /** Remove its data dir (only one this module created, unless `force`). */
  async removeData (force = false): Promise<void> {
    if (!force && !ownedDirs.has(this.dataDir)) return
    ownedDirs.delete(this.dataDir)
    await rm(this.dataDir, { recursive: true, force: true })
  }
}

/**
 * Remove `dir` when this process exits (also after an uncaught error), unless removeTempDir() came
 * first: for temp data a launcher made (a devnet's data root).
 */
export function registerTempDir (dir: string): void {
  installExitHooks()
  ownedDirs.add(dir)
}

/** Remove a dir given to registerTempDir() now. */
export async function removeTempDir (dir: string): Promise<void> {
  ownedDirs.delete(dir)
  await rm(dir, { recursive: true, force: true })
}

/** The node processes still running. */
export function runningNodes (): NodeProcess[] {
  return [...running]
}

/** Stop every node process (SIGTERM, in parallel, SIGKILL after 10 s): traces are flushed. */
export async function stopAll (opts: { removeData?: boolean } = {}): Promise<void> {
  const nodes = [...running]
  await Promise.all(nodes.map(async n => {
    await n.stop()
    if (opts.removeData === true) await n.removeData()
  }))
}

/** SIGKILL every node process (tests' after hooks: fast), and remove the temp data dirs this module made. */
export async function killAll (opts: { removeData?: boolean } = { removeData: true }): Promise<void> {
  const nodes = [...running]
  await Promise.all(nodes.map(async n => { await n.kill() }))
  if (opts.removeData !== false) {
    await Promise.all([...ownedDirs].map(async dir => { await rm(dir, { recursive: true, force: true }) }))
    ownedDirs.clear()
  }
}

let hooksInstalled = false

/**
 * Installed once, with the first start: on exit every child still running is SIGKILLed (synchronous,
 * the last resort); on SIGINT/SIGTERM they are stopped cleanly first, then this process exits
 * 128 + the signal number, as it would have by default. (SIGHUP keeps its default: a hung-up terminal
 * hangs up the children too, and a handler would undo `nohup`.)
 */
function installExitHooks (): void {
  if (hooksInstalled) return
  hooksInstalled = true
  process.on('exit', () => {
    for (const node of running) if (node.running) node.child.kill('SIGKILL')
    for (const dir of ownedDirs) {
      try { rmSync(dir, { recursive: true, force: true }) } catch {}
    }
  })
  const codes: Record<string, number> = { SIGINT: 130, SIGTERM: 143 }
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (running.size === 0 && process.listenerCount(signal) > 1) return // someone else handles it
      void stopAll().finally(() => process.exit(codes[signal]))
    })
  }
}

function withoutGossipchainEnv (env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [key, value] of Object.entries(env)) {
    if (!key.startsWith('GOSSIPCHAIN_') && value !== undefined) out[key] = value
  }
  return out
}
