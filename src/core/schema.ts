// Zod 4 schemas of the wire shapes (docs/design.md §2, §3: "schema and sizes exact, unknown fields
// rejected"; §8 wallet file) and the one adapter from zod issues to the single coded failure a
// caller reports: kind (-> TX_ / BLOCK_ / WALLET_ code), field, message, limit.
// Core builds its schemas with classic zod, whose object parser is compiled (JIT): parseTx runs on
// every gossiped tx. The wallet module builds its own with zod/mini and imports only validate()
// from here, so keep this module free of top-level zod calls: the browser bundle (docs/design.md §9) then
// drops classic zod. `import * as z` and named imports let the bundler see which parts are used;
// a nested namespace (`z.core.x`) would pull in all of zod core and its locales.
import * as z from 'zod'
import { safeParse, type $ZodIssue, type $ZodType, type ParsePayload } from 'zod/v4/core'
import { isHex, isWellFormedString, utf8ByteLength } from './bytes.js'
import { MAX_TIMESTAMP_SECONDS } from './types.js'

export type SchemaFailureKind = 'NOT_OBJECT' | 'UNKNOWN_FIELD' | 'MISSING_FIELD' | 'WRONG_TYPE' | 'BAD_FORMAT' | 'TOO_LARGE'

/** One failure, the first by the caller's precedence. */
export interface SchemaFailure {
  kind: SchemaFailureKind
  /** Dotted path of the field (`kdf.salt`); absent when the input itself is not an object. */
  field?: string
  /** The same path as keys (a key may hold a dot). */
  path: readonly PropertyKey[]
  /** What the schema says about the field, e.g. `must be 64 lowercase hex digits`. */
  detail: string
  limit?: number
}

/** What a value check reports: a shape problem or a size problem. */
export interface ValueProblem {
  kind: 'BAD_FORMAT' | 'TOO_LARGE'
  message: string
  limit?: number
}

/** A check on a value of the right JSON type. */
export type ValueCheck<T> = (value: T) => ValueProblem | undefined

export function isPlainObject (input: unknown): input is Record<string, unknown> {
  return typeof input === 'object' && input !== null && !Array.isArray(input)
}

// ---- field types (the messages of WRONG_TYPE) ----

/**
 * Runs `check` inside zod; its problem travels as a custom issue whose params carry the kind and
 * limit, so the adapter needs no knowledge of the check.
 */
function zodCheck<T> (check: ValueCheck<T>): (payload: ParsePayload<T>) => void {
  return payload => {
    const problem = check(payload.value)
    if (problem === undefined) return
    payload.issues.push({ code: 'custom', input: payload.value, message: problem.message, params: problem })
  }
}

export function jsonString (check: ValueCheck<string>): z.ZodString {
  return z.string({ error: 'must be a string' }).check(zodCheck(check))
}

export function nullableString (check: ValueCheck<string>): z.ZodNullable<z.ZodString> {
  return z.nullable(z.string({ error: 'must be a string or null' }).check(zodCheck(check)))
}

const WRONG_TYPE = { kind: 'WRONG_TYPE' }

/**
 * A JSON number. Not z.number(): it calls ±Infinity a wrong type, but JSON.parse('1e309') gives
 * Infinity, a number whose field check reports it (BAD_FORMAT), as the design's rules read.
 */
export function jsonNumber (check: ValueCheck<number>): z.ZodCustom<number> {
  return z.custom<number>(value => typeof value === 'number', { error: 'must be a number', params: WRONG_TYPE }).check(zodCheck(check))
}

/** A JSON array, elements unchecked: the caller parses them (and counts them first). */
export function jsonArray (): z.ZodCustom<unknown[]> {
  return z.custom<unknown[]>(value => Array.isArray(value), { error: 'must be an array', params: WRONG_TYPE })
}

// ---- the adapter ----

export interface SchemaOrder {
  /**
   * Per object, every missing field before any field's own problem (the wallet file). Default:
   * missing is one of a field's problems, taken in field order (txs, blocks).
   */
  missingFirst?: boolean
}

export type Validated<T> = { value: T, failure?: undefined } | { value?: undefined, failure: SchemaFailure }

/**
 * Runs a zod schema and, on failure, maps its issues to the first failure in this order: not an
 * object, unknown field, then each field in schema order (missing, wrong type, format or size),
 * recursively for nested objects.
 */
