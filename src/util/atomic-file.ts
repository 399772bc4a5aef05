// The one atomic file write of the node (wallet files, the peer key, chain snapshots): a temp file in the
// same directory, written, fsynced, then renamed over the target ('replace') or hard-linked to it
// ('create', which never overwrites), then the directory fsynced so the new name survives power loss.
// A crash or a failure at any step leaves the old file (or none) or the whole new one, never part of
// one, and no temp file behind.
import { randomBytes } from 'node:crypto'
import { constants as fsConstants } from 'node:fs'
import { link, open, rename, stat, unlink, type FileHandle } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'

export interface AtomicWriteOptions {
  /**
   * 'replace' (default): rename(2) over the target; readers see the old file or the new one.
   * 'create': link(2) to the target, which fails with EEXIST instead of clobbering an existing file
   * (two processes creating one file at once cannot replace each other's).
   */
  mode?: 'replace' | 'create'
  /** Permission bits of the new file, set exactly (whatever the umask). Default 0o644. */
  fileMode?: number
}

/** Chunks smaller than this are gathered into one write (a snapshot streams one small chunk per block). */
const WRITE_BUFFER_BYTES = 256 * 1024
/** link(2) errors that mean "this file system has no hard links", not "you may not". */
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS'])
/** fsync(2) of a directory is refused on some platforms and file systems (Windows, some FUSE): the file itself is synced. */
const NO_DIRECTORY_SYNC = new Set(['EISDIR', 'EINVAL', 'EPERM', 'ENOTSUP', 'EBADF'])

export type AtomicWriteData = string | Uint8Array | AsyncIterable<string | Uint8Array>

/**
 * Writes `data` (bytes, a string as UTF-8, or chunks as they come) to `path` atomically. Errors are
 * the file system's (errno in `code`: EEXIST for 'create' when the path exists); an error thrown by
 * the chunks' iterator is rethrown as is, and nothing is left behind either way.
 */
export async function writeFileAtomic (path: string, data: AtomicWriteData, opts: AtomicWriteOptions = {}): Promise<void> {
  if (typeof path !== 'string' || path === '') throw new TypeError('writeFileAtomic: "path" must be a non-empty string')
  const mode = opts.mode ?? 'replace'
  if (mode !== 'replace' && mode !== 'create') throw new TypeError('writeFileAtomic: "mode" must be "replace" or "create"')
  const fileMode = opts.fileMode ?? 0o644
  const directory = dirname(path)
  if (mode === 'create' && await exists(path)) throw fileExists(path)
  const temporary = join(directory, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`)
  try {
    const handle = await open(temporary, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL, fileMode)
    try {
      await handle.chmod(fileMode) // open()'s mode is filtered by the umask
      await writeData(handle, data)
      await handle.sync()
    } finally {
      await handle.close()
    }
    if (mode === 'replace') {
      await rename(temporary, path)
    } else {
      try {
        await link(temporary, path)
      } catch (err) {
        if (!NO_HARD_LINKS.has(errnoOf(err) ?? '')) throw err
        // A file system without hard links: rename after the existence check (a narrow race, but
        // still never a half-written file).
        if (await exists(path)) throw fileExists(path)
        await rename(temporary, path)
      }
    }
  } finally {
    await unlink(temporary).catch(() => {})
  }
  await syncDirectory(directory)
}

/** fsync a directory, so that a rename or link in it survives power loss; a no-op where the platform cannot. */
export async function syncDirectory (directory: string): Promise<void> {
  let handle: FileHandle | undefined
  try {
    handle = await open(directory, fsConstants.O_RDONLY)
    await handle.sync()
  } catch (err) {
    if (!NO_DIRECTORY_SYNC.has(errnoOf(err) ?? '')) throw err
  } finally {
    await handle?.close()
  }
}

async function writeData (handle: FileHandle, data: AtomicWriteData): Promise<void> {
  if (typeof data === 'string' || data instanceof Uint8Array) {
    await writeAll(handle, typeof data === 'string' ? Buffer.from(data, 'utf8') : data)
    return
  }
  let pending: Uint8Array[] = []
  let pendingBytes = 0
  for await (const chunk of data) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk
    pending.push(bytes)
    pendingBytes += bytes.byteLength
    if (pendingBytes >= WRITE_BUFFER_BYTES) {
      await writeAll(handle, Buffer.concat(pending, pendingBytes))
      pending = []
      pendingBytes = 0
    }
  }
  if (pendingBytes > 0) await writeAll(handle, Buffer.concat(pending, pendingBytes))
}

async function writeAll (handle: FileHandle, bytes: Uint8Array): Promise<void> {
  let offset = 0
  while (offset < bytes.byteLength) {
    const { bytesWritten } = await handle.write(bytes, offset, bytes.byteLength - offset)
    offset += bytesWritten
  }
}

async function exists (path: string): Promise<boolean> {
  try {
    await stat(path)
    return true
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return false
    throw err
  }
}

function fileExists (path: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`EEXIST: file already exists, '${path}'`), { code: 'EEXIST', path })
}

/** The errno code of a file-system error (ENOENT, EEXIST ...), undefined for anything else. */
export function errnoOf (error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : undefined
}
