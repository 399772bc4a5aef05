// /save (docs/design.md §7): an atomic JSON snapshot of the main chain in the data dir, streamed in pieces
// (never one giant string) through writeFileAtomic: a reader or a crash sees the old snapshot or the
// new one, never half of one.
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { writeFileAtomic } from '../util/atomic-file.js'
import { ChainChangedError, chainJsonChunks, readMainChain, type MainChainSource } from './main-chain-reader.js'

export const SNAPSHOT_FILE = 'chain-snapshot.json'
/** A reorg under the reader twice in a row is rare; a few fresh attempts settle it. */
const MAX_ATTEMPTS = 3

export interface SnapshotSource extends MainChainSource {
  readonly networkId: string
  readonly genesis: { hash: string }
}

export interface SnapshotResult {
  path: string
  length: number
}

async function writeOnce (chain: SnapshotSource, dataDir: string, savedAt: string): Promise<SnapshotResult> {
  const path = join(dataDir, SNAPSHOT_FILE)
  const read = readMainChain(chain)
  const chunks = chainJsonChunks(
    { format: 'gossipchain-chain-snapshot', version: 1, network: chain.networkId, genesis: chain.genesis.hash, savedAt, length: read.length },
    'chain', read.blocks)
  async function * withNewline (): AsyncIterable<string | Uint8Array> {
    for await (const chunk of chunks) {
      if (Array.isArray(chunk)) yield * chunk
      else yield chunk
    }
    yield '\n'
  }
  await writeFileAtomic(path, withNewline(), { fileMode: 0o644 })
  return { path, length: read.length }
}

/** Write `<dataDir>/chain-snapshot.json` atomically; resolves with its path and the chain length. */
export async function writeChainSnapshot (chain: SnapshotSource, dataDir: string, nowMs: number): Promise<SnapshotResult> {
  if (typeof dataDir !== 'string' || dataDir === '') throw new TypeError('writeChainSnapshot: "dataDir" must be a directory path')
  await mkdir(dataDir, { recursive: true })
  const savedAt = new Date(nowMs).toISOString()
  for (let attempt = 1; ; attempt++) {
    try {
      return await writeOnce(chain, dataDir, savedAt)
    } catch (err) {
      if (!(err instanceof ChainChangedError) || attempt >= MAX_ATTEMPTS) throw err
    }
  }
}
