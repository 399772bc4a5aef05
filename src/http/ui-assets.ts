// Where the page's bundle comes from (docs/design.md §9). A compiled node (dist/, what `npm run build`
// makes and the Docker image runs) serves dist/public/, written by the build. A node run from the
// TypeScript sources (tsx: tests that run src/ in process) bundles src/ui in memory on the
// first request, so the page it serves is always its own source's, never a stale dist/.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { buildUi, PUBLIC_DIR, type UiBundle } from '../ui/build.js'

export function uiAssets (): () => Promise<UiBundle> {
  const fromSource = import.meta.url.endsWith('.ts')
  let loading: Promise<UiBundle> | undefined
  return async () => {
    loading ??= fromSource ? buildUi() : readBuilt()
    // A failed load is retried by the next request (a build may have been run meanwhile).
    return await loading.catch((err: unknown) => { loading = undefined; throw err })
  }
}

async function readBuilt (): Promise<UiBundle> {
  const read = async (name: keyof UiBundle): Promise<Uint8Array> => await readFile(join(PUBLIC_DIR, name)).catch(() => {
    throw new Error(`${join(PUBLIC_DIR, name)} is missing`)
  })
  return { 'app.js': await read('app.js'), 'app.css': await read('app.css') }
}
