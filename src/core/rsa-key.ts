// The legacy sender key (docs/design.md §2 legacy scheme): an RSA SubjectPublicKeyInfo in PEM armour. Read
// here from its bytes, in plain TypeScript, so that its size and exponent are judged before any
// signature work and without OpenSSL (core bundles for the browser, docs/design.md §1).
//
// DER per ITU-T X.690 §8-§10 (definite, minimal lengths; minimal, non-negative INTEGERs), shapes per
// RFC 5280 §4.1 (SubjectPublicKeyInfo), RFC 3279 §2.3.1 (rsaEncryption, parameters NULL) and RFC 8017
// Appendix A.1.1 (RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }). Anything
// else (RSA-PSS keys, trailing bytes, a second spelling of the same key) is not a legacy key.
import { fromString } from 'uint8arrays/from-string'
import { bytesEqual } from './bytes.js'

export interface RsaPublicKeyInfo {
  /** Bit length of the modulus n (its highest set bit + 1). */
  modulusBits: number
  /** The public exponent e. */
  publicExponent: bigint
  /** The DER SubjectPublicKeyInfo the PEM armours (what WebCrypto's importKey('spki') takes). */
  spkiDer: Uint8Array
}

const TAG_INTEGER = 0x02
const TAG_BIT_STRING = 0x03
const TAG_NULL = 0x05
const TAG_OID = 0x06
const TAG_SEQUENCE = 0x30
/** DER of OID 1.2.840.113549.1.1.1 (rsaEncryption), content bytes only. */
const RSA_ENCRYPTION_OID = new Uint8Array([0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01])

/** Why a PEM is not an RSA SPKI key; the caller turns it into its own coded error. */
export class RsaKeyFormatError extends Error {
  override readonly name = 'RsaKeyFormatError'
}

interface Tlv { tag: number, content: Uint8Array, end: number }

/** One DER element starting at `offset`; lengths definite and minimal (X.690 §10.1). */
function readTlv (bytes: Uint8Array, offset: number, what: string): Tlv {
  if (offset + 2 > bytes.length) throw new RsaKeyFormatError(`${what}: truncated`)
  const tag = bytes[offset]
  let length = bytes[offset + 1]
  let start = offset + 2
  if (length >= 0x80) {
    const count = length & 0x7f
    // 4 length bytes already describe 4 GiB: nothing a legacy key needs. 0x80 is BER's indefinite form.
    if (count === 0 || count > 4) throw new RsaKeyFormatError(`${what}: unsupported length form`)
    if (start + count > bytes.length) throw new RsaKeyFormatError(`${what}: truncated length`)
    length = 0
    for (let i = 0; i < count; i++) length = length * 256 + bytes[start + i]
    if (bytes[start] === 0 || length < 0x80) throw new RsaKeyFormatError(`${what}: length not minimally encoded`)
    start += count
  }
  const end = start + length
  if (end > bytes.length) throw new RsaKeyFormatError(`${what}: truncated content`)
  return { tag, content: bytes.subarray(start, end), end }
}

function expectTag (tlv: Tlv, tag: number, what: string): Uint8Array {
  if (tlv.tag !== tag) throw new RsaKeyFormatError(`${what}: expected tag 0x${tag.toString(16)}, got 0x${tlv.tag.toString(16)}`)
  return tlv.content
}

/** The one element that makes up all of `bytes`. */
function readOnly (bytes: Uint8Array, tag: number, what: string): Uint8Array {
  const tlv = readTlv(bytes, 0, what)
  if (tlv.end !== bytes.length) throw new RsaKeyFormatError(`${what}: trailing bytes`)
  return expectTag(tlv, tag, what)
}

