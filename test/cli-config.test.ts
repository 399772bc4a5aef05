// `gossipchain config show` in a child process: the precedence of docs/design.md §1 end to end, and one clear
// stderr line naming key and source for a bad value from each source.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect } from 'chai'
import { expectOneLineError, killAllCli, runCli } from './helpers/cli.js'

describe('gossipchain CLI: config show', function () {
  this.timeout(30_000)
  let directory: string

  before(function () {
    directory = mkdtempSync(join(tmpdir(), 'gossipchain-cli-config-'))
  })
  after(function () {
    killAllCli()
    rmSync(directory, { recursive: true, force: true })
  })

  it('applies defaults < --config file < GOSSIPCHAIN_* < flags and hides the api token', async function () {
    const file = join(directory, 'node.json')
    writeFileSync(file, JSON.stringify({ httpPort: 8100, p2pPort: 9100, dataDir: '/from/file', network: { bits: 12 } }))
    const result = await runCli(['config', 'show', '--config', file, '--http-port', '8300', '--bootstrap', '/ip4/10.0.0.1/tcp/1', '--bootstrap', '/ip4/10.0.0.2/tcp/2', '--legacy-transactions', 'false'],
      { GOSSIPCHAIN_HTTP_PORT: '8200', GOSSIPCHAIN_DATA_DIR: '/from/env', GOSSIPCHAIN_API_TOKEN: 'secret-token' })
    expect(result.code, result.stderr).to.equal(0)
    expect(result.stdout).to.not.include('secret-token')
    const config = JSON.parse(result.stdout)
    expect(config).to.deep.include({ httpPort: 8300, p2pPort: 9100, dataDir: '/from/env', legacyTransactions: false, apiToken: '(set, hidden)' })
    expect(config.network).to.deep.equal({ name: 'gossipchain-dev', genesisTimestamp: 1767225600, bits: 12 })
    expect(config.bootstrap).to.deep.equal(['/ip4/10.0.0.1/tcp/1', '/ip4/10.0.0.2/tcp/2'])
  })

  it('a boolean flag alone means true (--legacy-chain-view); with a value it takes the value', async function () {
    const on = await runCli(['config', 'show', '--legacy-chain-view', '--http-port', '8400'])
    expect(on.code, on.stderr).to.equal(0)
    expect(JSON.parse(on.stdout)).to.deep.include({ legacyChainView: true, httpPort: 8400 })
    const off = await runCli(['config', 'show', '--legacy-chain-view', 'false'], { GOSSIPCHAIN_LEGACY_CHAIN_VIEW: 'true' })
    expect(off.code, off.stderr).to.equal(0)
    expect(JSON.parse(off.stdout).legacyChainView).to.equal(false)
  })

  it('GOSSIPCHAIN_CONFIG names the file when --config is absent', async function () {
    const file = join(directory, 'env-named.json')
    writeFileSync(file, JSON.stringify({ logLevel: 'debug' }))
    const result = await runCli(['config', 'show'], { GOSSIPCHAIN_CONFIG: file })
    expect(result.code, result.stderr).to.equal(0)
    expect(JSON.parse(result.stdout).logLevel).to.equal('debug')
  })

  it('CONFIG_INVALID: a bad value from the file, the environment and a flag, each named with its source', async function () {
    const file = join(directory, 'bad.json')
    writeFileSync(file, JSON.stringify({ mempool: { maxCount: -1 } }))
    expectOneLineError(await runCli(['config', 'show', '--config', file]), 'mempool.maxCount', `file ${file}`)
    expectOneLineError(await runCli(['config', 'show'], { GOSSIPCHAIN_P2P_PORT: 'ninety' }), 'p2pPort', 'env GOSSIPCHAIN_P2P_PORT', '"ninety"')
    expectOneLineError(await runCli(['config', 'show', '--log-level', 'loud']), 'logLevel', 'flag --log-level', '"loud"')
    expectOneLineError(await runCli(['config', 'show', '--config', join(directory, 'absent.json')]), 'cannot read config file')
  })
})
