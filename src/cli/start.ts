// `gossipchain start` (docs/design.md §13): run one node until SIGINT or SIGTERM, or until the process that
// launched it is gone when that was npm (`npx gossipchain`, `npm start`) or a devnet.
//
// Why the last part: `npx gossipchain start &` runs three processes, npm exec -> sh -c -> node. Without
// job control (a script) `kill %1` signals npm exec alone; npm passes the signal to `sh`, which dies
// without passing it on, and the node, reparented, would run on holding its ports. With job control
// (an interactive shell) the whole job's process group gets the signal and the node stops by itself.
// So a node launched by npm watches its parent: when it changes, the launcher is gone and the node stops.
import { EXIT_WITH_PARENT_ENV } from '../config.js'
import { addNodeConfigOptions, nodeConfigFromOptions, type CliContext, type CommandRegistrar } from './context.js'
/** How often the parent is checked; a stop begins at most this long after the launcher died. */
const PARENT_CHECK_MS = 500

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
    await runUntilStopped(node, context)
  })
}

/** Whether this process should stop when its parent exits (see the top of this file). */
export function exitsWithParent (env: Record<string, string | undefined>): boolean {
  return env[EXIT_WITH_PARENT_ENV] === '1' || ['exec', 'start', 'run-script', 'run'].includes(env.npm_command ?? '')
}

async function runUntilStopped (node: { stop(): Promise<void> }, context: CliContext): Promise<void> {
  await new Promise<void>((resolve) => {
    let stopping = false
    const stop = (why: string): void => {
      if (stopping) {
        context.stderr(`gossipchain: ${why} again, exiting without a clean stop\n`)
        process.exit(130)
      }
      stopping = true
      clearInterval(watch)
      context.stdout(`${why}: stopping\n`)
      node.stop().then(() => {
        context.stdout('stopped\n')
        process.off('SIGINT', onSignal)
        process.off('SIGTERM', onSignal)
        resolve()
      }, (err: unknown) => {
        context.stderr(`gossipchain: stop failed: ${(err as Error).message}\n`)
        process.exit(1)
      })
    }
    const onSignal = (signal: NodeJS.Signals): void => { stop(signal) }
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
    const parent = process.ppid
    const watch = exitsWithParent(context.env)
      ? setInterval(() => { if (process.ppid !== parent) stop(`the process that launched this node (pid ${parent}) is gone`) }, PARENT_CHECK_MS).unref()
      : undefined
  })
}
