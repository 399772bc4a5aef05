import './polyfill.js'

// The `gossipchain` command (docs/design.md §1). Every failure a user can cause ends as ONE line on stderr,
// `gossipchain: <message>`, and a non-zero exit; stack traces only with GOSSIPCHAIN_DEBUG=1.
// Commands that OPEN a wallet (`tx sign`, `wallet show --unlock`) print the same line for a wrong
// password and for any modified byte of the file (docs/design.md §8); GOSSIPCHAIN_DEBUG=1 adds what failed.

import { randomBytes as nodeRandomBytes } from 'node:crypto'
import { readFile, realpath, stat } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { pathToFileURL } from 'node:url'
import { Command, CommanderError, InvalidArgumentError } from 'commander'
import { registerStartCommand } from './cli-start.js'
import { CONFIG_FILE_ENV, CONFIG_KEYS, ConfigError, loadConfig, type NodeConfig } from './config.js'
import { TxError } from './core/errors.js'
import { WalletError, WalletErrorCode } from './wallet/errors.js'
import {
  createWallet, describeWallet, openWalletText, parseWalletText, type OpenedWallet, type WalletDescription
} from './wallet/wallet-file.js'
import { readWalletFile, readWalletFileBytes, writeWalletFile } from './wallet/wallet-store.js'

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

/** A command module's hook: adds its subcommand(s) to the program. */
export type CommandRegistrar = (program: Command, context: CliContext) => void

/** An expected failure: its message is printed as is. */
export class CliError extends Error {
  override readonly name = 'CliError'
  constructor (message: string, readonly exitCode = 1) {
    super(message)
  }
}

export const PASSWORD_ENV = 'GOSSIPCHAIN_PASSWORD'
const DEBUG_ENV = 'GOSSIPCHAIN_DEBUG'

// ============================================================================================
// Extension point: `gossipchain start` (docs/design.md §13) and later `mine`, `devnet`, `report`.
// Their owners export a CommandRegistrar, e.g. `registerStartCommand(program, context)`, and add
// it to this list. Inside it, call addNodeConfigOptions(command) and, in the action,
// nodeConfigFromOptions(command.opts(), context.env) so that every node flag follows the
// precedence of docs/design.md §1 (defaults < file < env < flags). Keep heavy imports (libp2p) inside the
// action (`await import(...)`) so `wallet` and `tx` stay fast.
// ============================================================================================
const EXTRA_COMMANDS: CommandRegistrar[] = [registerStartCommand]

