// Reads the Dockerfile, .dockerignore and docker-compose.yml as Docker would, for the tests that check
// the compose network and replay it without Docker (docs/design.md §13): test/compose-config.test.ts and
// test/compose-netns.test.ts both take the node command lines from here, so they cannot drift apart.
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse as parseYaml } from 'yaml'

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..')

// ---- Dockerfile ----

export interface DockerInstruction {
  /** Upper-cased keyword, e.g. `FROM`, `RUN`, `HEALTHCHECK`. */
  keyword: string
  /** Everything after the keyword, continuation lines joined with a space. */
  args: string
  line: number
}

export interface DockerStage {
  image: string
  name: string | undefined
  instructions: DockerInstruction[]
}

/** Splits a Dockerfile into stages of instructions (comments, parser directives and blank lines dropped). */
export function parseDockerfile (text: string): DockerStage[] {
  if (typeof text !== 'string') throw new TypeError('parseDockerfile: "text" must be a string')
  const stages: DockerStage[] = []
  const lines = text.split(/\r?\n/)
  for (let i = 0; i < lines.length; i++) {
    const first = lines[i].trim()
    if (first === '' || first.startsWith('#')) continue
    const startLine = i + 1
    let joined = lines[i]
    // A trailing backslash continues the instruction; comment lines inside it are skipped (as Docker does).
    while (/\\\s*$/.test(joined)) {
      joined = joined.replace(/\\\s*$/, ' ')
      i++
      while (i < lines.length && lines[i].trim().startsWith('#')) i++
      if (i >= lines.length) break
      joined += lines[i].trim()
    }
    const match = /^\s*(\w+)\s*(.*)$/.exec(joined)
    if (match === null) throw new Error(`Dockerfile line ${startLine}: cannot parse ${JSON.stringify(joined)}`)
    const instruction: DockerInstruction = { keyword: match[1].toUpperCase(), args: match[2].trim(), line: startLine }
    if (instruction.keyword === 'FROM') {
      const from = /^(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?$/i.exec(instruction.args)
      if (from === null) throw new Error(`Dockerfile line ${startLine}: cannot parse FROM ${instruction.args}`)
      stages.push({ image: from[1], name: from[2], instructions: [] })
      continue
    }
    if (stages.length === 0) {
      if (instruction.keyword === 'ARG') continue
      throw new Error(`Dockerfile line ${startLine}: ${instruction.keyword} before the first FROM`)
    }
    stages[stages.length - 1].instructions.push(instruction)
  }
  return stages
}

/** The JSON array of an exec-form instruction (`CMD ["a", "b"]`); throws on the shell form. */
export function execForm (instruction: DockerInstruction, args = instruction.args): string[] {
  const trimmed = args.trim()
  if (!trimmed.startsWith('[')) {
    throw new Error(`Dockerfile line ${instruction.line}: ${instruction.keyword} is in shell form (${trimmed}); the exec form ["..."] is expected`)
  }
  const parsed: unknown = JSON.parse(trimmed)
  if (!Array.isArray(parsed) || !parsed.every(item => typeof item === 'string')) {
    throw new Error(`Dockerfile line ${instruction.line}: ${instruction.keyword} must be a JSON array of strings`)
  }
  return parsed
}

/** The last `keyword` instruction of a stage (the one Docker uses for CMD, ENTRYPOINT, USER...). */
export function lastInstruction (stage: DockerStage, keyword: string): DockerInstruction | undefined {
  return stage.instructions.filter(instruction => instruction.keyword === keyword).at(-1)
}

/** The variables a stage's ENV instructions set (`ENV A=1 B="x y"` and the legacy `ENV A 1`). */
export function stageEnvironment (stage: DockerStage): Record<string, string> {
  const env: Record<string, string> = {}
  for (const instruction of stage.instructions.filter(i => i.keyword === 'ENV')) {
    const legacy = /^([A-Za-z_][A-Za-z0-9_]*)\s+(?!\S*=)(.*)$/.exec(instruction.args)
    if (legacy !== null) {
      env[legacy[1]] = legacy[2]
      continue
    }
    for (const pair of instruction.args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*"|\S*)/g)) {
      env[pair[1]] = pair[2].startsWith('"') ? pair[2].slice(1, -1).replace(/\\(.)/g, '$1') : pair[2]
    }
  }
  return env
}

/** `HEALTHCHECK [--opt=value...] CMD ...` split into its options and its command (exec form). */
export function parseHealthcheck (instruction: DockerInstruction): { options: Record<string, string>, command: string[] } {
  const match = /^((?:--[\w-]+=\S+\s+)*)CMD\s+(.*)$/s.exec(instruction.args)
  if (match === null) throw new Error(`Dockerfile line ${instruction.line}: HEALTHCHECK must be "[--option=value...] CMD [...]"`)
  const options: Record<string, string> = {}
  for (const option of match[1].trim().split(/\s+/).filter(part => part !== '')) {
    const [name, value] = option.slice(2).split('=', 2)
    options[name] = value
  }
  return { options, command: execForm(instruction, match[2]) }
}

// ---- .dockerignore ----

/**
 * Whether `path` (relative to the build context, `/`-separated) is left out of the context by the
 * .dockerignore `patterns`: the last pattern matching the path or one of its parent directories decides,
 * `!` re-includes (Docker's rules for `*`, `?` and `**`).
 */
export function isExcludedFromContext (path: string, patterns: string[]): boolean {
  const parts = path.split('/').filter(part => part !== '' && part !== '.')
  const prefixes = parts.map((_, i) => parts.slice(0, i + 1).join('/'))
  let excluded = false
  for (const raw of patterns) {
    const negated = raw.startsWith('!')
    const pattern = (negated ? raw.slice(1) : raw).trim().replace(/^\/+/, '').replace(/\/+$/, '')
    if (pattern === '') continue
    const regex = new RegExp('^' + globToRegex(pattern) + '$')
    if (prefixes.some(prefix => regex.test(prefix))) excluded = !negated
  }
  return excluded
}

/** The patterns of a .dockerignore text (comments and blank lines dropped). */
export function parseDockerignore (text: string): string[] {
  return text.split(/\r?\n/).map(line => line.trim()).filter(line => line !== '' && !line.startsWith('#'))
}

function globToRegex (pattern: string): string {
  let out = ''
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i]
    if (char === '*' && pattern[i + 1] === '*') {
      // `**/` matches any number of directories, including none.
      if (pattern[i + 2] === '/') { out += '(?:.*/)?'; i += 2 } else { out += '.*'; i += 1 }
    } else if (char === '*') {
      out += '[^/]*'
    } else if (char === '?') {
      out += '[^/]'
    } else {
      out += char.replace(/[.+^${}()|[\]\\]/g, '\\$&')
    }
  }
  return out
}

