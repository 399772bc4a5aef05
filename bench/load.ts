// Running bench/load-client.ts (autocannon) in its own process, so that the load generator's CPU is its own.
import { spawn } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { cpuSeconds, type Resources } from './harness.js'

/** Keep-alive connections of the load generator unless told otherwise. */
export const CONNECTIONS = 64

export interface LoadResult {
  statuses: Record<string, number>
  /** Indices (into the bodies) of the requests answered 201. */
  accepted: number[]
  latency: { p50: number, p90: number, p99: number, max: number }
  seconds: number
  requests: number
  requestsPerSecond: number
  errors: number
  timeouts: number
  /** Bytes received (GET mode). */
  bytes: number
  /** CPU seconds of the load generator process (all its threads). */
  clientCpu: number
}

const clientScript = new URL('./load-client.ts', import.meta.url).pathname

/**
 * Run bench/load-client.ts (autocannon) against `url` with `bodies`, one request per body, at most `rate`
 * requests per second (as fast as it goes without). The client's CPU is its own process's.
 */
export async function runLoad (res: Resources, url: string, bodies: string[], opts: { connections?: number, rate?: number } = {}): Promise<LoadResult> {
  const dir = await res.tempDir('load')
  const file = join(dir, 'bodies.ndjson')
  await writeFile(file, bodies.join('\n') + '\n')
  const args = ['--url', url, '--bodies', file, '--connections', String(opts.connections ?? CONNECTIONS)]
  if (opts.rate !== undefined) args.push('--rate', String(opts.rate))
  return await runClient(res, args)
}

/** GET `path` of `url` for `seconds` from `connections` keep-alive connections (bench/load-client.ts). */
export async function runGetLoad (res: Resources, url: string, path: string, seconds: number, connections: number): Promise<LoadResult> {
  return await runClient(res, ['--url', url, '--get', path, '--connections', String(connections), '--duration', String(seconds)])
}

async function runClient (res: Resources, clientArgs: string[]): Promise<LoadResult> {
  const args = ['--import', 'tsx', clientScript, ...clientArgs]
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  let clientCpu = Number.NaN
  child.stdout.on('data', (d: Buffer) => { out += d.toString() })
  child.stderr.on('data', (d: Buffer) => { err += d.toString() })
  // The client's CPU, read just before it exits (its /proc entry goes with it): polled while it runs.
  const poll = setInterval(() => { const c = cpuSeconds(child.pid); if (Number.isFinite(c)) clientCpu = c }, 50)
  res.defer(async () => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL') })
  const code = await new Promise<number | null>(resolve => child.once('exit', resolve))
  clearInterval(poll)
  if (code !== 0) throw new Error(`load client exited with ${code}: ${err.slice(-2000)}`)
  return { ...(JSON.parse(out.trim().split('\n').pop()!) as Omit<LoadResult, 'clientCpu'>), clientCpu }
}


/** `node -e script ...args` in its own process, which prints its port on stdout: a reference server. Killed at the end. */
export async function startScriptServer (res: Resources, script: string, args: string[] = []): Promise<{ url: string, pid: number | undefined }> {
  const server = spawn(process.execPath, ['-e', script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] })
  res.defer(async () => {
    if (server.exitCode === null && server.signalCode === null) {
      const exited = new Promise(resolve => server.once('exit', resolve))
      server.kill('SIGKILL')
      await exited
    }
  })
  const port = await new Promise<number>((resolve, reject) => {
    server.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim())))
    server.once('exit', code => reject(new Error(`reference server exited with ${code}`)))
  })
  return { url: `http://127.0.0.1:${port}`, pid: server.pid }
}