/** The elements of a SEQUENCE's content, exactly `count` of them. */
function readElements (content: Uint8Array, count: number, what: string): Tlv[] {
  const out: Tlv[] = []
  let offset = 0
  while (offset < content.length) {
    if (out.length === count) throw new RsaKeyFormatError(`${what}: more than ${count} elements`)
    const tlv = readTlv(content, offset, what)
    out.push(tlv)
    offset = tlv.end
  }
  if (out.length !== count) throw new RsaKeyFormatError(`${what}: ${out.length} elements, expected ${count}`)
  return out
}

/** A positive INTEGER's magnitude (X.690 §8.3: two's complement, minimal). */
function positiveInteger (content: Uint8Array, what: string): Uint8Array {
  if (content.length === 0) throw new RsaKeyFormatError(`${what}: empty INTEGER`)
  if ((content[0] & 0x80) !== 0) throw new RsaKeyFormatError(`${what}: negative`)
  if (content.length > 1 && content[0] === 0 && (content[1] & 0x80) === 0) throw new RsaKeyFormatError(`${what}: INTEGER not minimally encoded`)
  const magnitude = content[0] === 0 ? content.subarray(1) : content
  if (magnitude.length === 0) throw new RsaKeyFormatError(`${what}: zero`)
  return magnitude
}

/** DER bytes inside "-----BEGIN PUBLIC KEY-----" armour (RFC 7468 §13), base64 with padding. */
function pemBody (pem: string): Uint8Array {
  const match = /^-----BEGIN PUBLIC KEY-----\r?\n([A-Za-z0-9+/=\r\n]+?)\r?\n?-----END PUBLIC KEY-----(?:\r?\n)?$/.exec(pem)
  if (match === null) throw new RsaKeyFormatError('not a PEM "PUBLIC KEY"')
  const base64 = match[1].replace(/\r?\n/g, '')
  if (base64.length % 4 !== 0 || /=[^=]/.test(base64)) throw new RsaKeyFormatError('PEM body is not padded base64')
  try {
    return fromString(base64, 'base64pad')
  } catch {
    throw new RsaKeyFormatError('PEM body is not base64')
  }
}

/**
 * Modulus size and exponent of an RSA SPKI PEM, read from its bytes (no key import, no OpenSSL).
 * Throws RsaKeyFormatError when it is not exactly one rsaEncryption SubjectPublicKeyInfo.
 */
export function readRsaSpkiPem (pem: string): RsaPublicKeyInfo {
  const spkiDer = pemBody(pem)
  const [algorithm, subjectPublicKey] = readElements(readOnly(spkiDer, TAG_SEQUENCE, 'SubjectPublicKeyInfo'), 2, 'SubjectPublicKeyInfo')
  const [oid, parameters] = readElements(expectTag(algorithm, TAG_SEQUENCE, 'AlgorithmIdentifier'), 2, 'AlgorithmIdentifier')
  if (!bytesEqual(expectTag(oid, TAG_OID, 'algorithm'), RSA_ENCRYPTION_OID)) throw new RsaKeyFormatError('not an rsaEncryption key')
  if (expectTag(parameters, TAG_NULL, 'parameters').length !== 0) throw new RsaKeyFormatError('parameters: NULL with content')
  const bits = expectTag(subjectPublicKey, TAG_BIT_STRING, 'subjectPublicKey')
  if (bits.length < 1 || bits[0] !== 0) throw new RsaKeyFormatError('subjectPublicKey: unused bits')
  const [modulus, exponent] = readElements(readOnly(bits.subarray(1), TAG_SEQUENCE, 'RSAPublicKey'), 2, 'RSAPublicKey')
  const n = positiveInteger(expectTag(modulus, TAG_INTEGER, 'modulus'), 'modulus')
  const e = positiveInteger(expectTag(exponent, TAG_INTEGER, 'publicExponent'), 'publicExponent')
  let publicExponent = 0n
  // Bounded by the caller's PEM size limit; the value is only compared, never used in arithmetic.
  for (const byte of e) publicExponent = (publicExponent << 8n) | BigInt(byte)
  return { modulusBits: (n.length - 1) * 8 + (32 - Math.clz32(n[0])), publicExponent, spkiDer }
}
