// Legacy RSA keys read from their bytes (src/core/rsa-key.ts, docs/design.md §2 Decisions): the reader agrees
// with OpenSSL on every key it accepts, refuses what is not exactly one rsaEncryption SPKI, and the tx
// rules bound size and exponent before any signature work (issue 7: expensive signatures).
import { createPublicKey, generateKeyPairSync } from 'node:crypto'
import { expect } from 'chai'
import fc from 'fast-check'
import {
  MAX_RSA_BITS, MIN_RSA_BITS, RsaKeyFormatError, TxError, TxErrorCode, checkLegacyKey, parseLegacySubmission, readRsaSpkiPem, verifyTx,
  type SignatureVerifier
} from '../src/core/index.js'
import { NOW_MS, TEST_NETWORK_ID, legacyBody, rsaKeys } from './core-fixtures.js'

// ---- a small DER writer, independent of the reader under test ----
function length (n: number): number[] {
  if (n < 0x80) return [n]
  const bytes: number[] = []
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff)
  return [0x80 | bytes.length, ...bytes]
}
const tlv = (tag: number, content: number[]): number[] => [tag, ...length(content.length), ...content]
function integer (value: bigint): number[] {
  const bytes: number[] = []
  for (let v = value; v > 0n; v >>= 8n) bytes.unshift(Number(v & 0xffn))
  if (bytes.length === 0 || (bytes[0] & 0x80) !== 0) bytes.unshift(0)
  return tlv(0x02, bytes)
}
const RSA_OID = [0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01]
const RSA_PSS_OID = [0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a]

function spki (n: bigint, e: bigint, opts: { oid?: number[], params?: number[], trailing?: number[], modulusDer?: number[] } = {}): number[] {
  const rsaPublicKey = tlv(0x30, [...(opts.modulusDer ?? integer(n)), ...integer(e)])
  const algorithm = tlv(0x30, [...(opts.oid ?? RSA_OID), ...(opts.params ?? [0x05, 0x00])])
  return [...tlv(0x30, [...algorithm, ...tlv(0x03, [0x00, ...rsaPublicKey])]), ...(opts.trailing ?? [])]
}

function pem (der: number[]): string {
  const base64 = Buffer.from(der).toString('base64')
  return `-----BEGIN PUBLIC KEY-----\n${base64.match(/.{1,64}/g)!.join('\n')}\n-----END PUBLIC KEY-----\n`
}

/** An odd modulus of exactly `bits` bits (not a real key: the size rule reads only its length). */
const modulus = (bits: number): bigint => (1n << BigInt(bits - 1)) | 1n

/** A verifier that fails the test if the rules ever reach it. */
const untouchable: SignatureVerifier = {
  verifyEd25519: async () => { throw new Error('the Ed25519 verifier was called') },
  verifyRsaPkcs1Sha256: async () => { throw new Error('the RSA verifier was called: the key should have been refused first') }
}

function legacyTxWithKey (senderPK: string): ReturnType<typeof parseLegacySubmission> {
  return parseLegacySubmission({ senderPK, signature: 'x'.repeat(512), data: 'expensive?' }, NOW_MS)
}

async function codeOf (run: () => Promise<unknown>): Promise<string> {
  try {
    await run()
  } catch (err) {
    if (err instanceof TxError) return err.code
    throw err
  }
  return 'no error'
}

