// Submit: open a wallet file and sign a record IN THE BROWSER with the same wallet and core modules as
// the CLI (docs/design.md §9), then post the signed tx. The password and the seed stay in this function's
// variables: no request, header, URL or storage ever carries them (test/ui-browser.test.ts records every
// request to prove it); the seed is zeroed as soon as the signer holds its copy.
import { toHex } from '../../core/bytes.js'
import { TxError } from '../../core/errors.js'
import { isValidItem } from '../../core/record.js'
import { signTx } from '../../core/tx.js'
import { nobleEd25519Signer } from '../../crypto/browser-ed25519.js'
import { WalletError, WalletErrorCode, WALLET_LOCKED_MESSAGE } from '../../wallet/errors.js'
import { MAX_WALLET_FILE_BYTES, openWalletText, parseWalletText } from '../../wallet/wallet-file.js'
import { ApiError, postJson } from '../api.js'
import { INSECURE_CONTEXT_MESSAGE, type PageContext, type View } from '../context.js'
import { signingForm } from './signing-form.js'
import { field, h, itemLink, messageBox, replace } from '../dom.js'

const HEX_KEY = /^[0-9a-fA-F]{64}$/

/** Which wallet the picked file holds, read without the password (name, public key) or why it is none. */
async function describePicked (file: File): Promise<{ name: string, publicKey: string } | { problem: string }> {
  if (file.size > MAX_WALLET_FILE_BYTES) return { problem: `${file.name} is not a gossipchain wallet file (wallet files are under 1 KiB).` }
  try {
    const wallet = parseWalletText(new Uint8Array(await file.arrayBuffer()))
    return { name: wallet.name, publicKey: wallet.publicKey }
  } catch {
    return { problem: `${file.name} is not a gossipchain wallet file.` }
  }
}

export function submitView (ctx: PageContext): View {
  const walletInput = h('input', { attrs: { type: 'file', accept: '.json,application/json', name: 'wallet' } })
  const password = h('input', { attrs: { type: 'password', autocomplete: 'current-password', name: 'password' } })
  const item = h('input', { attrs: { type: 'text', maxlength: '256', autocomplete: 'off', name: 'item', spellcheck: 'false' } })
  const receivers = h('datalist', { id: 'receiver-names' })
  const receiver = h('input', { attrs: { type: 'text', list: 'receiver-names', autocomplete: 'off', name: 'receiver', spellcheck: 'false' } })
  const data = h('textarea', { attrs: { rows: '4', name: 'data' } })
  const button = h('button', { attrs: { type: 'submit' }, text: 'Sign and submit' })
  const walletInfo = h('p', { class: 'hint', attrs: { 'aria-live': 'polite' } })
  const message = messageBox()

  const fillReceivers = (): void => {
    replace(receivers, ...ctx.names.entries().map(({ name, key }) => h('option', { attrs: { value: name, label: `${name} · ${key.slice(0, 12)}…` } })))
  }
  fillReceivers()
  ctx.names.onChange(fillReceivers)

  walletInput.addEventListener('change', () => {
    const file = walletInput.files?.[0]
    walletInfo.textContent = ''
    if (file === undefined) return
    void describePicked(file).then(described => {
      if (walletInput.files?.[0] !== file) return // another file was picked meanwhile
      if ('problem' in described) {
        walletInfo.textContent = described.problem
        return
      }
      // The wallet's own name joins the names the page shows and offers (not the node's address book).
      ctx.names.add(described.name, described.publicKey)
      walletInfo.textContent = `Wallet ${described.name}, public key ${described.publicKey}`
    })
  })

  /** The receiver's public key: '' -> null, a name -> its key, 64 hex -> itself. */
  const receiverKey = (text: string): string | null | undefined => {
    if (text === '') return null
    const named = ctx.names.keyOf(text)
    if (named !== undefined) return named
    return HEX_KEY.test(text) ? text.toLowerCase() : undefined
  }

  const submit = async (): Promise<void> => {
    message.clear()
    const file = walletInput.files?.[0]
    const missing = [file === undefined && 'Wallet file', password.value === '' && 'Password', data.value === '' && 'Data'].filter(Boolean)
    if (missing.length > 0) { message.error(`Fill in: ${missing.join(', ')}.`); return }
    const itemText = item.value.trim()
    if (itemText !== '' && !isValidItem(itemText)) { message.error('Item must be at most 128 characters.'); return }
    const receiverPK = receiverKey(receiver.value.trim())
    if (receiverPK === undefined) { message.error('Receiver must be a name from the address book or a 64-hex public key.'); return }
    if (file!.size > MAX_WALLET_FILE_BYTES) { message.error(`${file!.name} is not a gossipchain wallet file.`); return }

    let tx
    try {
      const opened = await openWalletText(new Uint8Array(await file!.arrayBuffer()), password.value)
      const signer = nobleEd25519Signer(opened.seed)
      opened.seed.fill(0)
      ctx.names.add(opened.name, opened.publicKey)
      tx = signTx({
        item: itemText === '' ? null : itemText,
        receiverPK,
        data: data.value,
        timestamp: Date.now() / 1000,
        nonce: toHex(crypto.getRandomValues(new Uint8Array(16)))
      }, signer, ctx.node.network)
    } catch (err) {
      if (err instanceof WalletError && err.code === WalletErrorCode.LOCKED) message.error(`Nothing was sent: ${WALLET_LOCKED_MESSAGE}.`)
      else if (err instanceof WalletError && err.code === WalletErrorCode.NO_WEBCRYPTO) message.error(INSECURE_CONTEXT_MESSAGE)
      else if (err instanceof TxError) message.error(`Nothing was sent: ${err.message}.`)
      else message.error(`Nothing was sent: ${(err as Error).message}.`)
      return
    }
    try {
      const { id } = await postJson<{ id: string }>('/new_transaction', tx)
      data.value = ''
      message.info('Submitted: transaction ', h('code', { class: 'txid', text: id }), tx.item === null ? '' : ' about item ', tx.item === null ? '' : itemLink(tx.item),
        '. It is pending until a block is mined.')
    } catch (err) {
      message.error(err instanceof ApiError ? `The node refused the record (${err.status}): ${err.message}.` : `The record could not be sent: ${(err as Error).message}. Nothing was lost: submit again.`)
    }
  }

  return {
    root: signingForm(ctx, {
      id: 'submit',
      title: 'Sign and submit a record',
      intro: 'Your wallet is opened and the record signed in this browser: the password and the key never leave the page.',
      content: [
        field('Wallet file', walletInput), walletInfo,
        field('Password', password),
        field('Item', item, 'the item or lot this record is about, e.g. lot-42 (optional)'),
        field('Receiver', receiver, 'who receives the item: a name from the address book or a 64-hex public key (optional)'), receivers,
        field('Data', data, 'the record itself, up to 16 KiB'),
        button, message.el
      ],
      button,
      run: submit
    })
  }
}
