// `gossipchain start` (docs/design.md §13): run one node until SIGINT/SIGTERM/SIGHUP.
import { addNodeConfigOptions, nodeConfigFromOptions, type CommandRegistrar } from './context.js'

export const startCommand: CommandRegistrar = (program, context) => {
  const start = program.command('start')
    .description('run a node: libp2p host, gossip, sync, mining and the HTTP facade')
  addNodeConfigOptions(start)
  start.action(async (opts: Record<string, unknown>) => {
    const config = nodeConfigFromOptions(opts, context.env)
    // libp2p is heavy: load it only when a node really starts, so `wallet` and `tx` stay fast.
    const { createNode } = await import('../node/index.js')
    const node = await createNode(config, { log: line => context.stdout(line + '\n') })
    await node.start()
    await new Promise<void>((resolve) => {
      let stopping = false
      const onSignal = (signal: NodeJS.Signals): void => {
        if (stopping) {
          context.stderr(`gossipchain: ${signal} again, exiting without a clean stop\n`)
          process.exit(130)
        }
        stopping = true
        context.stdout(`${signal}: stopping\n`)
        node.stop().then(() => {
          context.stdout('stopped\n')
          resolve()
        }, (err: unknown) => {
          context.stderr(`gossipchain: stop failed: ${(err as Error).message}\n`)
          process.exit(1)
        })
      }
      process.on('SIGINT', onSignal)
      process.on('SIGTERM', onSignal)
    })
  })
}
