// Node configuration (docs/design.md §1): embedded defaults < config file < env GOSSIPCHAIN_* < CLI flags.
// This module and cli.ts are the only readers of the environment; they receive it as an argument
// here so that tests can pass their own.

import { readFileSync } from 'node:fs'
import { multiaddr } from '@multiformats/multiaddr'
import { z } from 'zod'
import { MAX_MINER_THREADS } from './chain/miner-pool.js'
import { isNetworkName, NETWORK_NAME_RULE } from './core/network.js'
import { TRACE_FORMATS, type TraceFormat } from './metrics/trace-format.js'
import { WALLET_NAME_PATTERN } from './wallet/wallet-file.js'

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'silent'
export const LOG_LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'silent']

export interface NodeConfig {
  /** Genesis parameters (docs/design.md §3); the network id is derived from them. */
  network: { name: string, genesisTimestamp: number, bits: number }
  /** Block store, libp2p key, snapshots. Relative paths are relative to the working directory. */
  dataDir: string
  httpHost: string
  httpPort: number
  p2pHost: string
  p2pPort: number
  /** Multiaddrs dialed at start. */
  bootstrap: string[]
  /** Milliseconds between mining attempts; 0 = no automatic mining. */
  mineInterval: number
  /** Worker threads searching nonces (docs/design.md §4, §11); 'auto' = one per core. */
  minerThreads: number | 'auto'
  /** When set, admin routes need `Authorization: Bearer <apiToken>` (docs/design.md §7). */
  apiToken: string | undefined
  /** Event trace file, appended to (docs/design.md §10). */
  trace: string | undefined
  /** What --trace writes: the node's events (ndjson) or go-libp2p-pubsub's tracer events (pubsub). */
  traceFormat: TraceFormat
  /** Accept the legacy RSA transaction body (docs/design.md §2). */
  legacyTransactions: boolean
  mempool: { maxCount: number, maxBytes: number }
  /** Extra multiaddrs to announce to peers (e.g. a public DNS name behind NAT or in docker). */
  announce: string[]
  logLevel: LogLevel
  /**
   * GET /chain and /pending_tx list only the records the original Flask frontend can read (legacy
   * `item|receiverPEM` records); everything else keeps showing all (docs/design.md §7).
   */
  legacyChainView: boolean
  /** Entity names the web page shows and offers as receivers: name -> Ed25519 public key (64 hex). */
  addressBook: Record<string, string>
  /** The facade's origin as others reach it (QR codes, links), e.g. https://farm.example.org (no path). */
  publicUrl: string | undefined
  /** PEM certificate (chain) and private key files: the facade serves HTTPS when both are set. */
  tlsCert: string | undefined
  tlsKey: string | undefined
}

export const DEFAULT_CONFIG: Readonly<NodeConfig> = Object.freeze({
  network: Object.freeze({ name: 'gossipchain-dev', genesisTimestamp: 1767225600, bits: 16 }),
  dataDir: './data',
  httpHost: '127.0.0.1',
  httpPort: 8000,
  p2pHost: '0.0.0.0',
  p2pPort: 9000,
  bootstrap: Object.freeze([]) as unknown as string[],
  mineInterval: 0,
  minerThreads: 'auto',
  apiToken: undefined,
  trace: undefined,
  traceFormat: 'ndjson',
  legacyTransactions: true,
  mempool: Object.freeze({ maxCount: 10_000, maxBytes: 32 * 1024 * 1024 }),
  announce: Object.freeze([]) as unknown as string[],
  logLevel: 'info',
  legacyChainView: false,
  addressBook: Object.freeze({}) as Record<string, string>,
  publicUrl: undefined,
  tlsCert: undefined,
  tlsKey: undefined
})

/** Where a config value came from; errors name it. */
export type ConfigSourceKind = 'default' | 'file' | 'env' | 'flag'

export class ConfigError extends Error {
  override readonly name = 'ConfigError'
  readonly code = 'CONFIG_INVALID'
  constructor (
    message: string,
    /** Dotted config key, e.g. `network.bits`; undefined when the whole file is unreadable. */
    readonly key: string | undefined,
    readonly source: ConfigSourceKind,
    /** The file path, env variable or flag that carried the value. */
    readonly origin: string
  ) {
    super(message)
  }
}

