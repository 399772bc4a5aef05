// The node's libp2p identity persists in its data dir so its peer id is stable across restarts
// (docs/design.md §5). Stored as the libp2p protobuf encoding of the private key, mode 0600.

import { mkdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { writeFileAtomic } from '../util/atomic-file.js'

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
    // 'create' hard-links the fsynced temp file into place: it fails with EEXIST rather than replace a
    // key another process created meanwhile, and a crash never leaves half a key under the real name.
    await writeFileAtomic(path, privateKeyToProtobuf(key), { mode: 'create', fileMode: 0o600 })
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
