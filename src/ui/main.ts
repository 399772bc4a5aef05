// The web page (docs/design.md §9), served by every node at / and at /items/:item. One bundle: the shell
// the node serves holds no data; everything comes from same-origin requests and is put in the DOM as
// text. Views: Submit, Wallet, Chain, Items, Pending, Network; an item's provenance page at /items/:item.
import './style.css'
import { getJson, type NodeInfo } from './api.js'
import type { PageContext, View } from './context.js'
import { h, messageBox, replace } from './dom.js'
import { Names } from './names.js'
import { chainView } from './views/chain.js'
import { itemsView } from './views/items.js'
import { networkView } from './views/network.js'
import { pendingView } from './views/pending.js'
import { provenancePage } from './views/provenance.js'
import { submitView } from './views/submit.js'
import { walletView } from './views/wallet.js'

const VIEWS: Array<{ name: string, hash: string, make: (ctx: PageContext) => View }> = [
  { name: 'Submit', hash: 'submit', make: submitView },
  { name: 'Wallet', hash: 'wallet', make: walletView },
  { name: 'Chain', hash: 'chain', make: chainView },
  { name: 'Items', hash: 'items', make: itemsView },
  { name: 'Pending', hash: 'pending', make: pendingView },
  { name: 'Network', hash: 'network', make: networkView }
]

function publicOrigin (): string {
  const meta = document.querySelector('meta[name="gossipchain-public-url"]')?.getAttribute('content') ?? ''
  try {
    return meta === '' ? location.origin : new URL(meta).origin
  } catch {
    return location.origin
  }
}

async function start (): Promise<void> {
  const onItemPage = location.pathname.startsWith('/items/')
  const main = h('main', { id: 'main' })
  const nav = h('nav', { attrs: { 'aria-label': 'Views' } },
    h('ul', {}, ...VIEWS.map(v => h('li', {}, h('a', { attrs: { href: onItemPage ? `/#${v.hash}` : `#${v.hash}`, 'data-view': v.hash }, text: v.name })))))
  const status = h('p', { class: 'node-status' })
  const header = h('header', {}, h('p', { class: 'brand' }, h('a', { attrs: { href: '/' }, text: 'gossipchain' })), status, nav)
  replace(document.body, h('a', { class: 'skip', attrs: { href: '#main' }, text: 'Skip to content' }), header, main)

  const loadError = messageBox()
  let node: NodeInfo
  let book: Record<string, string>
  try {
    [node, book] = await Promise.all([getJson<NodeInfo>('/node_info'), getJson<Record<string, string>>('/address_book')])
  } catch (err) {
    replace(main, loadError.el)
    loadError.error(`The node did not answer: ${(err as Error).message}. Reload the page to try again.`)
    return
  }
  status.textContent = `network ${node.network}`
  const ctx: PageContext = {
    node,
    names: new Names(book),
    publicOrigin: publicOrigin(),
    secure: window.isSecureContext && globalThis.crypto?.subtle !== undefined
  }

  if (onItemPage) {
    main.appendChild(provenancePage(ctx).root)
    return
  }

  const views = VIEWS.map(v => ({ ...v, view: v.make(ctx) }))
  for (const { view, hash } of views) {
    view.root.id = `view-${hash}`
    view.root.hidden = true
    main.appendChild(view.root)
  }
  let current: (typeof views)[number] | undefined
  const route = (): void => {
    const wanted = views.find(v => `#${v.hash}` === location.hash) ?? views[0]
    if (wanted === current) return
    if (current !== undefined) {
      current.view.root.hidden = true
      current.view.hide?.()
    }
    current = wanted
    wanted.view.root.hidden = false
    nav.querySelectorAll('a').forEach(a => {
      if (a.dataset.view === wanted.hash) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current')
    })
    document.title = `${wanted.name} · gossipchain`
    wanted.view.show?.()
  }
  window.addEventListener('hashchange', route)
  route()
}

void start()
