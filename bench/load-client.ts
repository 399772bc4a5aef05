// The ingest benchmark's load generator (docs/design.md §11), in its own process so that its CPU is counted
// apart: autocannon POSTs one pre-signed tx per request (every request a distinct tx, read from an NDJSON
// file, one body per line) to a node's /new_transaction over keep-alive connections, and records the
// status of every request by its line. Prints one JSON line: {statuses, accepted: line numbers answered
// 201, latency, seconds, requestsPerSecond, errors, timeouts}.
//
//   node --import tsx bench/load-client.ts URL BODIES.ndjson CONNECTIONS [RATE_PER_SECOND]
import { readFileSync } from 'node:fs'
import autocannon from 'autocannon'

const [url, file, connectionsArg, rateArg] = process.argv.slice(2)
const bodies = readFileSync(file, 'utf8').split('\n').filter(line => line !== '')
const connections = Number(connectionsArg)
const rate = rateArg === undefined ? undefined : Number(rateArg)
const statuses: Record<string, number> = {}
const accepted: number[] = []
let next = 0

interface Context { line?: number }

const instance = autocannon({
  url,
  connections,
  amount: bodies.length,
  overallRate: rate,
  timeout: 30,
  requests: [{
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
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx
  }
  process.stdout.write(JSON.stringify(out) + '\n')
})
process.once('SIGTERM', () => { instance.stop() })
