// What every `gossipchain` command shares (docs/design.md §1): the context it takes from the outside world
// (so tests substitute it), the registrar shape of a command module, the node-config flags, and the
// small parsers. Commands import this module; it imports no command.
import { randomBytes as nodeRandomBytes } from 'node:crypto'
import { InvalidArgumentError, type Command } from 'commander'
import { CONFIG_FILE_ENV, CONFIG_KEYS, loadConfig, type NodeConfig } from '../config.js'
import { promptHiddenOnTerminal } from './terminal.js'

export { CliError } from './errors.js'

/** Everything the commands take from the outside world, so a caller can substitute it. */
export interface CliContext {
  env: Record<string, string | undefined>
  stdout: (text: string) => void
  stderr: (text: string) => void
  /** Wall clock in milliseconds (core takes time as an argument). */
  nowMs: () => number
  randomBytes: (length: number) => Uint8Array
  /** Asks each prompt in turn without echo; undefined when there is no terminal to ask on. */
  promptHidden: ((prompts: string[]) => Promise<string[]>) | undefined
}

/**
 * A command module's hook: adds its command (and subcommands) to the program. Keep heavy imports
 * (libp2p, the node) inside the action (`await import(...)`) so that other commands stay fast.
 */
export type CommandRegistrar = (program: Command, context: CliContext) => void

export const PASSWORD_ENV = 'GOSSIPCHAIN_PASSWORD'
export const DEBUG_ENV = 'GOSSIPCHAIN_DEBUG'

export function defaultCliContext (): CliContext {
  return {
    env: process.env,
    stdout: text => { process.stdout.write(text) },
    stderr: text => { process.stderr.write(text) },
    nowMs: () => Date.now(),
    randomBytes: length => new Uint8Array(nodeRandomBytes(length)),
    promptHidden: process.stdin.isTTY === true && typeof process.stdin.setRawMode === 'function'
      ? promptHiddenOnTerminal
      : undefined
  }
}

/**
 * Adds `--config FILE` and one flag per node config key (CONFIG_KEYS) to `command`. No defaults are
 * set here on purpose: an absent flag must not hide the file or the environment.
 */
export function addNodeConfigOptions (command: Command): Command {
  command.option('--config <file>', `JSON config file (else $${CONFIG_FILE_ENV})`)
  for (const spec of CONFIG_KEYS) {
    const flag = `--${spec.flag.replace(/[A-Z]/g, letter => '-' + letter.toLowerCase())}`
    const description = `${spec.key}: ${spec.expected} (env ${spec.env})`
    if (spec.kind === 'list') {
      command.option(`${flag} <value>`, `${description}; repeat or separate with commas`, collect)
    } else if (spec.kind === 'boolean') {
      // `--legacy-chain-view` alone means true; `--legacy-chain-view false` still turns it off.
      command.option(`${flag} [value]`, description)
    } else {
      command.option(`${flag} <value>`, description)
    }
  }
  return command
}

/**
 * The NodeConfig of a command that used addNodeConfigOptions: defaults < file < env < flags
 * (docs/design.md §1). Throws ConfigError.
 */
export function nodeConfigFromOptions (opts: Record<string, unknown>, env: Record<string, string | undefined>): NodeConfig {
  const file = typeof opts.config === 'string' ? opts.config : nonEmpty(env[CONFIG_FILE_ENV])
  return loadConfig({ file, env, flags: opts })
}

function collect (value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value]
}

export function parsePositiveInteger (value: string): number {
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value)) || Number(value) < 1) {
    throw new InvalidArgumentError('expected a positive integer.')
  }
  return Number(value)
}

/** undefined for an unset or empty variable (compose files and shells use empty for "not set"). */
export function nonEmpty (value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value
}

/** The errno code of a failed fs call (ENOENT ...), else the message. */
export function errnoOf (error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : error instanceof Error ? error.message : String(error)
}
