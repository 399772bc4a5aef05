// RFC 8785 (JCS) canonical JSON: the one byte form of an object that every node signs and hashes
// (docs/design.md §2 signing payload, §3 tx_root leaves). No Node dependency: the browser page uses it too.
import canonicalize from 'canonicalize'

/** RFC 8785 canonical JSON of a JSON value. Throws a TypeError for values JSON cannot hold. */
export function canonicalJson (value: unknown): string {
  let out: string | undefined
  try {
    out = canonicalize(value)
  } catch (err) {
    throw new TypeError(`value has no canonical JSON form: ${(err as Error).message}`)
  }
  if (out === undefined) throw new TypeError('value has no canonical JSON form (undefined, function or symbol)')
  return out
}