/** The whole `gossipchain` program; `extraCommands` are registered after the built-in verbs. */
export function buildProgram (context: CliContext = defaultCliContext(), extraCommands: CommandRegistrar[] = EXTRA_COMMANDS): Command {
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
  registerWalletCommands(program, context)
  registerTxCommands(program, context)
  registerConfigCommands(program, context)
  for (const register of extraCommands) register(program, context)
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

// ---- wallet ----

function registerWalletCommands (program: Command, context: CliContext): void {
  const wallet = program.command('wallet').description('create and inspect wallet files (docs/design.md §8)')

  wallet.command('new')
    .description('create a wallet file holding a fresh Ed25519 key, sealed with a password')
    .requiredOption('--name <name>', 'entity name, 1-64 characters of A-Z a-z 0-9 _ . - (e.g. farm_A)')
    .requiredOption('--out <file>', 'where to write the wallet (never overwritten)')
    .option('--password-file <file>', `read the password from the first line of this file (else $${PASSWORD_ENV}, else a prompt)`)
    .option('--iterations <n>', 'PBKDF2 iterations (at least 600000)', parsePositiveInteger)
    .option('--json', 'print {name, publicKey, file} as JSON')
    .action(async (opts: { name: string, out: string, passwordFile?: string, iterations?: number, json?: boolean }) => {
      // Fail before asking for a password when the target is taken.
      await refuseExisting(opts.out)
      const password = await readPassword(context, { passwordFile: opts.passwordFile, confirm: true })
      const { file, seed } = await createWallet({ name: opts.name, password, iterations: opts.iterations })
      seed.fill(0)
      await writeWalletFile(opts.out, file)
      if (opts.json === true) {
        context.stdout(JSON.stringify({ name: file.name, publicKey: file.publicKey, file: opts.out }) + '\n')
      } else {
        context.stdout(`wrote wallet ${file.name} to ${opts.out} (mode 0600)\npublic key: ${file.publicKey}\n`)
      }
    })

  wallet.command('show')
    .description('print a wallet\'s name, public key and KDF parameters without the password (a file that is ' +
      'not a wallet: the error names the faulty field); --unlock opens it with the password first')
    .argument('<file>', 'wallet file')
    .option('--unlock', 'ask for the password and open the wallet; a wrong password and any modified byte of the file ' +
      'give the same error, "wrong password or the wallet file was modified"')
    .option('--password-file <file>', `with --unlock: the password is the first line of this file (else $${PASSWORD_ENV}, else a prompt)`)
    .option('--json', 'print the description as JSON')
    .addHelpText('after', `\nSet ${DEBUG_ENV}=1 to see why a wallet did not open.`)
    .action(async (path: string, opts: { unlock?: boolean, passwordFile?: string, json?: boolean }) => {
      let description: WalletDescription
      if (opts.unlock === true) {
        // Open first: until the file opens, every problem with it is the one WALLET_LOCKED line.
        const { opened, bytes } = await openWalletAt(context, path, opts.passwordFile)
        opened.seed.fill(0)
        description = describeWallet(parseWalletText(bytes))
      } else {
        description = describeWallet(await readWalletFile(path))
      }
      const unlocked = opts.unlock === true ? true : undefined
      if (opts.json === true) {
        context.stdout(JSON.stringify({ ...description, ...(unlocked === undefined ? {} : { unlocked }) }) + '\n')
      } else {
        context.stdout(formatDescription(description) + (unlocked === true ? 'unlock:     ok, the password opens this wallet\n' : ''))
      }
    })
}

/**
 * Reads the wallet at `path`, asks for its password and opens it. A missing or unreadable file fails
 * first (WALLET_NOT_FOUND / WALLET_IO: not a modification); after the password, a wrong password and
 * any modified byte end in the same WALLET_LOCKED (docs/design.md §8).
 */
async function openWalletAt (context: CliContext, path: string, passwordFile: string | undefined): Promise<{ opened: OpenedWallet, bytes: Uint8Array }> {
  const bytes = await readWalletFileBytes(path)
  const password = await readPassword(context, { passwordFile, confirm: false })
  return { opened: await openWalletText(bytes, password), bytes }
}

function formatDescription (description: WalletDescription): string {
  return [
    `name:       ${description.name}`,
    `public key: ${description.publicKey}`,
    `kdf:        PBKDF2-HMAC-${description.kdf.hash}, ${description.kdf.iterations} iterations${description.weakKdf ? ' (below 600000: too weak to open)' : ''}, salt ${description.kdf.salt}`,
    `cipher:     AES-256-GCM, iv ${description.cipher.iv}`,
    `format:     ${description.format} v${description.version}`
  ].join('\n') + '\n'
}

// ---- tx ----

function registerTxCommands (program: Command, context: CliContext): void {
  const tx = program.command('tx').description('sign transactions (docs/design.md §2)')

  tx.command('sign')
    .description('sign a supply-chain record with a wallet and print the tx JSON (post it to /new_transaction)')
    .requiredOption('--wallet <file>', 'wallet file of the sender; a wrong password and any modified byte of it give ' +
      'the same error, "wrong password or the wallet file was modified"')
    .requiredOption('--data <text>', 'the record, up to 16 KiB of UTF-8')
    .option('--item <id>', 'item / lot id, up to 128 characters')
    .option('--receiver <hex>', 'public key (64 hex) of the entity receiving the item')
    .option('--network <id>', 'network id, e.g. gossipchain-dev-1a2b3c4d (default: from the config)')
    .option('--config <file>', `config file that names the network (else $${CONFIG_FILE_ENV}, else the defaults)`)
    .option('--password-file <file>', `the password is the first line of this file (else $${PASSWORD_ENV}, else a prompt)`)
    .addHelpText('after', `\nSet ${DEBUG_ENV}=1 to see why a wallet did not open.`)
    .action(async (opts: { wallet: string, data: string, item?: string, receiver?: string, network?: string, config?: string, passwordFile?: string }) => {
      const network = opts.network ?? await networkIdOf(loadConfig({ file: opts.config ?? nonEmpty(context.env[CONFIG_FILE_ENV]), env: context.env }))
      if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}-[0-9a-f]{8}$/.test(network)) {
        throw new CliError(`--network must be a network id such as gossipchain-dev-1a2b3c4d (<name>-<8 hex>), got ${JSON.stringify(network)}`)
      }
      const { opened: { seed } } = await openWalletAt(context, opts.wallet, opts.passwordFile)
      const { signTx } = await import('./core/tx.js')
      try {
        const signed = signTx({
          receiverPK: opts.receiver ?? null,
          item: opts.item ?? null,
          data: opts.data,
          timestamp: context.nowMs() / 1000,
          nonce: toHex(context.randomBytes(16))
        }, seed, network)
        context.stdout(JSON.stringify(signed, null, 2) + '\n')
      } catch (error) {
        if (error instanceof TxError) throw new CliError(`invalid ${flagOfTxField(error.meta.field)}: ${error.message}`)
        throw error
      } finally {
        seed.fill(0)
      }
    })
}

function flagOfTxField (field: string | number | boolean | undefined): string {
  if (field === 'receiverPK') return '--receiver'
  if (field === 'item') return '--item'
  if (field === 'data') return '--data'
  return `transaction field ${String(field)}`
}

async function networkIdOf (config: NodeConfig): Promise<string> {
  const { networkId } = await import('./core/block.js')
  return networkId(config.network)
}

// ---- config ----

