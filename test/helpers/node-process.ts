// Real node processes for multi-node tests: `gossipchain start` on 127.0.0.1 with free ports and a temp
// data dir. Every process started here is tracked and killed by `stopAll()` (call it in after hooks).
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { httpsGet } from './tls.js'
import { waitFor } from './wait.js'

export { waitFor }

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const cli = join(repoRoot, 'src', 'cli.ts')
const running = new Set<NodeProcess>()

export async function freePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

export interface StartOptions {
  dataDir?: string
  httpPort?: number
  p2pPort?: number
  bootstrap?: string[]
  bits?: number
  mineInterval?: number
  apiToken?: string
  extraArgs?: string[]
  env?: Record<string, string>
  /** Run the compiled CLI (dist/cli.js, made by `npm run build`) instead of the sources through tsx. */
  compiled?: boolean
  /** Serve the facade over HTTPS with this certificate (test/helpers/tls.ts); readiness is checked trusting it. */
  tls?: { certPath: string, keyPath: string, certPem: string }
}

export class NodeProcess {
  readonly url: string
  output = ''
  peerId = ''
  private exited: Promise<number | null>

  private constructor (readonly child: ChildProcess, readonly opts: Required<Pick<StartOptions, 'dataDir' | 'httpPort' | 'p2pPort'>> & StartOptions) {
    this.url = `${opts.tls === undefined ? 'http' : 'https'}://127.0.0.1:${opts.httpPort}`
    child.stdout?.on('data', (d: Buffer) => { this.output += d.toString() })
    child.stderr?.on('data', (d: Buffer) => { this.output += d.toString() })
    this.exited = new Promise(resolve => child.once('exit', code => { running.delete(this); resolve(code) }))
  }

  get multiaddr (): string {
    return `/ip4/127.0.0.1/tcp/${this.opts.p2pPort}/p2p/${this.peerId}`
  }

  static async start (options: StartOptions = {}): Promise<NodeProcess> {
    const dataDir = options.dataDir ?? await mkdtemp(join(tmpdir(), 'gossipchain-node-'))
    const httpPort = options.httpPort ?? await freePort()
    const p2pPort = options.p2pPort ?? await freePort()
    const args = [...(options.compiled === true ? [join(repoRoot, 'dist', 'cli.js')] : ['--import', 'tsx', cli]), 'start',
      '--data-dir', dataDir, '--http-host', '127.0.0.1', '--http-port', String(httpPort),
      '--p2p-port', String(p2pPort), '--bits', String(options.bits ?? 8),
      '--mine-interval', String(options.mineInterval ?? 0)]
    for (const b of options.bootstrap ?? []) args.push('--bootstrap', b)
    if (options.apiToken !== undefined) args.push('--api-token', options.apiToken)
    if (options.tls !== undefined) args.push('--tls-cert', options.tls.certPath, '--tls-key', options.tls.keyPath)
    args.push(...(options.extraArgs ?? []))
    const child = spawn(process.execPath, args, {
      cwd: repoRoot,
      env: { ...process.env, GOSSIPCHAIN_P2P_HOST: '127.0.0.1', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe']
    })
    const node = new NodeProcess(child, { ...options, dataDir, httpPort, p2pPort })
    running.add(node)
    try {
      const info = await waitFor(`node on :${httpPort} to serve /node_info`, async () => {
        if (child.exitCode !== null) throw new Error(`node exited with ${child.exitCode}: ${node.output}`)
        if (options.tls !== undefined) {
          const res = await httpsGet(`${node.url}/node_info`, options.tls.certPem).catch(() => undefined)
          return res?.status === 200 ? JSON.parse(res.body) as { peerId: string } : undefined
        }
        const res = await fetch(`${node.url}/node_info`).catch(() => undefined)
        return res?.ok === true ? await res.json() as { peerId: string } : undefined
      }, 30_000)
      node.peerId = info.peerId
    } catch (err) {
      await node.kill()
      throw err
    }
    return node
  }

  async get<T = any> (path: string): Promise<T> {
    const res = await fetch(this.url + path)
    if (!res.ok) throw new Error(`GET ${path} -> ${res.status}: ${await res.text()}`)
    return await res.json() as T
  }

  async post (path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number, body: any }> {
    const res = await fetch(this.url + path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body)
    })
    return { status: res.status, body: await res.json().catch(() => undefined) }
  }

  /** SIGTERM and wait for a clean exit; returns the exit code. */
  async stop (): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM')
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000)
    try { return await this.exited } finally { clearTimeout(timer) }
  }

  /** kill -9: no chance to flush or close anything. */
  async kill (): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL')
    await this.exited
  }

  async removeData (): Promise<void> {
    await rm(this.opts.dataDir, { recursive: true, force: true })
  }
}

/** Kill every node process any test started (after hooks), and remove their temp data dirs. */
export async function stopAll (): Promise<void> {
  const nodes = [...running]
  await Promise.all(nodes.map(async n => { await n.kill(); await n.removeData() }))
}
