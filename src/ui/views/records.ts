// One record (a tx) as every view shows it: who sent it to whom (names from the address book, unknown
// keys shortened), the item, the data, the time; confirmations when it is in a block.
import { recordItem, recordReceiver } from '../../core/record.js'
import type { Tx } from '../../core/types.js'
import type { Names } from '../names.js'
import { h, itemLink, timeText, type Child } from '../dom.js'

export function recordView (tx: Tx, names: Names, extra: Child[] = []): HTMLElement {
  const item = recordItem(tx)
  const receiver = recordReceiver(tx)
  return h('li', { class: 'record', attrs: { 'data-tx': tx.id } },
    h('p', { class: 'parties' },
      h('span', { class: 'sender', attrs: { title: tx.senderPK }, text: names.label(tx.senderPK) }),
      ' → ',
      h('span', { class: 'receiver', attrs: { title: receiver ?? '' }, text: names.label(receiver) }),
      item === null ? null : h('span', { class: 'item-of' }, ' · item ', itemLink(item))),
    h('p', { class: 'data', text: tx.data }),
    h('p', { class: 'meta' }, timeText(tx.timestamp), ...extra))
}

export function confirmationsText (n: number): string {
  return n === 1 ? '1 confirmation' : `${n} confirmations`
}
