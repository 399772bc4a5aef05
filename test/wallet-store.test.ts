import { mkdtemp, readdir, readFile, rm, stat, writeFile, mkdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect } from 'chai'
import { WalletError, WalletErrorCode } from '../src/wallet/errors.js'
import { MAX_WALLET_FILE_BYTES, createWallet, walletFileText, type WalletFile } from '../src/wallet/wallet-file.js'
import { readWalletFile, readWalletFileBytes, writeWalletFile } from '../src/wallet/wallet-store.js'
import { expectWalletError } from './helpers/wallet-errors.js'


describe('wallet store (docs/design.md §8: atomic, mode 0600, never overwritten)', function () {
  let directory: string
  let wallet: WalletFile

  before(async function () {
    wallet = (await createWallet({ name: 'farm_A', password: 'pw', iterations: 1000, allowWeakKdfForTests: true })).file
  })
  beforeEach(async function () {
    directory = await mkdtemp(join(tmpdir(), 'gossipchain-wallet-store-'))
  })
  afterEach(async function () {
    await rm(directory, { recursive: true, force: true })
  })

  it('writes a 0600 file that reads back equal, leaving no temp file behind', async function () {
    const path = join(directory, 'farm_A.json')
    await writeWalletFile(path, wallet)
    expect((await stat(path)).mode & 0o777).to.equal(0o600)
    expect(await readWalletFile(path)).to.deep.equal(wallet)
    expect(await readdir(directory)).to.deep.equal(['farm_A.json'])
  })

  it('writes exactly the bytes of walletFileText; readWalletFileBytes gives them back as stored', async function () {
    const path = join(directory, 'farm_A.json')
    await writeWalletFile(path, wallet)
    expect(await readFile(path, 'utf8')).to.equal(walletFileText(wallet))
    expect(Buffer.from(await readWalletFileBytes(path)).equals(await readFile(path))).to.equal(true)
    // Not checked here: opening (openWalletText) judges the bytes, so a modified file still reads.
    await writeFile(join(directory, 'edited.json'), '{ "format": ')
    expect(Buffer.from(await readWalletFileBytes(join(directory, 'edited.json'))).toString()).to.equal('{ "format": ')
  })

  it('readWalletFileBytes stops one byte past the limit: enough to say "too large" without reading it all', async function () {
    const path = join(directory, 'big.json')
    await writeFile(path, Buffer.alloc(MAX_WALLET_FILE_BYTES * 4, 0x20))
    expect((await readWalletFileBytes(path)).length).to.equal(MAX_WALLET_FILE_BYTES + 1)
    const error = await expectWalletError(readWalletFile(path), WalletErrorCode.MALFORMED)
    expect(error.meta).to.deep.include({ reason: 'too-large', path })
    expect(error.message).to.include(path)
  })

  it('WALLET_EXISTS: refuses to overwrite and leaves the old file intact', async function () {
    const path = join(directory, 'farm_A.json')
    await writeFile(path, 'precious')
    const error = await expectWalletError(writeWalletFile(path, wallet), WalletErrorCode.EXISTS)
    expect(error.meta.path).to.equal(path)
    expect(await readFile(path, 'utf8')).to.equal('precious')
    expect(await readdir(directory)).to.deep.equal(['farm_A.json'])
  })

  it('WALLET_EXISTS: of two concurrent writers exactly one wins', async function () {
    const path = join(directory, 'race.json')
    const other = (await createWallet({ name: 'farm_B', password: 'pw', iterations: 1000, allowWeakKdfForTests: true })).file
    const results = await Promise.allSettled([writeWalletFile(path, wallet), writeWalletFile(path, other)])
    expect(results.filter(result => result.status === 'fulfilled')).to.have.length(1)
    const rejected = results.find(result => result.status === 'rejected') as PromiseRejectedResult
    expect((rejected.reason as WalletError).code).to.equal(WalletErrorCode.EXISTS)
    expect(await readdir(directory)).to.deep.equal(['race.json'])
  })

  it('WALLET_NOT_FOUND: no file at the path', async function () {
    const path = join(directory, 'missing.json')
    const error = await expectWalletError(readWalletFile(path), WalletErrorCode.NOT_FOUND)
    expect(error.message).to.include(path)
    expect((await expectWalletError(readWalletFileBytes(path), WalletErrorCode.NOT_FOUND)).meta.path).to.equal(path)
  })

  it('WALLET_MALFORMED: not JSON, or JSON that is not a wallet, names the path', async function () {
    const notJson = join(directory, 'not.json')
    await writeFile(notJson, '{ "format": ')
    const notJsonError = await expectWalletError(readWalletFile(notJson), WalletErrorCode.MALFORMED)
    expect(notJsonError.message).to.include(notJson)
    expect(notJsonError.message).to.include('not valid JSON')
    expect(notJsonError.meta).to.deep.include({ reason: 'not-json', path: notJson })
    const notWallet = join(directory, 'tx.json')
    await writeFile(notWallet, JSON.stringify({ scheme: 'ed25519' }))
    const error = await expectWalletError(readWalletFile(notWallet), WalletErrorCode.MALFORMED)
    expect(error.message).to.include(notWallet)
    expect(error.meta.field).to.equal('format')
  })

  it('WALLET_IO: a directory that does not exist, or a directory where the file should be', async function () {
    await expectWalletError(writeWalletFile(join(directory, 'no', 'such', 'dir.json'), wallet), WalletErrorCode.IO)
    const sub = join(directory, 'sub')
    await mkdir(sub)
    await expectWalletError(readWalletFile(sub), WalletErrorCode.IO)
    await expectWalletError(readWalletFileBytes(sub), WalletErrorCode.IO)
  })
})