function registerConfigCommands (program: Command, context: CliContext): void {
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

/** The NodeConfig of a command that used addNodeConfigOptions. Throws ConfigError. */
export function nodeConfigFromOptions (opts: Record<string, unknown>, env: Record<string, string | undefined>): NodeConfig {
  const file = typeof opts.config === 'string' ? opts.config : nonEmpty(env[CONFIG_FILE_ENV])
  return loadConfig({ file, env, flags: opts })
}

function collect (value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value]
}

// ---- passwords ----

/**
 * The password, from (in this order) --password-file (its first line), $GOSSIPCHAIN_PASSWORD, or a
 * no-echo prompt on the terminal, asked twice when `confirm` is set.
 */
async function readPassword (context: CliContext, opts: { passwordFile?: string, confirm: boolean }): Promise<string> {
  if (opts.passwordFile !== undefined) {
    let text: string
    try {
      text = await readFile(opts.passwordFile, 'utf8')
    } catch (error) {
      throw new CliError(`cannot read password file ${opts.passwordFile}: ${errnoOf(error)}`)
    }
    const firstLine = text.split(/\r?\n/)[0]
    if (firstLine.length === 0) throw new CliError(`password file ${opts.passwordFile} is empty: the password is its first line`)
    return firstLine
  }
  const fromEnv = context.env[PASSWORD_ENV]
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv
  if (context.promptHidden === undefined) {
    throw new CliError(`no password: use --password-file FILE, set ${PASSWORD_ENV}, or run in a terminal`)
  }
  const prompts = opts.confirm ? ['Password: ', 'Repeat password: '] : ['Password: ']
  const answers = await context.promptHidden(prompts)
  if (answers[0].length === 0) throw new CliError('the password is empty')
  if (opts.confirm && answers[0] !== answers[1]) throw new CliError('the two passwords differ')
  return answers[0]
}

/**
 * Reads lines from a raw-mode terminal without echo. One session for all prompts, so a pasted
 * "password\npassword\n" answers both.
 */
async function promptHiddenOnTerminal (prompts: string[]): Promise<string[]> {
  const stdin = process.stdin
  const answers: string[] = []
  let current = ''
  return await new Promise<string[]>((resolve, reject) => {
    const finish = (): void => {
      stdin.off('data', onData)
      stdin.setRawMode(false)
      stdin.pause()
    }
    const onData = (chunk: string): void => {
      for (let i = 0; i < chunk.length; i++) {
        const char = chunk[i]
        if (char === '\r' || char === '\n') {
          process.stderr.write('\n')
          answers.push(current)
          current = ''
          if (chunk[i + 1] === '\n' && char === '\r') i++
          if (answers.length === prompts.length) {
            finish()
            resolve(answers)
            return
          }
          process.stderr.write(prompts[answers.length])
        } else if (char === '\u0003' || (char === '\u0004' && current.length === 0)) { // Ctrl-C, Ctrl-D
          process.stderr.write('\n')
          finish()
          reject(new CliError('cancelled', 130))
          return
        } else if (char === '\u007f' || char === '\b') {
          current = Array.from(current).slice(0, -1).join('')
        } else if (char === '\u0015') { // Ctrl-U
          current = ''
        } else if (char === '\u001b') { // an escape sequence (arrow keys...): not part of a password
          return
        } else if (char >= ' ') {
          current += char
        }
      }
    }
    stdin.setEncoding('utf8')
    stdin.setRawMode(true)
    stdin.resume()
    stdin.on('data', onData)
    process.stderr.write(prompts[0])
  })
}

// ---- helpers ----

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

async function refuseExisting (path: string): Promise<void> {
  const taken = await stat(path).then(() => true, (error: unknown) => errnoOf(error) !== 'ENOENT')
  if (taken) throw new WalletError(WalletErrorCode.EXISTS, `refusing to overwrite ${path}: the file exists`, { path })
}

function parsePositiveInteger (value: string): number {
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value)) || Number(value) < 1) {
    throw new InvalidArgumentError('expected a positive integer.')
  }
  return Number(value)
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

function nonEmpty (value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value
}

function errnoOf (error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : error instanceof Error ? error.message : String(error)
}

function toHex (bytes: Uint8Array): string {
  return Array.from(bytes, byte => byte.toString(16).padStart(2, '0')).join('')
}

// src/cli.ts and dist/cli.js both sit one level below package.json.
function packageVersion (): string {
  try {
    return (createRequire(import.meta.url)('../package.json') as { version: string }).version
  } catch {
    return 'unknown'
  }
}

async function isEntryPoint (): Promise<boolean> {
  const script = process.argv[1]
  if (script === undefined) return false
  try {
    return import.meta.url === pathToFileURL(await realpath(script)).href
  } catch {
    return false
  }
}

// Run when executed directly (`node dist/cli.js`, `node --import tsx src/cli.ts`); bin/gossipchain.js
// imports this module and calls main() itself.
if (await isEntryPoint()) {
  process.exitCode = await main()
}
