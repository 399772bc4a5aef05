#!/usr/bin/env node
// Builds dist/ from src/ (docs/design.md §13) and stamps it with a hash of what it was built from, so
// that a stale dist/ can never run in place of src/: bin/gossipchain.js checks the stamp at every start
// and rebuilds (or refuses, without esbuild) when src/ changed.
//
//   node bin/build.js              build now (`npm run build`)
//   node bin/build.js --if-stale   build only when dist/ is missing or stale
//   node bin/build.js --check      exit 0 when dist/ is fresh, 1 when not (prints why)
//
// The build transpiles every src/**/*.ts file to dist/ with esbuild (one file per module, ESM, source
// maps; ~0.3 s for the whole tree, where tsc takes ~12 s of CPU) and copies every other file of src/
// as is. Types are checked by `npm run typecheck` (tsc --noEmit), which CI runs. It builds into a temp
// directory and swaps it in, under a lock, so concurrent starts build once and never see half a dist/.
// Plain JavaScript on purpose: it must run before anything is compiled.
import { createHash } from 'node:crypto'
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join, relative, sep } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The package root (bin/ sits right below it). */
export const ROOT = fileURLToPath(new URL('..', import.meta.url))
/** Inside dist/: which sources the build came from. */
export const STAMP_FILE = 'build-stamp.json'
const LOCK_DIR = '.build.lock'
/** A lock older than this whose owner cannot be checked is taken over. */
const LOCK_STALE_MS = 120_000
const LOCK_WAIT_MS = 120_000

function listFiles (dir) {
  const out = []
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) out.push(...listFiles(path))
    else if (entry.isFile()) out.push(path)
  }
  return out
}

/**
 * Hash of everything a build depends on: every file under src/ (path and bytes), tsconfig.json and
 * this script. ~70 files, a few ms.
 */
export function sourceHash (root = ROOT) {
  const hash = createHash('sha256')
  const files = listFiles(join(root, 'src')).map(path => relative(root, path).split(sep).join('/')).sort()
  for (const file of files) {
    hash.update(`${file}\0`)
    hash.update(readFileSync(join(root, file)))
    hash.update('\0')
  }
  for (const file of ['tsconfig.json']) {
    if (existsSync(join(root, file))) hash.update(`${file}\0`).update(readFileSync(join(root, file))).update('\0')
  }
  hash.update(readFileSync(fileURLToPath(import.meta.url)))
  return hash.digest('hex')
}

/**
 * Whether dist/ can run: 'no-source' (an image or package without src/: dist/ is what there is),
 * 'fresh', 'missing' or 'stale'.
 */
export function buildStatus (root = ROOT) {
  if (!existsSync(join(root, 'src'))) {
    return { state: 'no-source', reason: existsSync(join(root, 'dist', 'cli.js')) ? 'dist/ only' : 'neither src/ nor dist/cli.js exists' }
  }
  const current = sourceHash(root)
  let stamp
  try {
    stamp = JSON.parse(readFileSync(join(root, 'dist', STAMP_FILE), 'utf8'))
  } catch {
    return { state: 'missing', hash: current, reason: 'dist/ has not been built' }
  }
  if (stamp?.sourceHash !== current) return { state: 'stale', hash: current, reason: 'src/ changed since dist/ was built' }
  return { state: 'fresh', hash: current, reason: 'dist/ was built from src/ as it is' }
}

function pidAlive (pid) {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return err.code === 'EPERM'
  }
}

async function withLock (root, fn) {
  const lock = join(root, LOCK_DIR)
  const deadline = Date.now() + LOCK_WAIT_MS
  for (;;) {
    try {
      mkdirSync(lock)
      writeFileSync(join(lock, 'pid'), String(process.pid))
      break
    } catch (err) {
      if (err.code !== 'EEXIST') throw err
      let owner
      try { owner = Number(readFileSync(join(lock, 'pid'), 'utf8')) } catch {}
      let age = 0
      try { age = Date.now() - statSync(lock).mtimeMs } catch {}
      if ((owner > 0 && !pidAlive(owner)) || (!(owner > 0) && age > LOCK_STALE_MS)) {
        rmSync(lock, { recursive: true, force: true })
        continue
      }
      if (Date.now() > deadline) throw new Error(`another build (pid ${owner}) holds ${lock} for more than ${LOCK_WAIT_MS / 1000} s`)
      await new Promise(resolve => setTimeout(resolve, 50))
    }
  }
  try {
    return await fn()
  } finally {
    rmSync(lock, { recursive: true, force: true })
  }
}

