// Network: this node (peer id, addresses, network id, head), its connected peers, and gossip arriving
// live from the node's event stream (GET /events, Server-Sent Events). A node without /events: the
// peers and the head are polled instead, every few seconds while this view is open.
import { getJson, type NodeInfo } from '../api.js'
import type { PageContext, View } from '../context.js'
import { h, messageBox, replace } from '../dom.js'

interface PeerInfo { peerId: string, addresses: string[], mesh?: string[] }

/** One event of the node's stream (docs/design.md §10); only `type` is relied on. */
interface NodeEvent { type: string, at?: number, [field: string]: unknown }

const POLL_MS = 3000
const MAX_EVENTS = 50
const EVENT_TYPES = ['gossip', 'publish', 'head', 'reorg', 'sync', 'peer:connect', 'peer:disconnect', 'penalty', 'ban']

function short (text: unknown): string {
  const s = String(text ?? '')
  return s.length > 16 ? `${s.slice(0, 8)}…${s.slice(-6)}` : s
}

function describe (e: NodeEvent): string {
  switch (e.type) {
    case 'gossip': return `${String(e.topic)} ${short(e.id)} from ${short(e.from)}: ${String(e.result)}${e.code === undefined ? '' : ` (${String(e.code)})`}`
    case 'publish': return `published ${String(e.topic)} ${short(e.id)}`
    case 'head': return `new head #${String(e.index)} ${short(e.hash)}`
    case 'reorg': return `reorg at ${short(e.forkPoint)}`
    case 'sync': return `sync with ${short(e.peer)}: ${String(e.outcome)}, ${String(e.imported)} blocks`
    case 'peer:connect': return `peer connected ${short(e.peer)}`
    case 'peer:disconnect': return `peer disconnected ${short(e.peer)}`
    default: return e.type
  }
}

export function networkView (_ctx: PageContext): View {
  const self = h('dl', { class: 'node' })
  const peers = h('ul', { class: 'peers' })
  const peerCount = h('p', { class: 'hint', attrs: { 'aria-live': 'polite' } })
  const events = h('ol', { class: 'events', attrs: { 'aria-live': 'polite' } })
  const live = h('p', { class: 'hint' })
  const message = messageBox()
  let timer: ReturnType<typeof setInterval> | undefined
  let source: EventSource | undefined
  let streamWorks: boolean | undefined
  /** While polling: what the last poll saw, so changes can be listed as events. */
  let seen: { head: string, peers: Set<string> } | undefined

  const refresh = async (): Promise<void> => {
    try {
      const [node, { peers: list }] = await Promise.all([getJson<NodeInfo>('/node_info'), getJson<{ peers: PeerInfo[] }>('/peers')])
      replace(self,
        h('dt', { text: 'Peer id' }), h('dd', {}, h('code', { text: node.peerId })),
        h('dt', { text: 'Network' }), h('dd', { text: node.network }),
        h('dt', { text: 'Head' }), h('dd', {}, `#${node.head.index} `, h('code', { text: node.head.hash })),
        h('dt', { text: 'Addresses' }), h('dd', {}, h('ul', {}, ...node.addresses.map(a => h('li', {}, h('code', { text: a }))))))
      peerCount.textContent = list.length === 0 ? 'No connected peers.' : `${list.length} connected peer${list.length === 1 ? '' : 's'}.`
      replace(peers, ...list.map(p => h('li', {},
        h('code', { text: p.peerId }), p.mesh !== undefined && p.mesh.length > 0 ? ` · mesh: ${p.mesh.join(', ')}` : '',
        h('ul', {}, ...p.addresses.map(a => h('li', {}, h('code', { text: a })))))))
      message.clear()
      // Every read is the baseline of the next; only polling lists the differences (a stream sends its own).
      const peerIds = new Set(list.map(p => p.peerId))
      if (timer !== undefined && seen !== undefined) {
        const at = Date.now()
        if (node.head.hash !== seen.head) addEvent({ type: 'head', at, index: node.head.index, hash: node.head.hash }, false)
        for (const id of peerIds) if (!seen.peers.has(id)) addEvent({ type: 'peer:connect', at, peer: id }, false)
        for (const id of seen.peers) if (!peerIds.has(id)) addEvent({ type: 'peer:disconnect', at, peer: id }, false)
      }
      seen = { head: node.head.hash, peers: peerIds }
    } catch (err) {
      message.error(`Could not read the network state: ${(err as Error).message}.`)
    }
  }

  const addEvent = (e: NodeEvent, fromStream = true): void => {
    const at = typeof e.at === 'number' ? new Date(e.at).toLocaleTimeString() : ''
    events.insertBefore(h('li', { class: `event event-${e.type.replace(/[^a-z]/g, '-')}` }, h('span', { class: 'at', text: at }), ' ', describe(e)), events.firstChild)
    while (events.childElementCount > MAX_EVENTS) events.lastElementChild?.remove()
    if (fromStream && e.type !== 'gossip' && e.type !== 'publish') void refresh()
  }

  const onMessage = (m: MessageEvent): void => {
    try {
      const e = JSON.parse(String(m.data)) as NodeEvent
      if (typeof e?.type === 'string') addEvent(e)
    } catch {}
  }

  const openStream = (): void => {
    if (streamWorks === false || typeof EventSource === 'undefined') { poll(); return }
    source = new EventSource('/events')
    source.onopen = () => {
      streamWorks = true
      live.textContent = 'Live: events arrive as the node sees them.'
    }
    source.onmessage = onMessage
    for (const type of EVENT_TYPES) source.addEventListener(type, onMessage as EventListener)
    source.onerror = () => {
      // A node without /events answers 404 (not an event stream): the browser gives up, we poll.
      if (source?.readyState === EventSource.CLOSED) {
        source = undefined
        if (streamWorks !== true) streamWorks = false
        poll()
      }
    }
  }

  const poll = (): void => {
    live.textContent = `This node has no event stream (/events) yet: peers and head are polled every ${POLL_MS / 1000} s, and their changes listed below.`
    timer ??= setInterval(() => { void refresh() }, POLL_MS)
  }

  return {
    root: h('section', { attrs: { 'aria-labelledby': 'network-title' } },
      h('h1', { id: 'network-title', text: 'Network' }),
      message.el,
      h('h2', { text: 'This node' }), self,
      h('h2', { text: 'Connected peers' }), peerCount, peers,
      h('h2', { text: 'Gossip events' }), live, events),
    show: () => {
      void refresh()
      openStream()
    },
    hide: () => {
      source?.close()
      source = undefined
      if (timer !== undefined) clearInterval(timer)
      timer = undefined
      seen = undefined
    }
  }
}
