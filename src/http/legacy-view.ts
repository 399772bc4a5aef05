// The legacy chain view (docs/design.md §7, config legacyChainView): what GET /chain and /pending_tx show a
// node that still serves the original Flask frontend. That frontend splits every tx's `data` at the first
// `|` and looks the receiver PEM up in its own address book; a record it cannot read that way (every
// native record, a legacy tx without `item|receiverPEM`) makes it answer 500 on every page load, for
// ever, since the chain is append-only. The view keeps only the records it can read. Blocks keep their
// header fields (hash, index, previous_hash...), so `length`, heights and links stay those of the chain;
// their `transactions` no longer hash to `tx_root`: the view is for display, never for validation (the
// p2p protocol, /blocks/:hash and /items/... always carry everything).
import { legacyRecord } from '../core/record.js'
import type { Block, Tx } from '../core/types.js'

/** The records of `txs` that the original frontend can read. */
export function legacyView (txs: Tx[]): Tx[] {
  return txs.filter(tx => legacyRecord(tx) !== undefined)
}

export function legacyViewOfBlock (block: Block): Block {
  const transactions = legacyView(block.transactions)
  return transactions.length === block.transactions.length ? block : { ...block, transactions }
}
