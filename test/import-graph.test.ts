// The module graph of src/ (docs/design.md §1), read from esbuild's metafile: no import cycle, the CLI's
// commands around one shared context, and heavy packages (libp2p, LevelDB) reached by the CLI only
// through a dynamic import, so `wallet` and `tx` stay fast.
import { readdirSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect } from 'chai'
import * as esbuild from 'esbuild'

const repoRoot = fileURLToPath(new URL('..', import.meta.url))

interface Edge { path: string, kind: string, external: boolean }
type Graph = Map<string, Edge[]>

function sourceFiles (dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap(entry => {
    const path = join(dir, entry.name)
    return entry.isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : []
  })
}

async function importGraph (): Promise<Graph> {
  const result = await esbuild.build({
    absWorkingDir: repoRoot,
    entryPoints: sourceFiles(join(repoRoot, 'src')).map(path => relative(repoRoot, path)),
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    metafile: true,
    write: false,
    outdir: 'import-graph-out',
    logLevel: 'silent'
  })
  const graph: Graph = new Map()
  for (const [file, input] of Object.entries(result.metafile.inputs)) {
    graph.set(file, input.imports.map(i => ({ path: i.path, kind: i.kind, external: i.external === true })))
  }
  return graph
}

/** Modules reachable from `from` through static imports (including `from`). */
function staticClosure (graph: Graph, from: string): Set<string> {
  const seen = new Set<string>([from])
  const stack = [from]
  while (stack.length > 0) {
    for (const edge of graph.get(stack.pop() as string) ?? []) {
      if (edge.kind !== 'import-statement' || seen.has(edge.path)) continue
      seen.add(edge.path)
      if (!edge.external) stack.push(edge.path)
    }
  }
  return seen
}

/** One cycle of static imports among our own modules, or undefined. */
function findCycle (graph: Graph): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>()
  const path: string[] = []
  const visit = (node: string): string[] | undefined => {
    state.set(node, 'open')
    path.push(node)
    for (const edge of graph.get(node) ?? []) {
      if (edge.external || edge.kind !== 'import-statement') continue
      if (state.get(edge.path) === 'open') return [...path.slice(path.indexOf(edge.path)), edge.path]
      if (state.get(edge.path) === undefined) {
        const cycle = visit(edge.path)
        if (cycle !== undefined) return cycle
      }
    }
    path.pop()
    state.set(node, 'done')
    return undefined
  }
  for (const node of graph.keys()) {
    if (state.get(node) !== undefined) continue
    const cycle = visit(node)
    if (cycle !== undefined) return cycle
  }
  return undefined
}

const HEAVY = /^(libp2p|@libp2p\/|@chainsafe\/|classic-level|@hono\/node-server)/

describe('import graph of src/ (docs/design.md §1)', function () {
  this.timeout(30_000)
  let graph: Graph
  before(async () => { graph = await importGraph() })

  it('has no cycle of static imports', () => {
    expect(graph.size).to.be.greaterThan(50)
    const cycle = findCycle(graph)
    expect(cycle, cycle?.join(' -> ')).to.equal(undefined)
  })

  it('finds a cycle when there is one (the check can fail)', () => {
    const looped: Graph = new Map([
      ['a.ts', [{ path: 'b.ts', kind: 'import-statement', external: false }]],
      ['b.ts', [{ path: 'a.ts', kind: 'import-statement', external: false }]]
    ])
    expect(findCycle(looped)).to.deep.equal(['a.ts', 'b.ts', 'a.ts'])
  })

  it('the CLI loads libp2p, LevelDB and the node only through dynamic imports', () => {
    const closure = staticClosure(graph, 'src/cli.ts')
    expect(closure.has('src/cli/wallet.ts')).to.equal(true)
    const heavy = [...closure].filter(path => HEAVY.test(path) || path.startsWith('src/node/') || path.startsWith('src/p2p/'))
    expect(heavy, 'statically imported by src/cli.ts').to.deep.equal([])
    // ...and `start` does reach the node, dynamically.
    expect(graph.get('src/cli/start.ts')?.some(e => e.path === 'src/node/index.ts' && e.kind === 'dynamic-import')).to.equal(true)
  })

  it('each command module imports the shared context and no other command', () => {
    const commands = [...graph.get('src/cli/program.ts') ?? []].map(e => e.path)
      .filter(path => path.startsWith('src/cli/') && !['src/cli/context.ts'].includes(path))
    expect(commands).to.include.members(['src/cli/wallet.ts', 'src/cli/tx.ts', 'src/cli/config.ts', 'src/cli/start.ts'])
    for (const command of commands) {
      const imports = (graph.get(command) ?? []).map(e => e.path)
      expect(imports, command).to.include('src/cli/context.ts')
      expect(imports.filter(path => commands.includes(path)), `${command} imports another command`).to.deep.equal([])
    }
  })
})
