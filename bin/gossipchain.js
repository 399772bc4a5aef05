#!/usr/bin/env node
// `gossipchain`: runs the compiled CLI, dist/cli.js. In a checkout (src/ present) dist/ is first checked
// against src/ (bin/build.js: a hash of src/ stamped into dist/ by the build) and rebuilt when missing
// or stale (esbuild, well under a second), so what runs is always what src/ says, never an old build.
// Without src/ (the Docker image, an installed package) dist/ is what there is.
import { ensureBuilt } from './build.js'

try {
  await ensureBuilt({ log: line => { process.stderr.write(`gossipchain: ${line}\n`) } })
} catch (err) {
  process.stderr.write(`gossipchain: ${err.message}\n`)
  process.exit(1)
}
const cli = await import(new URL('../dist/cli.js', import.meta.url).href)
process.exitCode = await cli.main(process.argv)