describe('legacy RSA keys (src/core/rsa-key.ts)', () => {
  it('reads modulus size and exponent as OpenSSL does, for real and crafted keys', () => {
    for (const key of [rsaKeys.rsa2048, rsaKeys.rsa512]) {
      const details = createPublicKey(key.publicKeyPem).asymmetricKeyDetails!
      const info = readRsaSpkiPem(key.publicKeyPem)
      expect(info.modulusBits).to.equal(details.modulusLength)
      expect(info.publicExponent).to.equal(details.publicExponent)
    }
    fc.assert(fc.property(fc.integer({ min: 512, max: 8200 }), fc.bigInt({ min: 3n, max: (1n << 80n) }), (bits, e) => {
      const key = pem(spki(modulus(bits), e | 1n))
      const details = createPublicKey(key).asymmetricKeyDetails!
      const info = readRsaSpkiPem(key)
      expect(info.modulusBits).to.equal(details.modulusLength)
      expect(info.publicExponent).to.equal(details.publicExponent)
    }), { numRuns: 60 })
  })

  it('refuses anything but exactly one rsaEncryption SubjectPublicKeyInfo', () => {
    const n = modulus(2048)
    const good = spki(n, 65537n)
    const longForm = [...good]
    longForm.splice(1, 3, 0x83, 0x00, good[2], good[3]) // outer length in 3 bytes instead of 2
    const cases: Array<[string, string]> = [
      ['trailing bytes', pem(spki(n, 65537n, { trailing: [0x00] }))],
      ['RSA-PSS key', pem(spki(n, 65537n, { oid: RSA_PSS_OID }))],
      ['absent parameters', pem(spki(n, 65537n, { params: [] }))],
      ['non-minimal length', pem(longForm)],
      ['negative modulus', pem(spki(n, 65537n, { modulusDer: tlv(0x02, [0x80, ...new Array<number>(255).fill(1)]) }))],
      ['modulus with a needless leading zero', pem(spki(n, 65537n, { modulusDer: tlv(0x02, [0x00, 0x00, 0x80, ...new Array<number>(254).fill(1)]) }))],
      ['truncated', pem(good.slice(0, -1))],
      ['Ed25519 key', '-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----\n'],
      ['not PEM', 'hello'],
      ['bad base64 padding', pem(good).replace('\n-----END', '=\n-----END')]
    ]
    for (const [name, key] of cases) {
      expect(() => readRsaSpkiPem(key), name).to.throw(RsaKeyFormatError)
    }
    // Sanity: the writer's good key is readable.
    expect(readRsaSpkiPem(pem(good)).modulusBits).to.equal(2048)
  })

  it(`checkLegacyKey: ${MIN_RSA_BITS}..${MAX_RSA_BITS} bits with exponent 65537 pass; the rest get one code each`, () => {
    const codeFor = (key: string): string => {
      try {
        checkLegacyKey(key)
        return 'ok'
      } catch (err) {
        return (err as TxError).code
      }
    }
    expect(codeFor(pem(spki(modulus(MIN_RSA_BITS), 65537n)))).to.equal('ok')
    expect(codeFor(pem(spki(modulus(MAX_RSA_BITS), 65537n)))).to.equal('ok')
    expect(codeFor(rsaKeys.rsa2048.publicKeyPem)).to.equal('ok')
    expect(codeFor(pem(spki(modulus(MIN_RSA_BITS - 1), 65537n)))).to.equal(TxErrorCode.WEAK_KEY)
    expect(codeFor(pem(spki(modulus(MAX_RSA_BITS + 1), 65537n)))).to.equal(TxErrorCode.UNSUPPORTED_KEY)
    expect(codeFor(pem(spki(modulus(16384), 65537n)))).to.equal(TxErrorCode.UNSUPPORTED_KEY)
    expect(codeFor(pem(spki(modulus(2048), 3n)))).to.equal(TxErrorCode.UNSUPPORTED_KEY)
    expect(codeFor(pem(spki(modulus(2048), modulus(2047))))).to.equal(TxErrorCode.UNSUPPORTED_KEY)
    expect(codeFor(pem(spki(modulus(2048), 65537n, { trailing: [0] })))).to.equal(TxErrorCode.BAD_FORMAT)
  })

  it('TX_UNSUPPORTED_KEY: a legacy tx with a huge key or exponent is refused before any signature work', async () => {
    const ctx = { network: TEST_NETWORK_ID, nowMs: NOW_MS, verifier: untouchable }
    expect(await codeOf(() => verifyTx(legacyTxWithKey(pem(spki(modulus(8192), 65537n))), ctx))).to.equal(TxErrorCode.UNSUPPORTED_KEY)
    expect(await codeOf(() => verifyTx(legacyTxWithKey(pem(spki(modulus(4096), modulus(4096)))), ctx))).to.equal(TxErrorCode.UNSUPPORTED_KEY)
    expect(await codeOf(() => verifyTx(legacyTxWithKey(pem(spki(modulus(512), 65537n))), ctx))).to.equal(TxErrorCode.WEAK_KEY)
    // A real key with exponent 3 (OpenSSL makes one): refused, though its signature would verify.
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024, publicExponent: 3 })
    const e3 = { publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(), privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString() }
    expect(await codeOf(() => verifyTx(parseLegacySubmission(legacyBody('e3', e3), NOW_MS), ctx))).to.equal(TxErrorCode.UNSUPPORTED_KEY)
  })
})
