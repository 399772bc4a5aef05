// Chain: blocks newest first, a page at a time; every record with names, item, data, time and its
// confirmations (blocks on top of its block). Reads /chain?view=full: the whole record even on a node
// that shows old frontends the legacy view.
import type { Block } from '../../core/types.js'
import { getJson, type NodeInfo } from '../api.js'
import type { PageContext, View } from '../context.js'
import { h, messageBox, replace, timeText } from '../dom.js'
import { confirmationsText, recordView } from './records.js'

export const BLOCKS_PER_PAGE = 10

export function chainView (ctx: PageContext): View {
  const list = h('ol', { class: 'blocks', attrs: { reversed: '' } })
  const message = messageBox()
  const position = h('p', { class: 'hint', attrs: { 'aria-live': 'polite' } })
  /** Height of the newest block on the page; undefined = follow the head. */
  let top: number | undefined
  let headIndex = 0

  const newer = h('button', { attrs: { type: 'button' }, text: 'Newer blocks' })
  const older = h('button', { attrs: { type: 'button' }, text: 'Older blocks' })
  const refresh = h('button', { attrs: { type: 'button' }, text: 'Refresh' })

  const load = async (): Promise<void> => {
    message.clear()
    try {
      const node = await getJson<NodeInfo>('/node_info')
      headIndex = node.head.index
      const newest = Math.min(top ?? headIndex, headIndex)
      const from = Math.max(0, newest - BLOCKS_PER_PAGE + 1)
      const { chain } = await getJson<{ chain: Block[] }>(`/chain?view=full&from=${from}&limit=${newest - from + 1}`)
      replace(list, ...chain.reverse().map(block => h('li', { class: 'block', attrs: { value: String(block.index) } },
        h('h2', {}, `Block #${block.index}`),
        h('p', { class: 'meta' }, timeText(block.timestamp), ` · ${block.transactions.length === 1 ? '1 record' : `${block.transactions.length} records`} · `,
          h('code', { class: 'hash', attrs: { title: block.hash }, text: `${block.hash.slice(0, 16)}…` })),
        block.transactions.length === 0
          ? null
          : h('ul', { class: 'records' }, ...block.transactions.map(tx => recordView(tx, ctx.names, [` · ${confirmationsText(headIndex - block.index)}`]))))))
      position.textContent = `Blocks #${newest} to #${from} of ${headIndex + 1}.`
      newer.disabled = newest >= headIndex
      older.disabled = from === 0
      top = top === undefined ? undefined : newest
    } catch (err) {
      message.error(`Could not read the chain: ${(err as Error).message}.`)
    }
  }

  newer.addEventListener('click', () => {
    const next = (top ?? headIndex) + BLOCKS_PER_PAGE
    top = next >= headIndex ? undefined : next
    void load()
  })
  older.addEventListener('click', () => {
    top = Math.max(BLOCKS_PER_PAGE - 1, (top ?? headIndex) - BLOCKS_PER_PAGE)
    void load()
  })
  refresh.addEventListener('click', () => { void load() })
  ctx.names.onChange(() => { if (!list.closest('[hidden]')) void load() })

  return {
    root: h('section', { attrs: { 'aria-labelledby': 'chain-title' } },
      h('h1', { id: 'chain-title', text: 'Chain' }),
      h('div', { class: 'toolbar' }, newer, older, refresh), position, message.el, list),
    show: () => { void load() }
  }
}
