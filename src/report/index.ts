// `gossipchain report` (docs/design.md §10): read a directory of traces, compute the figures, write
// report.json and the plots next to the traces, and format the table.
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { analyze, TOPICS, type Analysis, type Report } from './analyze.js'
import { renderSvg, reportPlots } from './plots.js'
import { readTraceSet, type TraceSet } from './traces.js'

export { analyze, percentile, TOPICS, type Analysis, type Report, type TopicFigures } from './analyze.js'
export { readNodeTrace, readTraceSet, type NodeTrace, type TraceSet } from './traces.js'

export const REPORT_FILE = 'report.json'

export interface WrittenReport {
  report: Report
  analysis: Analysis
  traces: TraceSet
  /** Files written in the directory. */
  files: string[]
  table: string
  warnings: string[]
}

export async function writeReport (dir: string): Promise<WrittenReport> {
  const traces = await readTraceSet(dir)
  const expected = traces.manifest?.nodes.length !== undefined && traces.manifest.nodes.length > 0 ? traces.manifest.nodes.length : traces.manifest?.options.nodes
  const nodeCount = Math.max(expected ?? traces.nodes.length, traces.nodes.length)
  const warnings: string[] = []
  if (nodeCount > traces.nodes.length) warnings.push(`${nodeCount - traces.nodes.length} of ${nodeCount} nodes have no trace; they count as never reached`)
  const bad = traces.nodes.reduce((sum, n) => sum + n.badLines, 0)
  if (bad > 0) warnings.push(`${bad} trace lines were not events and were skipped (a node killed while writing?)`)
  if (traces.manifest?.interrupted === true) warnings.push('the devnet run was interrupted (Ctrl-C): its last messages may not have propagated')
  else if (traces.manifest?.settle?.quiet === false) warnings.push(`the devnet stopped while messages were still propagating (after ${Math.round(traces.manifest.settle.ms / 1000)} s of --settle): coverage is understated`)
  const until = traces.manifest?.interrupted === true ? undefined : traces.manifest?.settle?.at
  const analysis = analyze(traces.nodes, { nodeCount, until })
  const late = analysis.report.topics.tx.late + analysis.report.topics.block.late
  if (late > 0) warnings.push(`${late} message(s) published after the run settled (e.g. a block mined while the nodes stopped) are left out`)
  const files: string[] = [REPORT_FILE]
  await writeFile(join(dir, REPORT_FILE), JSON.stringify(analysis.report, null, 2) + '\n')
  const plots = reportPlots(analysis, { nodes: nodeCount, startedAt: traces.manifest?.loadStartedAt })
  for (const [name, spec] of Object.entries(plots)) {
    await writeFile(join(dir, name), await renderSvg(spec))
    files.push(name)
  }
  return { report: analysis.report, analysis, traces, files, table: formatTable(analysis.report), warnings }
}

/** The report as a text table. */
export function formatTable (report: Report): string {
  const ms = (v: number | null): string => v === null ? '-' : v < 10 ? v.toFixed(1) : v.toFixed(0)
  const header = ['topic', 'messages', 'coverage', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'dups/msg', 'dups/msg/node']
  const rows = TOPICS.map(topic => {
    const t = report.topics[topic]
    return [topic, String(t.messages), t.coverage === null ? '-' : t.coverage.toFixed(4), ms(t.p50), ms(t.p90), ms(t.p99), ms(t.max),
      t.duplicates === null ? '-' : t.duplicates.toFixed(1), t.duplicatesPerNode === null ? '-' : t.duplicatesPerNode.toFixed(2)]
  })
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map(r => r[i].length)))
  const line = (cells: string[]): string => cells.map((c, i) => i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i])).join('  ')
  return `${report.nodes} nodes\n${line(header)}\n${rows.map(line).join('\n')}\n`
}
