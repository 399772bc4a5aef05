// Where the compiled CLI is, built from src/ as it is now (bin/build.js) before any node process starts.
// Compiled code starts in a fraction of tsx's time and memory: what makes a devnet of 100 fit on 2 cores.
import { join } from 'node:path'
import { ensureBuilt, ROOT } from '../../bin/build.js'

/** The package root, e.g. for a node process's working directory. */
export const PACKAGE_ROOT = ROOT

let built: Promise<string> | undefined

/**
 * The path of dist/cli.js after making sure it was built from the current src/ (rebuilt when stale,
 * once per process). `log` hears about a rebuild.
 */
export async function compiledCli (log: (line: string) => void = () => {}): Promise<string> {
  built ??= ensureBuilt({ log }).then(() => join(ROOT, 'dist', 'cli.js'), (err: unknown) => {
    built = undefined
    throw err
  })
  return await built
}

/** The TypeScript entry, run through tsx (tests of the source itself, `runtime: 'source'`). */
export const SOURCE_CLI = join(ROOT, 'src', 'cli.ts')
