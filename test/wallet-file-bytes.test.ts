// Opening a wallet from its bytes (docs/design.md §8): a file written as the CLI writes it opens with its
// password and no other, and ANY modified byte (a broken brace, the format marker, a changed space)
// fails with exactly the wrong-password error. Reading without the password stays precise.
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { isDeepStrictEqual } from 'node:util'
import { expect } from 'chai'
import fc from 'fast-check'
import { WALLET_LOCKED_MESSAGE, WalletError, WalletErrorCode } from '../src/wallet/errors.js'
import {
  MAX_WALLET_FILE_BYTES, createWallet, openWallet, openWalletText, parseWalletText, walletFileText,
  type WalletFile, type WalletLockedReason
} from '../src/wallet/wallet-file.js'
import { writeWalletFile } from '../src/wallet/wallet-store.js'
import { expectWalletError } from './helpers/wallet-errors.js'

interface WalletVector { password: string, file: WalletFile }
const vector = (JSON.parse(await readFile(new URL('./vectors/wallet.json', import.meta.url), 'utf8')) as { vectors: WalletVector[] }).vectors[0]

const REASONS: readonly WalletLockedReason[] = [
  'too-large', 'not-utf8', 'not-json', 'malformed', 'not-canonical', 'weak-kdf', 'empty-password', 'decrypt', 'key-mismatch'
]
const FAST = { allowWeakKdfForTests: true }
const encode = (text: string): Uint8Array => new TextEncoder().encode(text)


/** The one error of opening: WALLET_LOCKED, WALLET_LOCKED_MESSAGE, a known meta.reason. */
async function expectLocked (promise: Promise<unknown>): Promise<WalletError> {
  const error = await expectWalletError(promise, WalletErrorCode.LOCKED)
  expect(error.message).to.equal(WALLET_LOCKED_MESSAGE)
  expect(REASONS).to.include(error.meta.reason)
  return error
}

function flipped (bytes: Uint8Array, position: number, xor: number): Uint8Array {
  const copy = bytes.slice()
  copy[position] ^= xor
  return copy
}

/** The JSON value of `bytes` when they are UTF-8 JSON (decoded independently of src), else undefined. */
function jsonOf (bytes: Uint8Array): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes)) }
  } catch {
    return undefined
  }
}

