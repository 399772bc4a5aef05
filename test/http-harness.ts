// Shared set-up of the facade tests: a real Chain over a temp-dir BlockStore (bits 8, instant mining),
// a real Miner, and a fake NetworkApi that records what the facade asks of the network.
import { generateKeyPairSync, sign } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Hono } from 'hono'
import { Chain } from '../src/chain/chain.js'
import { Miner } from '../src/chain/miner.js'
import { genesisBlock, networkId } from '../src/core/block.js'
import type { Block, Tx } from '../src/core/types.js'
import { createNodeVerifier } from '../src/crypto/node-verifier.js'
import { createApp } from '../src/http/app.js'
import type { FacadeDeps, NetworkApi, PeerInfo, PeerSyncSummary } from '../src/http/types.js'
import { BlockStore } from '../src/store/block-store.js'
import { TEST_NETWORK } from './helpers/fixtures.js'

export const NET = networkId(TEST_NETWORK)
export const GENESIS = genesisBlock(TEST_NETWORK)
export const NOW_MS = (TEST_NETWORK.genesisTimestamp + 10_000) * 1000
export const SELF_PEER_ID = '12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA'
export const OTHER_PEER_ID = '12D3KooWHFrmLWTTDD4NodngtRMEVYgxrsDMp4F9iSwYntZ9WjHa'

export class FakeNetwork implements NetworkApi {
  readonly publishedTxs: Tx[] = []
  readonly publishedBlocks: Block[] = []
  readonly connects: string[] = []
  peerList: PeerInfo[] = [{ peerId: OTHER_PEER_ID, addresses: ['/ip4/10.0.0.2/tcp/9000'] }]
  /** What connect does; default: resolves with the /p2p/ id of the address. */
  connectImpl: (multiaddr: string, signal: AbortSignal) => Promise<string> = async addr => addr.slice(addr.lastIndexOf('/p2p/') + 5)
  readonly syncs: string[] = []
  /** What syncWith does; default: the peer had nothing new. */
  syncImpl: (peerId: string, signal: AbortSignal) => Promise<PeerSyncSummary | undefined> = async () => ({ outcome: 'up-to-date', imported: 0 })

  nodeInfo (): { peerId: string, addresses: string[], network: string } {
    return { peerId: SELF_PEER_ID, addresses: [`/ip4/127.0.0.1/tcp/9000/p2p/${SELF_PEER_ID}`], network: NET }
  }

  peers (): PeerInfo[] { return this.peerList }

  async connect (multiaddr: string, signal: AbortSignal): Promise<string> {
    this.connects.push(multiaddr)
    return await this.connectImpl(multiaddr, signal)
  }

  async syncWith (peerId: string, signal: AbortSignal): Promise<PeerSyncSummary | undefined> {
    this.syncs.push(peerId)
    return await this.syncImpl(peerId, signal)
  }

  publishTx (tx: Tx): void { this.publishedTxs.push(tx) }
  publishBlock (block: Block): void { this.publishedBlocks.push(block) }
}

export interface Harness {
  app: Hono
  chain: Chain
  miner: Miner
  network: FakeNetwork
  dir: string
  /** Every error the facade reported as a 500; tests assert it stays empty. */
  internalErrors: unknown[]
  close(): Promise<void>
}

export interface HarnessOptions extends Partial<Omit<FacadeDeps, 'chain' | 'miner' | 'network' | 'dataDir'>> {
  mempoolMaxCount?: number
  legacyTransactions?: boolean
}

export async function openHarness (opts: HarnessOptions = {}): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), 'gossipchain-http-'))
  const store = await BlockStore.open({ path: join(dir, 'db') })
  const chain = await Chain.open({
    store,
    network: TEST_NETWORK,
    verifier: createNodeVerifier(),
    now: () => NOW_MS,
    mempool: { maxCount: opts.mempoolMaxCount ?? 1000, maxBytes: 8 << 20 },
    legacyTransactions: opts.legacyTransactions ?? true
  })
  const miner = new Miner(chain)
  const network = new FakeNetwork()
  const internalErrors: unknown[] = []
  const { mempoolMaxCount: _m, legacyTransactions: _l, ...facadeOpts } = opts
  const app = createApp({
    chain, miner, network, dataDir: join(dir, 'data'), now: () => NOW_MS,
    logInternalError: err => { internalErrors.push(err) },
    ...facadeOpts
  })
  return {
    app, chain, miner, network, dir, internalErrors,
    close: async () => {
      await miner.stop()
      await store.close()
      await rm(dir, { recursive: true, force: true })
    }
  }
}

export interface Reply {
  status: number
  /** Parsed JSON body (every facade answer is JSON). */
  body: any
  headers: Headers
}

/** Call the app without a socket. `body` as a string is sent verbatim, anything else as JSON; no Content-Type unless given. */
export async function call (app: Hono, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  const init: RequestInit = { method, headers }
  if (body !== undefined) init.body = typeof body === 'string' || body instanceof Uint8Array ? body as string : JSON.stringify(body)
  const res = await app.request(path, init)
  const text = await res.text()
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    throw new Error(`${method} ${path} answered ${res.status} with a body that is not JSON: ${text.slice(0, 200)}`)
  }
  return { status: res.status, body: parsed, headers: res.headers }
}

let rsaKeys: { publicPem: string, privateKey: import('node:crypto').KeyObject } | undefined

/** A body as the original RSA wallet posts it (docs/design.md §2 legacy scheme). */
export function legacyBody (data: string): { senderPK: string, signature: string, data: string } {
  if (rsaKeys === undefined) {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 })
    rsaKeys = { publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(), privateKey }
  }
  const signature = sign('sha256', Buffer.from(data, 'utf8'), rsaKeys.privateKey).toString('latin1')
  return { senderPK: rsaKeys.publicPem, signature, data }
}
