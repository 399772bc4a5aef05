// The `gossipchain` program (docs/design.md §1): one module per command around the shared context
// (context.ts). Every failure a user can cause ends as ONE line on stderr, `gossipchain: <message>`,
// and a non-zero exit; stack traces only with GOSSIPCHAIN_DEBUG=1. Commands that OPEN a wallet
// (`tx sign`, `wallet show --unlock`) print the same line for a wrong password and for any modified
// byte of the file (docs/design.md §8); GOSSIPCHAIN_DEBUG=1 adds what failed.
//
// Adding a command: write src/cli/NAME.ts exporting a CommandRegistrar (see context.ts), then add one
// import and one entry to COMMANDS below. A command that runs a node uses addNodeConfigOptions(cmd) and
// nodeConfigFromOptions(opts, context.env), and imports the node inside its action.
import { createRequire } from 'node:module'
import { Command, CommanderError } from 'commander'
import { ConfigError } from '../config.js'
import { TxError } from '../core/errors.js'
import { WalletError } from '../wallet/errors.js'
import { configCommand } from './config.js'
import { devnetCommand } from './devnet.js'
import { reportCommand } from './report.js'
import { CliError, DEBUG_ENV, defaultCliContext, type CliContext, type CommandRegistrar } from './context.js'
import { startCommand } from './start.js'
import { txCommand } from './tx.js'
import { walletCommand } from './wallet.js'

/** Every command, in the order `--help` lists them. */
export const COMMANDS: readonly CommandRegistrar[] = [
  walletCommand,
  txCommand,
  configCommand,
  startCommand,
  devnetCommand,
  reportCommand
]

/** The whole `gossipchain` program. */
export function buildProgram (context: CliContext = defaultCliContext(), commands: readonly CommandRegistrar[] = COMMANDS): Command {
  const program = new Command('gossipchain')
    .description('A peer-to-peer proof-of-work ledger for supply-chain records')
    .version(packageVersion(), '-V, --version')
    .exitOverride()
    .configureOutput({
      writeOut: text => { context.stdout(text) },
      writeErr: text => { context.stderr(text) },
      outputError: (text, write) => { write(`gossipchain: ${oneLine(text.replace(/^error: /, ''))}\n`) }
    })
  // Settings are copied into subcommands when they are created: configure before adding any.
  for (const register of commands) register(program, context)
  return program
}

/** Runs the program on `argv` (node-style: argv[0] node, argv[1] script) and returns the exit code. */
export async function main (argv: string[] = process.argv, context: CliContext = defaultCliContext()): Promise<number> {
  const program = buildProgram(context)
  try {
    await program.parseAsync(argv)
    return 0
  } catch (error) {
    // Commander has printed its own message already (through outputError above).
    if (error instanceof CommanderError) return error.exitCode
    context.stderr(`gossipchain: ${oneLine(userMessage(error))}\n`)
    if (context.env[DEBUG_ENV] !== undefined && context.env[DEBUG_ENV] !== '' && error instanceof Error) {
      // WALLET_LOCKED says one thing for every cause on purpose; its meta says which (meta.reason).
      if (error instanceof WalletError) context.stderr(`gossipchain: debug: ${error.code} ${JSON.stringify(error.meta)}\n`)
      context.stderr(`${error.stack ?? ''}\n`)
    }
    return error instanceof CliError ? error.exitCode : 1
  }
}

function userMessage (error: unknown): string {
  if (error instanceof CliError || error instanceof WalletError || error instanceof ConfigError) return error.message
  if (error instanceof TxError) return `invalid transaction: ${error.message}`
  if (error instanceof Error) return `unexpected error: ${error.message} (set ${DEBUG_ENV}=1 for details)`
  return `unexpected error: ${String(error)}`
}

function oneLine (text: string): string {
  return text.trim().split(/\s*\n\s*/).join(' ')
}

// src/cli/program.ts and dist/cli/program.js both sit two levels below package.json.
function packageVersion (): string {
  try {
    return (createRequire(import.meta.url)('../../package.json') as { version: string }).version
  } catch {
    return 'unknown'
  }
}
