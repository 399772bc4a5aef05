// Pending: transactions waiting for a block, and a Mine button. A node with an API token answers /mine
// with 401: the page then asks for the token (kept in this page's memory only) and sends it as a
// bearer token.
import type { Tx } from '../../core/types.js'
import { ApiError, getJson, postJson } from '../api.js'
import type { PageContext, View } from '../context.js'
import { field, h, messageBox, replace } from '../dom.js'
import { recordView } from './records.js'

export function pendingView (ctx: PageContext): View {
  const list = h('ul', { class: 'records' })
  const count = h('p', { class: 'hint', attrs: { 'aria-live': 'polite' } })
  const message = messageBox()
  const mine = h('button', { attrs: { type: 'button' }, text: 'Mine' })
  const refresh = h('button', { attrs: { type: 'button' }, text: 'Refresh' })
  const token = h('input', { attrs: { type: 'password', autocomplete: 'off', name: 'api-token' } })
  const tokenField = field('API token', token, 'this node asks for its API token before it mines')
  tokenField.hidden = true

  const load = async (): Promise<void> => {
    try {
      const pending = await getJson<Tx[]>('/pending_tx?view=full')
      count.textContent = pending.length === 0 ? 'No pending transactions.' : `${pending.length} pending transaction${pending.length === 1 ? '' : 's'}, oldest first.`
      replace(list, ...pending.map(tx => recordView(tx, ctx.names)))
    } catch (err) {
      message.error(`Could not read the pending transactions: ${(err as Error).message}.`)
    }
  }

  let busy = false
  mine.addEventListener('click', () => {
    if (busy) return
    busy = true
    mine.disabled = true
    message.info('Mining…')
    const headers: Record<string, string> = token.value === '' ? {} : { authorization: `Bearer ${token.value}` }
    void postJson<{ message: string }>('/mine', undefined, headers).then(result => {
      message.info(result.message)
      return load()
    }, (err: unknown) => {
      if (err instanceof ApiError && err.status === 401) {
        tokenField.hidden = false
        message.error(token.value === '' ? 'This node needs its API token to mine: type it, then Mine again.' : 'The node refused this API token.')
        token.focus()
      } else {
        message.error(`Mining failed: ${(err as Error).message}.`)
      }
    }).finally(() => { busy = false; mine.disabled = false })
  })
  refresh.addEventListener('click', () => { void load() })

  return {
    root: h('section', { attrs: { 'aria-labelledby': 'pending-title' } },
      h('h1', { id: 'pending-title', text: 'Pending' }),
      tokenField, h('div', { class: 'toolbar' }, mine, refresh), message.el, count, list),
    show: () => { void load() }
  }
}
