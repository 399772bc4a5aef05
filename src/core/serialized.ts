// The serialized form of a tx or block, computed once per object (docs/design.md §11: "serialized forms
// cached"): the mempool's byte count, the journal and block writes, gossip and GET /chain all use the same
// JSON.stringify text instead of making their own. Txs and blocks are never changed after parseTx /
// parseBlock made them (every rule treats them as values), so the text stays true to its object; the
// cache holds it only as long as the object lives (WeakMap). Once a block's UTF-8 bytes are asked for
// (GET /chain), they replace its text: one copy per block, not two.
import { utf8ByteLength } from './bytes.js'

interface Serialized { json?: string, bytes?: Uint8Array, size?: number }

const cache = new WeakMap<object, Serialized>()
const encoder = new TextEncoder()
const decoder = new TextDecoder()

function entry (value: object): Serialized {
  let e = cache.get(value)
  if (e === undefined) {
    e = { json: JSON.stringify(value) }
    cache.set(value, e)
  }
  return e
}

/** JSON.stringify(value), once per object. */
export function jsonOf (value: object): string {
  const e = entry(value)
  return e.json ?? decoder.decode(e.bytes)
}

/** UTF-8 byte length of jsonOf(value), once per object. */
export function jsonSizeOf (value: object): number {
  const e = entry(value)
  e.size ??= e.bytes?.length ?? utf8ByteLength(e.json!)
  return e.size
}

/** UTF-8 bytes of jsonOf(value), once per object: what GET /chain concatenates for a block. */
export function jsonBytesOf (value: object): Uint8Array {
  const e = entry(value)
  if (e.bytes === undefined) {
    e.bytes = encoder.encode(e.json)
    e.size = e.bytes.length
    e.json = undefined
  }
  return e.bytes
}

/**
 * Record `json` as the serialized form of `value` when the caller knows that JSON.stringify(value) gives
 * exactly it (e.g. a block read back from the store, which wrote JSON.stringify of the same fields).
 */
export function rememberJson (value: object, json: string): void {
  if (!cache.has(value)) cache.set(value, { json })
}

/**
 * Drop the text of `value` unless its bytes were asked for: after a block's store write, its text would
 * only double the heap the block takes while it stays cached (a 1,000-tx block: ~560 KB); it is made
 * again if ever needed.
 */
export function forgetJson (value: object): void {
  const e = cache.get(value)
  if (e !== undefined && e.bytes === undefined) cache.delete(value)
}
