import { createCipheriv, createDecipheriv, createPrivateKey, createPublicKey, pbkdf2Sync } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { expect } from 'chai'
import fc from 'fast-check'
import { WALLET_LOCKED_MESSAGE, WalletError, WalletErrorCode } from '../src/wallet/errors.js'
import {
  MAX_KDF_ITERATIONS, MIN_KDF_ITERATIONS, createWallet, describeWallet, openWallet, parseWalletFile, type WalletFile
} from '../src/wallet/wallet-file.js'
import { expectWalletError } from './helpers/wallet-errors.js'

interface WalletVector {
  description: string
  password: string
  equivalentPasswords: string[]
  wrongPasswords: string[]
  seed: string
  publicKey: string
  file: WalletFile
}

const vectors = (JSON.parse(readFileSync(new URL('./vectors/wallet.json', import.meta.url), 'utf8')) as { vectors: WalletVector[] }).vectors
const hex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'hex'))
const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex')

/** JCS for the header's types (ASCII strings, integers, objects), written here independently of src. */
function sortedJson (value: unknown): string {
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>
    return `{${Object.keys(record).sort().map(key => `${JSON.stringify(key)}:${sortedJson(record[key])}`).join(',')}}`
  }
  return JSON.stringify(value)
}


// ---- single-character mutations of a wallet file's field values (for the property tests) ----

type FieldPath = readonly [string] | readonly [string, string]
const HEX_ALPHABET = '0123456789abcdef'
const NAME_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-'
const FIELDS: ReadonlyArray<{ path: FieldPath, domain: 'constant' | 'hex' | 'name' | 'iterations' }> = [
  { path: ['format'], domain: 'constant' },
  { path: ['version'], domain: 'constant' },
  { path: ['name'], domain: 'name' },
  { path: ['publicKey'], domain: 'hex' },
  { path: ['kdf', 'name'], domain: 'constant' },
  { path: ['kdf', 'hash'], domain: 'constant' },
  { path: ['kdf', 'iterations'], domain: 'iterations' },
  { path: ['kdf', 'salt'], domain: 'hex' },
  { path: ['cipher', 'name'], domain: 'constant' },
  { path: ['cipher', 'iv'], domain: 'hex' },
  { path: ['ciphertext'], domain: 'hex' }
]

/** What openWallet must put in WALLET_LOCKED's meta.reason, worked out from the field's domain. */
type ExpectedReason = 'decrypt' | 'malformed' | 'weak-kdf'

interface Mutation {
  field: string
  before: string | number
  after: string | number
  reason: ExpectedReason
}

function getField (file: WalletFile, path: FieldPath): string | number {
  const record = file as unknown as Record<string, Record<string, string | number>>
  return path.length === 1 ? record[path[0]] as unknown as string | number : record[path[0]][path[1]]
}

function withField (file: WalletFile, path: FieldPath, value: string | number): unknown {
  const copy = structuredClone(file) as unknown as Record<string, Record<string, unknown>>
  if (path.length === 1) (copy as Record<string, unknown>)[path[0]] = value
  else copy[path[0]][path[1]] = value
  return copy
}

/**
 * Replaces one character of one field value. With `inDomainOnly`, the new character stays in the
 * field's alphabet so the file is still well-formed: only the cryptography can notice the edit.
 */