// ---- docker-compose.yml ----

export interface ComposeHealthcheck {
  test?: string[] | string
  interval?: string
  timeout?: string
  retries?: number
  start_period?: string
}

export interface ComposeService {
  build?: string | { context: string }
  image?: string
  command?: string[] | string
  entrypoint?: string[] | string
  environment?: Record<string, string | number | boolean | null> | string[]
  ports?: Array<string | number | { target: number | string, published?: number | string, host_ip?: string, protocol?: string }>
  expose?: Array<string | number>
  volumes?: Array<string | { type?: string, source?: string, target: string }>
  healthcheck?: ComposeHealthcheck
  depends_on?: string[] | Record<string, { condition?: string }>
  profiles?: string[]
  network_mode?: string
  deploy?: { replicas?: number | string }
}

export interface ComposeFile {
  services: Record<string, ComposeService>
  volumes?: Record<string, unknown>
}

/** Parses compose YAML (anchors and `<<` merge keys resolved, as Compose does). */
export function parseComposeYaml (text: string): ComposeFile {
  const parsed = parseYaml(text, { merge: true }) as ComposeFile | null
  if (parsed === null || typeof parsed !== 'object' || parsed.services === undefined) {
    throw new Error('compose file: a top-level "services" mapping is expected')
  }
  return parsed
}

