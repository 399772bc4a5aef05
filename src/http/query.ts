// Query and path parameter checks: every bad value is a 400 naming the parameter.
import { HttpError, HttpErrorCode } from './http-error.js'

const DIGITS = /^\d{1,15}$/
const HEX64 = /^[0-9a-fA-F]{64}$/

/** An optional non-negative integer query parameter. */
export function optionalCount (value: string | undefined, name: string, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (value === undefined) return undefined
  if (!DIGITS.test(value) || Number(value) > max) {
    throw new HttpError(400, HttpErrorCode.BAD_QUERY, `query parameter "${name}" must be an integer from 0 to ${max}, got ${JSON.stringify(value.slice(0, 40))}`)
  }
  return Number(value)
}

/** A 64-hex path parameter (block hash, tx id), returned lowercase: one spelling per hash. */
export function hex64Param (value: string, name: string, code: string): string {
  if (!HEX64.test(value)) throw new HttpError(400, code, `"${name}" must be 64 hex digits`)
  return value.toLowerCase()
}
