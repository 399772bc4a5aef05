// DOM building for the page without HTML strings: every text from the chain or the node (item ids, data,
// names, errors) goes in as a text node or a property, never through innerHTML, so an attacker's
// "<img onerror=...>" in a record is shown as those characters (docs/design.md §9).

export type Child = Node | string | number | null | undefined | false

export interface Props {
  id?: string
  class?: string
  /** Attributes set with setAttribute: type, for, name, href (built by the page), aria-*, data-*, role... */
  attrs?: Record<string, string>
  text?: string
  on?: Partial<Record<keyof HTMLElementEventMap, (event: Event) => void>>
}

/** An element with its children; strings and numbers become text nodes. */
export function h<K extends keyof HTMLElementTagNameMap> (tag: K, props: Props = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag)
  if (props.id !== undefined) el.id = props.id
  if (props.class !== undefined) el.className = props.class
  for (const [name, value] of Object.entries(props.attrs ?? {})) el.setAttribute(name, value)
  if (props.text !== undefined) el.textContent = props.text
  for (const [type, listener] of Object.entries(props.on ?? {})) el.addEventListener(type, listener as EventListener)
  append(el, ...children)
  return el
}

export function append (parent: Node, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue
    parent.appendChild(typeof child === 'string' || typeof child === 'number' ? document.createTextNode(String(child)) : child)
  }
}

/** Replace all children of `parent`. */
export function replace (parent: Node, ...children: Child[]): void {
  while (parent.firstChild !== null) parent.removeChild(parent.firstChild)
  append(parent, ...children)
}

let nextId = 0

/** A labelled control: <label for=id>text</label> then the control, wrapped in a field div. */
export function field (label: string, control: HTMLElement, hint?: string): HTMLDivElement {
  if (control.id === '') control.id = `f${++nextId}`
  const hintEl = hint === undefined ? null : h('small', { id: `${control.id}-hint`, class: 'hint', text: hint })
  if (hintEl !== null) control.setAttribute('aria-describedby', hintEl.id)
  return h('div', { class: 'field' }, h('label', { attrs: { for: control.id }, text: label }), control, hintEl)
}

/** The path of an item's provenance page, or undefined for "." and "..": URL parsers rewrite those segments. */
export function itemPath (item: string): string | undefined {
  if (item === '.' || item === '..') return undefined
  return `/items/${encodeURIComponent(item)}`
}

/** A link to an item's page (plain text when the item has no addressable page). */
export function itemLink (item: string): HTMLElement {
  const path = itemPath(item)
  return path === undefined ? h('span', { class: 'item', text: item }) : h('a', { class: 'item', attrs: { href: path }, text: item })
}

/** A message area that screen readers announce: role=alert for errors, role=status otherwise. */
export function messageBox (): { el: HTMLElement, error: (text: string) => void, info: (...content: Child[]) => void, clear: () => void } {
  const el = h('div', { class: 'message', attrs: { 'aria-live': 'polite' } })
  return {
    el,
    error: text => { el.className = 'message error'; el.setAttribute('role', 'alert'); replace(el, text) },
    info: (...content) => { el.className = 'message ok'; el.setAttribute('role', 'status'); replace(el, ...content) },
    clear: () => { el.className = 'message'; el.removeAttribute('role'); replace(el) }
  }
}

/** Local date and time of Unix seconds, with the UTC instant in the title. */
export function timeText (seconds: number): HTMLTimeElement {
  const date = new Date(Math.round(seconds * 1000))
  return h('time', { attrs: { datetime: date.toISOString(), title: date.toISOString() }, text: date.toLocaleString() })
}
