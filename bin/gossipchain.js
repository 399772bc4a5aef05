#!/usr/bin/env node
// `gossipchain`: runs the compiled CLI (dist/cli.js, made by `npm run build`) when it exists, else
// the TypeScript source through tsx (a devDependency), so `npx gossipchain` works in a dev checkout.
// Rebuild (or delete dist/) after editing src/: a stale dist/ wins.
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const compiled = new URL('../dist/cli.js', import.meta.url)
let cli
if (existsSync(fileURLToPath(compiled))) {
  cli = await import(compiled.href)
} else {
  let tsx
  try {
    tsx = await import('tsx/esm/api')
  } catch {
    process.stderr.write('gossipchain: dist/cli.js is missing and tsx is not installed: run `npm install` and `npm run build`\n')
    process.exit(1)
  }
  tsx.register()
  cli = await import(new URL('../src/cli.ts', import.meta.url).href)
}
process.exitCode = await cli.main(process.argv)
