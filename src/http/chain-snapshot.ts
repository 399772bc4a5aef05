// /save (docs/design.md §7): an atomic JSON snapshot of the main chain in the data dir. Written to a temp file
// in pieces (never one giant string), fsynced, renamed over the old snapshot, directory fsynced: a
// reader or a crash sees the old snapshot or the new one, never half of one.
import { randomBytes } from 'node:crypto'
import { mkdir, open, rename, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { ChainChangedError, chainJsonChunks, readMainChain, type MainChainSource } from './main-chain-reader.js'

export const SNAPSHOT_FILE = 'chain-snapshot.json'
const WRITE_BUFFER_BYTES = 256 * 1024
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

async function writeAll (fh: import('node:fs/promises').FileHandle, buf: Buffer): Promise<void> {
  let offset = 0
  while (offset < buf.length) {
    const { bytesWritten } = await fh.write(buf, offset, buf.length - offset)
    offset += bytesWritten
  }
}

async function writeOnce (chain: SnapshotSource, dataDir: string, savedAt: string): Promise<SnapshotResult> {
  const path = join(dataDir, SNAPSHOT_FILE)
  const tmp = join(dataDir, `.${SNAPSHOT_FILE}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`)
  const read = readMainChain(chain)
  const fh = await open(tmp, 'wx', 0o644)
  try {
    let pending: string[] = []
    let pendingBytes = 0
    const chunks = chainJsonChunks(
      { format: 'gossipchain-chain-snapshot', version: 1, network: chain.networkId, genesis: chain.genesis.hash, savedAt, length: read.length },
      'chain', read.blocks)
    for await (const chunk of chunks) {
      pending.push(chunk)
      pendingBytes += chunk.length
      if (pendingBytes >= WRITE_BUFFER_BYTES) {
        await writeAll(fh, Buffer.from(pending.join(''), 'utf8'))
        pending = []
        pendingBytes = 0
      }
    }
    await writeAll(fh, Buffer.from(pending.join('') + '\n', 'utf8'))
    await fh.sync()
  } catch (err) {
    await fh.close().catch(() => undefined)
    await rm(tmp, { force: true }).catch(() => undefined)
    throw err
  }
  await fh.close()
  try {
    await rename(tmp, path)
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => undefined)
    throw err
  }
  await syncDirectory(dataDir)
  return { path, length: read.length }
}

/** Make the rename durable. Some platforms cannot open a directory for fsync: then the rename is all we get. */
async function syncDirectory (dir: string): Promise<void> {
  let dh: import('node:fs/promises').FileHandle | undefined
  try {
    dh = await open(dir, 'r')
    await dh.sync()
  } catch {
    // best effort (e.g. Windows)
  } finally {
    await dh?.close().catch(() => undefined)
  }
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
