// Where a command gets a wallet's password, and how it opens a wallet file with it (docs/design.md §8).
import { readFile } from 'node:fs/promises'
import { openWalletText, type OpenedWallet } from '../wallet/wallet-file.js'
import { readWalletFileBytes } from '../wallet/wallet-store.js'
import { CliError, errnoOf, PASSWORD_ENV, type CliContext } from './context.js'

/**
 * The password, from (in this order) --password-file (its first line), $GOSSIPCHAIN_PASSWORD, or a
 * no-echo prompt on the terminal, asked twice when `confirm` is set.
 */
export async function readPassword (context: CliContext, opts: { passwordFile?: string, confirm: boolean }): Promise<string> {
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
 * Reads the wallet at `path`, asks for its password and opens it. A missing or unreadable file fails
 * first (WALLET_NOT_FOUND / WALLET_IO: not a modification); after the password, a wrong password and
 * any modified byte end in the same WALLET_LOCKED (docs/design.md §8).
 */
export async function openWalletAt (context: CliContext, path: string, passwordFile: string | undefined): Promise<{ opened: OpenedWallet, bytes: Uint8Array }> {
  const bytes = await readWalletFileBytes(path)
  const password = await readPassword(context, { passwordFile, confirm: false })
  return { opened: await openWalletText(bytes, password), bytes }
}
