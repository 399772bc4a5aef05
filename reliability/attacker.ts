// What the attacks are made of: hostile libp2p peers speaking the real protocols (gossip topics, the sync
// protocol), raw sockets, and blocks with real proof of work built off the victim's chain. Everything
// heavy (signing, mining) is done before an attack window opens, so the attacker's own CPU is spent
// before the measurement, not during it.
import { Agent } from 'node:http'
import { connect as tcpConnect, type Socket } from 'node:net'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { multiaddr } from '@multiformats/multiaddr'
import { genesisBlock, headerPrefix } from '../src/core/block.js'
import { computeTxRoot } from '../src/core/merkle.js'
import { searchNonce } from '../src/core/pow.js'
import type { Block, Tx } from '../src/core/types.js'
import { syncProtocol } from '../src/p2p/constants.js'
import { gossip, type Gossip } from '../src/p2p/gossip.js'
import { createHost, type Host } from '../src/p2p/host.js'
import { httpOverLibp2pServer, type FetchHandler, type HttpOverLibp2pServer } from '../src/p2p/http-over-libp2p.js'
import { syncHandler, type SyncSource } from '../src/p2p/sync-routes.js'
import type { NodeProcess } from '../src/devnet/index.js'
import { BITS, httpJson, NETWORK, NETWORK_ID } from './harness.js'

export const GENESIS = genesisBlock(NETWORK)

export type HostileServices = { gossip: Gossip, syncServer: HttpOverLibp2pServer }
export type HostilePeer = Host<HostileServices>

/**
 * A libp2p peer of the battery's network that accepts every gossip message and serves `source` (or a
 * raw handler) on the sync protocol. Started, listening on loopback.
 */
export async function hostilePeer (opts: { source?: SyncSource, handler?: FetchHandler }): Promise<HostilePeer> {
  const acceptAll = async (): Promise<{ result: 'accept' }> => ({ result: 'accept' })
  const handler = opts.handler ?? syncHandler(opts.source ?? genesisOnly(GENESIS.hash))
  return await createHost<HostileServices>({
    privateKey: await generateKeyPair('Ed25519'),
    listen: ['/ip4/127.0.0.1/tcp/0'],
    bootstrap: [],
    network: NETWORK_ID,
    services: {
      gossip: gossip({ network: NETWORK_ID, validateTx: acceptAll, validateBlock: acceptAll }) as never,
      syncServer: httpOverLibp2pServer({ protocol: syncProtocol(NETWORK_ID), handler }) as never
    }
  })
}

/** A sync source that truthfully holds only genesis: for peers whose gossip alone is on trial. */
export function genesisOnly (genesis: string): SyncSource {
  return {
    status: () => ({ network: NETWORK_ID, genesis, head: { hash: genesis, index: 0, work: '0' } }),
    blocksAfter: async () => [],
    locate: async () => ({ hash: genesis, index: 0 }),
    locator: async () => [genesis]
  }
}

/** Dial the victim and wait until it has subscribed us to both gossip topics. */
export async function joinVictim (peer: HostilePeer, victim: NodeProcess, timeoutMs = 20_000): Promise<void> {
  await peer.dial(multiaddr(victim.multiaddr))
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const subs = peer.services.gossip.subscribers()
    if (subs.tx.includes(victim.peerId) && subs.block.includes(victim.peerId)) return
    await new Promise(resolve => setTimeout(resolve, 50))
  }
  throw new Error('the victim never subscribed the hostile peer to the gossip topics')
}

/** A block on `parent` holding `txs`, with real proof of work at the battery's bits. */
export function mineBlock (parent: Pick<Block, 'hash' | 'index' | 'timestamp'>, txs: Tx[], timestamp = parent.timestamp + 0.001): Block {
  const fields = { version: 1, index: parent.index + 1, previous_hash: parent.hash, tx_root: computeTxRoot(txs), timestamp: Math.round(timestamp * 1000) / 1000, bits: BITS, nonce: 0 }
  const found = searchNonce(headerPrefix(fields), BITS, 0, 2 ** 40)
  if (found === null) throw new Error('no nonce found')
  return { ...fields, transactions: txs, nonce: found.nonce, hash: found.hash }
}

/** The victim's main chain (headers are enough for the attacks; /chain streams it). */
export async function chainOf (node: NodeProcess): Promise<Block[]> {
  const r = await httpJson(`${node.url}/chain`)
  if (r.status !== 200) throw new Error(`/chain: ${r.status}`)
  return r.body.chain as Block[]
}

/** Run `job` over and over on `concurrency` lanes until stop() is called; counts results by key. */
export function loop (concurrency: number, job: (lane: number, i: number) => Promise<string>): { counts: Record<string, number>, stop: () => Promise<void> } {
  let stopped = false
  const counts: Record<string, number> = {}
  let i = 0
  const lanes = Array.from({ length: concurrency }, async (_, lane) => {
    while (!stopped) {
      let key: string
      try { key = await job(lane, i++) } catch (err) { key = `error ${(err as Error).message.slice(0, 60)}` }
      counts[key] = (counts[key] ?? 0) + 1
    }
  })
  return { counts, stop: async () => { stopped = true; await Promise.all(lanes) } }
}

/**
 * POST `items` (each with a label for the answer counts) to `url` from the attacker's address, over and
 * over (`once`: each item once, then idle), on `concurrency` keep-alive connections. Counts answers by
 * `label: status code`.
 */
export function postLoop (url: string, items: Array<{ label: string, body: unknown }>, opts: { concurrency: number, once?: boolean }): { counts: Record<string, number>, stop: () => Promise<void> } {
  const agent = new Agent({ keepAlive: true, maxSockets: opts.concurrency })
  const bodies = items.map(item => ({ label: item.label, body: typeof item.body === 'string' ? item.body : JSON.stringify(item.body) }))
  const posts = loop(opts.concurrency, async (_lane, i) => {
    if (opts.once === true && i >= bodies.length) { await new Promise(resolve => setTimeout(resolve, 50)); return 'done' }
    const { label, body } = bodies[i % bodies.length]
    const r = await httpJson(url, { body, agent, localAddress: ATTACKER_ADDRESS })
    return `${label}: ${r.status} ${String(r.body?.code ?? '')}`
  })
  return { counts: posts.counts, stop: async () => { await posts.stop(); agent.destroy() } }
}

/** Where attacks come from: another client address than the honest client's 127.0.0.1. */
export const ATTACKER_ADDRESS = '127.0.0.2'

/** Open a raw TCP connection from `localAddress`; resolves once connected. */
export async function rawSocket (port: number, localAddress: string): Promise<Socket> {
  return await new Promise((resolve, reject) => {
    const socket = tcpConnect({ port, host: '127.0.0.1', localAddress }, () => { resolve(socket) })
    socket.once('error', reject)
  })
}

/** The HTTP status line and JSON body of what a raw socket received. */
export function parseRawAnswer (text: string): { status: number, code?: string, json: boolean } {
  const [head, body] = text.split('\r\n\r\n')
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head ?? '')?.[1] ?? 0)
  try {
    const parsed = JSON.parse(body ?? '')
    return { status, code: typeof parsed?.code === 'string' ? parsed.code : undefined, json: typeof parsed?.error === 'string' }
  } catch {
    return { status, json: false }
  }
}
