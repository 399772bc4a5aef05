// HTTPS on the facade (docs/design.md §7): a self-signed certificate made here with openssl, served by
// serveFacade and by a real `gossipchain start --tls-cert --tls-key`; bad TLS config fails with one clear line.
import { expect } from 'chai'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { serveFacade, TlsConfigError } from '../src/http/server.js'
import { runCli } from './helpers/cli.js'
import { killAll, NodeProcess } from '../src/devnet/index.js'
import { httpsGet, makeSelfSignedCert, type SelfSigned } from './helpers/tls.js'
import { openHarness, type Harness } from './http-harness.js'

describe('HTTPS facade', function () {
  this.timeout(60_000)
  let dir: string
  let cert: SelfSigned
  let h: Harness

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gossipchain-tls-'))
    cert = makeSelfSignedCert(dir)
    h = await openHarness()
  })
  after(async () => {
    await killAll()
    await h?.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('serveFacade serves HTTPS with the certificate, and only HTTPS', async () => {
    const { readFile } = await import('node:fs/promises')
    const facade = await serveFacade(h.app, { host: '127.0.0.1', port: 0, tls: { cert: await readFile(cert.certPath), key: await readFile(cert.keyPath) } })
    try {
      expect(facade.scheme).to.equal('https')
      const r = await httpsGet(`https://127.0.0.1:${facade.port}/health`, cert.certPem)
      expect(r.status).to.equal(200)
      expect(JSON.parse(r.body).status).to.equal('ok')
      const plain = await fetch(`http://127.0.0.1:${facade.port}/health`).then(res => res.status, (err: Error) => err)
      expect(plain, 'plain HTTP on the TLS port gets no answer').to.be.instanceOf(Error)
    } finally {
      await facade.close()
    }
  })

  it('TlsConfigError: a key that is not PEM', async () => {
    const err = await serveFacade(h.app, { host: '127.0.0.1', port: 0, tls: { cert: cert.certPem, key: 'not a key' } }).then(() => undefined, (e: unknown) => e)
    expect(err).to.be.instanceOf(TlsConfigError)
    expect((err as Error).message).to.include('cannot serve HTTPS')
  })

  it('gossipchain start --tls-cert --tls-key serves the node over HTTPS', async () => {
    const node = await NodeProcess.start({ tls: cert })
    expect(node.url).to.match(/^https:\/\/127\.0\.0\.1:\d+$/)
    const info = await httpsGet(`${node.url}/node_info`, cert.certPem)
    expect(JSON.parse(info.body).peerId).to.equal(node.peerId)
    expect(node.output).to.include(`http facade on ${node.url}`)
  })

  it('start fails with one clear line for an unreadable certificate file', async () => {
    const missing = join(dir, 'missing.pem')
    const r = await runCli(['start', '--data-dir', join(dir, 'data'), '--http-port', '0', '--p2p-port', '0', '--tls-cert', missing, '--tls-key', cert.keyPath])
    expect(r.code).to.not.equal(0)
    expect(r.stderr).to.include(`cannot read the TLS certificate ${missing}: ENOENT`)
  })
})
