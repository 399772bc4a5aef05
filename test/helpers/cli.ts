// The real `gossipchain` CLI in child processes. Every child started here is tracked until it exits;
// `killAllCli()` kills the ones still running (call it in after hooks).
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { expect } from 'chai'

const repoRoot = fileURLToPath(new URL('../..', import.meta.url))
const children = new Set<ChildProcess>()

export interface CliResult { code: number | null, stdout: string, stderr: string }

/** Environment without the caller's GOSSIPCHAIN_* settings, plus `extra`. */
export function cleanEnv (extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('GOSSIPCHAIN_') && value !== undefined) env[key] = value
  }
  return { ...env, ...extra }
}

/** Runs `node ...entry ...args` in the repo root with an empty stdin and collects its output. */
export async function runCli (args: string[], env: Record<string, string> = {}, entry: string[] = ['--import', 'tsx', 'src/cli.ts']): Promise<CliResult> {
  const child = spawn(process.execPath, [...entry, ...args], { cwd: repoRoot, env: cleanEnv(env), stdio: ['pipe', 'pipe', 'pipe'] })
  children.add(child)
  child.stdin.end()
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString() })
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  const code = await new Promise<number | null>(resolve => child.once('close', resolve))
  children.delete(child)
  return { code, stdout, stderr }
}

/** SIGKILL every CLI child still running (after hooks). */
export function killAllCli (): void {
  for (const child of children) child.kill('SIGKILL')
}

/** docs/design.md §1 error contract: non-zero exit, one `gossipchain: ...` line on stderr, no stack trace. */
export function expectOneLineError (result: CliResult, ...includes: string[]): void {
  expect(result.code, `exit code; stderr: ${result.stderr}`).to.not.equal(0)
  const lines = result.stderr.split('\n').filter(line => line.length > 0)
  expect(lines, result.stderr).to.have.length(1)
  expect(lines[0]).to.match(/^gossipchain: /)
  for (const text of includes) expect(lines[0]).to.include(text)
  expect(result.stderr).to.not.match(/\n\s+at /)
}
