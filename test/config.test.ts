import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect } from 'chai'
import { ConfigError, DEFAULT_CONFIG, defaultConfigJson, loadConfig, type ConfigSourceKind } from '../src/config.js'

const repoFile = (path: string): string => fileURLToPath(new URL(`../${path}`, import.meta.url))

function expectConfigError (load: () => unknown, expected: { key: string | undefined, source: ConfigSourceKind, mentions: string[] }): ConfigError {
  let caught: unknown
  try {
    load()
  } catch (error) {
    caught = error
  }
  expect(caught).to.be.instanceOf(ConfigError)
  const error = caught as ConfigError
  expect(error.code).to.equal('CONFIG_INVALID')
  expect(error.key, error.message).to.equal(expected.key)
  expect(error.source, error.message).to.equal(expected.source)
  for (const text of expected.mentions) expect(error.message).to.include(text)
  expect(error.message).to.not.include('\n')
  return error
}

describe('config (docs/design.md §1: defaults < file < env < flags)', function () {
  let directory: string
  const writeConfig = (name: string, content: unknown): string => {
    const path = join(directory, name)
    writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content))
    return path
  }

  beforeEach(function () {
    directory = mkdtempSync(join(tmpdir(), 'gossipchain-config-'))
  })
  afterEach(function () {
    rmSync(directory, { recursive: true, force: true })
  })

  it('gives the documented defaults with no file, env or flags', function () {
    const config = loadConfig({ env: {} })
    expect(config).to.deep.equal({
      network: { name: 'gossipchain-dev', genesisTimestamp: 1767225600, bits: 16 },
      dataDir: './data',
      httpHost: '127.0.0.1',
      httpPort: 8000,
      p2pHost: '0.0.0.0',
      p2pPort: 9000,
      bootstrap: [],
      mineInterval: 0,
      minerThreads: 'auto',
      apiToken: undefined,
      trace: undefined,
      traceFormat: 'ndjson',
      legacyTransactions: true,
      mempool: { maxCount: 10_000, maxBytes: 32 * 1024 * 1024 },
      announce: [],
      logLevel: 'info',
      legacyChainView: false,
      addressBook: {},
      publicUrl: undefined,
      tlsCert: undefined,
      tlsKey: undefined
    })
    config.bootstrap.push('/ip4/127.0.0.1/tcp/1')
    config.network.bits = 1
    expect(DEFAULT_CONFIG.bootstrap).to.deep.equal([])
    expect(DEFAULT_CONFIG.network.bits).to.equal(16)
  })

  it('config/default.json is the embedded defaults written out', function () {
    expect(readFileSync(repoFile('config/default.json'), 'utf8')).to.equal(defaultConfigJson())
    expect(loadConfig({ file: repoFile('config/default.json'), env: {} })).to.deep.equal(loadConfig({ env: {} }))
  })

  it('config/node-{1,2,3}.json describe a 3-node network on 0.0.0.0, facade 8000-8002, p2p 9000-9002', function () {
    const configs = [1, 2, 3].map(n => loadConfig({ file: repoFile(`config/node-${n}.json`), env: {} }))
    expect(configs.map(config => config.httpPort)).to.deep.equal([8000, 8001, 8002])
    expect(configs.map(config => config.p2pPort)).to.deep.equal([9000, 9001, 9002])
    for (const config of configs) {
      expect(config.httpHost).to.equal('0.0.0.0')
      expect(config.network).to.deep.equal(DEFAULT_CONFIG.network)
    }
    expect(new Set(configs.map(config => config.dataDir)).size).to.equal(3)
    expect(configs[1].bootstrap).to.have.length.greaterThan(0)
  })

  it('precedence: a flag beats env, env beats the file, the file beats the defaults, key by key', function () {
    const file = writeConfig('node.json', {
      network: { name: 'file-net', bits: 12 },
      httpPort: 8100,
      p2pPort: 9100,
      dataDir: '/var/file',
      bootstrap: ['/ip4/10.0.0.1/tcp/9000'],
      mempool: { maxCount: 5 }
    })
    const env = { GOSSIPCHAIN_HTTP_PORT: '8200', GOSSIPCHAIN_NETWORK: 'env-net', GOSSIPCHAIN_DATA_DIR: '/var/env', UNRELATED: 'x' }
    const flags = { httpPort: '8300', passwordFile: 'ignored', config: 'ignored' }
    const config = loadConfig({ file, env, flags })
    expect(config.httpPort).to.equal(8300) // flag > env > file
    expect(config.dataDir).to.equal('/var/env') // env > file
    expect(config.network).to.deep.equal({ name: 'env-net', genesisTimestamp: 1767225600, bits: 12 }) // env, default, file
    expect(config.p2pPort).to.equal(9100) // file > default
    expect(config.bootstrap).to.deep.equal(['/ip4/10.0.0.1/tcp/9000'])
    expect(config.mempool).to.deep.equal({ maxCount: 5, maxBytes: 32 * 1024 * 1024 }) // nested keys merge one by one
    expect(config.httpHost).to.equal('127.0.0.1') // default
  })

  it('--network NAME and --bits N override network.name and network.bits', function () {
    const config = loadConfig({ env: { GOSSIPCHAIN_NETWORK: 'env-net', GOSSIPCHAIN_BITS: '8' }, flags: { network: 'flag-net', bits: '4' } })
    expect(config.network).to.deep.equal({ name: 'flag-net', genesisTimestamp: 1767225600, bits: 4 })
  })

  it('reads every GOSSIPCHAIN_* variable, lists comma-separated, booleans as true/false, empty as unset', function () {
    const config = loadConfig({
      env: {
        GOSSIPCHAIN_NETWORK: 'lab',
        GOSSIPCHAIN_GENESIS_TIMESTAMP: '1700000000.5',
        GOSSIPCHAIN_BITS: '20',
        GOSSIPCHAIN_DATA_DIR: '/data',
        GOSSIPCHAIN_HTTP_HOST: '0.0.0.0',
        GOSSIPCHAIN_HTTP_PORT: '8080',
        GOSSIPCHAIN_P2P_HOST: '127.0.0.1',
        GOSSIPCHAIN_P2P_PORT: '9090',
        GOSSIPCHAIN_BOOTSTRAP: '/dns4/node-1/tcp/9000, /ip4/10.0.0.2/tcp/9001',
        GOSSIPCHAIN_MINE_INTERVAL: '5000',
        GOSSIPCHAIN_MINER_THREADS: '3',
        GOSSIPCHAIN_API_TOKEN: 's3cret',
        GOSSIPCHAIN_TRACE: '/tmp/trace.ndjson',
        GOSSIPCHAIN_TRACE_FORMAT: 'pubsub',
        GOSSIPCHAIN_LEGACY_TRANSACTIONS: 'false',
        GOSSIPCHAIN_MEMPOOL_MAX_COUNT: '100',
        GOSSIPCHAIN_MEMPOOL_MAX_BYTES: '1048576',
        GOSSIPCHAIN_ANNOUNCE: '/dns4/example.org/tcp/9000',
        GOSSIPCHAIN_LOG_LEVEL: 'debug',
        GOSSIPCHAIN_LEGACY_CHAIN_VIEW: 'true',
        GOSSIPCHAIN_ADDRESS_BOOK: `{"farm_A": "${'ab'.repeat(32)}"}`,
        GOSSIPCHAIN_PUBLIC_URL: 'https://farm.example.org/',
        GOSSIPCHAIN_TLS_CERT: '/etc/tls/cert.pem',
        GOSSIPCHAIN_TLS_KEY: '/etc/tls/key.pem'
      }
    })
    expect(config).to.deep.equal({
      network: { name: 'lab', genesisTimestamp: 1700000000.5, bits: 20 },
      dataDir: '/data',
      httpHost: '0.0.0.0',
      httpPort: 8080,
      p2pHost: '127.0.0.1',
      p2pPort: 9090,
      bootstrap: ['/dns4/node-1/tcp/9000', '/ip4/10.0.0.2/tcp/9001'],
      mineInterval: 5000,
      minerThreads: 3,
      apiToken: 's3cret',
      trace: '/tmp/trace.ndjson',
      traceFormat: 'pubsub',
      legacyTransactions: false,
      mempool: { maxCount: 100, maxBytes: 1048576 },
      announce: ['/dns4/example.org/tcp/9000'],
      logLevel: 'debug',
      legacyChainView: true,
      addressBook: { farm_A: 'ab'.repeat(32) },
      publicUrl: 'https://farm.example.org',
      tlsCert: '/etc/tls/cert.pem',
      tlsKey: '/etc/tls/key.pem'
    })
    expect(loadConfig({ env: { GOSSIPCHAIN_API_TOKEN: '', GOSSIPCHAIN_HTTP_PORT: '' } })).to.deep.equal(loadConfig({ env: {} }))
  })

  it('flags accept repeated and comma-separated lists and typed values', function () {
    const config = loadConfig({
      env: {},
      flags: { bootstrap: ['/ip4/10.0.0.1/tcp/1', '/ip4/10.0.0.2/tcp/2,/ip4/10.0.0.3/tcp/3'], legacyTransactions: false, mineInterval: 250 }
    })
    expect(config.bootstrap).to.deep.equal(['/ip4/10.0.0.1/tcp/1', '/ip4/10.0.0.2/tcp/2', '/ip4/10.0.0.3/tcp/3'])
    expect(config.legacyTransactions).to.equal(false)
    expect(config.mineInterval).to.equal(250)
  })

  it('minerThreads: "auto" (one worker per core) or a thread count, from file, env or flag', function () {
    expect(loadConfig({ env: {} }).minerThreads).to.equal('auto')
    expect(loadConfig({ file: writeConfig('threads.json', { minerThreads: 4 }), env: {} }).minerThreads).to.equal(4)
    expect(loadConfig({ env: { GOSSIPCHAIN_MINER_THREADS: 'auto' }, flags: { minerThreads: '2' } }).minerThreads).to.equal(2)
    expect(loadConfig({ env: { GOSSIPCHAIN_MINER_THREADS: '1' }, flags: { minerThreads: 'auto' } }).minerThreads).to.equal('auto')
    for (const bad of ['0', '-1', '1.5', 'all', '1025']) {
      expectConfigError(() => loadConfig({ env: {}, flags: { minerThreads: bad } }),
        { key: 'minerThreads', source: 'flag', mentions: ['minerThreads', '--miner-threads', bad, '"auto"'] })
    }
    expectConfigError(() => loadConfig({ env: { GOSSIPCHAIN_MINER_THREADS: '0' } }),
      { key: 'minerThreads', source: 'env', mentions: ['GOSSIPCHAIN_MINER_THREADS'] })
    expectConfigError(() => loadConfig({ file: writeConfig('bad-threads.json', { minerThreads: '2' }), env: {} }),
      { key: 'minerThreads', source: 'file', mentions: ['minerThreads'] })
  })

  describe('errors name the key and where the value came from', function () {
    it('CONFIG_INVALID: a bad value in the file', function () {
      const file = writeConfig('bad.json', { httpPort: 'eighty' })
      expectConfigError(() => loadConfig({ file, env: {} }), { key: 'httpPort', source: 'file', mentions: ['httpPort', file, '"eighty"'] })
      const nested = writeConfig('nested.json', { network: { bits: 300 } })
      expectConfigError(() => loadConfig({ file: nested, env: {} }), { key: 'network.bits', source: 'file', mentions: ['network.bits', nested] })
      const list = writeConfig('list.json', { bootstrap: '/ip4/1.2.3.4/tcp/1' })
      expectConfigError(() => loadConfig({ file: list, env: {} }), { key: 'bootstrap', source: 'file', mentions: ['bootstrap', list] })
    })

    it('CONFIG_INVALID: an unknown key in the file (a typo is not silently ignored)', function () {
      const file = writeConfig('typo.json', { htpPort: 8000 })
      expectConfigError(() => loadConfig({ file, env: {} }), { key: 'htpPort', source: 'file', mentions: ['htpPort', file] })
      const nested = writeConfig('typo2.json', { mempool: { maxCnt: 1 } })
      expectConfigError(() => loadConfig({ file: nested, env: {} }), { key: 'mempool.maxCnt', source: 'file', mentions: ['mempool.maxCnt'] })
    })

    it('CONFIG_INVALID: a missing file, a file that is not JSON, or not an object', function () {
      const missing = join(directory, 'missing.json')
      expectConfigError(() => loadConfig({ file: missing, env: {} }), { key: undefined, source: 'file', mentions: [missing, 'ENOENT'] })
      const broken = writeConfig('broken.json', '{ "httpPort": ')
      expectConfigError(() => loadConfig({ file: broken, env: {} }), { key: undefined, source: 'file', mentions: [broken, 'not valid JSON'] })
      const array = writeConfig('array.json', '[]')
      expectConfigError(() => loadConfig({ file: array, env: {} }), { key: undefined, source: 'file', mentions: [array] })
    })

    it('CONFIG_INVALID: a bad value in the environment', function () {
      expectConfigError(() => loadConfig({ env: { GOSSIPCHAIN_HTTP_PORT: 'abc' } }),
        { key: 'httpPort', source: 'env', mentions: ['httpPort', 'GOSSIPCHAIN_HTTP_PORT', '"abc"'] })
      expectConfigError(() => loadConfig({ env: { GOSSIPCHAIN_BOOTSTRAP: '/ip4/1.2.3.4/tcp/1,not-a-multiaddr' } }),
        { key: 'bootstrap', source: 'env', mentions: ['GOSSIPCHAIN_BOOTSTRAP'] })
      expectConfigError(() => loadConfig({ env: { GOSSIPCHAIN_LEGACY_TRANSACTIONS: 'maybe' } }),
        { key: 'legacyTransactions', source: 'env', mentions: ['GOSSIPCHAIN_LEGACY_TRANSACTIONS'] })
      expectConfigError(() => loadConfig({ env: { GOSSIPCHAIN_NETWORK: 'has/slash' } }),
        { key: 'network.name', source: 'env', mentions: ['GOSSIPCHAIN_NETWORK'] })
    })

    it('CONFIG_INVALID: a bad value from a flag', function () {
      expectConfigError(() => loadConfig({ env: {}, flags: { httpPort: '70000' } }),
        { key: 'httpPort', source: 'flag', mentions: ['httpPort', '--http-port', '70000'] })
      expectConfigError(() => loadConfig({ env: {}, flags: { bits: '-1' } }),
        { key: 'network.bits', source: 'flag', mentions: ['--bits'] })
      expectConfigError(() => loadConfig({ env: {}, flags: { logLevel: 'loud' } }),
        { key: 'logLevel', source: 'flag', mentions: ['--log-level', 'info'] })
      expectConfigError(() => loadConfig({ env: {}, flags: { mempoolMaxBytes: '10' } }),
        { key: 'mempool.maxBytes', source: 'flag', mentions: ['--mempool-max-bytes'] })
    })

    it('CONFIG_INVALID: an address book that is not names to distinct 64-hex keys, a public URL that is not one', function () {
      const key = 'cd'.repeat(32)
      for (const book of ['not json', '["list"]', `{"bad name!": "${key}"}`, '{"farm": "ABCD"}', `{"a": "${key}", "b": "${key}"}`]) {
        expectConfigError(() => loadConfig({ env: { GOSSIPCHAIN_ADDRESS_BOOK: book } }),
          { key: 'addressBook', source: 'env', mentions: ['GOSSIPCHAIN_ADDRESS_BOOK', 'distinct'] })
      }
      const file = writeConfig('book.json', { addressBook: { shop: key, farm_A: 'ef'.repeat(32) } })
      expect(loadConfig({ file, env: {} }).addressBook).to.deep.equal({ shop: key, farm_A: 'ef'.repeat(32) })
      for (const url of ['ftp://x.org', 'https://user:pw@x.org', 'https://x.org/?q=1', 'https://x.org/#top', 'x.org', 'https://x.org/gossip']) {
        expectConfigError(() => loadConfig({ env: {}, flags: { publicUrl: url } }), { key: 'publicUrl', source: 'flag', mentions: ['--public-url'] })
      }
      expect(loadConfig({ env: {}, flags: { publicUrl: 'https://X.org:8443/' } }).publicUrl).to.equal('https://x.org:8443')
    })

    it('CONFIG_INVALID: a TLS certificate without its key, or a key without its certificate', function () {
      expectConfigError(() => loadConfig({ env: {}, flags: { tlsCert: '/c.pem' } }), { key: 'tlsCert', source: 'flag', mentions: ['--tls-cert', 'tlsKey'] })
      expectConfigError(() => loadConfig({ env: { GOSSIPCHAIN_TLS_KEY: '/k.pem' } }), { key: 'tlsKey', source: 'env', mentions: ['GOSSIPCHAIN_TLS_KEY', 'tlsCert'] })
    })

    it('CONFIG_INVALID: the facade and p2p on one port, blaming the value that was set', function () {
      expectConfigError(() => loadConfig({ env: { GOSSIPCHAIN_HTTP_PORT: '9000' } }),
        { key: 'httpPort', source: 'env', mentions: ['GOSSIPCHAIN_HTTP_PORT', '9000'] })
      expect(loadConfig({ env: {}, flags: { httpPort: 0, p2pPort: 0 } }).httpPort).to.equal(0)
    })
  })
})
