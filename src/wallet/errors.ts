// Coded errors of the wallet file (docs/design.md §8). Runs in the browser too: no node: imports here.
import { CodedError, type ErrorMeta } from '../core/errors.js'

export enum WalletErrorCode {
  /**
   * Opening failed: a wrong password or ANY modification of the file's bytes (a field, the format
   * marker, a brace, whitespace), or a seed that does not give its publicKey. One code and one message
   * for all of them on purpose; meta.reason (WalletLockedReason) and meta.field say which, for debugging.
   */
  LOCKED = 'WALLET_LOCKED',
  /** Reading without opening (parseWalletFile, parseWalletText, readWalletFile): not a wallet file. meta.field */
  MALFORMED = 'WALLET_MALFORMED',
  /** createWallet only: PBKDF2 iterations below the OWASP floor (600,000); opening such a file is LOCKED 'weak-kdf'. */
  WEAK_KDF = 'WALLET_WEAK_KDF',
  /** A caller passed a bad argument to createWallet (name, password, seed, salt, iv). meta.parameter */
  BAD_ARGUMENT = 'WALLET_BAD_ARGUMENT',
  /** WebCrypto is missing (in a browser: a page not served over https or from localhost). */
  NO_WEBCRYPTO = 'WALLET_NO_WEBCRYPTO',
  /** The target path exists already; wallets are never overwritten. meta.path */
  EXISTS = 'WALLET_EXISTS',
  /** No file at the path. meta.path */
  NOT_FOUND = 'WALLET_NOT_FOUND',
  /** Any other file-system failure. meta.path, meta.errno */
  IO = 'WALLET_IO'
}

export type WalletErrorMeta = ErrorMeta

export class WalletError extends CodedError<WalletErrorCode> {
  override readonly name = 'WalletError'
}

export const WALLET_LOCKED_MESSAGE = 'wrong password or the wallet file was modified'
