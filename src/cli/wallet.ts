// `gossipchain wallet new|show`: create and inspect wallet files (docs/design.md §8).
import { stat } from 'node:fs/promises'
import { WalletError, WalletErrorCode } from '../wallet/errors.js'
import { createWallet, describeWallet, parseWalletText, type WalletDescription } from '../wallet/wallet-file.js'
import { readWalletFile, writeWalletFile } from '../wallet/wallet-store.js'
import { DEBUG_ENV, errnoOf, parsePositiveInteger, PASSWORD_ENV, type CommandRegistrar } from './context.js'
import { openWalletAt, readPassword } from './passwords.js'

export const walletCommand: CommandRegistrar = (program, context) => {
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

function formatDescription (description: WalletDescription): string {
  return [
    `name:       ${description.name}`,
    `public key: ${description.publicKey}`,
    `kdf:        PBKDF2-HMAC-${description.kdf.hash}, ${description.kdf.iterations} iterations${description.weakKdf ? ' (below 600000: too weak to open)' : ''}, salt ${description.kdf.salt}`,
    `cipher:     AES-256-GCM, iv ${description.cipher.iv}`,
    `format:     ${description.format} v${description.version}`
  ].join('\n') + '\n'
}

async function refuseExisting (path: string): Promise<void> {
  const taken = await stat(path).then(() => true, (error: unknown) => errnoOf(error) !== 'ENOENT')
  if (taken) throw new WalletError(WalletErrorCode.EXISTS, `refusing to overwrite ${path}: the file exists`, { path })
}
