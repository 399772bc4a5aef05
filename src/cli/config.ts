// `gossipchain config show`: the effective node configuration (docs/design.md §1).
import { addNodeConfigOptions, nodeConfigFromOptions, type CommandRegistrar } from './context.js'

export const configCommand: CommandRegistrar = (program, context) => {
  const config = program.command('config').description('inspect the node configuration (docs/design.md §1)')
  const show = config.command('show')
    .description('print the effective configuration: defaults < --config file < GOSSIPCHAIN_* env < flags')
  addNodeConfigOptions(show)
  show.action(async (opts: Record<string, unknown>) => {
    const effective = nodeConfigFromOptions(opts, context.env)
    const printable = { ...effective, apiToken: effective.apiToken === undefined ? undefined : '(set, hidden)' }
    context.stdout(JSON.stringify(printable, null, 2) + '\n')
  })
}
