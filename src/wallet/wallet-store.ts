// Wallet files on disk (Node only; the web page downloads the file instead). docs/design.md §8: written
// atomically with mode 0600, never overwritten, as the exact bytes of walletFileText.
// To READ a wallet (no password), readWalletFile gives precise errors naming the path and the field.
// To OPEN one, take readWalletFileBytes and give the bytes to openWalletText: then any modified byte
// of the file fails like a wrong password (WALLET_LOCKED). A missing file stays WALLET_NOT_FOUND and
// an unreadable one WALLET_IO: those are not modifications of a wallet.

import { constants as fsConstants } from 'node:fs'
import { open } from 'node:fs/promises'
import { errnoOf, writeFileAtomic } from '../util/atomic-file.js'
import { WalletError, WalletErrorCode } from './errors.js'
import { MAX_WALLET_FILE_BYTES, parseWalletText, walletFileText, type WalletFile } from './wallet-file.js'

/**
 * Writes `file` to `path` so that a crash leaves either no file or the whole file, and never
 * replaces an existing one (docs/design.md §8): writeFileAtomic in 'create' mode (a 0600 temp file
 * in the same directory, fsynced, hard-linked into place, the directory fsynced).
 */
export async function writeWalletFile (path: string, file: WalletFile): Promise<void> {
  if (typeof path !== 'string' || path.length === 0) {
    throw new WalletError(WalletErrorCode.BAD_ARGUMENT, 'wallet path must be a non-empty string', { parameter: 'path' })
  }
  const text = walletFileText(file)
  try {
    await writeFileAtomic(path, text, { mode: 'create', fileMode: 0o600 })
  } catch (error) {
    if (errnoOf(error) === 'EEXIST') throw walletExists(path)
    throw ioError(`cannot write wallet file ${path}`, path, error)
  }
}

/**
 * A wallet file's bytes as stored, for openWalletText. Reads at most MAX_WALLET_FILE_BYTES + 1 bytes:
 * a longer file is no wallet, and the one byte more lets openWalletText say so without reading it all.
 * Throws WALLET_NOT_FOUND, WALLET_IO (also for a directory) or WALLET_BAD_ARGUMENT (meta.parameter).
 */
export async function readWalletFileBytes (path: string): Promise<Uint8Array> {
  if (typeof path !== 'string' || path.length === 0) {
    throw new WalletError(WalletErrorCode.BAD_ARGUMENT, 'wallet path must be a non-empty string', { parameter: 'path' })
  }
  try {
    const handle = await open(path, fsConstants.O_RDONLY)
    try {
      if ((await handle.stat()).isDirectory()) throw ioError(`cannot read wallet file ${path}: it is a directory`, path, undefined)
      const buffer = new Uint8Array(MAX_WALLET_FILE_BYTES + 1)
      let length = 0
      while (length < buffer.length) {
        const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null)
        if (bytesRead === 0) break
        length += bytesRead
      }
      return buffer.slice(0, length)
    } finally {
      await handle.close()
    }
  } catch (error) {
    if (error instanceof WalletError) throw error
    if (errnoOf(error) === 'ENOENT') {
      throw new WalletError(WalletErrorCode.NOT_FOUND, `wallet file not found: ${path}`, { path })
    }
    throw ioError(`cannot read wallet file ${path}`, path, error)
  }
}

/**
 * Reads and shape-checks a wallet file without the password (`wallet show`). Precise errors, each
 * naming the path: WALLET_NOT_FOUND, WALLET_IO, WALLET_MALFORMED (meta.reason 'too-large' / 'not-utf8' /
 * 'not-json', or meta.field). Not for opening: see readWalletFileBytes.
 */
export async function readWalletFile (path: string): Promise<WalletFile> {
  const bytes = await readWalletFileBytes(path)
  try {
    return parseWalletText(bytes)
  } catch (error) {
    // Say which file: the CLI prints this message as is.
    if (error instanceof WalletError) throw new WalletError(error.code, `${path}: ${error.message}`, { ...error.meta, path })
    throw error
  }
}

function walletExists (path: string): WalletError {
  return new WalletError(WalletErrorCode.EXISTS, `refusing to overwrite ${path}: the file exists`, { path })
}

function ioError (message: string, path: string, cause: unknown): WalletError {
  const errno = errnoOf(cause)
  const reason = cause instanceof Error ? `: ${errno ?? cause.message}` : ''
  return new WalletError(WalletErrorCode.IO, `${message}${reason}`, { path, errno })
}
