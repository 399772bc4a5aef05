// The network-name rule (docs/design.md §3 Genesis, §5): ONE copy, used by the config, genesis and the
// network id, gossip topics, the sync protocol id, the CLI's --network and the tx signing payload.
//
// A network id `<name>-<first 8 hex of the genesis hash>` is spelled into gossipsub topics
// (`/gossipchain/<id>/tx/1`) and libp2p protocol ids (`/gossipchain/<id>/http/1.1`), so it keeps to
// characters that cannot split a path or a line. Ids are at most 64 characters (short enough for log
// lines, metric labels and multistream-select's protocol negotiation), so a name is at most
// 64 - 9 = 55: every name the config accepts gives an id every layer accepts.

/** Characters of the `-<8 hex>` suffix a network id adds to its name. */
const ID_SUFFIX_CHARS = 9
/** Longest network id. */
export const MAX_NETWORK_ID_CHARS = 64
/** Longest network name: its id is then at most MAX_NETWORK_ID_CHARS. */
export const MAX_NETWORK_NAME_CHARS = MAX_NETWORK_ID_CHARS - ID_SUFFIX_CHARS

const NAME = `[A-Za-z0-9][A-Za-z0-9._-]{0,${MAX_NETWORK_NAME_CHARS - 1}}`
const NETWORK_NAME = new RegExp(`^${NAME}$`)
const NETWORK_ID = new RegExp(`^${NAME}-[0-9a-f]{8}$`)

/** The rule in words, for error messages and help texts. */
export const NETWORK_NAME_RULE = `1 to ${MAX_NETWORK_NAME_CHARS} characters of A-Z a-z 0-9 . _ -, starting with a letter or digit`
export const NETWORK_ID_RULE = `<name>-<8 lowercase hex> (the name ${NETWORK_NAME_RULE}), e.g. gossipchain-dev-1a2b3c4d`

/** True if `name` is a valid network name (the `name` of a network config). */
export function isNetworkName (name: unknown): name is string {
  return typeof name === 'string' && NETWORK_NAME.test(name)
}

/** True if `id` is a valid network id: a valid name, "-", 8 lowercase hex digits. */
export function isNetworkId (id: unknown): id is string {
  return typeof id === 'string' && NETWORK_ID.test(id)
}

/** Returns `name`; throws a TypeError naming the rule when it breaks it. */
export function checkNetworkName (name: unknown, parameter = 'network name'): string {
  if (!isNetworkName(name)) throw new TypeError(`${parameter} must be ${NETWORK_NAME_RULE}, got ${describe(name)}`)
  return name
}

/** Returns `id`; throws a TypeError naming the rule when it breaks it. */
export function checkNetworkId (id: unknown, parameter = 'network id'): string {
  if (!isNetworkId(id)) throw new TypeError(`${parameter} must be ${NETWORK_ID_RULE}, got ${describe(id)}`)
  return id
}

function describe (value: unknown): string {
  if (typeof value !== 'string') return typeof value
  return value.length > 80 ? `${JSON.stringify(value.slice(0, 80))}... (${value.length} characters)` : JSON.stringify(value)
}