/** Build dist/ now. Resolves with the stamp written. */
export async function build ({ root = ROOT, onlyIfStale = false, log = () => {} } = {}) {
  let esbuild
  try {
    esbuild = await import('esbuild')
  } catch {
    throw new Error('dist/ is missing or out of date and esbuild (a dev dependency) is not installed to build it: run `npm install`, then `npm run build`')
  }
  return await withLock(root, async () => {
    // Another process may have built while we waited for the lock.
    const status = buildStatus(root)
    if (onlyIfStale && status.state === 'fresh') return undefined
    log(`building dist/ (${status.reason})`)
    const started = performance.now()
    const out = join(root, `.dist-${process.pid}-${Date.now()}`)
    try {
      const src = join(root, 'src')
      const files = listFiles(src)
      await esbuild.build({
        absWorkingDir: root,
        entryPoints: files.filter(f => f.endsWith('.ts') && !f.endsWith('.d.ts')),
        outdir: out,
        outbase: src,
        format: 'esm',
        platform: 'node',
        target: 'node20',
        sourcemap: true,
        tsconfig: join(root, 'tsconfig.json'),
        logLevel: 'warning'
      })
      for (const file of files.filter(f => !f.endsWith('.ts'))) {
        const target = join(out, relative(src, file))
        mkdirSync(dirname(target), { recursive: true })
        copyFileSync(file, target)
      }
      const stamp = { sourceHash: status.hash, builtAt: new Date().toISOString(), node: process.version }
      writeFileSync(join(out, STAMP_FILE), JSON.stringify(stamp, null, 2) + '\n')
      // Swap: the old dist/ leaves, the new one enters; a process that already runs keeps its open files.
      const dist = join(root, 'dist')
      const old = `${out}-old`
      if (existsSync(dist)) renameSync(dist, old)
      renameSync(out, dist)
      rmSync(old, { recursive: true, force: true })
      log(`built dist/ in ${Math.round(performance.now() - started)} ms`)
      return stamp
    } finally {
      rmSync(out, { recursive: true, force: true })
    }
  })
}

/**
 * Make sure dist/ runs what src/ says: nothing to do without src/ (an image, a package) or when fresh;
 * rebuild when missing or stale. Throws with a message for the user when it cannot.
 */
export async function ensureBuilt ({ root = ROOT, log = () => {} } = {}) {
  const status = buildStatus(root)
  if (status.state === 'no-source') {
    if (!existsSync(join(root, 'dist', 'cli.js'))) throw new Error(`${status.reason}: reinstall gossipchain`)
    return status
  }
  if (status.state === 'fresh') return status
  await build({ root, onlyIfStale: true, log })
  return buildStatus(root)
}

async function main (args) {
  const log = line => { process.stderr.write(`gossipchain build: ${line}\n`) }
  if (args.includes('--check')) {
    const status = buildStatus()
    process.stdout.write(`${status.state}: ${status.reason}\n`)
    return status.state === 'fresh' || status.state === 'no-source' ? 0 : 1
  }
  if (args.includes('--if-stale')) await ensureBuilt({ log })
  else await build({ log })
  return 0
}

function isEntryPoint () {
  try {
    return process.argv[1] !== undefined && realpathSync(fileURLToPath(import.meta.url)) === realpathSync(process.argv[1])
  } catch {
    return false
  }
}

if (isEntryPoint()) {
  main(process.argv.slice(2)).then(code => { process.exitCode = code }, err => {
    process.stderr.write(`gossipchain build: ${err.message}\n`)
    process.exitCode = 1
  })
}
