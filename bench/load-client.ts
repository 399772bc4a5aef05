// The benchmarks' load generator (docs/design.md §11), in its own process so that its CPU is counted apart.
// POST mode: autocannon POSTs one pre-signed tx per request (every request a distinct tx, read from an
// NDJSON file, one body per line) to a node's /new_transaction over keep-alive connections, and records
// the status of every request by its line. GET mode: GET one path for a fixed time. Prints one JSON line:
// {statuses, accepted: line numbers answered 201, latency, seconds, requests, requestsPerSecond, bytes, errors, timeouts}.
//
//   node --import tsx bench/load-client.ts --url URL --bodies BODIES.ndjson --connections N [--rate PER_SECOND]
//   node --import tsx bench/load-client.ts --url URL --get PATH --connections N --duration SECONDS
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import autocannon from 'autocannon'

const { values } = parseArgs({
  options: {
    url: { type: 'string' }, bodies: { type: 'string' }, get: { type: 'string' },
    connections: { type: 'string', default: '64' }, rate: { type: 'string' }, duration: { type: 'string', default: '5' }
  }
})
const url = values.url!
const bodies = values.bodies === undefined ? [] : readFileSync(values.bodies, 'utf8').split('\n').filter(line => line !== '')
const connections = Number(values.connections)
const rate = values.rate === undefined ? undefined : Number(values.rate)
const statuses: Record<string, number> = {}
const accepted: number[] = []
let next = 0

interface Context { line?: number }

const requests: autocannon.Request[] = values.get !== undefined
  ? [{
      method: 'GET',
      path: values.get,
      onResponse: (status: number) => { statuses[status] = (statuses[status] ?? 0) + 1 }
    }]
  : [{
    method: 'POST',
    path: '/new_transaction',
    headers: { 'content-type': 'application/json' },
    setupRequest: (req: Record<string, unknown>, context: Context) => {
      const line = next++
      context.line = line
      return { ...req, body: bodies[line % bodies.length] }
    },
    onResponse: (status: number, _body: string, context: Context) => {
      statuses[status] = (statuses[status] ?? 0) + 1
      if (status === 201 && context.line !== undefined) accepted.push(context.line)
    }
  }]

const instance = autocannon({
  url,
  connections,
  ...(values.get !== undefined ? { duration: Number(values.duration) } : { amount: bodies.length }),
  overallRate: rate,
  timeout: 30,
  requests
}, (err, result) => {
  if (err != null) {
    process.stderr.write(`load-client: ${err.message}\n`)
    process.exit(1)
  }
  const out = {
    statuses,
    accepted,
    latency: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max },
    seconds: result.duration,
    requests: result.requests.total,
    requestsPerSecond: result.requests.total / result.duration,
    bytes: result.throughput.total,
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx
  }
  process.stdout.write(JSON.stringify(out) + '\n')
})
process.once('SIGTERM', () => { instance.stop() })
