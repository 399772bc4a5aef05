// "Bundles for the browser" (docs/design.md §1, §9): everything the web page imports (the rules in
// src/core, the wallet file, the noble/WebCrypto signer and verifier) bundles with esbuild for the
// browser, with no node builtin, and WORKS there: the bundle is run in a bare JavaScript context (no
// process, no Buffer, no require, only what a browser gives: WebCrypto, TextEncoder/TextDecoder) where
// it creates and opens a wallet, signs a tx, checks it with core's rules, checks a legacy RSA tx and a
// Merkle proof; the node then accepts what the bundle signed with its own native verifier.
import { webcrypto } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { runInNewContext } from 'node:vm'
import { expect } from 'chai'
import { build, type Metafile } from 'esbuild'
import { parseTx, verifyTx, type Tx } from '../src/core/index.js'
import { createNodeVerifier } from '../src/crypto/node-verifier.js'
import { loadVector } from './core-fixtures.js'

const srcDir = fileURLToPath(new URL('../src/', import.meta.url))

/** The modules the page imports: its whole view of the project's code. */
const PAGE_IMPORTS = ['core/index.ts', 'wallet/wallet-file.ts', 'wallet/errors.ts', 'crypto/browser-ed25519.ts']

/** What the page does with them, end to end; runs inside the bundle. */
const ENTRY = `
import * as core from './core/index.ts'
import { createWallet, openWalletText, walletFileText } from './wallet/wallet-file.ts'
import { WalletError } from './wallet/errors.ts'
import { createBrowserVerifier, nobleEd25519Signer } from './crypto/browser-ed25519.ts'

export async function run (input) {
  const network = core.networkId(input.params)
  const { file } = await createWallet({ name: 'farm_A', password: 'correct horse', iterations: 1000, allowWeakKdfForTests: true })
  const text = walletFileText(file)
  let wrongPassword = ''
  try { await openWalletText(text, 'wrong', { allowWeakKdfForTests: true }) } catch (err) { wrongPassword = err instanceof WalletError ? err.code : 'not a WalletError' }
  const { seed, publicKey } = await openWalletText(text, 'correct horse', { allowWeakKdfForTests: true })
  const signer = nobleEd25519Signer(seed)
  seed.fill(0)
  const signed = core.signTx({ item: 'lot-7', receiverPK: null, data: 'shipped 12 pallets', timestamp: input.nowMs / 1000, nonce: input.nonce }, signer, network)
  const tx = core.parseTx(JSON.parse(JSON.stringify(signed)))
  const verifier = createBrowserVerifier()
  await core.verifyTx(tx, { network, nowMs: input.nowMs, verifier })
  let forged = ''
  try {
    await core.verifyTx({ ...tx, data: 'shipped 13 pallets', id: core.computeTxId({ ...tx, data: 'shipped 13 pallets' }, network) }, { network, nowMs: input.nowMs, verifier })
  } catch (err) { forged = err.code }
  const legacy = core.parseTx(input.legacyTx)
  await core.verifyTx(legacy, { network, nowMs: input.nowMs, verifier })
  const txs = [tx, legacy]
  const root = core.computeTxRoot(txs)
  const proof = core.buildMerkleProof(txs, 1)
  return {
    network, walletPublicKey: publicKey, wrongPassword, tx, forged, root,
    proofVerifies: core.verifyMerkleProof(core.txLeafHash(legacy), proof, root),
    proofOfOtherLeaf: core.verifyMerkleProof(core.txLeafHash(tx), proof, root)
  }
}
`

interface RunInput { params: { name: string, genesisTimestamp: number, bits: number }, nowMs: number, nonce: string, legacyTx: Tx }
interface RunOutput { network: string, walletPublicKey: string, wrongPassword: string, tx: Tx, forged: string, root: string, proofVerifies: boolean, proofOfOtherLeaf: boolean }

describe('the browser bundle (src/core, the wallet file, the noble/WebCrypto signer)', function () {
  this.timeout(60_000)
  let code: string
  let metafile: Metafile

  before(async function () {
    const result = await build({
      stdin: { contents: ENTRY, resolveDir: srcDir, sourcefile: 'page-entry.ts', loader: 'ts' },
      bundle: true,
      platform: 'browser',
      format: 'iife',
      globalName: 'gossipchainPage',
      target: 'es2022',
      write: false,
      metafile: true,
      logLevel: 'silent'
    })
    expect(result.errors).to.deep.equal([])
    code = result.outputFiles[0].text
    metafile = result.metafile
  })

  it('bundles with no node builtin: every input is a package or one of the page\'s modules (and what they import in src/core)', () => {
    const inputs = Object.keys(metafile.inputs)
    expect(inputs.filter(path => path.startsWith('node:') || /^(crypto|fs|path|buffer|stream|os|util)$/.test(path))).to.deep.equal([])
    const ours = inputs.filter(path => path.startsWith('src/') || !path.includes('node_modules/')).filter(path => !path.endsWith('page-entry.ts'))
    const allowed = (path: string): boolean => path.startsWith('src/core/') || PAGE_IMPORTS.some(module => path === `src/${module}`)
    expect(ours.filter(path => !allowed(path)), 'modules of ours outside the page\'s set').to.deep.equal([])
    for (const module of PAGE_IMPORTS) expect(ours, module).to.include(`src/${module}`)
  })

  it('runs in a context with no process, Buffer or require: opens a wallet, signs, verifies, checks a legacy tx and a Merkle proof', async () => {
    const legacyTx = loadVector<{ rsaLegacy: Array<{ tx: Tx }> }>('txs.json').rsaLegacy[0].tx
    const input: RunInput = {
      params: { name: 'gossipchain-browser', genesisTimestamp: 1767225600, bits: 8 },
      nowMs: 1767229200_000,
      nonce: '5a'.repeat(16),
      legacyTx
    }
    // Only what a browser page has: WebCrypto and the encoding API (plus console for debugging).
    const sandbox = { crypto: webcrypto, TextEncoder, TextDecoder, console }
    runInNewContext(code, sandbox, { filename: 'page-bundle.js' })
    const probe = runInNewContext('[typeof process, typeof Buffer, typeof require, typeof module]', sandbox) as string[]
    expect(probe).to.deep.equal(['undefined', 'undefined', 'undefined', 'undefined'])
    const page = (sandbox as unknown as { gossipchainPage: { run: (input: RunInput) => Promise<RunOutput> } }).gossipchainPage
    // Round-trip through JSON: the context's objects come from another realm.
    const out = JSON.parse(JSON.stringify(await page.run(input))) as RunOutput

    expect(out.wrongPassword).to.equal('WALLET_LOCKED')
    expect(out.tx.senderPK).to.equal(out.walletPublicKey)
    expect(out.forged).to.equal('TX_BAD_SIGNATURE')
    expect(out.proofVerifies).to.equal(true)
    expect(out.proofOfOtherLeaf).to.equal(false)
    // What the page signed, the node accepts with its own rules and native verifier.
    const tx = parseTx(out.tx)
    await verifyTx(tx, { network: out.network, nowMs: input.nowMs, verifier: createNodeVerifier() })
    expect(out.network).to.match(/^gossipchain-browser-[0-9a-f]{8}$/)
  })
})
