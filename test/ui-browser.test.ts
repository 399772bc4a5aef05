// The web page (docs/design.md §9) in Debian's Chromium against real node processes: a person creates a
// wallet in the page (and the CLI opens it), signs and submits a record by the labels, mines it, sees it
// in Chain and on its item page with proofs verified in the page, scans the QR code and downloads the
// CSV; a wrong password sends nothing; keyboard-only use works; no request ever carries the password or
// the seed, and none goes to another host; hostile strings from the chain stay text; the page fits a
// phone; over plain HTTP from another host it says why it cannot sign, and over HTTPS it signs.
// Screenshots of each view: test-artifacts/ui/ (git-ignored).
import { expect } from 'chai'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parse as parseCsv } from 'csv-parse/sync'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import QRCode from 'qrcode'
import { networkId } from '../src/core/block.js'
import { toHex } from '../src/core/bytes.js'
import { INSECURE_CONTEXT_MESSAGE } from '../src/ui/context.js'
import { openWalletText, parseWalletText, walletFileText } from '../src/wallet/wallet-file.js'
import { ARTIFACTS_DIR, launchChromium, recordingContext, screenshot, TEST_HOST, type RecordedRequest } from './helpers/browser.js'
import { runCli } from './helpers/cli.js'
import { makeTx, TEST_NETWORK } from './helpers/fixtures.js'
import { freePort, killAll as stopAll, NodeProcess, waitFor, waitForMesh } from '../src/devnet/index.js'
import { httpsGet, makeSelfSignedCert } from './helpers/tls.js'

const NET = networkId(TEST_NETWORK)
const PASSWORD = 'correct horse battery staple'
const WRONG_PASSWORD = 'not the password at all'
const API_TOKEN = 'mine-token-for-the-page'
const SHOP_KEY = 'c0'.repeat(32)
const ADDRESS_BOOK = { shop_C: SHOP_KEY, carrier_B: 'b0'.repeat(32) }
const VIEWS = ['Submit', 'Wallet', 'Chain', 'Items', 'Pending', 'Network']

/**
 * Run in the page (as source text: tsx would wrap named functions in a helper the page lacks): what
 * scrolls sideways, which visible control has no visible label, which button or link has no text.
 */
const LAYOUT_PROBLEMS = `(() => {
  const out = []
  if (document.documentElement.scrollWidth > window.innerWidth) out.push('scrolls sideways: ' + document.documentElement.scrollWidth + ' > ' + window.innerWidth)
  const visible = el => el.offsetParent !== null
  for (const el of document.querySelectorAll('input, textarea, select')) {
    if (!visible(el)) continue
    const label = el.labels && el.labels[0]
    if (!label || !visible(label) || label.textContent.trim() === '') out.push('no visible label: ' + el.outerHTML.slice(0, 80))
  }
  for (const el of document.querySelectorAll('button, a')) {
    if (visible(el) && el.textContent.trim() === '') out.push('no text: ' + el.outerHTML.slice(0, 80))
  }
  return out
})()`

