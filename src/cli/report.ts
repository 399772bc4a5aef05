// `gossipchain report DIR` (docs/design.md §10): a devnet's traces -> DIR/report.json, three SVG plots
// (delay CDF, delivery over time, per-node delay) and a table on stdout. The figures are defined in
// src/report/analyze.ts and the README ("Watch gossip").
import { CliError, errnoOf, type CommandRegistrar } from './context.js'

export const reportCommand: CommandRegistrar = (program, context) => {
  program.command('report')
    .description('turn a devnet\'s traces (DIR/node-<i>.ndjson, either trace format) into DIR/report.json, SVG plots and a table')
    .argument('<dir>', 'the --out directory of `gossipchain devnet` (or any directory of trace files)')
    .action(async (dir: string) => {
      const { writeReport } = await import('../report/index.js')
      let result: Awaited<ReturnType<typeof writeReport>>
      try {
        result = await writeReport(dir)
      } catch (err) {
        const code = errnoOf(err)
        if (code === 'ENOENT' || code === 'ENOTDIR') throw new CliError(`cannot read ${dir}: ${code}`)
        throw new CliError((err as Error).message)
      }
      for (const warning of result.warnings) context.stderr(`gossipchain: warning: ${warning}\n`)
      context.stdout(result.table)
      context.stdout(`\nwrote ${result.files.join(', ')} in ${dir}\n`)
    })
}