function mutationArbitrary (file: WalletFile, opts: { inDomainOnly: boolean, minIterations: number }): fc.Arbitrary<Mutation> {
  const fields = opts.inDomainOnly ? FIELDS.filter(field => field.domain !== 'constant') : FIELDS
  const anyChar = fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })
  return fc.record({
    fieldIndex: fc.nat(fields.length - 1),
    position: fc.nat(),
    hexChar: fc.constantFrom(...HEX_ALPHABET),
    nameChar: fc.constantFrom(...NAME_ALPHABET),
    digit: fc.constantFrom(...'0123456789'),
    otherChar: anyChar,
    useOtherChar: opts.inDomainOnly ? fc.constant(false) : fc.boolean()
  }).map(({ fieldIndex, position, hexChar, nameChar, digit, otherChar, useOtherChar }): Mutation => {
    const { path, domain } = fields[fieldIndex]
    const before = getField(file, path)
    const field = path.join('.')
    const text = String(before)
    const at = position % text.length
    if (domain === 'iterations' || typeof before === 'number') {
      const after = Number(text.slice(0, at) + digit + text.slice(at + 1))
      let reason: ExpectedReason = 'decrypt'
      if (domain === 'constant' || after < 1) reason = 'malformed'
      else if (after < opts.minIterations) reason = 'weak-kdf'
      return { field, before, after, reason }
    }
    const alphabet = domain === 'hex' ? HEX_ALPHABET : domain === 'name' ? NAME_ALPHABET : ''
    const replacement = useOtherChar ? otherChar : domain === 'hex' ? hexChar : domain === 'name' ? nameChar : otherChar
    const after = text.slice(0, at) + replacement + text.slice(at + 1)
    const reason: ExpectedReason = domain !== 'constant' && alphabet.includes(replacement) ? 'decrypt' : 'malformed'
    return { field, before, after, reason }
  }).filter(mutation => mutation.before !== mutation.after &&
    (!opts.inDomainOnly || mutation.reason === 'decrypt'))
}

/** Every mutation fails to open with the one WALLET_LOCKED error; only meta tells the cause. */
async function checkMutation (file: WalletFile, password: string, mutation: Mutation, allowWeakKdfForTests: boolean): Promise<void> {
  const path = mutation.field.split('.') as unknown as FieldPath
  const error = await expectWalletError(openWallet(withField(file, path, mutation.after), password, { allowWeakKdfForTests }), WalletErrorCode.LOCKED)
  expect(error.message).to.equal(WALLET_LOCKED_MESSAGE)
  expect(error.meta.reason, mutation.field).to.equal(mutation.reason)
  if (mutation.reason === 'malformed') expect(error.meta.field).to.equal(mutation.field)
}

