// The machine a run measured and the OpenSSL references every ratio is taken against (docs/design.md §11).
import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { availableParallelism, totalmem } from 'node:os'
import { promisify } from 'node:util'

const run = promisify(execFile)

export interface MachineInfo {
  cpuModel: string
  cores: number
  memoryGiB: number
  node: string
  openssl: string
  /** OpenSSL that node:crypto links (process.versions.openssl). */
  nodeOpenssl: string
  date: string
  /** /proc/loadavg when the run started: other work on the machine skews every figure. */
  loadAtStart: string
}

export interface OpensslReferences {
  /** SHA-256 of 96-byte messages per second on one core (`openssl speed -evp sha256 -bytes 96`). */
  sha256HashesPerSec: number
  /** Ed25519 verifications per second on one core (`openssl speed ed25519`). */
  ed25519VerifiesPerSec: number
  ed25519SignsPerSec: number
  seconds: number
}

/** 1, 5 and 15 minute load averages. */
export function loadAverage (): string {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')
  } catch {
    return 'unknown'
  }
}

export async function machineInfo (): Promise<MachineInfo> {
  let cpuModel = 'unknown'
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8').split('\n').find(l => l.startsWith('model name'))
    if (line !== undefined) cpuModel = line.slice(line.indexOf(':') + 1).trim()
  } catch {}
  const openssl = (await run('openssl', ['version']).catch(() => ({ stdout: 'unavailable' }))).stdout.trim()
  return {
    cpuModel,
    cores: availableParallelism(),
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    openssl,
    nodeOpenssl: process.versions.openssl,
    date: new Date().toISOString(),
    loadAtStart: loadAverage()
  }
}

/** `sha256  732761.76k` -> bytes/s (the figures are in 1000s of bytes per second). */
export function parseSpeedEvp (output: string, algorithm: string): number {
  const line = output.split('\n').find(l => l.trim().toLowerCase().startsWith(algorithm))
  const match = line?.match(/([\d.]+)k\s*$/)
  if (match == null) throw new Error(`openssl speed printed no ${algorithm} line:\n${output}`)
  return Number(match[1]) * 1000
}

/** ` 253 bits EdDSA (Ed25519)   0.0000s   0.0001s  33409.0  12788.8` -> {sign/s, verify/s}. */
export function parseSpeedEd25519 (output: string): { signs: number, verifies: number } {
  const line = output.split('\n').find(l => l.includes('(Ed25519)'))
  const nums = line?.trim().split(/\s+/).slice(-2).map(Number)
  if (nums === undefined || nums.length !== 2 || nums.some(n => !Number.isFinite(n))) throw new Error(`openssl speed printed no Ed25519 line:\n${output}`)
  return { signs: nums[0], verifies: nums[1] }
}

export async function opensslReferences (seconds: number): Promise<OpensslReferences> {
  const sha = await run('openssl', ['speed', '-evp', 'sha256', '-bytes', '96', '-seconds', String(seconds)], { timeout: (seconds + 30) * 1000 })
  const bytesPerSec = parseSpeedEvp(sha.stdout, 'sha256')
  const ed = await run('openssl', ['speed', '-seconds', String(seconds), 'ed25519'], { timeout: (2 * seconds + 30) * 1000 })
  const { signs, verifies } = parseSpeedEd25519(ed.stdout)
  return { sha256HashesPerSec: bytesPerSec / 96, ed25519VerifiesPerSec: verifies, ed25519SignsPerSec: signs, seconds }
}
