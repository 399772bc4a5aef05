// Table-driven schema checks shared by parseTx and parseBlock (DESIGN §2, §3: "schema and sizes
// exact, unknown fields rejected"). Hand-written rather than zod because every failure must map to
// one precise error code + field, in a fixed order, and this runs on every gossiped tx: a table
// walk with no allocation on success costs well under a microsecond.
import { isHex, isWellFormedString, utf8ByteLength } from './bytes.js'
import { MAX_TIMESTAMP_SECONDS } from './types.js'

export type SchemaFailureKind = 'NOT_OBJECT' | 'UNKNOWN_FIELD' | 'MISSING_FIELD' | 'WRONG_TYPE' | 'BAD_FORMAT' | 'TOO_LARGE'

export interface SchemaFailure {
  kind: SchemaFailureKind
  field?: string
  message: string
  limit?: number
}

/** What a value check reports: a shape problem or a size problem. */
export interface ValueProblem {
  kind: 'BAD_FORMAT' | 'TOO_LARGE'
  message: string
  limit?: number
}

export interface FieldRule {
  readonly name: string
  readonly type: 'string' | 'number' | 'array'
  readonly nullable?: boolean
  /** Runs on a value of the right type (never on null). */
  readonly check?: (value: any) => ValueProblem | undefined
}

export interface Schema {
  readonly rules: readonly FieldRule[]
  readonly names: ReadonlySet<string>
}

export function schema (rules: readonly FieldRule[]): Schema {
  return { rules, names: new Set(rules.map(r => r.name)) }
}

export function isPlainObject (input: unknown): input is Record<string, unknown> {
  return typeof input === 'object' && input !== null && !Array.isArray(input)
}

/**
 * First failure of `input` against the schema, or undefined. Order: not an object, unknown field,
 * then each rule in table order: missing, wrong type, value check.
 */
export function checkSchema (input: unknown, s: Schema, what: string): SchemaFailure | undefined {
  if (!isPlainObject(input)) return { kind: 'NOT_OBJECT', message: `${what} must be a JSON object` }
  for (const key of Object.keys(input)) {
    if (!s.names.has(key)) return { kind: 'UNKNOWN_FIELD', field: key, message: `${what} has an unknown field "${key}"` }
  }
  for (const rule of s.rules) {
    if (!Object.hasOwn(input, rule.name)) {
      return { kind: 'MISSING_FIELD', field: rule.name, message: `${what} lacks the field "${rule.name}"` }
    }
    const value = input[rule.name]
    if (value === null && rule.nullable === true) continue
    const typeOk = rule.type === 'array' ? Array.isArray(value) : typeof value === rule.type
    if (!typeOk) {
      const want = rule.nullable === true ? `a ${rule.type} or null` : `a ${rule.type}`
      return { kind: 'WRONG_TYPE', field: rule.name, message: `${what}.${rule.name} must be ${want}` }
    }
    const problem = rule.check?.(value)
    if (problem !== undefined) return { ...problem, field: rule.name, message: `${what}.${rule.name} ${problem.message}` }
  }
  return undefined
}

// ---- value checks (messages continue "<what>.<field> ...") ----

export function hexCheck (bytes: number): (value: string) => ValueProblem | undefined {
  const message = `must be ${bytes * 2} lowercase hex digits`
  return value => isHex(value, bytes) ? undefined : { kind: 'BAD_FORMAT', message }
}

export function constantCheck (expected: string): (value: string) => ValueProblem | undefined {
  const message = `must be "${expected}"`
  return value => value === expected ? undefined : { kind: 'BAD_FORMAT', message }
}

/** Unix seconds: finite, >= 0, at most 3 decimals (the header keeps milliseconds, DESIGN §3). */
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
export function integerCheck (min: number, max: number): (value: number) => ValueProblem | undefined {
  return value => {
    if (!Number.isInteger(value) || Object.is(value, -0)) return { kind: 'BAD_FORMAT', message: 'must be an integer' }
    if (value < min) return { kind: 'BAD_FORMAT', message: `must be at least ${min}` }
    if (value > max) return { kind: 'TOO_LARGE', message: `must be at most ${max}`, limit: max }
    return undefined
  }
}

/** A text field: valid Unicode and at most `maxBytes` UTF-8 bytes. */
export function utf8TextCheck (maxBytes: number): (value: string) => ValueProblem | undefined {
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
export function labelCheck (maxChars: number): (value: string) => ValueProblem | undefined {
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
 * signature this way (DESIGN §2).
 */
export function latin1Check (maxBytes: number): (value: string) => ValueProblem | undefined {
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
export function spkiPemCheck (maxChars: number): (value: string) => ValueProblem | undefined {
  return value => {
    if (value.length > maxChars) return { kind: 'TOO_LARGE', message: `must be at most ${maxChars} characters`, limit: maxChars }
    if (!SPKI_PEM.test(value)) return { kind: 'BAD_FORMAT', message: 'must be a PEM "PUBLIC KEY" (SPKI)' }
    return undefined
  }
}