describe('wallet file (docs/design.md §8)', function () {
  this.timeout(60_000)

  describe('known-answer vectors (test/vectors/wallet.json, 600,000 iterations)', function () {
    for (const vector of vectors) {
      describe(vector.description, function () {
        it('opens with its password and gives the stored seed and public key', async function () {
          const opened = await openWallet(vector.file, vector.password)
          expect(toHex(opened.seed)).to.equal(vector.seed)
          expect(opened.publicKey).to.equal(vector.publicKey)
          expect(opened.name).to.equal(vector.file.name)
        })

        it('createWallet with the same seed, salt and iv writes exactly this file', async function () {
          const { file, seed } = await createWallet({
            name: vector.file.name,
            password: vector.password,
            seed: hex(vector.seed),
            salt: hex(vector.file.kdf.salt),
            iv: hex(vector.file.cipher.iv)
          })
          expect(JSON.stringify(file)).to.equal(JSON.stringify(vector.file))
          expect(toHex(seed)).to.equal(vector.seed)
        })

        it('decrypts with node:crypto as docs/design.md §8 describes (PBKDF2-HMAC-SHA256, AES-256-GCM, AAD = JCS without ciphertext)', function () {
          const { ciphertext, ...header } = vector.file
          const key = pbkdf2Sync(Buffer.from(vector.password.normalize('NFKC'), 'utf8'), hex(header.kdf.salt), header.kdf.iterations, 32, 'sha256')
          const sealed = hex(ciphertext)
          const decipher = createDecipheriv('aes-256-gcm', key, hex(header.cipher.iv))
          decipher.setAAD(Buffer.from(sortedJson(header), 'utf8'))
          decipher.setAuthTag(sealed.subarray(32))
          const seed = Buffer.concat([decipher.update(sealed.subarray(0, 32)), decipher.final()])
          expect(seed.toString('hex')).to.equal(vector.seed)
        })

        for (const [i, password] of vector.equivalentPasswords.entries()) {
          it(`NFKC: the equivalent spelling #${i + 1} (${JSON.stringify(password)}) opens it too`, async function () {
            expect(password).to.not.equal(vector.password)
            const opened = await openWallet(vector.file, password)
            expect(toHex(opened.seed)).to.equal(vector.seed)
          })
        }

        for (const [i, password] of vector.wrongPasswords.entries()) {
          it(`WALLET_LOCKED: wrong password #${i + 1} (${JSON.stringify(password)})`, async function () {
            const error = await expectWalletError(openWallet(vector.file, password), WalletErrorCode.LOCKED)
            expect(error.message).to.equal(WALLET_LOCKED_MESSAGE)
            expect(error.meta.reason).to.equal(password === '' ? 'empty-password' : 'decrypt')
          })
        }
      })
    }
  })

  describe('tampering', function () {
    it('WALLET_LOCKED: any in-domain one-character edit of the 600,000-iteration vector, like a wrong password', async function () {
      const vector = vectors[0]
      await fc.assert(fc.asyncProperty(
        mutationArbitrary(vector.file, { inDomainOnly: true, minIterations: MIN_KDF_ITERATIONS }),
        async mutation => { await checkMutation(vector.file, vector.password, mutation, false) }
      ), { numRuns: 20 })
    })

    it('WALLET_LOCKED: an edit of a constant field or of iterations below 600,000 in the 600,000-iteration vector (no key is derived)', async function () {
      const vector = vectors[0]
      await fc.assert(fc.asyncProperty(
        mutationArbitrary(vector.file, { inDomainOnly: false, minIterations: MIN_KDF_ITERATIONS }).filter(mutation => mutation.reason !== 'decrypt'),
        async mutation => { await checkMutation(vector.file, vector.password, mutation, false) }
      ), { numRuns: 200 })
    })

    it('WALLET_LOCKED: any one-character edit of any field value, in its alphabet or not, like a wrong password (meta.reason decrypt, malformed + field, or weak-kdf)', async function () {
      const password = 'fast test password'
      const { file } = await createWallet({ name: 'farm_B', password, iterations: 1000, allowWeakKdfForTests: true })
      await fc.assert(fc.asyncProperty(
        mutationArbitrary(file, { inDomainOnly: false, minIterations: 1 }),
        async mutation => { await checkMutation(file, password, mutation, true) }
      ), { numRuns: 400 })
    })

    it('WALLET_LOCKED: a file whose seed does not give its publicKey (sealed consistently by someone with the password)', async function () {
      const vector = vectors[0]
      const otherPublicKey = vectors[1].publicKey
      const header = { ...vector.file, publicKey: otherPublicKey } as Partial<WalletFile>
      delete header.ciphertext
      const key = pbkdf2Sync(Buffer.from(vector.password, 'utf8'), hex(vector.file.kdf.salt), vector.file.kdf.iterations, 32, 'sha256')
      const cipher = createCipheriv('aes-256-gcm', key, hex(vector.file.cipher.iv))
      cipher.setAAD(Buffer.from(sortedJson(header), 'utf8'))
      const sealed = Buffer.concat([cipher.update(hex(vector.seed)), cipher.final(), cipher.getAuthTag()])
      const forged = { ...header, ciphertext: sealed.toString('hex') }
      const error = await expectWalletError(openWallet(forged, vector.password), WalletErrorCode.LOCKED)
      expect(error.message).to.equal(WALLET_LOCKED_MESSAGE)
      expect(error.meta.reason).to.equal('key-mismatch')
    })
  })

  describe('create and open', function () {
    it('a fresh wallet opens with its password; seed and public key agree with node:crypto', async function () {
      const { file, seed } = await createWallet({ name: 'farm_A', password: 'pw', iterations: 1000, allowWeakKdfForTests: true })
      const opened = await openWallet(file, 'pw', { allowWeakKdfForTests: true })
      expect(toHex(opened.seed)).to.equal(toHex(seed))
      const privateKey = createPrivateKey({ key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]), format: 'der', type: 'pkcs8' })
      const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' })
      expect(file.publicKey).to.equal(spki.subarray(-32).toString('hex'))
      expect(file.kdf).to.deep.include({ name: 'PBKDF2', hash: 'SHA-256', iterations: 1000 })
      expect(file.kdf.salt).to.match(/^[0-9a-f]{32}$/)
      expect(file.cipher.iv).to.match(/^[0-9a-f]{24}$/)
      expect(file.ciphertext).to.match(/^[0-9a-f]{96}$/)
    })

    it('uses 600,000 iterations by default and fresh salt, iv and seed each time', async function () {
      const one = await createWallet({ name: 'a', password: 'pw' })
      const two = await createWallet({ name: 'a', password: 'pw' })
      expect(one.file.kdf.iterations).to.equal(600_000)
      expect(one.file.kdf.salt).to.not.equal(two.file.kdf.salt)
      expect(one.file.cipher.iv).to.not.equal(two.file.cipher.iv)
      expect(one.file.publicKey).to.not.equal(two.file.publicKey)
    })

    it('describeWallet gives name, public key and KDF parameters without the password', function () {
      const description = describeWallet(vectors[0].file)
      expect(description).to.deep.equal({
        format: 'gossipchain-wallet',
        version: 1,
        name: 'farm_A',
        publicKey: vectors[0].publicKey,
        kdf: vectors[0].file.kdf,
        cipher: vectors[0].file.cipher,
        weakKdf: false
      })
    })
  })

  describe('errors', function () {
    const notWallets = (): Array<[unknown, string | undefined]> => {
      const good = vectors[0].file
      return [
        [null, undefined],
        [[], undefined],
        ['{"format":"gossipchain-wallet"}', undefined],
        [{}, 'format'],
        [{ ...good, extra: 1 }, 'extra'],
        [{ ...good, format: 'other-wallet' }, 'format'],
        [{ ...good, version: 2 }, 'version'],
        [{ ...good, name: '' }, 'name'],
        [{ ...good, name: 'farm A' }, 'name'],
        [{ ...good, name: 'x'.repeat(65) }, 'name'],
        [{ ...good, publicKey: good.publicKey.toUpperCase() }, 'publicKey'],
        [{ ...good, kdf: 'PBKDF2' }, 'kdf'],
        [{ ...good, kdf: { ...good.kdf, hash: 'SHA-1' } }, 'kdf.hash'],
        [{ ...good, kdf: { ...good.kdf, iterations: '600000' } }, 'kdf.iterations'],
        [{ ...good, kdf: { ...good.kdf, iterations: MAX_KDF_ITERATIONS + 1 } }, 'kdf.iterations'],
        [{ ...good, kdf: { ...good.kdf, salt: good.kdf.salt.slice(2) } }, 'kdf.salt'],
        [{ ...good, kdf: { ...good.kdf, pepper: 'x' } }, 'kdf.pepper'],
        [{ ...good, cipher: { name: 'AES-GCM' } }, 'cipher.iv'],
        [{ ...good, ciphertext: good.ciphertext + '00' }, 'ciphertext']
      ]
    }

    it('WALLET_MALFORMED: reading (no password) a non-wallet, or a field missing, unknown, mistyped or mis-spelled, names the field', async function () {
      for (const [input, field] of notWallets()) {
        const described = await expectWalletError(() => describeWallet(input), WalletErrorCode.MALFORMED)
        expect(described.meta.field, JSON.stringify(input)).to.equal(field)
        const parsed = await expectWalletError(() => parseWalletFile(input), WalletErrorCode.MALFORMED)
        expect(parsed.meta.field, JSON.stringify(input)).to.equal(field)
        expect(parsed.message).to.not.equal(WALLET_LOCKED_MESSAGE)
      }
    })

    it('WALLET_LOCKED: opening the same non-wallets gives the wrong-password error; meta keeps the field and the reading error', async function () {
      for (const [input, field] of notWallets()) {
        const reading = await expectWalletError(() => parseWalletFile(input), WalletErrorCode.MALFORMED)
        const error = await expectWalletError(openWallet(input, vectors[0].password), WalletErrorCode.LOCKED)
        expect(error.message).to.equal(WALLET_LOCKED_MESSAGE)
        expect(error.meta, JSON.stringify(input)).to.deep.equal({ reason: 'malformed', field, detail: reading.message })
      }
    })

    it('WALLET_WEAK_KDF: createWallet refuses fewer than 600,000 iterations unless a test allows it; opening such a file is WALLET_LOCKED', async function () {
      await expectWalletError(createWallet({ name: 'a', password: 'pw', iterations: 599_999 }), WalletErrorCode.WEAK_KDF)
      const { file } = await createWallet({ name: 'a', password: 'pw', iterations: 1000, allowWeakKdfForTests: true })
      const error = await expectWalletError(openWallet(file, 'pw'), WalletErrorCode.LOCKED)
      expect(error.message).to.equal(WALLET_LOCKED_MESSAGE)
      expect(error.meta).to.deep.equal({ reason: 'weak-kdf', iterations: 1000, minimum: 600_000 })
      expect(describeWallet(file).weakKdf).to.equal(true)
      await openWallet(file, 'pw', { allowWeakKdfForTests: true })
    })

    it('WALLET_BAD_ARGUMENT: createWallet names the bad parameter; a non-string password to openWallet is a caller bug, not a lock', async function () {
      const fast = { iterations: 1000, allowWeakKdfForTests: true }
      const cases: Array<[Parameters<typeof createWallet>[0], string]> = [
        [{ ...fast, name: 'farm A', password: 'pw' }, 'name'],
        [{ ...fast, name: '', password: 'pw' }, 'name'],
        [{ ...fast, name: 'a', password: '' }, 'password'],
        [{ ...fast, name: 'a', password: 'pw', seed: new Uint8Array(31) }, 'seed'],
        [{ ...fast, name: 'a', password: 'pw', salt: new Uint8Array(8) }, 'salt'],
        [{ ...fast, name: 'a', password: 'pw', iv: new Uint8Array(16) }, 'iv'],
        [{ ...fast, name: 'a', password: 'pw', iterations: 0 }, 'iterations'],
        [{ ...fast, name: 'a', password: 'pw', iterations: 1.5 }, 'iterations'],
        [{ name: 'a', password: 'pw', iterations: MAX_KDF_ITERATIONS + 1 }, 'iterations']
      ]
      for (const [opts, parameter] of cases) {
        const error = await expectWalletError(createWallet(opts), WalletErrorCode.BAD_ARGUMENT)
        expect(error.meta.parameter).to.equal(parameter)
      }
      const opening = await expectWalletError(openWallet(vectors[0].file, 42 as unknown as string), WalletErrorCode.BAD_ARGUMENT)
      expect(opening.meta.parameter).to.equal('password')
    })

    it('WALLET_NO_WEBCRYPTO: a page without crypto.subtle (plain http off localhost) gets a clear error', async function () {
      const descriptor = Object.getOwnPropertyDescriptor(globalThis, 'crypto')
      Object.defineProperty(globalThis, 'crypto', { value: {}, configurable: true, writable: true })
      try {
        await expectWalletError(createWallet({ name: 'a', password: 'pw' }), WalletErrorCode.NO_WEBCRYPTO)
        await expectWalletError(openWallet(vectors[0].file, vectors[0].password), WalletErrorCode.NO_WEBCRYPTO)
      } finally {
        if (descriptor !== undefined) Object.defineProperty(globalThis, 'crypto', descriptor)
      }
    })
  })
})
