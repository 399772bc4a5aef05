// The original /chain shape `{length, chain, peers}` (docs/design.md §7), streamed from a consistent read of
// the main chain. Shared by GET /chain and POST /register_node.
import type { Context } from 'hono'
import type { Block } from '../core/types.js'
import type { InternalErrorLogger } from './error-handler.js'
import { HttpError, HttpErrorCode } from './http-error.js'
import { ChainChangedError, chainJsonChunks, readMainChain, type MainChainSource } from './main-chain-reader.js'
import { streamJson, type JsonChunk } from './json-stream.js'
import type { NetworkApi, PeerInfo } from './types.js'

/** One dialable multiaddr string per known address of each peer, ending in /p2p/<id>. */
export function peerMultiaddrs (peers: PeerInfo[]): string[] {
  const out: string[] = []
  for (const { peerId, addresses } of peers) {
    const suffix = `/p2p/${peerId}`
    if (addresses.length === 0) out.push(suffix)
    for (const a of addresses) out.push(a.endsWith(suffix) ? a : a + suffix)
  }
  return out
}

/** A reader overtaken by two reorgs is not a bug: the client is asked to retry (503). */
export function chainChangedAsHttpError (err: unknown): unknown {
  return err instanceof ChainChangedError ? new HttpError(503, HttpErrorCode.CHAIN_CHANGED, err.message, {}, { 'Retry-After': '1' }) : err
}

async function * retryable (chunks: AsyncGenerator<JsonChunk, void, undefined>): AsyncGenerator<JsonChunk, void, undefined> {
  try {
    yield * chunks
  } catch (err) {
    throw chainChangedAsHttpError(err)
  }
}

async function * mapBatches (batches: AsyncIterable<Block[]>, view: (block: Block) => Block): AsyncGenerator<Block[], void, undefined> {
  for await (const batch of batches) yield batch.map(view)
}

export async function chainResponse (
  c: Context,
  source: { chain: MainChainSource, network: NetworkApi, logInternalError: InternalErrorLogger },
  from = 0,
  limit = Number.POSITIVE_INFINITY,
  /** What a client is shown of each block (the legacy chain view filters its transactions). */
  view?: (block: Block) => Block
): Promise<Response> {
  const read = readMainChain(source.chain, from, limit)
  const blocks = view === undefined ? read.batches : mapBatches(read.batches, view)
  const chunks = chainJsonChunks({ length: read.length }, 'chain', blocks, () => ({ peers: peerMultiaddrs(source.network.peers()) }))
  const request = { method: c.req.method, path: c.req.path }
  return await streamJson(c, retryable(chunks), 200, err => { source.logInternalError(err, request) })
}
