// Wallet: create a wallet IN THE BROWSER and download it as <name>.wallet.json, in exactly the bytes
// `gossipchain wallet new` writes (walletFileText), so `gossipchain wallet show --unlock` opens it.
import { WalletError, WalletErrorCode } from '../../wallet/errors.js'
import { createWallet, walletFileText, WALLET_NAME_PATTERN } from '../../wallet/wallet-file.js'
import { INSECURE_CONTEXT_MESSAGE, type PageContext, type View } from '../context.js'
import { field, h, messageBox } from '../dom.js'
import { signingForm } from './signing-form.js'

export function walletView (ctx: PageContext): View {
  const name = h('input', { attrs: { type: 'text', autocomplete: 'off', maxlength: '64', name: 'wallet-name', spellcheck: 'false' } })
  const pw1 = h('input', { attrs: { type: 'password', autocomplete: 'new-password', name: 'new-password' } })
  const pw2 = h('input', { attrs: { type: 'password', autocomplete: 'new-password', name: 'repeat-password' } })
  const button = h('button', { attrs: { type: 'submit' }, text: 'Create wallet' })
  const message = messageBox()

  const create = async (): Promise<void> => {
    message.clear()
    if (!WALLET_NAME_PATTERN.test(name.value)) { message.error('Wallet name: 1 to 64 characters of A-Z a-z 0-9 _ . - (e.g. farm_A).'); return }
    if (pw1.value === '' || pw2.value === '') { message.error('Type the new password twice.'); return }
    if (pw1.value !== pw2.value) { message.error('The two passwords differ: no wallet was created.'); return }
    message.info('Creating the wallet (the key derivation takes a moment)…')
    try {
      const { file, seed } = await createWallet({ name: name.value, password: pw1.value })
      seed.fill(0)
      const url = URL.createObjectURL(new Blob([walletFileText(file)], { type: 'application/json' }))
      const link = h('a', { attrs: { href: url, download: `${file.name}.wallet.json` } })
      document.body.appendChild(link)
      link.click()
      link.remove()
      setTimeout(() => { URL.revokeObjectURL(url) }, 60_000)
      ctx.names.add(file.name, file.publicKey)
      pw1.value = ''
      pw2.value = ''
      message.info(`Created ${file.name}.wallet.json (public key ${file.publicKey}). Keep the file and its password: nobody can recover either.`)
    } catch (err) {
      if (err instanceof WalletError && err.code === WalletErrorCode.NO_WEBCRYPTO) message.error(INSECURE_CONTEXT_MESSAGE)
      else message.error(`No wallet was created: ${(err as Error).message}.`)
    }
  }

  return {
    root: signingForm(ctx, {
      id: 'wallet',
      title: 'Create a wallet',
      intro: 'The key is generated in this browser and sealed with your password; the file is downloaded, nothing is sent to the node.',
      content: [field('Wallet name', name, 'your entity\'s name, e.g. farm_A'), field('New password', pw1), field('Repeat password', pw2), button, message.el],
      button,
      run: create
    })
  }
}