describe('web page in Chromium', function () {
  this.timeout(120_000)
  let dir: string
  let browser: Browser
  let context: BrowserContext
  let page: Page
  let node: NodeProcess
  let publicUrl: string
  const requests: RecordedRequest[] = []
  let walletPath: string
  let txId: string

  /** Tab (keyboard only) until the focused control is the one labelled `label`. */
  async function tabTo (p: Page, label: string): Promise<void> {
    for (let i = 0; i < 40; i++) {
      await p.keyboard.press('Tab')
      const focused = await p.evaluate(() => {
        const el = document.activeElement as HTMLInputElement | null
        return el?.labels?.[0]?.textContent ?? el?.textContent ?? ''
      })
      if (focused === label) return
    }
    throw new Error(`Tab never reached the control labelled ${label}`)
  }

  async function mine (): Promise<void> {
    const r = await node.post('/mine', undefined, { authorization: `Bearer ${API_TOKEN}` })
    expect(r.status).to.equal(200)
  }

  before(async function () {
    dir = await mkdtemp(join(tmpdir(), 'gossipchain-ui-'))
    const httpPort = await freePort()
    publicUrl = `http://${TEST_HOST}:${httpPort}`
    node = await NodeProcess.start({
      httpPort,
      apiToken: API_TOKEN,
      // The legacy chain view is on: old frontends get the filtered /chain, the page must still show everything.
      extraArgs: ['--network', TEST_NETWORK.name, '--address-book', JSON.stringify(ADDRESS_BOOK), '--public-url', publicUrl, '--legacy-chain-view']
    })
    browser = await launchChromium()
    context = await recordingContext(browser, requests)
    page = await context.newPage()
  })

  after(async function () {
    await context?.close().catch(() => undefined)
    await browser?.close().catch(() => undefined)
    await stopAll()
    await rm(dir, { recursive: true, force: true })
  })

  it('serves the page at / with a strict Content-Security-Policy and the six views in its nav', async () => {
    const res = await page.goto(`${node.url}/`)
    expect(res?.status()).to.equal(200)
    expect(res?.headers()['content-security-policy']).to.include("default-src 'none'").and.include("connect-src 'self'")
    for (const name of VIEWS) await page.getByRole('navigation').getByRole('link', { name, exact: true }).waitFor()
    await page.getByRole('heading', { name: 'Sign and submit a record' }).waitFor()
  })

  it('Wallet: passwords that differ or are empty give a message and no file', async () => {
    let downloads = 0
    page.on('download', () => { downloads++ })
    await page.getByRole('link', { name: 'Wallet', exact: true }).click()
    await page.getByLabel('Wallet name', { exact: true }).fill('farm_A')
    await page.getByLabel('New password', { exact: true }).fill(PASSWORD)
    await page.getByLabel('Repeat password', { exact: true }).fill(PASSWORD + 'x')
    await page.getByRole('button', { name: 'Create wallet' }).click()
    await page.getByText('The two passwords differ: no wallet was created.').waitFor()
    await page.getByLabel('New password', { exact: true }).fill('')
    await page.getByLabel('Repeat password', { exact: true }).fill('')
    await page.getByRole('button', { name: 'Create wallet' }).click()
    await page.getByText('Type the new password twice.').waitFor()
    expect(downloads).to.equal(0)
  })

  it('Wallet: creates the wallet in the browser; the download is the CLI\'s bytes and `gossipchain wallet show --unlock` opens it', async () => {
    await page.getByLabel('New password', { exact: true }).fill(PASSWORD)
    await page.getByLabel('Repeat password', { exact: true }).fill(PASSWORD)
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Create wallet' }).click()])
    expect(download.suggestedFilename()).to.equal('farm_A.wallet.json')
    walletPath = join(dir, 'farm_A.wallet.json')
    await download.saveAs(walletPath)
    const text = await readFile(walletPath, 'utf8')
    expect(text, 'exactly walletFileText, what `gossipchain wallet new` writes').to.equal(walletFileText(parseWalletText(text)))
    // The layout of a CLI-made wallet, values aside, is the same byte for byte.
    const cliPath = join(dir, 'cli.wallet.json')
    const made = await runCli(['wallet', 'new', '--name', 'farm_A', '--out', cliPath], { GOSSIPCHAIN_PASSWORD: PASSWORD })
    expect(made.code, made.stderr).to.equal(0)
    const shape = (s: string): string => s.replace(/"[0-9a-f]{24,}"/g, '"HEX"')
    expect(shape(text)).to.equal(shape(await readFile(cliPath, 'utf8')))

    const shown = await runCli(['wallet', 'show', '--unlock', '--json', walletPath], { GOSSIPCHAIN_PASSWORD: PASSWORD })
    expect(shown.code, shown.stderr).to.equal(0)
    expect(JSON.parse(shown.stdout)).to.include({ name: 'farm_A', unlocked: true })
    await page.getByText('Created farm_A.wallet.json').waitFor()
    await screenshot(page, 'wallet-desktop')
  })

  it('Submit: a wrong password, a modified or a foreign file show one clear message and send nothing', async () => {
    await page.getByRole('link', { name: 'Submit', exact: true }).click()
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD)
    await page.getByLabel('Item', { exact: true }).fill('lot-42')
    await page.getByLabel('Data', { exact: true }).fill('harvested 200 kg')
    const before = requests.length
    const locked = page.getByText('Nothing was sent: wrong password or the wallet file was modified.')

    // A foreign file: said when it is picked, and it opens like a wrong password.
    const foreign = join(dir, 'not-a-wallet.json')
    await writeFile(foreign, JSON.stringify(makeTx(NET, 'a tx, not a wallet')))
    await page.getByLabel('Wallet file', { exact: true }).setInputFiles(foreign)
    await page.getByText('not-a-wallet.json is not a gossipchain wallet file.').waitFor()
    await page.getByRole('button', { name: 'Sign and submit' }).click()
    await locked.waitFor()

    // The wallet with one byte changed (its name): the same message.
    const modified = join(dir, 'modified.wallet.json')
    await writeFile(modified, (await readFile(walletPath, 'utf8')).replace('"farm_A"', '"farm_B"'))
    await page.getByLabel('Wallet file', { exact: true }).setInputFiles(modified)
    await page.getByText(/Wallet farm_B, public key/).waitFor()
    await page.getByRole('button', { name: 'Sign and submit' }).click()
    await page.locator('#view-submit .message.error').getByText('wrong password or the wallet file was modified').waitFor()

    // The right file with a wrong password.
    await page.getByLabel('Wallet file', { exact: true }).setInputFiles(walletPath)
    await page.getByText(/Wallet farm_A, public key [0-9a-f]{64}/).waitFor()
    await page.getByLabel('Password', { exact: true }).fill(WRONG_PASSWORD)
    await page.getByRole('button', { name: 'Sign and submit' }).click()
    await locked.waitFor()
    expect(requests.slice(before).filter(r => r.method !== 'GET'), 'no POST after a wrong password').to.deep.equal([])
    expect(requests.some(r => r.url.endsWith('/new_transaction'))).to.equal(false)
    expect(await page.getByLabel('Data', { exact: true }).inputValue(), 'nothing typed is lost').to.equal('harvested 200 kg')
  })

  it('Submit: a missing field, a bad receiver, an oversized record and a node refusal each give one clear message', async () => {
    await page.getByLabel('Password', { exact: true }).fill('')
    await page.getByRole('button', { name: 'Sign and submit' }).click()
    await page.getByText('Fill in: Password.').waitFor()
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD)
    await page.getByLabel('Receiver', { exact: true }).fill('nobody-we-know')
    await page.getByRole('button', { name: 'Sign and submit' }).click()
    await page.getByText('Receiver must be a name from the address book or a 64-hex public key.').waitFor()
    await page.getByLabel('Receiver', { exact: true }).fill('shop_C')

    await page.getByLabel('Data', { exact: true }).fill('x'.repeat(16 * 1024 + 1))
    await page.getByRole('button', { name: 'Sign and submit' }).click()
    await page.getByText('Nothing was sent: tx.data must be at most 16384 UTF-8 bytes.').waitFor()
    await page.getByLabel('Data', { exact: true }).fill('harvested 200 kg')

    // The node refuses (here: a 409 the test makes it answer): its sentence is shown, the form is kept.
    await page.route('**/new_transaction', route => route.fulfill({ status: 409, json: { error: 'the transaction is already pending', code: 'TX_DUPLICATE' } }))
    await page.getByRole('button', { name: 'Sign and submit' }).click()
    await page.getByText('The node refused the record (409): the transaction is already pending.').waitFor()
    await page.unroute('**/new_transaction')
    expect(await page.getByLabel('Data', { exact: true }).inputValue()).to.equal('harvested 200 kg')
  })

  it('Submit: signs in the page by the labels and posts the tx; the node has it pending', async () => {
    await page.getByRole('button', { name: 'Sign and submit' }).click()
    const id = await page.locator('.message.ok code.txid').textContent({ timeout: 30_000 })
    expect(id).to.match(/^[0-9a-f]{64}$/)
    txId = id!
    const found = await node.get(`/tx/${txId}`)
    expect(found.status).to.equal('pending')
    expect(found.tx).to.include({ item: 'lot-42', data: 'harvested 200 kg', receiverPK: SHOP_KEY, scheme: 'ed25519' })
    expect(found.tx.senderPK).to.equal(parseWalletText(await readFile(walletPath)).publicKey)
    await screenshot(page, 'submit-desktop')
  })

  it('Pending: shows the record; Mine asks for the API token on 401, then mines it', async () => {
    await page.getByRole('link', { name: 'Pending', exact: true }).click()
    await page.locator('#view-pending li.record').filter({ hasText: 'harvested 200 kg' }).waitFor()
    await page.getByRole('button', { name: 'Mine', exact: true }).click()
    await page.getByText('This node needs its API token to mine').waitFor()
    await page.getByLabel('API token', { exact: true }).fill(API_TOKEN)
    await page.getByRole('button', { name: 'Mine', exact: true }).click()
    await page.getByText('Block #1 is mined.').waitFor()
    await page.getByText('No pending transactions.').waitFor()
    expect((await node.get(`/tx/${txId}`)).status).to.equal('confirmed')
    await screenshot(page, 'pending-desktop')
  })

  it('Chain: the record with entity names, item, data and its confirmations (even on a node that shows old frontends the legacy view)', async () => {
    // One more block on top, so the record has one confirmation.
    const other = makeTx(NET, 'a later record', { item: 'lot-7', signer: 5 })
    expect((await node.post('/new_transaction', other)).status).to.equal(201)
    await mine()
    await page.getByRole('link', { name: 'Chain', exact: true }).click()
    const record = page.locator(`#view-chain li.record[data-tx="${txId}"]`)
    await record.waitFor()
    expect(await record.locator('.sender').textContent()).to.equal('farm_A')
    expect(await record.locator('.receiver').textContent()).to.equal('shop_C')
    expect(await record.locator('a.item').textContent()).to.equal('lot-42')
    expect(await record.locator('.data').textContent()).to.equal('harvested 200 kg')
    expect(await record.locator('.meta').textContent()).to.include('1 confirmation')
    expect((await node.get('/chain')).chain[1].transactions, 'the legacy view hides it from old frontends').to.deep.equal([])
    await screenshot(page, 'chain-desktop')
  })

  it('Items: the item box leads to the item page: custody verified in the page, QR code of the public URL, CSV', async () => {
    await page.getByRole('link', { name: 'Items', exact: true }).click()
    await page.getByLabel('Item id', { exact: true }).fill('lot-42')
    await page.getByRole('button', { name: 'Open item' }).click()
    await page.waitForURL(`${node.url}/items/lot-42`)
    await page.getByRole('heading', { name: 'Item lot-42' }).waitFor()
    const record = page.locator('ol.custody li.record')
    await record.locator('[data-verified]').waitFor()
    expect(await record.count()).to.equal(1)
    expect(await record.locator('[data-verified]').getAttribute('data-verified')).to.equal('true')
    // A newly loaded page knows the node's address book; a wallet's own name lives only in the page that opened it.
    const walletKey = parseWalletText(await readFile(walletPath)).publicKey
    expect(await record.locator('.sender').textContent()).to.equal(`${walletKey.slice(0, 8)}…${walletKey.slice(-6)}`)
    expect(await record.locator('.receiver').textContent()).to.equal('shop_C')
    await page.getByText('1 record, oldest first; every proof was verified in this page.').waitFor()

    // The QR code encodes the page's absolute URL on publicUrl (the page itself is on 127.0.0.1).
    const expected = await QRCode.toString(`${publicUrl}/items/lot-42`, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 })
    const pathsOf = (svg: string): string[] => [...svg.matchAll(/ d="([^"]+)"/g)].map(m => m[1])
    const shown = await page.locator('figure.label svg').evaluate(svg => svg.outerHTML)
    expect(pathsOf(shown)).to.deep.equal(pathsOf(expected))
    expect(await page.locator('figure.label .label-url').textContent()).to.equal(`${publicUrl}/items/lot-42`)
    await screenshot(page, 'item-desktop')

    // Print label prints the label only: QR code, item id, URL.
    await page.emulateMedia({ media: 'print' })
    expect(await page.locator('figure.label svg').isVisible()).to.equal(true)
    expect(await page.locator('figure.label .label-url').isVisible()).to.equal(true)
    for (const hidden of ['ol.custody', 'nav', 'button:has-text("Print label")']) expect(await page.locator(hidden).first().isVisible(), hidden).to.equal(false)
    await page.emulateMedia({ media: 'screen' })

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download CSV' }).click()])
    const rows = parseCsv(await readFile(await download.path(), 'utf8'), { record_delimiter: '\r\n' }) as string[][]
    expect(rows[0]).to.deep.equal(['time', 'block_index', 'confirmations', 'sender', 'receiver', 'item', 'data', 'tx_id'])
    expect(rows.slice(1).map(r => r.slice(1))).to.deep.equal([['1', '1', walletKey, 'shop_C', 'lot-42', 'harvested 200 kg', txId]])
  })

  it('a tampered record fails verification in the page', async () => {
    // The page checks what the node sends: a node that lies about a record is caught. Serve a forged
    // history (data changed after signing) through a route the test intercepts.
    await page.route('**/items/lot-42/history?*', async route => {
      const res = await route.fetch()
      const body = await res.json()
      body.records[0].tx.data = 'harvested 2000 kg'
      await route.fulfill({ response: res, json: body })
    })
    await page.reload()
    await page.locator('ol.custody [data-verified]').waitFor()
    expect(await page.locator('ol.custody [data-verified]').getAttribute('data-verified')).to.equal('false')
    await page.getByText('SOME RECORDS FAILED VERIFICATION', { exact: false }).waitFor()
    await page.unroute('**/items/lot-42/history?*')
  })

  it('keyboard only: Tab, type, Space on the file input and Enter submit a record', async () => {
    const kb = await context.newPage()
    await kb.goto(`${node.url}/#submit`)
    await kb.getByRole('heading', { name: 'Sign and submit a record' }).waitFor()
    await tabTo(kb, 'Wallet file')
    const [chooser] = await Promise.all([kb.waitForEvent('filechooser'), kb.keyboard.press('Space')])
    await chooser.setFiles(walletPath)
    await tabTo(kb, 'Password')
    await kb.keyboard.type(PASSWORD)
    await tabTo(kb, 'Item')
    await kb.keyboard.type('lot-42')
    await tabTo(kb, 'Receiver')
    await kb.keyboard.type('carrier_B')
    await tabTo(kb, 'Data')
    await kb.keyboard.type('loaded on truck 7')
    await tabTo(kb, 'Sign and submit')
    await kb.keyboard.press('Enter')
    const id = await kb.locator('.message.ok code.txid').textContent({ timeout: 30_000 })
    const found = await node.get(`/tx/${id!}`)
    expect(found.tx).to.include({ data: 'loaded on truck 7', receiverPK: 'b0'.repeat(32), item: 'lot-42' })
    await kb.close()
  })

  it('strings from the chain are text: markup in an item, data or a name never runs', async () => {
    const item = '<img src=x onerror="window.__xss=1">'
    const tx = makeTx(NET, '<script>window.__xss=2</script><b>bold?</b>', { item, signer: 6 })
    expect((await node.post('/new_transaction', tx)).status).to.equal(201)
    await mine()
    await page.goto(`${node.url}/#chain`)
    const record = page.locator(`#view-chain li.record[data-tx="${tx.id}"]`)
    await record.waitFor()
    expect(await record.locator('a.item').textContent()).to.equal(item)
    expect(await record.locator('.data').textContent()).to.equal('<script>window.__xss=2</script><b>bold?</b>')
    expect(await record.locator('.data b').count()).to.equal(0)
    await record.locator('a.item').click()
    await page.getByRole('heading', { name: `Item ${item}` }).waitFor()
    await page.locator('ol.custody [data-verified="true"]').waitFor()
    expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).to.equal(undefined)
  })

  it('Network: this node, its peers, and live from GET /events a peer connecting and the gossip of a tx posted to that peer', async () => {
    await page.goto(`${node.url}/#network`)
    await page.getByText(node.peerId, { exact: true }).first().waitFor()
    // The node has /events: the view streams it (EventSource), it does not fall back to polling.
    await page.locator('#view-network').getByText('Live: events arrive as the node sees them.').waitFor()
    await page.getByText('No connected peers.').waitFor()
    const second = await NodeProcess.start({ bootstrap: [node.multiaddr], extraArgs: ['--network', TEST_NETWORK.name] })
    const short = (s: string): string => `${s.slice(0, 8)}…${s.slice(-6)}`
    await page.locator('ul.peers').getByText(second.peerId, { exact: true }).waitFor({ timeout: 30_000 })
    await page.locator('ol.events').getByText(`peer connected ${short(second.peerId)}`).first().waitFor({ timeout: 30_000 })
    // A tx posted to the other node reaches this one by gossip; the view lists the event as it comes.
    await waitForMesh(second, node)
    const tx = makeTx(NET, 'a record gossiped live', { item: 'lot-live', signer: 7, timestamp: Math.floor(Date.now() / 1000) })
    expect((await second.post('/new_transaction', tx)).status).to.equal(201)
    await page.locator('ol.events').getByText(`tx ${short(tx.id)} from ${short(second.peerId)}: accept`).waitFor({ timeout: 30_000 })
    await screenshot(page, 'network-desktop')
    await mine() // the later views expect an empty mempool
    await second.stop()
  })

  it('Network: a node without /events (404) is polled instead, and peer changes are still listed', async () => {
    const p = await context.newPage()
    try {
      await p.route('**/events', route => route.fulfill({ status: 404, contentType: 'application/json', body: '{"code":"NOT_FOUND"}' }))
      await p.goto(`${node.url}/#network`)
      await p.locator('#view-network').getByText(/has no event stream \(\/events\) yet/).waitFor()
      const third = await NodeProcess.start({ bootstrap: [node.multiaddr], extraArgs: ['--network', TEST_NETWORK.name] })
      await p.locator('ol.events').getByText(`peer connected ${third.peerId.slice(0, 8)}…${third.peerId.slice(-6)}`).first().waitFor({ timeout: 30_000 })
      await third.stop()
    } finally {
      await p.close()
    }
  })

  it('every view fits a phone (390 px) and every control has a visible label', async () => {
    const phone = await recordingContext(browser, requests, { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true })
    const p = await phone.newPage()
    try {
      for (const view of VIEWS) {
        await p.goto(`${node.url}/#${view.toLowerCase()}`)
        await p.locator(`#view-${view.toLowerCase()} h1`).waitFor()
        if (view === 'Chain') await p.locator('#view-chain li.block').first().waitFor()
        if (view === 'Pending') await p.getByText('No pending transactions.').waitFor()
        await screenshot(p, `${view.toLowerCase()}-phone`)
        const problems = await p.evaluate(LAYOUT_PROBLEMS) as string[]
        expect(problems, view).to.deep.equal([])
      }
      await p.goto(`${node.url}/items/lot-42`)
      await p.locator('ol.custody [data-verified]').first().waitFor()
      expect(await p.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).to.equal(true)
      await screenshot(p, 'item-phone')
    } finally {
      await phone.close()
    }
  })

  it('no request, header, URL or storage ever carried the password or the seed; every request went to the node', async () => {
    const { seed } = await openWalletText(await readFile(walletPath), PASSWORD)
    const secrets = [PASSWORD, WRONG_PASSWORD, encodeURIComponent(PASSWORD), toHex(seed), Buffer.from(seed).toString('base64'), Buffer.from(seed).toString('base64url'), Buffer.from(seed).toString('latin1')]
    expect(requests.length).to.be.above(20)
    for (const r of requests) {
      const seen = `${r.url}\n${JSON.stringify(r.headers)}\n${r.body}`
      for (const secret of secrets) expect(seen.includes(secret), `${r.method} ${r.url} carries a secret`).to.equal(false)
      expect(new URL(r.url).origin, r.url).to.equal(node.url)
    }
    const storage = await page.evaluate(async () => ({
      local: localStorage.length, session: sessionStorage.length, cookie: document.cookie, idb: (await indexedDB.databases()).length
    }))
    expect(storage).to.deep.equal({ local: 0, session: 0, cookie: '', idb: 0 })
    expect(await context.cookies()).to.deep.equal([])
  })

  it('over plain HTTP from another host, the page says in one sentence why it cannot sign and how to fix it', async () => {
    const p = await context.newPage()
    try {
      await p.goto(`${publicUrl}/#submit`)
      expect(await p.evaluate(() => window.isSecureContext)).to.equal(false)
      const notice = p.locator('#view-submit .insecure')
      await notice.waitFor()
      expect(await notice.textContent()).to.equal(INSECURE_CONTEXT_MESSAGE)
      expect(INSECURE_CONTEXT_MESSAGE.split(/[.!?](\s|$)/).filter(s => s.trim() !== '')).to.have.length(1)
      expect(await p.getByRole('button', { name: 'Sign and submit' }).isDisabled()).to.equal(true)
      await p.getByRole('link', { name: 'Wallet', exact: true }).click()
      expect(await p.getByRole('button', { name: 'Create wallet' }).isDisabled()).to.equal(true)
      await screenshot(p, 'insecure-context')
    } finally {
      await p.close()
    }
  })

  it('over HTTPS with a self-signed certificate made in the test, the same host signs', async () => {
    const cert = makeSelfSignedCert(dir, [TEST_HOST])
    const tlsNode = await NodeProcess.start({ tls: cert, extraArgs: ['--network', TEST_NETWORK.name] })
    const secureRequests: RecordedRequest[] = []
    const tls = await recordingContext(browser, secureRequests, { ignoreHTTPSErrors: true })
    try {
      const p = await tls.newPage()
      const origin = tlsNode.url.replace('127.0.0.1', TEST_HOST)
      await p.goto(`${origin}/#submit`)
      expect(await p.evaluate(() => window.isSecureContext)).to.equal(true)
      await p.getByLabel('Wallet file', { exact: true }).setInputFiles(walletPath)
      await p.getByLabel('Password', { exact: true }).fill(PASSWORD)
      await p.getByLabel('Item', { exact: true }).fill('lot-tls')
      await p.getByLabel('Data', { exact: true }).fill('signed over https')
      await p.getByRole('button', { name: 'Sign and submit' }).click()
      const id = await p.locator('.message.ok code.txid').textContent({ timeout: 30_000 })
      const found = await waitFor('the tx on the TLS node', async () => {
        const r = await httpsGet(`${tlsNode.url}/tx/${id!}`, cert.certPem)
        return r.status === 200 ? JSON.parse(r.body) : undefined
      })
      expect(found.tx.data).to.equal('signed over https')
      for (const r of secureRequests) expect(new URL(r.url).origin).to.equal(origin)
    } finally {
      await tls.close()
      await tlsNode.stop()
    }
  })

  it('leaves the screenshots of every view as test artifacts', async () => {
    for (const name of ['wallet-desktop', 'submit-desktop', 'pending-desktop', 'chain-desktop', 'item-desktop', 'network-desktop',
      ...VIEWS.map(v => `${v.toLowerCase()}-phone`), 'item-phone', 'insecure-context']) {
      const bytes = await readFile(join(ARTIFACTS_DIR, `${name}.png`))
      expect(bytes.subarray(1, 4).toString('latin1'), name).to.equal('PNG')
    }
  })
})
