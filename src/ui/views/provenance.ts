// An item's provenance page, /items/:item (docs/design.md §9): its chain of custody oldest first, each
// record checked IN THIS PAGE with core's own code: the header's hash recomputed (and its proof of
// work), the Merkle proof of the tx against the header's tx_root, the tx id and its signature. Then a
// QR code (SVG, from the qrcode library) of this page's absolute URL on config publicUrl, to print on
// a label, and the CSV export.
import QRCode from 'qrcode'
import { computeBlockHash, meetsProofOfWork } from '../../core/block.js'
import { txLeafHash, verifyMerkleProof, type MerkleProof } from '../../core/merkle.js'
import { isValidItem } from '../../core/record.js'
import { computeTxId, verifyTxSignature } from '../../core/tx.js'
import type { Block, Tx } from '../../core/types.js'
import { createBrowserVerifier } from '../../crypto/browser-ed25519.js'
import { getJson } from '../api.js'
import type { PageContext, View } from '../context.js'
import { h, itemPath, messageBox } from '../dom.js'
import { confirmationsText, recordView } from './records.js'

export interface HistoryRecord {
  tx: Tx
  block: Omit<Block, 'transactions'>
  confirmations: number
  proof: MerkleProof
}

const PAGE = 50

/** The item of /items/<segment>, or undefined when the path is not one. */
export function itemOfPath (pathname: string): string | undefined {
  const segment = pathname.slice('/items/'.length)
  if (segment === '' || segment.includes('/')) return undefined
  try {
    const item = decodeURIComponent(segment)
    return isValidItem(item) ? item : undefined
  } catch {
    return undefined
  }
}

/** What the page checked of one record; every flag must hold for "verified". */
export async function checkRecord (r: HistoryRecord, network: string): Promise<{ verified: boolean, failed: string[] }> {
  const failed: string[] = []
  let headerOk = false
  try { headerOk = computeBlockHash(r.block) === r.block.hash } catch {}
  if (!headerOk) failed.push('the header does not hash to the block hash')
  else if (!meetsProofOfWork(r.block.hash, r.block.bits)) failed.push('the block hash misses its proof of work')
  let proofOk = false
  try { proofOk = verifyMerkleProof(txLeafHash(r.tx), r.proof, r.block.tx_root) } catch {}
  if (!proofOk) failed.push('the Merkle proof does not lead to the header\'s tx_root')
  let idOk = false
  try { idOk = computeTxId(r.tx, network) === r.tx.id } catch {}
  if (!idOk) failed.push('the transaction id does not match its content')
  try { await verifyTxSignature(r.tx, createBrowserVerifier(), network) } catch { failed.push('the signature does not verify') }
  return { verified: failed.length === 0, failed }
}

/** The QR code of `text` as an SVG element (the library's SVG text, parsed as SVG, never as HTML). */
async function qrSvg (text: string): Promise<Element> {
  const svgText = await QRCode.toString(text, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 })
  const svg = new DOMParser().parseFromString(svgText, 'image/svg+xml').documentElement
  svg.setAttribute('role', 'img')
  svg.setAttribute('aria-label', `QR code of ${text}`)
  svg.setAttribute('class', 'qr')
  return document.importNode(svg, true)
}

export function provenancePage (ctx: PageContext): View {
  const item = itemOfPath(location.pathname)
  const message = messageBox()
  if (item === undefined) {
    message.error('This address names no item: an item id is 1 to 128 characters.')
    return { root: h('section', {}, h('h1', { text: 'Item' }), message.el) }
  }
  const path = itemPath(item)!
  const url = `${ctx.publicOrigin}${path}`
  document.title = `${item} · provenance · gossipchain`

  const list = h('ol', { class: 'custody' })
  const summary = h('p', { class: 'hint', attrs: { 'aria-live': 'polite' } })
  const more = h('button', { attrs: { type: 'button' }, text: 'Load more records' })
  more.hidden = true
  const qr = h('figure', { class: 'label' }, h('figcaption', {}, h('span', { class: 'label-item', text: item }), h('br'), h('code', { class: 'label-url', text: url })))
  const print = h('button', { attrs: { type: 'button' }, text: 'Print label' })
  print.addEventListener('click', () => { window.print() })
  let shown = 0
  let allVerified = true
  let next: string | null = null

  const load = async (): Promise<void> => {
    more.disabled = true
    try {
      const page = await getJson<{ records: HistoryRecord[], next: string | null }>(`${path}/history?limit=${PAGE}${next === null ? '' : `&after=${encodeURIComponent(next)}`}`)
      for (const r of page.records) {
        const check = await checkRecord(r, ctx.node.network)
        allVerified &&= check.verified
        shown++
        const badge = check.verified
          ? h('span', { class: 'verified', attrs: { 'data-verified': 'true' }, text: `✓ Verified in this page: Merkle proof to the tx_root of block #${r.block.index}, header hash recomputed, signature valid` })
          : h('span', { class: 'unverified', attrs: { 'data-verified': 'false' }, text: `✗ NOT verified: ${check.failed.join('; ')}` })
        list.appendChild(recordView(r.tx, ctx.names, [` · block #${r.block.index} · ${confirmationsText(r.confirmations)} · `, badge]))
      }
      next = page.next
      more.hidden = next === null
      summary.textContent = shown === 0
        ? 'No record about this item is in a block yet.'
        : `${shown} record${shown === 1 ? '' : 's'}, oldest first${next === null ? '' : ' (more below)'}; ${allVerified ? 'every proof was verified in this page' : 'SOME RECORDS FAILED VERIFICATION'}.`
    } catch (err) {
      message.error(`Could not read the item's history: ${(err as Error).message}.`)
    } finally {
      more.disabled = false
    }
  }
  more.addEventListener('click', () => { void load() })
  void qrSvg(url).then(svg => { qr.insertBefore(svg, qr.firstChild) }, (err: unknown) => { message.error(`No QR code: ${(err as Error).message}.`) })
  void load()

  return {
    root: h('section', { class: 'provenance', attrs: { 'aria-labelledby': 'item-title' } },
      h('h1', { id: 'item-title' }, 'Item ', h('span', { class: 'item-id', text: item })),
      h('div', { class: 'label-box' }, qr,
        h('div', { class: 'toolbar' }, print, h('a', { class: 'button', attrs: { href: `${path}/history.csv`, download: '' }, text: 'Download CSV' }))),
      h('h2', { text: 'Chain of custody' }), summary, message.el, list, more)
  }
}