export function readComposeFile (path = join(repoRoot, 'docker-compose.yml')): ComposeFile {
  return parseComposeYaml(readFileSync(path, 'utf8'))
}

export function readDockerfile (path = join(repoRoot, 'Dockerfile')): DockerStage[] {
  return parseDockerfile(readFileSync(path, 'utf8'))
}

/** `${NAME}`, `${NAME:-default}`, `${NAME-default}`, `$NAME` and `$$`, as Compose interpolates. */
export function interpolate (value: string, env: Record<string, string | undefined>): string {
  return value.replace(/\$(?:\$|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?-)([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g,
    (whole, braced: string | undefined, operator: string | undefined, fallback: string | undefined, bare: string | undefined) => {
      if (whole === '$$') return '$'
      const name = braced ?? bare ?? ''
      const current = env[name]
      if (operator === ':-') return current === undefined || current === '' ? fallback ?? '' : current
      if (operator === '-') return current === undefined ? fallback ?? '' : current
      return current ?? ''
    })
}

/** The service's environment as a map, interpolated with the host environment `hostEnv`. */
export function serviceEnvironment (service: ComposeService, hostEnv: Record<string, string | undefined>): Record<string, string> {
  const entries: Array<[string, string]> = Array.isArray(service.environment)
    ? service.environment.map(item => {
      const at = item.indexOf('=')
      return at < 0 ? [item, hostEnv[item] ?? ''] : [item.slice(0, at), item.slice(at + 1)]
    })
    : Object.entries(service.environment ?? {}).map(([name, value]) => [name, value === null ? hostEnv[name] ?? '' : String(value)])
  return Object.fromEntries(entries.map(([name, value]) => [name, interpolate(value, hostEnv)]))
}

function asArgv (value: string[] | string, what: string): string[] {
  if (typeof value === 'string') throw new Error(`${what} is a shell string (${value}); use the exec form ["..."]`)
  return value
}

/**
 * The argv a container of `serviceName` runs: the image's ENTRYPOINT followed by the service's command
 * (or the image's CMD), unless the service overrides the entry point.
 */
export function containerArgv (compose: ComposeFile, dockerfile: DockerStage[], serviceName: string): string[] {
  const service = compose.services[serviceName]
  if (service === undefined) throw new Error(`compose file: no service ${serviceName}`)
  const runtime = dockerfile.at(-1)
  if (runtime === undefined) throw new Error('Dockerfile: no FROM')
  const entrypoint = service.entrypoint !== undefined
    ? asArgv(service.entrypoint, `service ${serviceName} entrypoint`)
    : execForm(requireInstruction(runtime, 'ENTRYPOINT'))
  const command = service.command !== undefined
    ? asArgv(service.command, `service ${serviceName} command`)
    : execForm(requireInstruction(runtime, 'CMD'))
  return [...entrypoint, ...command]
}

function requireInstruction (stage: DockerStage, keyword: string): DockerInstruction {
  const found = lastInstruction(stage, keyword)
  if (found === undefined) throw new Error(`Dockerfile: the runtime stage has no ${keyword}`)
  return found
}

/** The image's entry point, `node bin/gossipchain.js`: it runs dist/ (in a checkout, rebuilt first when src/ changed). */
export const IMAGE_ENTRYPOINT = ['node', 'bin/gossipchain.js']

/**
 * The same command run from the source tree: `node --import tsx src/cli.ts ...` (the same program that
 * bin/gossipchain.js runs compiled).
 */
export function sourceArgv (argv: string[]): string[] {
  if (argv[0] !== IMAGE_ENTRYPOINT[0] || argv[1] !== IMAGE_ENTRYPOINT[1]) {
    throw new Error(`expected the container to run ${IMAGE_ENTRYPOINT.join(' ')}, not ${argv.join(' ')}`)
  }
  return [process.execPath, '--import', 'tsx', join(repoRoot, 'src', 'cli.ts'), ...argv.slice(2)]
}

/** Where a published port lands: `127.0.0.1:8000:8000`, `8000:8000/tcp` or the long syntax. */
export interface PortMapping { hostIp: string | undefined, published: number | undefined, target: number, protocol: string }

export function portMappings (service: ComposeService): PortMapping[] {
  return (service.ports ?? []).map(port => {
    if (typeof port === 'object') {
      return {
        hostIp: port.host_ip,
        published: port.published === undefined ? undefined : Number(port.published),
        target: Number(port.target),
        protocol: port.protocol ?? 'tcp'
      }
    }
    const [spec, protocol = 'tcp'] = String(port).split('/')
    const parts = spec.split(':')
    const target = Number(parts.at(-1))
    // `127.0.0.1::8000`: an empty host port means any free one.
    const published = (part: string | undefined): number | undefined => part === undefined || part === '' ? undefined : Number(part)
    if (parts.length === 1) return { hostIp: undefined, published: undefined, target, protocol }
    if (parts.length === 2) return { hostIp: undefined, published: published(parts[0]), target, protocol }
    return { hostIp: parts.slice(0, -2).join(':'), published: published(parts.at(-2)), target, protocol }
  })
}

/** The services a service waits for, with the condition (`service_started` when only listed). */
export function dependsOn (service: ComposeService): Record<string, string> {
  const deps = service.depends_on ?? []
  if (Array.isArray(deps)) return Object.fromEntries(deps.map(name => [name, 'service_started']))
  return Object.fromEntries(Object.entries(deps).map(([name, dep]) => [name, dep?.condition ?? 'service_started']))
}

/** Service names in an order where each one's depends_on come first (how Compose starts them). */
export function startOrder (compose: ComposeFile): string[] {
  const order: string[] = []
  const visiting = new Set<string>()
  const visit = (name: string): void => {
    if (order.includes(name)) return
    if (visiting.has(name)) throw new Error(`compose file: depends_on cycle through ${name}`)
    const service = compose.services[name]
    if (service === undefined) throw new Error(`compose file: depends_on names an unknown service ${name}`)
    visiting.add(name)
    for (const dep of Object.keys(dependsOn(service))) visit(dep)
    visiting.delete(name)
    order.push(name)
  }
  for (const name of Object.keys(compose.services)) visit(name)
  return order
}

/**
 * The shell command of a service's health check: a string test (what docker-compose.yml uses) or
 * `["CMD-SHELL", "..."]` (what `docker-compose config` may print for it). Docker and podman run it with
 * `/bin/sh -c`. Not the exec form: podman-compose 1.0.3 mangles its quoting.
 */
export function healthcheckShell (service: ComposeService, serviceName: string): string {
  const test = service.healthcheck?.test
  if (typeof test === 'string') return test
  if (Array.isArray(test) && test[0] === 'CMD-SHELL' && test.length === 2 && typeof test[1] === 'string') return test[1]
  throw new Error(`service ${serviceName}: healthcheck.test must be a shell string, got ${JSON.stringify(test)}`)
}

/**
 * How many containers `up` starts for a service: none when it belongs only to profiles not enabled
 * (`--profile NAME`), else `deploy.replicas` interpolated with `hostEnv` (1 when unset).
 */
export function replicaCount (service: ComposeService, hostEnv: Record<string, string | undefined>, profiles: string[] = []): number {
  if (service.profiles !== undefined && !service.profiles.some(profile => profiles.includes(profile))) return 0
  const raw = service.deploy?.replicas
  if (raw === undefined) return 1
  const count = Number(typeof raw === 'string' ? interpolate(raw, hostEnv) : raw)
  if (!Number.isInteger(count) || count < 0) throw new Error(`deploy.replicas must be a non-negative integer, got ${JSON.stringify(raw)}`)
  return count
}

/** The services `up` starts (at least one container), in depends_on order. */
export function startedServices (compose: ComposeFile, hostEnv: Record<string, string | undefined>, profiles: string[] = []): string[] {
  return startOrder(compose).filter(name => replicaCount(compose.services[name], hostEnv, profiles) > 0)
}
