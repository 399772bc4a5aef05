// The node's libp2p identity persists in its data dir so its peer id is stable across restarts
// (docs/design.md §5). Stored as the libp2p protobuf encoding of the private key, mode 0600.

import { randomBytes } from 'node:crypto'
import { link, mkdir, open, readFile, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'

export const PEER_KEY_FILE = 'peer-key'

export class PeerKeyError extends Error {
  constructor (message: string, readonly path: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'PeerKeyError'
  }
}

/**
 * Reads `<dataDir>/peer-key`, or creates a new Ed25519 key there when the file does not exist.
 * A file that exists but does not decode is an error, never silently replaced: replacing it would
 * change the node's identity.
 */
export async function loadOrCreatePeerKey (dataDir: string): Promise<PrivateKey> {
  if (typeof dataDir !== 'string' || dataDir === '') {
    throw new TypeError('dataDir must be a non-empty path')
  }
  const path = join(dataDir, PEER_KEY_FILE)
  const existing = await readPeerKey(path)
  if (existing != null) return existing

  const key = await generateKeyPair('Ed25519')
  await mkdir(dataDir, { recursive: true, mode: 0o700 })
  try {
    await createAtomically(path, privateKeyToProtobuf(key))
  } catch (err) {
    // Another process created the key between our read and our link: theirs wins.
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      const raced = await readPeerKey(path)
      if (raced != null) return raced
    }
    throw err
  }
  return key
}

async function readPeerKey (path: string): Promise<PrivateKey | undefined> {
  let bytes: Buffer
  try {
    bytes = await readFile(path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new PeerKeyError(`cannot read the peer key at ${path}: ${(err as Error).message}`, path, { cause: err })
  }
  try {
    return privateKeyFromProtobuf(bytes)
  } catch (err) {
    throw new PeerKeyError(`the peer key at ${path} is not a libp2p protobuf private key; move it away to create a new identity`, path, { cause: err })
  }
}

/**
 * Write to a temp file (0600), fsync, then hard-link it into place: link() fails with EEXIST when
 * the target exists, so two processes creating a key at once cannot replace each other's, and a
 * crash never leaves half a key under the real name.
 */
async function createAtomically (path: string, bytes: Uint8Array): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`
  const file = await open(tmp, 'wx', 0o600)
  try {
    await file.writeFile(bytes)
    await file.sync()
  } finally {
    await file.close()
  }
  try {
    await link(tmp, path)
  } finally {
    await unlink(tmp).catch(() => {})
  }
  await fsyncDir(path)
}

async function fsyncDir (path: string): Promise<void> {
  const dir = await open(join(path, '..'), 'r').catch(() => undefined)
  if (dir == null) return
  try {
    await dir.sync()
  } catch {
    // Some filesystems refuse fsync on a directory; the rename itself is still atomic.
  } finally {
    await dir.close()
  }
}