/** Flag values as commander hands them over (strings) or as a program passes them (typed). */
export interface ConfigFlags {
  network?: string
  genesisTimestamp?: string | number
  bits?: string | number
  dataDir?: string
  httpHost?: string
  httpPort?: string | number
  p2pHost?: string
  p2pPort?: string | number
  bootstrap?: string | string[]
  announce?: string | string[]
  mineInterval?: string | number
  minerThreads?: string | number
  apiToken?: string
  trace?: string
  traceFormat?: string
  legacyTransactions?: string | boolean
  mempoolMaxCount?: string | number
  mempoolMaxBytes?: string | number
  logLevel?: string
  legacyChainView?: string | boolean
  addressBook?: string | Record<string, string>
  publicUrl?: string
  tlsCert?: string
  tlsKey?: string
}

export interface LoadConfigOptions {
  /** Path of a JSON config file (same shape as NodeConfig, every key optional). */
  file?: string
  /** Usually process.env; only GOSSIPCHAIN_* names are read. */
  env: Record<string, string | undefined>
  /** Parsed CLI options; keys that are not config keys are ignored. */
  flags?: ConfigFlags | Record<string, unknown>
}

/** 'object': a JSON object in the file, JSON text in env and flags. */
type ValueKind = 'string' | 'integer' | 'number' | 'boolean' | 'list' | 'object'

interface KeySpec {
  /** Dotted key in NodeConfig. */
  key: string
  kind: ValueKind
  schema: z.ZodType
  /** What a valid value looks like, for error messages. */
  expected: string
  env: string
  /** Property name in the flags object (commander's camelCase of the flag). */
  flag: keyof ConfigFlags
}

const nameSchema = z.string().refine(isNetworkName)
const hostSchema = z.string().min(1).max(253).regex(/^\S+$/)
const portSchema = z.int().min(0).max(65535)
const multiaddrSchema = z.string().refine(value => {
  try {
    multiaddr(value)
    return true
  } catch {
    return false
  }
})
/** Ten thousand entities: the page lists them all, so the list stays a page's worth. */
export const MAX_ADDRESS_BOOK_ENTRIES = 10_000
const addressBookSchema = z.record(z.string().regex(WALLET_NAME_PATTERN), z.string().regex(/^[0-9a-f]{64}$/))
  .refine(book => Object.keys(book).length <= MAX_ADDRESS_BOOK_ENTRIES)
  .refine(book => new Set(Object.values(book)).size === Object.keys(book).length)
/**
 * An http(s) origin: scheme, host and port, no path, credentials, query or fragment. The page and its
 * links live at the root of the facade, so a path prefix would point QR codes at nothing.
 */
const publicUrlSchema = z.string().max(2048).refine(value => {
  try {
    const url = new URL(value)
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.username === '' && url.password === '' &&
      url.pathname === '/' && url.search === '' && url.hash === '' && !value.includes('?') && !value.includes('#')
  } catch {
    return false
  }
}).transform(value => new URL(value).origin)
const timestampSchema = z.number().min(0).max(253402300799) // up to 9999-12-31
  .refine(value => Number(value.toFixed(3)) === value)

