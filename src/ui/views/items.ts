// Items: an item id leads to the item's provenance page.
import { isValidItem } from '../../core/record.js'
import type { PageContext, View } from '../context.js'
import { field, h, itemPath, messageBox } from '../dom.js'

export function itemsView (_ctx: PageContext): View {
  const input = h('input', { attrs: { type: 'text', name: 'item-id', autocomplete: 'off', spellcheck: 'false' } })
  const message = messageBox()
  const form = h('form', { attrs: { novalidate: '' } },
    field('Item id', input, 'e.g. lot-42: shows its chain of custody, its QR code and its CSV export'),
    h('button', { attrs: { type: 'submit' }, text: 'Open item' }), message.el)
  form.addEventListener('submit', event => {
    event.preventDefault()
    const item = input.value.trim()
    const path = isValidItem(item) ? itemPath(item) : undefined
    if (path === undefined) { message.error('Type an item id of 1 to 128 characters (other than . and ..).'); return }
    location.assign(path)
  })
  return {
    root: h('section', { attrs: { 'aria-labelledby': 'items-title' } }, h('h1', { id: 'items-title', text: 'Items' }), form)
  }
}