describe('wallet file bytes: opening what the CLI wrote (docs/design.md §8)', function () {
  this.timeout(30_000)
  const password = 'fast test password'
  let directory: string
  let file: WalletFile
  let bytes: Uint8Array
  let wrongPassword: WalletError

  before(async function () {
    directory = await mkdtemp(join(tmpdir(), 'gossipchain-wallet-bytes-'))
    file = (await createWallet({ name: 'farm_B', password, iterations: 1000, allowWeakKdfForTests: true })).file
    const path = join(directory, 'farm_B.json')
    await writeWalletFile(path, file)
    bytes = new Uint8Array(await readFile(path))
    wrongPassword = await expectLocked(openWalletText(bytes, 'not the password', FAST))
  })

  after(async function () {
    await rm(directory, { recursive: true, force: true })
  })

  it('the bytes written are walletFileText of the wallet; they open with the password and parseWalletText reads them back', async function () {
    expect(Buffer.from(bytes).toString('utf8')).to.equal(walletFileText(file))
    expect(walletFileText(file)).to.equal(JSON.stringify(file, null, 2) + '\n')
    const opened = await openWalletText(bytes, password, FAST)
    expect(opened.publicKey).to.equal(file.publicKey)
    expect((await openWalletText(walletFileText(file), password, FAST)).seed).to.deep.equal(opened.seed)
    expect(parseWalletText(bytes)).to.deep.equal(file)
  })

  it('WALLET_LOCKED: a wrong password (meta.reason decrypt) or the empty one; the same message as for any modification', async function () {
    expect(wrongPassword.meta).to.deep.equal({ reason: 'decrypt' })
    expect((await expectLocked(openWalletText(bytes, '', FAST))).meta.reason).to.equal('empty-password')
  })

  it('WALLET_LOCKED: any byte of the file XORed with 1..255 fails exactly like a wrong password (fast-check, 1,000-iteration wallet)', async function () {
    await fc.assert(fc.asyncProperty(
      fc.nat(bytes.length - 1), fc.integer({ min: 1, max: 255 }),
      async (position, xor) => {
        const mutated = flipped(bytes, position, xor)
        const error = await expectLocked(openWalletText(mutated, password, FAST))
        expect({ code: error.code, message: error.message }).to.deep.equal({ code: wrongPassword.code, message: wrongPassword.message })
        const json = jsonOf(mutated)
        if (json === undefined) return
        if (isDeepStrictEqual(json.value, file)) {
          // Whitespace: the same JSON value, so only the check of the bytes can see the change.
          expect(error.meta.reason).to.equal('not-canonical')
        } else {
          const fromValue = await expectLocked(openWallet(json.value, password, FAST))
          expect(fromValue.message).to.equal(wrongPassword.message)
        }
      }
    ), { numRuns: 3000 })
  })

  it('WALLET_LOCKED: every byte of the file with every XOR 1..255, exhaustively (1-iteration wallet)', async function () {
    const password = 'pw'
    const tiny = (await createWallet({ name: 'farm_C', password, iterations: 1, allowWeakKdfForTests: true })).file
    const tinyBytes = encode(walletFileText(tiny))
    await openWalletText(tinyBytes, password, FAST)
    const reasons = new Map<unknown, number>()
    for (let position = 0; position < tinyBytes.length; position++) {
      for (let xor = 1; xor <= 255; xor++) {
        const error = await openWalletText(flipped(tinyBytes, position, xor), password, FAST).then(
          () => { throw new Error(`byte ${position} ^ ${xor} still opens`) },
          (error: unknown) => error as WalletError)
        if (error.code !== WalletErrorCode.LOCKED || error.message !== WALLET_LOCKED_MESSAGE) {
          throw new Error(`byte ${position} ^ ${xor}: ${error.code} ${error.message}`)
        }
        reasons.set(error.meta.reason, (reasons.get(error.meta.reason) ?? 0) + 1)
      }
    }
    // The sweep reached every kind of failure a single byte can cause.
    expect([...reasons.keys()].sort()).to.deep.equal(['decrypt', 'malformed', 'not-canonical', 'not-json', 'not-utf8'])
  })

  it('WALLET_LOCKED: the 600,000-iteration vector as the CLI writes it, one byte flipped (fast-check, a few runs)', async function () {
    const text = walletFileText(vector.file)
    const vectorBytes = encode(text)
    const wrong = await expectLocked(openWalletText(vectorBytes, 'wrong', {}))
    const at = (marker: string): number => text.indexOf(marker) + marker.length
    const hexDigit = at('"ciphertext": "')
    await fc.assert(fc.asyncProperty(
      fc.nat(vectorBytes.length - 1), fc.integer({ min: 1, max: 255 }),
      async (position, xor) => {
        const error = await expectLocked(openWalletText(flipped(vectorBytes, position, xor), vector.password))
        expect(error.message).to.equal(wrong.message)
      }
    ), {
      numRuns: 6,
      examples: [
        [hexDigit, text.charCodeAt(hexDigit) ^ (text[hexDigit] === '0' ? 0x31 : 0x30)], // another hex digit: decrypt
        [at('"iterations": '), 0x36 ^ 0x37], // 700000: decrypt
        [at('"iterations": '), 0x36 ^ 0x35], // 500000: weak-kdf
        [at('"format": "'), 0x01], // the format marker
        [0, 0x7b ^ 0x5b] // the opening brace becomes [
      ]
    })
  })

  it('WALLET_LOCKED: the same wallet as other valid JSON (re-indented, compact, CRLF, no final newline, a BOM, reordered) does not open from bytes', async function () {
    const text = walletFileText(file)
    const { format, ...rest } = file
    const variants: Array<[string, WalletLockedReason]> = [
      [JSON.stringify(file, null, 4) + '\n', 'not-canonical'],
      [JSON.stringify(file), 'not-canonical'],
      [text.replace(/\n/g, '\r\n'), 'not-canonical'],
      [text.trimEnd(), 'not-canonical'],
      [text + '\n', 'not-canonical'],
      [JSON.stringify({ ...rest, format }, null, 2) + '\n', 'not-canonical'],
      ['\ufeff' + text, 'not-json']
    ]
    for (const [variant, reason] of variants) {
      expect((await expectLocked(openWalletText(encode(variant), password, FAST))).meta.reason, JSON.stringify(variant)).to.equal(reason)
      expect(parseWalletText(variant.replace(/^\ufeff/, ''))).to.deep.equal(file)
    }
    // The JSON value API cannot see bytes: the value itself is the wallet.
    await openWallet(JSON.parse(JSON.stringify(file)), password, FAST)
  })

  it('WALLET_LOCKED: bytes that are not UTF-8, not JSON, or larger than 64 KiB; meta.reason says which', async function () {
    const cases: Array<[string | Uint8Array, WalletLockedReason]> = [
      [new Uint8Array([0x7b, 0xff, 0x7d]), 'not-utf8'],
      ['{"format": ', 'not-json'],
      ['', 'not-json'],
      [walletFileText(file) + ' '.repeat(MAX_WALLET_FILE_BYTES), 'too-large'],
      [encode(walletFileText(file) + ' '.repeat(MAX_WALLET_FILE_BYTES)), 'too-large']
    ]
    for (const [input, reason] of cases) {
      expect((await expectLocked(openWalletText(input, password, FAST))).meta.reason).to.equal(reason)
    }
  })

  it('WALLET_MALFORMED: parseWalletText (reading without the password) says what is wrong', function () {
    const cases: Array<[string | Uint8Array, Record<string, unknown>]> = [
      [new Uint8Array([0x7b, 0xff, 0x7d]), { reason: 'not-utf8' }],
      ['{"format": ', { reason: 'not-json' }],
      [' '.repeat(MAX_WALLET_FILE_BYTES + 1), { reason: 'too-large' }],
      ['{"scheme":"ed25519"}', { field: 'format' }],
      [walletFileText(file).replace('"AES-GCM"', '"AES-CBC"'), { field: 'cipher.name' }]
    ]
    for (const [input, meta] of cases) {
      const error = expectMalformed(() => parseWalletText(input))
      expect(error.meta).to.deep.include(meta)
      expect(error.message).to.not.equal(WALLET_LOCKED_MESSAGE)
    }
  })

  it('WALLET_BAD_ARGUMENT: a non-string password, or a file that is neither text nor bytes (caller bugs, not locks)', async function () {
    const badPassword = await expectWalletError(openWalletText(bytes, undefined as unknown as string), WalletErrorCode.BAD_ARGUMENT)
    expect(badPassword.meta.parameter).to.equal('password')
    const badText = await expectWalletError(() => parseWalletText({} as unknown as string), WalletErrorCode.BAD_ARGUMENT)
    expect(badText.meta.parameter).to.equal('text')
  })
})

function expectMalformed (read: () => unknown): WalletError {
  try {
    read()
  } catch (error) {
    expect(error).to.be.instanceOf(WalletError)
    expect((error as WalletError).code).to.equal(WalletErrorCode.MALFORMED)
    return error as WalletError
  }
  throw new Error('expected WALLET_MALFORMED, nothing was thrown')
}