/** Every config key, with its env variable and flag: the single table the loaders share. */
export const CONFIG_KEYS: readonly KeySpec[] = [
  { key: 'network.name', kind: 'string', schema: nameSchema, expected: NETWORK_NAME_RULE, env: 'GOSSIPCHAIN_NETWORK', flag: 'network' },
  { key: 'network.genesisTimestamp', kind: 'number', schema: timestampSchema, expected: 'Unix seconds (>= 0, at most 3 decimals)', env: 'GOSSIPCHAIN_GENESIS_TIMESTAMP', flag: 'genesisTimestamp' },
  { key: 'network.bits', kind: 'integer', schema: z.int().min(0).max(255), expected: 'an integer from 0 to 255', env: 'GOSSIPCHAIN_BITS', flag: 'bits' },
  { key: 'dataDir', kind: 'string', schema: z.string().min(1), expected: 'a non-empty path', env: 'GOSSIPCHAIN_DATA_DIR', flag: 'dataDir' },
  { key: 'httpHost', kind: 'string', schema: hostSchema, expected: 'a host name or IP address', env: 'GOSSIPCHAIN_HTTP_HOST', flag: 'httpHost' },
  { key: 'httpPort', kind: 'integer', schema: portSchema, expected: 'an integer from 0 to 65535', env: 'GOSSIPCHAIN_HTTP_PORT', flag: 'httpPort' },
  { key: 'p2pHost', kind: 'string', schema: hostSchema, expected: 'a host name or IP address', env: 'GOSSIPCHAIN_P2P_HOST', flag: 'p2pHost' },
  { key: 'p2pPort', kind: 'integer', schema: portSchema, expected: 'an integer from 0 to 65535', env: 'GOSSIPCHAIN_P2P_PORT', flag: 'p2pPort' },
  { key: 'bootstrap', kind: 'list', schema: z.array(multiaddrSchema), expected: 'a list of multiaddrs such as /dns4/node-1/tcp/9000', env: 'GOSSIPCHAIN_BOOTSTRAP', flag: 'bootstrap' },
  { key: 'mineInterval', kind: 'integer', schema: z.int().min(0).max(2 ** 31 - 1), expected: 'milliseconds, an integer >= 0 (0 = off)', env: 'GOSSIPCHAIN_MINE_INTERVAL', flag: 'mineInterval' },
  { key: 'minerThreads', kind: 'integer', schema: z.union([z.literal('auto'), z.int().min(1).max(MAX_MINER_THREADS)]), expected: `"auto" (one per core) or an integer from 1 to ${MAX_MINER_THREADS}`, env: 'GOSSIPCHAIN_MINER_THREADS', flag: 'minerThreads' },
  { key: 'apiToken', kind: 'string', schema: z.string().min(1), expected: 'a non-empty string', env: 'GOSSIPCHAIN_API_TOKEN', flag: 'apiToken' },
  { key: 'trace', kind: 'string', schema: z.string().min(1), expected: 'a non-empty file path', env: 'GOSSIPCHAIN_TRACE', flag: 'trace' },
  { key: 'traceFormat', kind: 'string', schema: z.enum(TRACE_FORMATS as [TraceFormat, ...TraceFormat[]]), expected: `one of ${TRACE_FORMATS.join(', ')}`, env: 'GOSSIPCHAIN_TRACE_FORMAT', flag: 'traceFormat' },
  { key: 'legacyTransactions', kind: 'boolean', schema: z.boolean(), expected: 'true or false', env: 'GOSSIPCHAIN_LEGACY_TRANSACTIONS', flag: 'legacyTransactions' },
  { key: 'mempool.maxCount', kind: 'integer', schema: z.int().min(1).max(10_000_000), expected: 'an integer from 1 to 10000000', env: 'GOSSIPCHAIN_MEMPOOL_MAX_COUNT', flag: 'mempoolMaxCount' },
  { key: 'mempool.maxBytes', kind: 'integer', schema: z.int().min(1024).max(2 ** 40), expected: 'a byte count, an integer >= 1024', env: 'GOSSIPCHAIN_MEMPOOL_MAX_BYTES', flag: 'mempoolMaxBytes' },
  { key: 'announce', kind: 'list', schema: z.array(multiaddrSchema), expected: 'a list of multiaddrs such as /dns4/node-1/tcp/9000', env: 'GOSSIPCHAIN_ANNOUNCE', flag: 'announce' },
  { key: 'logLevel', kind: 'string', schema: z.enum(LOG_LEVELS as [LogLevel, ...LogLevel[]]), expected: `one of ${LOG_LEVELS.join(', ')}`, env: 'GOSSIPCHAIN_LOG_LEVEL', flag: 'logLevel' },
  { key: 'legacyChainView', kind: 'boolean', schema: z.boolean(), expected: 'true or false', env: 'GOSSIPCHAIN_LEGACY_CHAIN_VIEW', flag: 'legacyChainView' },
  {
    key: 'addressBook',
    kind: 'object',
    schema: addressBookSchema,
    expected: `a JSON object of at most ${MAX_ADDRESS_BOOK_ENTRIES} entity names (1-64 of A-Z a-z 0-9 _ . -) to distinct 64-lowercase-hex Ed25519 public keys`,
    env: 'GOSSIPCHAIN_ADDRESS_BOOK',
    flag: 'addressBook'
  },
  { key: 'publicUrl', kind: 'string', schema: publicUrlSchema, expected: 'an http:// or https:// origin such as https://farm.example.org:8443 (no path, credentials, query or fragment)', env: 'GOSSIPCHAIN_PUBLIC_URL', flag: 'publicUrl' },
  { key: 'tlsCert', kind: 'string', schema: z.string().min(1), expected: 'a PEM certificate file path', env: 'GOSSIPCHAIN_TLS_CERT', flag: 'tlsCert' },
  { key: 'tlsKey', kind: 'string', schema: z.string().min(1), expected: 'a PEM private key file path', env: 'GOSSIPCHAIN_TLS_KEY', flag: 'tlsKey' }
]

