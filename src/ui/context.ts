// What every view of the page shares.
import type { NodeInfo } from './api.js'
import type { Names } from './names.js'

export interface PageContext {
  /** /node_info as read when the page opened (network id, peer id); views refresh the head themselves. */
  node: NodeInfo
  names: Names
  /** Config publicUrl (an origin) when set, else the page's own origin: the base of QR codes and shared links. */
  publicOrigin: string
  /** WebCrypto is there (https, or localhost): wallets can be opened and created. */
  secure: boolean
}

/** A view: its element, and hooks for when it is shown or hidden (polling only while visible). */
export interface View {
  root: HTMLElement
  show?: () => void
  hide?: () => void
}

/**
 * One sentence: why a page opened over plain HTTP from another host cannot sign, and what fixes it
 * (docs/design.md §9: browsers give WebCrypto only to secure contexts).
 */
export const INSECURE_CONTEXT_MESSAGE = 'This page was opened over plain HTTP from another computer, so the browser withholds the cryptography ' +
  'needed to open a wallet and sign: open it over HTTPS (start the node with --tls-cert and --tls-key) or on the node\'s own machine at http://127.0.0.1.'
