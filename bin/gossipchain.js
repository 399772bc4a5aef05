#!/usr/bin/env node
// `gossipchain`: runs the compiled CLI, dist/cli.js. In a checkout (src/ present) dist/ is first checked
// against src/ (bin/build.js: a hash of src/ stamped into dist/ by the build) and rebuilt when missing
// or stale, so what runs is always what src/ says, never an old build. The build runs in a child
// process, so the node it precedes does not carry the bundler in its memory.
// Without src/ (the Docker image, an installed package) dist/ is what there is.
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { buildStatus } from './build.js'

const status = buildStatus()
if (status.state === 'no-source' && status.reason !== 'dist/ only') {
  process.stderr.write(`gossipchain: ${status.reason}: reinstall gossipchain\n`)
  process.exit(1)
}
if (status.state === 'missing' || status.state === 'stale') {
  const build = spawnSync(process.execPath, [fileURLToPath(new URL('./build.js', import.meta.url)), '--if-stale', '--as-gossipchain'], { stdio: ['ignore', 'inherit', 'inherit'] })
  if (build.status !== 0) process.exit(1) // it said why, in one line
}
const cli = await import(new URL('../dist/cli.js', import.meta.url).href)
process.exitCode = await cli.main(process.argv)