/** The environment variable that points at a config file (the CLI's --config wins over it). */
export const CONFIG_FILE_ENV = 'GOSSIPCHAIN_CONFIG'

/**
 * Set to 1 by a launcher whose nodes must not outlive it (src/devnet): `gossipchain start` then stops
 * when its parent process is gone (src/cli/start.ts). Not a node setting: not in CONFIG_KEYS.
 */
export const EXIT_WITH_PARENT_ENV = 'GOSSIPCHAIN_EXIT_WITH_PARENT'

/**
 * Builds the node configuration from defaults, `file`, `env` and `flags`, in that order of
 * precedence (later wins, key by key). Throws ConfigError naming the key and its source.
 */
export function loadConfig (options: LoadConfigOptions): NodeConfig {
  const config = structuredClone(DEFAULT_CONFIG) as NodeConfig
  const origins = new Map<string, { source: ConfigSourceKind, origin: string }>()

  if (options.file !== undefined) {
    for (const [spec, value] of readConfigFile(options.file)) {
      setKey(config, spec.key, value)
      origins.set(spec.key, { source: 'file', origin: `file ${options.file}` })
    }
  }
  for (const spec of CONFIG_KEYS) {
    const raw = options.env[spec.env]
    // Compose files and shells often define a variable as empty to mean "not set".
    if (raw === undefined || raw === '') continue
    setKey(config, spec.key, checkValue(spec, coerce(spec.kind, raw), 'env', `env ${spec.env}`))
    origins.set(spec.key, { source: 'env', origin: `env ${spec.env}` })
  }
  const flags = (options.flags ?? {}) as Record<string, unknown>
  for (const spec of CONFIG_KEYS) {
    const raw = flags[spec.flag]
    if (raw === undefined) continue
    const origin = `flag --${kebab(spec.flag)}`
    setKey(config, spec.key, checkValue(spec, coerce(spec.kind, raw), 'flag', origin))
    origins.set(spec.key, { source: 'flag', origin })
  }

  if (config.httpPort !== 0 && config.httpPort === config.p2pPort) {
    const http = origins.get('httpPort') ?? { source: 'default' as const, origin: 'default' }
    const p2p = origins.get('p2pPort') ?? { source: 'default' as const, origin: 'default' }
    const blamed = http.source === 'default' ? { key: 'p2pPort', ...p2p } : { key: 'httpPort', ...http }
    throw new ConfigError(
      `invalid config: httpPort (${http.origin}) and p2pPort (${p2p.origin}) are both ${config.httpPort}; they need different ports`,
      blamed.key, blamed.source, blamed.origin)
  }
  if ((config.tlsCert === undefined) !== (config.tlsKey === undefined)) {
    const [given, missing] = config.tlsCert === undefined ? ['tlsKey', 'tlsCert'] : ['tlsCert', 'tlsKey']
    const origin = origins.get(given) ?? { source: 'default' as const, origin: 'default' }
    throw new ConfigError(`invalid config: ${given} (${origin.origin}) is set but ${missing} is not; HTTPS needs both the certificate and its key`,
      given, origin.source, origin.origin)
  }
  return config
}

