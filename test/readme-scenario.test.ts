// The README's three-node scenario, run as a newcomer would run it as a script (`bash scenario.sh`: no
// job control, the hard case for `kill %1`): it must work and end with every process it started gone
// and its ports free. Also: a node started with `npx gossipchain start &` stops when `kill %1` ends the
// npm wrapper (src/cli/start.ts watches its launcher).
import { spawn } from 'node:child_process'
import { mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect } from 'chai'
import { freePorts, waitFor } from '../src/devnet/index.js'
import { cleanEnv } from './helpers/cli.js'

const repoRoot = fileURLToPath(new URL('..', import.meta.url))
const README_PORTS = [8000, 8001, 8002, 9000, 9001, 9002]

/** The first ```sh block after `heading` in README.md. */
async function readmeBlock (heading: string): Promise<string> {
  const readme = await readFile(join(repoRoot, 'README.md'), 'utf8')
  const at = readme.indexOf(heading)
  if (at < 0) throw new Error(`README.md has no "${heading}"`)
  const block = /```sh\n([\s\S]*?)```/.exec(readme.slice(at))
  if (block === null) throw new Error(`no sh block after "${heading}"`)
  return block[1]
}

async function portFree (port: number): Promise<boolean> {
  for (const host of ['127.0.0.1', '0.0.0.0']) {
    const free = await new Promise<boolean>(resolve => {
      const server = createServer()
      server.once('error', () => { resolve(false) })
      server.listen(port, host, () => { server.close(() => { resolve(true) }) })
    })
    if (!free) return false
  }
  return true
}

/** Pids of the processes in session `sid` (a detached child is its session's leader: sid = its pid). */
async function sessionMembers (sid: number): Promise<Array<{ pid: number, cmd: string }>> {
  const out: Array<{ pid: number, cmd: string }> = []
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue
    const stat = await readFile(`/proc/${name}/stat`, 'utf8').catch(() => '')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    if (Number(fields[3]) !== sid) continue // field 6 of stat: session id
    const cmd = (await readFile(`/proc/${name}/cmdline`, 'utf8').catch(() => '')).split('\0').join(' ').trim()
    out.push({ pid: Number(name), cmd })
  }
  return out
}

interface ScriptRun { code: number | null, stdout: string, stderr: string, sid: number }

/** Runs `script` with bash (no job control) in its own session, in `cwd`. */
async function runScript (cwd: string, script: string, timeoutMs: number): Promise<ScriptRun> {
  const path = join(cwd, 'scenario.sh')
  await writeFile(path, script)
  const child = spawn('bash', [path], { cwd, env: cleanEnv(), detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString() })
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  const timer = setTimeout(() => { try { process.kill(-(child.pid as number), 'SIGKILL') } catch {} }, timeoutMs)
  const code = await new Promise<number | null>(resolve => child.once('close', resolve))
  clearTimeout(timer)
  return { code, stdout, stderr, sid: child.pid as number }
}

/** A directory that looks like the checkout to the scenario (bin, package.json, node_modules...), with its own data. */
async function workdir (): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'gossipchain-readme-'))
  for (const part of ['bin', 'src', 'package.json', 'tsconfig.json', 'node_modules']) await symlink(join(repoRoot, part), join(dir, part))
  return dir
}

describe('README: the three-node scenario as a script (docs/design.md §13)', function () {
  this.timeout(240_000)
  const dirs: string[] = []
  let sids: number[] = []
  afterEach(async () => {
    // Whatever a failed run left behind.
    for (const sid of sids) for (const { pid } of await sessionMembers(sid)) { try { process.kill(pid, 'SIGKILL') } catch {} }
    sids = []
    await Promise.all(dirs.splice(0).map(async d => { await rm(d, { recursive: true, force: true }) }))
  })

  it('works pasted as is and ends with every node it started stopped and ports 8000-8002, 9000-9002 free', async function () {
    let script = await readmeBlock('### A network of three nodes')
    expect(script).to.match(/^kill %1 %2 %3/m)
    // The documented ports when they are free; others only if something else (another test run) holds them.
    const busy = []
    for (const port of README_PORTS) if (!(await portFree(port))) busy.push(port)
    const ports = busy.length === 0 ? README_PORTS : await freePorts(README_PORTS.length)
    if (busy.length > 0) {
      console.log(`      (ports ${busy.join(', ')} are in use here: the scenario runs on ${ports.join(', ')} instead)`)
      README_PORTS.forEach((port, i) => { script = script.replace(new RegExp(`\\b${port}\\b`, 'g'), String(ports[i])) })
    }
    const dir = await workdir()
    dirs.push(dir)
    const run = await runScript(dir, script, 180_000)
    sids.push(run.sid)
    expect(run.code, `${run.stdout}\n${run.stderr}`).to.equal(0)
    // It did what it says: the signed record was mined on the first node.
    // ...and reached every node: 8002's pending list, the mined block, then 8001's and 8002's chains.
    expect(run.stdout.match(/harvested 20 kg of tomatoes/g) ?? [], run.stdout).to.have.length(4)
    expect(run.stdout).to.match(/"index":1/)
    // (curl prints no final newline: a node's line may follow its output on the same line)
    expect(run.stdout.match(/SIGTERM: stopping$/gm), run.stdout).to.have.length(3)
    expect(run.stdout.match(/stopped$/gm), run.stdout).to.have.length(3)
    // When the script returns, nothing it started runs, and every port is free.
    expect(await sessionMembers(run.sid)).to.deep.equal([])
    for (const port of ports) expect(await portFree(port), `port ${port}`).to.equal(true)
  })

  it('`npx gossipchain start &` then `kill %1` (npm exec signalled alone): the node stops by itself', async function () {
    const [http, p2p] = await freePorts(2)
    const dir = await workdir()
    dirs.push(dir)
    const run = await runScript(dir, [
      `npx gossipchain start --data-dir data/n0 --http-port ${http} --p2p-port ${p2p} &`,
      `until curl -sf "http://127.0.0.1:${http}/health" >/dev/null; do sleep 0.2; done`,
      'kill %1',
      'wait',
      ''
    ].join('\n'), 120_000)
    sids.push(run.sid)
    // npm exec is gone at once; the node follows within a second or so, stopping cleanly (runScript
    // returns when the last holder of the script's stdout, the node, has exited).
    expect(run.stdout).to.match(/^the process that launched this node \(pid \d+\) is gone: stopping$/m)
    expect(run.stdout).to.match(/^stopped$/m)
    await waitFor('the node started through npx to stop', async () => (await sessionMembers(run.sid)).length === 0 ? true : undefined, 20_000, 100)
    for (const port of [http, p2p]) expect(await portFree(port), `port ${port}`).to.equal(true)
  })
})