export function validate<T> (schema: $ZodType<T>, input: unknown, order: SchemaOrder = {}): Validated<T> {
  // Standard Schema's validate, not safeParse: a failed safeParse builds a ZodError (an Error, so
  // a stack trace) that we would read once and drop, several µs per hostile tx.
  const result = schema['~standard'].validate(input)
  if (result instanceof Promise) {
    // Only when a check threw (validate then retries async): rerun where the throw surfaces.
    result.catch(() => {})
    safeParse(schema, input)
    throw new TypeError('schema checks must be synchronous')
  }
  if (result.issues === undefined) return { value: result.value }
  const issues = result.issues as readonly $ZodIssue[]
  return { failure: toFailure(input, pickIssue(input, issues, 0, order.missingFirst === true)) }
}

/** `issues` all lie inside the object at path depth `depth`; the one its caller reports. */
function pickIssue (input: unknown, issues: readonly $ZodIssue[], depth: number, missingFirst: boolean): $ZodIssue {
  // The object's own issues: it is not an object, or it has unknown keys.
  const own = issues.find(issue => issue.path.length === depth)
  if (own !== undefined) return own
  if (missingFirst) {
    const missing = issues.find(issue => issue.path.length === depth + 1 && isAbsent(input, issue.path))
    if (missing !== undefined) return missing
  }
  // zod reports fields in shape order, each field's issues together.
  const key = issues[0].path[depth]
  return pickIssue(input, issues.filter(issue => issue.path[depth] === key), depth + 1, missingFirst)
}

function toFailure (input: unknown, issue: $ZodIssue): SchemaFailure {
  const path = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0]] : issue.path
  const at = { field: path.length === 0 ? undefined : path.join('.'), path, detail: issue.message }
  if (issue.code === 'unrecognized_keys') return { kind: 'UNKNOWN_FIELD', ...at }
  // zod reports an absent key as a problem of the value `undefined`; JSON knows only own keys.
  if (isAbsent(input, path)) return { kind: 'MISSING_FIELD', ...at }
  switch (issue.code) {
    case 'invalid_type':
      return { kind: issue.expected === 'object' ? 'NOT_OBJECT' : 'WRONG_TYPE', ...at }
    case 'invalid_union': {
      // A discriminator (tx.scheme) naming no option: of the options' JSON type or not.
      const options = 'options' in issue ? issue.options ?? [] : []
      if (options.length === 0) return { kind: 'BAD_FORMAT', ...at }
      if (typeof valueAt(input, path) !== typeof options[0]) return { kind: 'WRONG_TYPE', ...at, detail: `must be a ${typeof options[0]}` }
      return { kind: 'BAD_FORMAT', ...at, detail: `must be ${options.map(option => JSON.stringify(option)).join(' or ')}` }
    }
    case 'custom': {
      // zodCheck's problems and the json* types carry their kind (and limit) as params.
      const params = issue.params as { kind?: SchemaFailureKind, limit?: number } | undefined
      const kind = params?.kind ?? 'BAD_FORMAT'
      return params?.limit === undefined ? { kind, ...at } : { kind, ...at, limit: params.limit }
    }
    case 'too_big':
      return typeof issue.maximum === 'number' ? { kind: 'TOO_LARGE', ...at, limit: issue.maximum } : { kind: 'TOO_LARGE', ...at }
    default:
      return { kind: 'BAD_FORMAT', ...at }
  }
}

function valueAt (input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input
  for (const key of path) value = (value as Record<PropertyKey, unknown>)[key]
  return value
}

/** True if the last key of `path` is not an own property of the object holding it. */
function isAbsent (input: unknown, path: readonly PropertyKey[]): boolean {
  if (path.length === 0) return false
  const parent = valueAt(input, path.slice(0, -1))
  return isPlainObject(parent) && !Object.hasOwn(parent, path[path.length - 1])
}

/** The message of a core error: `tx must be a JSON object`, `tx.nonce must be 32 lowercase hex digits`. */
export function schemaMessage (what: string, failure: SchemaFailure): string {
  switch (failure.kind) {
    case 'NOT_OBJECT': return `${what} must be a JSON object`
    case 'UNKNOWN_FIELD': return `${what} has an unknown field "${failure.field ?? ''}"`
    case 'MISSING_FIELD': return `${what} lacks the field "${failure.field ?? ''}"`
    default: return `${what}.${failure.field ?? ''} ${failure.detail}`
  }
}

// ---- value checks (messages continue "<what>.<field> ...") ----

export function hexCheck (bytes: number): ValueCheck<string> {
  const message = `must be ${bytes * 2} lowercase hex digits`
  return value => isHex(value, bytes) ? undefined : { kind: 'BAD_FORMAT', message }
}

