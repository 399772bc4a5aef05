import { expect } from 'chai'
import { WalletError, type WalletErrorCode } from '../../src/wallet/errors.js'

/** Await (or call) `promise` and expect a WalletError with `code`; returns it for more checks. */
export async function expectWalletError (promise: Promise<unknown> | (() => unknown), code: WalletErrorCode): Promise<WalletError> {
  let caught: unknown
  try {
    await (typeof promise === 'function' ? promise() : promise)
  } catch (error) {
    caught = error
  }
  expect(caught, `expected ${code}`).to.be.instanceOf(WalletError)
  const error = caught as WalletError
  expect(error.code, error.message).to.equal(code)
  return error
}
