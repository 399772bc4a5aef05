// The "Latest figures" table of RELIABILITY.md, from reliability/results/*.json (the latest full run of
// each scenario): written between its two marker comments, the rest of the file left as it is.
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { RESULTS_DIR, type ScenarioResult } from './harness.js'
import { scenarioNames } from './scenarios.js'

const FILE = join(RESULTS_DIR, '..', '..', 'RELIABILITY.md')
const BEGIN = '<!-- reliability:results -->'
const END = '<!-- /reliability:results -->'

function cell (value: unknown, unit = ''): string {
  return typeof value === 'number' && Number.isFinite(value) ? `${value}${unit}` : '-'
}

export function resultsTable (results: ScenarioResult[]): string {
  const lines = [
    '| scenario | honest p50 / p99 without (ms) | with the attack (ms) | p99 ratio (<= 3) | honest block (ms, <= 5000) | RSS max (MB, < 400) | lost (0) | checks | all bars | measured |',
    '|---|---|---|---|---|---|---|---|---|---|'
  ]
  for (const r of results) {
    const f = r.figures
    const block = typeof f.syncDelayMs === 'number' ? `${cell(f.blockDelayMs)}; sync ${cell(f.syncDelayMs)}` : cell(f.blockDelayMs)
    const checks = Object.values(r.checks)
    lines.push(`| \`${r.name}\` | ${f.baseline !== undefined ? `${f.baseline.p50} / ${f.baseline.p99}` : '-'} | ` +
      `${f.attack !== undefined ? `${f.attack.p50} / ${f.attack.p99}` : '-'} | ${cell(f.p99Ratio, 'x')} | ${block} | ${cell(f.rssMaxMb)} | ` +
      `${f.lost !== undefined ? f.lost.txs + f.lost.blocks : '-'} | ${checks.filter(Boolean).length}/${checks.length} | ${r.met ? 'met' : '**not met**'} | ${r.at.slice(0, 16).replace('T', ' ')} |`)
  }
  return lines.join('\n')
}

export async function writeReliabilityTable (): Promise<string> {
  const files = new Set(await readdir(RESULTS_DIR).catch(() => [] as string[]))
  const results: ScenarioResult[] = []
  for (const name of scenarioNames()) {
    if (!files.has(`${name}.json`)) continue
    const r = JSON.parse(await readFile(join(RESULTS_DIR, `${name}.json`), 'utf8')) as ScenarioResult
    if (!r.quick) results.push(r)
  }
  const text = await readFile(FILE, 'utf8')
  const begin = text.indexOf(BEGIN)
  const end = text.indexOf(END)
  if (begin === -1 || end === -1) throw new Error(`${FILE} lacks the ${BEGIN} ... ${END} markers`)
  const details = results.map(r => `- \`${r.name}\`: ${JSON.stringify(Object.fromEntries(Object.entries(r.figures).filter(([k]) => !['baseline', 'attack', 'lost', 'p99Ratio', 'blockDelayMs', 'rssMaxMb', 'baselineBlockMs', 'syncDelayMs'].includes(k))))}`)
  const body = `${BEGIN}\n${resultsTable(results)}\n\nDetails (the attack's own figures; all of them in reliability/results/NAME.json):\n\n${details.join('\n')}\n${END}`
  await writeFile(FILE, text.slice(0, begin) + body + text.slice(end + END.length))
  return FILE
}
