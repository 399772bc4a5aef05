// Byte helpers with no Node dependency, so the browser page can share them (docs/design.md §9).
// Bytes inside, hex only at the edges: fromHex is strict (lowercase, exact length) because a
// second spelling of the same bytes would give a second id / hash for the same object.
import { concat as concatBytes } from 'uint8arrays/concat'
import { equals as bytesEqual } from 'uint8arrays/equals'
import { fromString } from 'uint8arrays/from-string'

export { concatBytes, bytesEqual }

const HEX_DIGITS = '0123456789abcdef'
const BYTE_TO_HEX: string[] = Array.from({ length: 256 }, (_, b) => HEX_DIGITS[b >> 4] + HEX_DIGITS[b & 15])
const LOWER_HEX = /^[0-9a-f]*$/

/** UTF-8 bytes of a string. */
export function utf8 (s: string): Uint8Array {
  return fromString(s, 'utf8')
}

/** Lowercase hex of bytes. */
export function toHex (bytes: Uint8Array): string {
  let out = ''
  for (let i = 0; i < bytes.length; i++) out += BYTE_TO_HEX[bytes[i]]
  return out
}

/** True if `s` is lowercase hex of exactly `bytes` bytes (any even length when omitted). */
export function isHex (s: unknown, bytes?: number): s is string {
  if (typeof s !== 'string') return false
  if (bytes === undefined ? (s.length & 1) !== 0 : s.length !== bytes * 2) return false
  return LOWER_HEX.test(s)
}

/** Value of a lowercase hex digit's char code (already validated). */
function nibble (code: number): number {
  return code <= 57 ? code - 48 : code - 87
}

/** Decode lowercase hex; throws a TypeError naming `field` on anything else. */
export function fromHex (hex: string, field: string, bytes?: number): Uint8Array {
  if (!isHex(hex, bytes)) {
    const want = bytes === undefined ? 'an even number of' : String(bytes * 2)
    throw new TypeError(`${field} must be ${want} lowercase hex digits`)
  }
  const out = new Uint8Array(hex.length >> 1)
  for (let i = 0; i < out.length; i++) out[i] = (nibble(hex.charCodeAt(2 * i)) << 4) | nibble(hex.charCodeAt(2 * i + 1))
  return out
}

const ASCII_ONLY = /^[\x00-\x7f]*$/

/**
 * UTF-8 byte length of a JS string without encoding it. A lone surrogate counts 3 bytes, as
 * TextEncoder would write U+FFFD for it.
 */
export function utf8ByteLength (s: string): number {
  // ASCII (every block and tx JSON but ones with non-ASCII items): one native regex scan, ~0.4 ms for a
  // 900 KB block where the loop below took 3-6 ms (14 ms on the loaded machine, in one synchronous piece
  // of every block's validation: the battery's expensive-signatures profile).
  if (ASCII_ONLY.test(s)) return s.length
  let n = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 0x80) n += 1
    else if (c < 0x800) n += 2
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1)
      if (d >= 0xdc00 && d <= 0xdfff) { n += 4; i++ } else n += 3
    } else n += 3
  }
  return n
}

const LONE_SURROGATE = /\p{Surrogate}/u

/**
 * True if the string is valid Unicode (no lone surrogate). JSON.parse accepts "\ud800", but such a
 * string has no UTF-8 form and RFC 8785 refuses it, so it can never be part of a signed object.
 */
export function isWellFormedString (s: string): boolean {
  return !LONE_SURROGATE.test(s)
}

/** Bytes of a latin-1 string (each char code 0..255 is one byte), as the legacy wallet sends signatures. */
export function latin1Bytes (s: string): Uint8Array {
  const out = new Uint8Array(s.length)
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c > 0xff) throw new TypeError('latin-1 string has a char code above 255')
    out[i] = c
  }
  return out
}
