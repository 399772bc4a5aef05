// `gossipchain tx sign`: sign a supply-chain record with a wallet (docs/design.md §2).
import { CONFIG_FILE_ENV, loadConfig, type NodeConfig } from '../config.js'
import { toHex } from '../core/bytes.js'
import { TxError } from '../core/errors.js'
import { isNetworkId, NETWORK_ID_RULE } from '../core/network.js'
import { CliError, DEBUG_ENV, nonEmpty, PASSWORD_ENV, type CommandRegistrar } from './context.js'
import { openWalletAt } from './passwords.js'

export const txCommand: CommandRegistrar = (program, context) => {
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
      if (!isNetworkId(network)) {
        throw new CliError(`--network must be a network id ${NETWORK_ID_RULE}, got ${JSON.stringify(network)}`)
      }
      const { opened: { seed } } = await openWalletAt(context, opts.wallet, opts.passwordFile)
      // Signed natively (node:crypto); the page signs the same tx with @noble/curves (docs/design.md §1).
      const [{ signTx }, { nodeEd25519Signer }] = await Promise.all([import('../core/tx.js'), import('../crypto/node-ed25519.js')])
      try {
        const signed = signTx({
          receiverPK: opts.receiver ?? null,
          item: opts.item ?? null,
          data: opts.data,
          timestamp: context.nowMs() / 1000,
          nonce: toHex(context.randomBytes(16))
        }, nodeEd25519Signer(seed), network)
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
  const { networkId } = await import('../core/block.js')
  return networkId(config.network)
}