/** Unix seconds: finite, >= 0, at most 3 decimals (the header keeps milliseconds, docs/design.md §3). */
export function timestampCheck (value: number): ValueProblem | undefined {
  if (!Number.isFinite(value) || value < 0 || Object.is(value, -0)) {
    return { kind: 'BAD_FORMAT', message: 'must be a finite, non-negative number of seconds' }
  }
  if (value > MAX_TIMESTAMP_SECONDS) return { kind: 'TOO_LARGE', message: `must be at most ${MAX_TIMESTAMP_SECONDS}`, limit: MAX_TIMESTAMP_SECONDS }
  // Exact: k/1000 and the parsed decimal "x.yyy" are both the double nearest to the same rational.
  if (Math.round(value * 1000) / 1000 !== value) return { kind: 'BAD_FORMAT', message: 'must have at most 3 decimals' }
  return undefined
}

/** Integer in [min, max]. */
export function integerCheck (min: number, max: number): ValueCheck<number> {
  return value => {
    if (!Number.isInteger(value) || Object.is(value, -0)) return { kind: 'BAD_FORMAT', message: 'must be an integer' }
    if (value < min) return { kind: 'BAD_FORMAT', message: `must be at least ${min}` }
    if (value > max) return { kind: 'TOO_LARGE', message: `must be at most ${max}`, limit: max }
    return undefined
  }
}

/** A text field: valid Unicode and at most `maxBytes` UTF-8 bytes. */
export function utf8TextCheck (maxBytes: number): ValueCheck<string> {
  const tooLarge: ValueProblem = { kind: 'TOO_LARGE', message: `must be at most ${maxBytes} UTF-8 bytes`, limit: maxBytes }
  return value => {
    // UTF-8 takes at least one and at most three bytes per UTF-16 unit: count only when in doubt.
    if (value.length > maxBytes) return tooLarge
    if (value.length * 3 > maxBytes && utf8ByteLength(value) > maxBytes) return tooLarge
    if (!isWellFormedString(value)) return { kind: 'BAD_FORMAT', message: 'must be valid Unicode (no lone surrogate)' }
    return undefined
  }
}

/** A short label: 1..maxChars Unicode code points, valid Unicode. */
export function labelCheck (maxChars: number): ValueCheck<string> {
  const tooLarge: ValueProblem = { kind: 'TOO_LARGE', message: `must be at most ${maxChars} characters`, limit: maxChars }
  return value => {
    if (value.length === 0) return { kind: 'BAD_FORMAT', message: 'must not be empty (use null)' }
    // Code points <= UTF-16 units <= 2 x code points: count only when in doubt.
    if (value.length > maxChars * 2) return tooLarge
    if (!isWellFormedString(value)) return { kind: 'BAD_FORMAT', message: 'must be valid Unicode (no lone surrogate)' }
    if (value.length > maxChars) {
      let points = 0
      for (let i = 0; i < value.length; i++) {
        const c = value.charCodeAt(i)
        if (c < 0xdc00 || c > 0xdfff) points++
      }
      if (points > maxChars) return tooLarge
    }
    return undefined
  }
}

/**
 * A latin-1 string of 1..maxBytes chars (each char one byte). The legacy wallet sends its RSA
 * signature this way (docs/design.md §2).
 */
export function latin1Check (maxBytes: number): ValueCheck<string> {
  return value => {
    if (value.length === 0) return { kind: 'BAD_FORMAT', message: 'must not be empty' }
    if (value.length > maxBytes) return { kind: 'TOO_LARGE', message: `must be at most ${maxBytes} bytes`, limit: maxBytes }
    for (let i = 0; i < value.length; i++) {
      if (value.charCodeAt(i) > 0xff) return { kind: 'BAD_FORMAT', message: 'must be a latin-1 string (char codes 0-255)' }
    }
    return undefined
  }
}

const SPKI_PEM = /^-----BEGIN PUBLIC KEY-----\r?\n(?:[A-Za-z0-9+/=]{1,76}\r?\n)+-----END PUBLIC KEY-----(?:\r?\n)?$/

/** An SPKI public key in PEM armour (the key itself is parsed where its size is checked). */
export function spkiPemCheck (maxChars: number): ValueCheck<string> {
  return value => {
    if (value.length > maxChars) return { kind: 'TOO_LARGE', message: `must be at most ${maxChars} characters`, limit: maxChars }
    if (!SPKI_PEM.test(value)) return { kind: 'BAD_FORMAT', message: 'must be a PEM "PUBLIC KEY" (SPKI)' }
    return undefined
  }
}
