// bin/gossipchain.js runs compiled code, and a stale dist/ can never shadow src/ (docs/design.md §13):
// in a copy of the checkout, the first run builds dist/, an edit of src/ makes the next run rebuild,
// concurrent runs build once, and without esbuild a stale dist/ is refused with one clear line.
import { spawn } from 'node:child_process'
import { realpathSync } from 'node:fs'
import { cp, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { expect } from 'chai'

const repoRoot = fileURLToPath(new URL('..', import.meta.url))

interface Run { code: number | null, stdout: string, stderr: string }

async function run (cwd: string, args: string[]): Promise<Run> {
  const child = spawn(process.execPath, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString() })
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  const code = await new Promise<number | null>(resolve => child.once('close', resolve))
  return { code, stdout, stderr }
}

describe('bin/gossipchain.js and bin/build.js: compiled code, never a stale build', function () {
  this.timeout(120_000)
  let dir: string

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gossipchain-build-'))
    for (const part of ['src', 'bin', 'tsconfig.json', 'package.json']) await cp(join(repoRoot, part), join(dir, part), { recursive: true })
    await symlink(join(repoRoot, 'node_modules'), join(dir, 'node_modules'), 'dir')
  })
  afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

  it('builds on the first run, runs dist/ while fresh, and rebuilds after src/ changes', async () => {
    expect((await run(dir, ['bin/build.js', '--check'])).code).to.equal(1)
    const first = await run(dir, ['bin/gossipchain.js', '--version'])
    expect(first.code, first.stderr).to.equal(0)
    expect(first.stdout.trim()).to.equal(JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')).version)
    expect(first.stderr).to.match(/building dist\/ \(dist\/ has not been built\)/)
    expect((await run(dir, ['bin/build.js', '--check'])).code).to.equal(0)
    const stamp = JSON.parse(await readFile(join(dir, 'dist', 'build-stamp.json'), 'utf8'))
    expect(stamp.sourceHash).to.match(/^[0-9a-f]{64}$/)
    // The ESM packages are pre-bundled into dist/node_modules, and code in dist/ resolves them there;
    // the native LevelDB binding stays in the real node_modules.
    expect(stamp.bundledPackages).to.include.members(['libp2p', '@libp2p/gossipsub', 'hono', 'zod'])
    expect(stamp.bundledPackages).to.not.include('classic-level')
    const resolved = await run(join(dir, 'dist'), ['--input-type=module', '-e', "console.log(import.meta.resolve('libp2p')); console.log(import.meta.resolve('classic-level'))"])
    expect(resolved.stdout.trim().split('\n'), resolved.stderr).to.deep.equal([
      pathToFileURL(join(dir, 'dist', 'node_modules', 'libp2p', 'index.js')).href,
      pathToFileURL(realpathSync(join(repoRoot, 'node_modules', 'classic-level', 'index.js'))).href
    ])

    const again = await run(dir, ['bin/gossipchain.js', '--version'])
    expect(again.stderr).to.equal('') // fresh: no build

    // Edit the source: the next run must run the edit, not the old dist/.
    const program = join(dir, 'src', 'cli', 'program.ts')
    const text = await readFile(program, 'utf8')
    const edited = text.replace("'A peer-to-peer proof-of-work ledger for supply-chain records'", "'EDITED DESCRIPTION'")
    expect(edited).to.not.equal(text)
    await writeFile(program, edited)
    expect((await run(dir, ['bin/build.js', '--check'])).stdout).to.match(/^stale: /)
    const help = await run(dir, ['bin/gossipchain.js', '--help'])
    expect(help.code, help.stderr).to.equal(0)
    expect(help.stdout).to.include('EDITED DESCRIPTION')
    expect(help.stderr).to.include('building dist/ (src/ changed since dist/ was built)')
    // A new file counts too, and nothing is left over from the swap.
    await writeFile(join(dir, 'src', 'extra-note.txt'), 'copied as is\n')
    expect((await run(dir, ['bin/build.js', '--check'])).code).to.equal(1)
    expect((await run(dir, ['bin/build.js'])).code).to.equal(0)
    expect(await readFile(join(dir, 'dist', 'extra-note.txt'), 'utf8')).to.equal('copied as is\n')
    expect((await readdir(dir)).filter(name => name.startsWith('.dist-') || name === '.build.lock')).to.deep.equal([])
  })

  it('runs started together on a stale tree build once and all succeed', async () => {
    const runs = await Promise.all([0, 1, 2, 3].map(async () => await run(dir, ['bin/gossipchain.js', '--version'])))
    for (const r of runs) expect(r.code, r.stderr).to.equal(0)
    expect(runs.filter(r => r.stderr.includes('building dist/')).length).to.equal(1)
  })

  it('without esbuild, a stale dist/ is refused with one line saying what to run; without src/, dist/ runs as it is', async () => {
    expect((await run(dir, ['bin/build.js'])).code).to.equal(0)
    await writeFile(join(dir, 'src', 'extra-note.txt'), 'changed\n')
    // node_modules without esbuild: every package but it.
    await rm(join(dir, 'node_modules'))
    await mkdir(join(dir, 'node_modules'))
    for (const name of await readdir(join(repoRoot, 'node_modules'))) {
      if (name === 'esbuild' || name === '@esbuild' || name === '.bin') continue
      await symlink(join(repoRoot, 'node_modules', name), join(dir, 'node_modules', name), 'dir')
    }
    const refused = await run(dir, ['bin/gossipchain.js', '--version'])
    expect(refused.code).to.equal(1)
    expect(refused.stdout).to.equal('')
    expect(refused.stderr.trim().split('\n')).to.deep.equal([
      'gossipchain: dist/ is missing or out of date and esbuild (a dev dependency) is not installed to build it: run `npm install`, then `npm run build`'
    ])

    await rm(join(dir, 'src'), { recursive: true })
    const image = await run(dir, ['bin/gossipchain.js', '--version'])
    expect(image.code, image.stderr).to.equal(0)
    expect(image.stderr).to.equal('')
  })
})
