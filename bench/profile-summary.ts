// Summary of a V8 CPU profile (`node --cpu-prof`, or `npm run bench -- --cpu-prof DIR`): self time by function
// and by file, the busiest first, idle included so shares read as shares of the thread's wall time.
//   node --import tsx bench/profile-summary.ts FILE.cpuprofile [TOP]
import { readFileSync } from 'node:fs'

interface Frame { functionName: string, url: string, lineNumber: number }
interface Profile { nodes: Array<{ id: number, callFrame: Frame }>, samples: number[], timeDeltas: number[] }

const [file, topArg] = process.argv.slice(2)
if (file === undefined) throw new Error('usage: profile-summary.ts FILE.cpuprofile [TOP]')
const top = Number(topArg ?? 30)
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile
const frames = new Map(profile.nodes.map(n => [n.id, n.callFrame]))
const self = new Map<number, number>()
for (let i = 0; i < profile.samples.length; i++) self.set(profile.samples[i], (self.get(profile.samples[i]) ?? 0) + (profile.timeDeltas[i] ?? 0))
const byFunction = new Map<string, number>()
const byFile = new Map<string, number>()
let total = 0
for (const [id, us] of self) {
  const f = frames.get(id)!
  const url = f.url.replace(/^.*node_modules\//, 'node_modules/').replace(/^.*\/dist\//, 'dist/').replace(/^file:\/\//, '')
  const fn = `${f.functionName === '' ? '(anonymous)' : f.functionName} ${url}:${f.lineNumber}`
  byFunction.set(fn, (byFunction.get(fn) ?? 0) + us)
  const group = url === '' ? f.functionName : url.split('/').slice(0, 3).join('/')
  byFile.set(group, (byFile.get(group) ?? 0) + us)
  total += us
}
const show = (title: string, m: Map<string, number>): void => {
  process.stdout.write(`${title} (${(total / 1000).toFixed(0)} ms sampled)\n`)
  for (const [k, us] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) process.stdout.write(`${(us / total * 100).toFixed(1).padStart(5)}%  ${k}\n`)
}
show('self time by function', byFunction)
show('self time by file', byFile)
