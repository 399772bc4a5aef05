// Which WALLET_MALFORMED a file with several faults gets (docs/design.md §8): the format marker first, then
// per object its unknown fields, its missing fields, and each field's value in design order.
import { fileURLToPath } from 'node:url'
import { expect } from 'chai'
import { build } from 'esbuild'
import { WalletError, WalletErrorCode } from '../src/wallet/errors.js'
import { createWallet, parseWalletFile, type WalletFile } from '../src/wallet/wallet-file.js'

function malformed (input: unknown): { field: unknown, message: string } {
  try {
    parseWalletFile(input)
  } catch (err) {
    expect(err).to.be.instanceOf(WalletError)
    expect((err as WalletError).code).to.equal(WalletErrorCode.MALFORMED)
    return { field: (err as WalletError).meta.field, message: (err as WalletError).message }
  }
  throw new Error('expected an error, none was thrown')
}

describe('wallet file schema: precedence and messages', function () {
  let good: WalletFile
  before(async () => {
    good = (await createWallet({ name: 'farm_A', password: 'pw', iterations: 1000, allowWeakKdfForTests: true })).file
  })
  const copy = (): any => structuredClone(good) // eslint-disable-line @typescript-eslint/no-explicit-any

  it('the format marker wins over everything else', () => {
    expect(malformed({ ...copy(), format: 'other', extra: 1, name: '' })).to.deep.equal(
      { field: 'format', message: 'not a wallet file: format must be "gossipchain-wallet"' })
    const { format: _format, ...noFormat } = copy()
    expect(malformed({ ...noFormat, extra: 1 })).to.deep.equal({ field: 'format', message: 'not a wallet file: missing field format' })
    expect(malformed([good])).to.deep.equal({ field: undefined, message: 'not a wallet file: expected a JSON object' })
  })

  it('per object: unknown fields, then missing fields, then values in design order', () => {
    const file = { ...copy(), name: 'farm A', extra: 1 }
    delete file.ciphertext
    expect(malformed(file)).to.deep.equal({ field: 'extra', message: 'malformed wallet file: unknown field extra in the wallet file' })
    delete file.extra
    expect(malformed(file)).to.deep.equal({ field: 'ciphertext', message: 'malformed wallet file: missing field ciphertext' })
    file.ciphertext = good.ciphertext
    file.kdf.salt = 'x'
    expect(malformed(file)).to.deep.equal({ field: 'name', message: 'malformed wallet file: name must be 1 to 64 characters of A-Z a-z 0-9 _ . -' })
  })

  it('inside kdf the same order, after the fields before kdf', () => {
    const file = copy()
    file.kdf = { name: 'scrypt', hash: 'SHA-256', iterations: 1000, pepper: 'x' }
    expect(malformed(file)).to.deep.equal({ field: 'kdf.pepper', message: 'malformed wallet file: unknown field kdf.pepper in kdf' })
    delete file.kdf.pepper
    expect(malformed(file)).to.deep.equal({ field: 'kdf.salt', message: 'malformed wallet file: missing field kdf.salt' })
    file.kdf.salt = good.kdf.salt
    expect(malformed(file)).to.deep.equal({ field: 'kdf.name', message: 'malformed wallet file: kdf.name must be "PBKDF2"' })
    expect(malformed({ ...file, version: 2 })).to.deep.equal({ field: 'version', message: 'unsupported wallet version 2 (this program reads version 1)' })
    expect(malformed({ ...copy(), cipher: [] })).to.deep.equal({ field: 'cipher', message: 'malformed wallet file: cipher must be an object' })
  })

  it('a key holding a dot is named as it is', () => {
    expect(malformed({ ...copy(), 'kdf.salt': 'x' })).to.deep.equal(
      { field: 'kdf.salt', message: 'malformed wallet file: unknown field kdf.salt in the wallet file' })
  })

  it('a valid file comes back as a fresh copy', () => {
    const input = copy()
    const parsed = parseWalletFile(input)
    expect(parsed).to.deep.equal(good)
    expect(parsed).to.not.equal(input)
    expect(parsed.kdf).to.not.equal(input.kdf)
  })

  it('the browser bundle holds zod/mini only: no classic zod, no zod locales (src/core/schema.ts imports classic for core)', async function () {
    this.timeout(30_000)
    const result = await build({
      entryPoints: [fileURLToPath(new URL('../src/wallet/wallet-file.ts', import.meta.url))],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      minify: true,
      write: false,
      metafile: true,
      logLevel: 'silent'
    })
    const inputs = Object.keys(Object.values(result.metafile.outputs)[0].inputs)
    expect(inputs.some(path => path.includes('zod/v4/mini/'))).to.equal(true)
    expect(inputs.filter(path => /zod\/v4\/(classic|locales)\//.test(path))).to.deep.equal([])
  })
})