/** The default configuration as written to config/default.json (undefined keys left out). */
export function defaultConfigJson (): string {
  return JSON.stringify(DEFAULT_CONFIG, null, 2) + '\n'
}

/** Kebab-case CLI flag for a config key, e.g. `mempool.maxBytes` -> `--mempool-max-bytes`. */
export function configFlagName (key: string): string {
  const spec = CONFIG_KEYS.find(candidate => candidate.key === key)
  if (spec === undefined) throw new Error(`unknown config key ${key}`)
  return `--${kebab(spec.flag)}`
}

function readConfigFile (path: string): Array<[KeySpec, unknown]> {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    const code = (error as { code?: string }).code ?? (error as Error).message
    throw new ConfigError(`cannot read config file ${path}: ${code}`, undefined, 'file', `file ${path}`)
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    throw new ConfigError(`config file ${path} is not valid JSON: ${(error as Error).message}`, undefined, 'file', `file ${path}`)
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new ConfigError(`config file ${path} must hold a JSON object`, undefined, 'file', `file ${path}`)
  }
  const found: Array<[KeySpec, unknown]> = []
  const visit = (object: Record<string, unknown>, prefix: string): void => {
    for (const [name, value] of Object.entries(object)) {
      const key = prefix + name
      const spec = CONFIG_KEYS.find(candidate => candidate.key === key)
      if (spec !== undefined) {
        found.push([spec, checkValue(spec, value, 'file', `file ${path}`)])
        continue
      }
      const isGroup = CONFIG_KEYS.some(candidate => candidate.key.startsWith(key + '.'))
      if (isGroup && value !== null && typeof value === 'object' && !Array.isArray(value)) {
        visit(value as Record<string, unknown>, key + '.')
        continue
      }
      throw new ConfigError(isGroup
        ? `invalid config value for ${key} in file ${path}: expected an object, got ${describe(value)}`
        : `unknown config key ${key} in file ${path}`, key, 'file', `file ${path}`)
    }
  }
  visit(json as Record<string, unknown>, '')
  return found
}

function checkValue (spec: KeySpec, value: unknown, source: ConfigSourceKind, origin: string): unknown {
  const result = spec.schema.safeParse(value)
  if (result.success) return result.data
  const where = source === 'file' ? `in ${origin}` : `from ${origin}`
  throw new ConfigError(`invalid config value for ${spec.key} ${where}: expected ${spec.expected}, got ${describe(value)}`,
    spec.key, source, origin)
}

// Env and flags arrive as text; turn text into the key's type and let the schema judge the result
// (text that does not convert stays text, so the error shows what was given).
function coerce (kind: ValueKind, raw: unknown): unknown {
  if (kind === 'list') {
    const items = Array.isArray(raw) ? raw : [raw]
    return items.flatMap(item => typeof item === 'string'
      ? item.split(',').map(part => part.trim()).filter(part => part.length > 0)
      : [item])
  }
  if (typeof raw !== 'string') return raw
  const text = raw.trim()
  if (kind === 'object') {
    try {
      return JSON.parse(text)
    } catch {
      return raw
    }
  }
  if (kind === 'integer' || kind === 'number') {
    return /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : raw
  }
  if (kind === 'boolean') {
    const lower = text.toLowerCase()
    if (['true', '1', 'yes', 'on'].includes(lower)) return true
    if (['false', '0', 'no', 'off'].includes(lower)) return false
    return raw
  }
  return raw
}

function setKey (config: NodeConfig, key: string, value: unknown): void {
  const parts = key.split('.')
  let target = config as unknown as Record<string, unknown>
  for (const part of parts.slice(0, -1)) target = target[part] as Record<string, unknown>
  target[parts[parts.length - 1]] = value
}

function kebab (camel: string): string {
  return camel.replace(/[A-Z]/g, letter => '-' + letter.toLowerCase())
}

function describe (value: unknown): string {
  if (value === undefined) return 'nothing'
  const text = JSON.stringify(value)
  return text.length > 80 ? text.slice(0, 77) + '...' : text
}
