import './polyfill.js'

// The `gossipchain` executable (docs/design.md §1): bin/gossipchain.js imports the compiled form
// (dist/cli.js) and calls main(); `node --import tsx src/cli.ts ...` runs the source (the tests do).
// The program and its commands live in src/cli/ (program.ts lists them).
import { realpath } from 'node:fs/promises'
import { pathToFileURL } from 'node:url'
import { main } from './cli/program.js'

export { buildProgram, COMMANDS, main } from './cli/program.js'
export type { CliContext, CommandRegistrar } from './cli/context.js'

async function isEntryPoint (): Promise<boolean> {
  const script = process.argv[1]
  if (script === undefined) return false
  try {
    return import.meta.url === pathToFileURL(await realpath(script)).href
  } catch {
    return false
  }
}

// Run when executed directly (`node dist/cli.js`, `node --import tsx src/cli.ts`).
if (await isEntryPoint()) {
  process.exitCode = await main()
}
