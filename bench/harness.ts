// Shared plumbing of the benchmarks (docs/design.md §11): results as ratios against a reference measured in
// the same run, percentiles, bounded waits, and cleanup of everything a benchmark starts.
import { readFileSync } from 'node:fs'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** One measured figure, always next to the reference it is judged against (measured in the same run). */
export interface BenchRow {
  /** Benchmark group, e.g. "1 mining". */
  group: string
  metric: string
  value: number
  unit: string
  reference: { label: string, value: number, unit: string }
  /** value / reference.value. */
  ratio: number
  /** How to read the ratio, e.g. "x openssl 1 core". */
  ratioLabel: string
  /** The docs/design.md §11 bar in words, when there is one for this figure. */
  bar?: string
  /** Whether the bar is met; undefined when the row has no bar. */
  meets?: boolean
  note?: string
}

export interface BenchSection {
  id: string
  title: string
  /** Markdown paragraphs: what was measured, how, and against what. */
  method: string
  rows: BenchRow[]
  /** Extra lines (distributions, counts) shown under the section's table. */
  details: string[]
  /** Set when the benchmark failed; its rows may be partial. */
  error?: string
}

export interface RunOptions {
  quick: boolean
  /** Node processes of the propagation benchmark. */
  nodes: number
  /** Seed of the random choices (topology, target nodes). */
  seed: number
  /** Benchmarks to run (ids); all when empty. */
  only: string[]
  /** Write BENCHMARKS.md (default true). */
  write: boolean
}

export function row (r: Omit<BenchRow, 'ratio'>): BenchRow {
  return { ...r, ratio: r.value / r.reference.value }
}

export function percentile (sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN
  const rank = Math.ceil((p / 100) * sorted.length) - 1
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))]
}

export function median (values: number[]): number {
  return percentile([...values].sort((a, b) => a - b), 50)
}

/** Deterministic PRNG (mulberry32) so a run's topology and targets can be reproduced from its seed. */
export { prng } from '../src/devnet/random.js'

export const sleep = async (ms: number): Promise<void> => await new Promise(resolve => setTimeout(resolve, ms))

/** Poll `check` until it returns a value other than undefined; undefined after `timeoutMs` (never throws on timeout). */
export async function pollUntil<T> (check: () => Promise<T | undefined>, timeoutMs: number, everyMs: number): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const value = await check().catch(() => undefined)
    if (value !== undefined) return value
    await sleep(everyMs)
  }
  return undefined
}

/** Thrown by a runPool job to end its lane without counting a failure (time-boxed loops). */
export class StopPool extends Error {}

/**
 * Run `count` async jobs with at most `concurrency` in flight; resolves when all settled.
 * Returns how many failed (a benchmark reports failures, it does not stop on them).
 */
export async function runPool (count: number, concurrency: number, job: (i: number) => Promise<void>): Promise<{ failed: number, firstError?: unknown }> {
  let next = 0
  let failed = 0
  let firstError: unknown
  const lane = async (): Promise<void> => {
    while (next < count) {
      const i = next++
      try {
        await job(i)
      } catch (err) {
        if (err instanceof StopPool) { next = count; return }
        failed++
        firstError ??= err
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane))
  return { failed, firstError }
}

/** Cleanups of everything started (temp dirs, stores, processes), run in reverse order, also on failure. */
export class Resources {
  private readonly cleanups: Array<() => Promise<unknown>> = []

  defer (cleanup: () => Promise<unknown>): void {
    this.cleanups.push(cleanup)
  }

  async tempDir (prefix: string): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), `gossipchain-bench-${prefix}-`))
    this.defer(async () => await rm(dir, { recursive: true, force: true }))
    return dir
  }

  async release (): Promise<void> {
    while (this.cleanups.length > 0) {
      const cleanup = this.cleanups.pop()!
      await cleanup().catch(err => { process.stderr.write(`bench cleanup: ${(err as Error).message}\n`) })
    }
  }
}

const active = new Set<Resources>()

/** Run `body` with its own Resources, released in a finally. */
export async function withResources<T> (body: (res: Resources) => Promise<T>): Promise<T> {
  const res = new Resources()
  active.add(res)
  try {
    return await body(res)
  } finally {
    await res.release()
    active.delete(res)
  }
}

/** Release everything still held (on SIGINT/SIGTERM of the benchmark run). */
export async function releaseAll (): Promise<void> {
  await Promise.all([...active].map(async res => await res.release()))
}

export function fmt (value: number, digits = 3): string {
  if (!Number.isFinite(value)) return String(value)
  const abs = Math.abs(value)
  if (abs >= 1e6) return `${(value / 1e6).toFixed(2)}M`
  if (abs >= 1e4) return `${(value / 1e3).toFixed(1)}k`
  if (abs >= 100) return value.toFixed(0)
  if (abs >= 10) return value.toFixed(1)
  return value.toPrecision(digits)
}

export function log (line: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`)
}

/**
 * CPU time (user + system) a process has used so far, all its threads, from /proc/<pid>/stat; with
 * 'thread-self', the calling thread's alone. NaN when unreadable.
 */
export function cpuSeconds (pid: number | 'thread-self' | undefined): number {
  if (pid === undefined) return Number.NaN
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Fields after the command name (which may hold spaces) start at ") "; utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS
  } catch {
    return Number.NaN
  }
}

/** USER_HZ: 100 on every Linux this runs on (getconf CLK_TCK). */
const CLOCK_TICKS = 100

/** VmRSS and VmHWM of a process in MiB, from /proc/<pid>/status. */
export function memoryMiB (pid: number | undefined): { rss: number, peak: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const kib = (name: string): number => Number(status.match(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm'))?.[1] ?? Number.NaN)
    return { rss: kib('VmRSS') / 1024, peak: kib('VmHWM') / 1024 }
  } catch {
    return { rss: Number.NaN, peak: Number.NaN }
  }
}

/** The file a bar's result goes to: bench/results/NAME.json. */
export const RESULTS_DIR = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, 'results')

/**
 * Writes bench/results/NAME.json for a row with a design bar, shaped
 * `{figure: {value, unit, label}, reference: {value, unit, label}, ratio, bar, met}`.
 */
export async function writeResult (name: string, r: BenchRow): Promise<void> {
  if (!/^[a-z0-9-]+$/.test(name)) throw new RangeError(`writeResult: bad name "${name}"`)
  if (r.bar === undefined || r.meets === undefined) throw new TypeError(`writeResult: the row "${r.metric}" has no bar`)
  const result = {
    figure: { value: r.value, unit: r.unit, label: r.note === undefined ? r.metric : `${r.metric} (${r.note})` },
    reference: r.reference,
    ratio: r.ratio,
    bar: r.bar,
    met: r.meets
  }
  await mkdir(RESULTS_DIR, { recursive: true })
  await writeFile(join(RESULTS_DIR, `${name}.json`), JSON.stringify(result, null, 2) + '\n')
}
