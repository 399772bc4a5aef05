// `npm install` on a fresh clone prints nothing a user must puzzle over (README "Install, test, run").
//
// The one warning it printed was npm's EBADENGINE for p-retry 8, which declares Node >= 22 and which
// libp2p 3 pulls in for its reconnect queue. p-retry 8 differs from 7.1.1 (Node >= 20) only in that
// declaration and in callback order/context fields libp2p does not use (libp2p moved to 8 to share one
// copy with other packages in browser bundles, js-libp2p#3442). package.json `overrides` therefore
// gives libp2p p-retry 7.1.1. npm 11 also warns about every install script that package.json's
// `allowScripts` does not mention (classic-level and esbuild: denied, both ship prebuilt binaries).
// These tests check that the install is quiet and that libp2p's reconnect queue, the code that calls
// p-retry, still retries and gives up as configured with 7.1.1.
import { spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer, type Server, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { noise } from '@chainsafe/libp2p-noise'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { KEEP_ALIVE, type Libp2p, type PeerId, type PrivateKey } from '@libp2p/interface'
import { tcp } from '@libp2p/tcp'
import { yamux } from '@libp2p/yamux'
import { expect } from 'chai'
import { createLibp2p } from 'libp2p'
import { repoRoot } from './helpers/compose-files.js'
import { waitFor } from '../src/devnet/wait.js'

interface LockPackage { version: string, engines?: { node?: string } }
const lock = JSON.parse(readFileSync(join(repoRoot, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockPackage> }

describe('npm install on a fresh clone', function () {
  this.timeout(60_000)

  it('`npm ci` prints no warning and no error (dry run of this package.json and lock file, offline)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gossipchain-install-'))
    try {
      for (const file of ['package.json', 'package-lock.json']) copyFileSync(join(repoRoot, file), join(dir, file))
      // Not this run's npm settings (npm test exports npm_config_*): what a user's shell has.
      const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key)))
      const result = spawnSync('npm', ['ci', '--dry-run', '--offline', '--no-audit', '--no-fund', '--no-update-notifier'], {
        cwd: dir, env: { ...env, HOME: dir }, encoding: 'utf8', timeout: 50_000
      })
      const output = `${result.stdout}${result.stderr}`
      expect(result.status, output).to.equal(0)
      const complaints = output.split('\n').filter(line => /^npm (warn|error|ERR)/i.test(line))
      expect(complaints, output).to.deep.equal([])
      expect(output).to.match(/added \d+ packages/)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('every package the lock file installs accepts Node 20 (no engines.node above 20)', () => {
    const tooNew = Object.entries(lock.packages)
      .filter(([, pkg]) => /^>=\s*(2[1-9]|[3-9]\d)/.test(pkg.engines?.node ?? ''))
      .map(([path, pkg]) => `${path}@${pkg.version} wants node ${pkg.engines?.node}`)
    expect(tooNew).to.deep.equal([])
  })

  it("libp2p 3's p-retry is the override, 7.1.x (Node >= 20), and libp2p-v2's keeps its own", () => {
    const forLibp2p = lock.packages['node_modules/libp2p/node_modules/p-retry'] ?? lock.packages['node_modules/p-retry']
    expect(forLibp2p?.version).to.match(/^7\.1\./)
    expect(forLibp2p?.engines?.node).to.equal('>=20')
    const installed = JSON.parse(readFileSync(join(repoRoot, 'node_modules', 'libp2p', 'node_modules', 'p-retry', 'package.json'), 'utf8')) as LockPackage
    expect(installed.version, 'node_modules/libp2p/node_modules/p-retry').to.equal(forLibp2p?.version)
  })
})

describe("libp2p's reconnect queue on the overridden p-retry", function () {
  this.timeout(30_000)
  // libp2p redials a KEEP_ALIVE-tagged peer that disconnects: 1 attempt + `reconnectRetries` retries
  // through p-retry, `reconnectRetryInterval` ms apart (factor 1), then 'peer:reconnect-failure'.
  const RETRIES = 2
  let a: Libp2p | undefined
  let b: Libp2p | undefined
  let standIn: Server | undefined
  const sockets = new Set<Socket>()

  afterEach(async () => {
    for (const socket of sockets) socket.destroy()
    sockets.clear()
    if (standIn?.listening === true) await new Promise(resolve => standIn?.close(resolve))
    await Promise.all([a?.stop(), b?.stop()])
    a = b = standIn = undefined
  })

  const host = async (port: number, privateKey?: PrivateKey): Promise<Libp2p> => await createLibp2p({
    privateKey,
    addresses: { listen: [`/ip4/127.0.0.1/tcp/${port}`] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionManager: { reconnectRetries: RETRIES, reconnectRetryInterval: 300, reconnectBackoffFactor: 1 }
  })

  /** A plain TCP server on B's port while B is down: counts libp2p's dial attempts and fails each one. */
  const listenInPlaceOf = async (port: number): Promise<{ dials: () => number }> => {
    let dials = 0
    standIn = createServer(socket => {
      dials++
      sockets.add(socket)
      socket.destroy()
    })
    standIn.listen(port, '127.0.0.1')
    await once(standIn, 'listening')
    return { dials: () => dials }
  }

  /**
   * A connected to B, B tagged KEEP_ALIVE in A's peer store, then B stopped (A sees the disconnect).
   * Returns B's id and port.
   */
  const connectThenStopB = async (bKey: PrivateKey): Promise<{ bId: PeerId, port: number }> => {
    a = await host(0)
    b = await host(0, bKey)
    const address = b.getMultiaddrs()[0]
    await a.peerStore.merge(b.peerId, { tags: { [`${KEEP_ALIVE}-test`]: { value: 1 } } })
    await a.dial(address)
    const disconnected = once(a, 'peer:disconnect')
    await b.stop()
    await disconnected
    return { bId: b.peerId, port: Number(address.getComponents().find(c => c.name === 'tcp')?.value) }
  }

  it(`gives up after 1 + ${RETRIES} attempts when the peer stays away`, async () => {
    const { bId, port } = await connectThenStopB(await generateKeyPair('Ed25519'))
    // Bound well within the first retry interval; the very first attempt, made on the disconnect
    // itself, may come before or after the bind.
    const { dials } = await listenInPlaceOf(port)
    const [failed] = await once(a!, 'peer:reconnect-failure') as [CustomEvent<PeerId>]
    expect(failed.detail.equals(bId)).to.equal(true)
    expect(dials()).to.be.within(RETRIES, RETRIES + 1)
  })

  it('reconnects when the peer comes back between retries', async () => {
    const bKey = await generateKeyPair('Ed25519')
    const { bId, port } = await connectThenStopB(bKey)
    const { dials } = await listenInPlaceOf(port)
    const failure = once(a!, 'peer:reconnect-failure').then(() => { throw new Error('libp2p gave up on the peer') })
    failure.catch(() => {})
    // One attempt failed against the stand-in: B returns on the same port with the same key.
    await waitFor('a failed reconnect attempt', () => dials() >= 1 ? true : undefined, 10_000, 5)
    for (const socket of sockets) socket.destroy()
    await new Promise(resolve => standIn?.close(resolve))
    b = await host(port, bKey)
    await Promise.race([
      waitFor('A to be connected to B again', () => a!.getConnections(bId).length > 0 ? true : undefined, 10_000),
      failure
    ])
  })
})
