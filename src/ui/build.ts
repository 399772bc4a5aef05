// Bundles the web page (docs/design.md §9) with esbuild: src/ui/main.ts and everything it imports (the same
// core and wallet modules the CLI runs, @noble for hashes and Ed25519, qrcode) into one ES module and one
// stylesheet. `npm run build` (bin/build.js) writes them to dist/public/; a node run from the TypeScript
// sources (tsx, in-process tests) bundles them in memory on the first request instead (src/http/ui-assets.ts).
// Node-only: never imported by the page itself.
import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

/** The page's files by name, as served under /ui/. */
export interface UiBundle {
  'app.js': Uint8Array
  'app.css': Uint8Array
}

const here = dirname(fileURLToPath(import.meta.url))
/** src/ui whether this module runs from src/ui (tsx) or dist/ui (compiled): the sources are the input. */
const sourceDir = join(here, '..', '..', 'src', 'ui')
export const PUBLIC_DIR = join(here, '..', '..', 'dist', 'public')

/** The bundle and the files it was made from (paths relative to the working directory, as esbuild says them). */
export type UiBuild = UiBundle & { inputs: string[] }

export async function buildUi (): Promise<UiBuild> {
  // esbuild is a devDependency: a production install serves the prebuilt dist/public instead.
  const { build } = await import('esbuild')
  const result = await build({
    entryPoints: { app: join(sourceDir, 'main.ts') },
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: ['es2022', 'chrome110', 'firefox110', 'safari16'],
    minify: true,
    legalComments: 'none',
    write: false,
    metafile: true,
    outdir: 'out',
    logLevel: 'silent'
  })
  const file = (ext: string): Uint8Array => {
    const out = result.outputFiles.find(f => f.path.endsWith(ext))
    if (out === undefined) throw new Error(`esbuild produced no ${ext} file for the page`)
    return out.contents
  }
  return { 'app.js': file('.js'), 'app.css': file('.css'), inputs: Object.keys(result.metafile.inputs) }
}

/** `node dist/ui/build.js`: the page into dist/public/ (part of `npm run build`). */
export async function writeUi (dir = PUBLIC_DIR): Promise<void> {
  const bundle = await buildUi()
  await mkdir(dir, { recursive: true })
  for (const name of ['app.js', 'app.css'] as const) await writeFile(join(dir, name), bundle[name])
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await writeUi()
  process.stdout.write(`web page bundled into ${PUBLIC_DIR}\n`)
}
