// `gossipchain devnet` (docs/design.md §10): N node processes on 127.0.0.1 (compiled code) in a random
// connected topology, signed tx load and mining for a while, every node's trace in --out; then
// `gossipchain report DIR`. A progress line shows where it is; every node is stopped at the end and on
// Ctrl-C (the run is then marked interrupted in DIR/devnet.json).
import { InvalidArgumentError } from 'commander'
import { TRACE_FORMATS, type TraceFormat } from '../metrics/trace-format.js'
import { CliError, type CommandRegistrar } from './context.js'
import { progressLine } from './progress.js'

function integer (min: number, max: number) {
  return (value: string): number => {
    if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) throw new InvalidArgumentError(`expected an integer from ${min} to ${max}.`)
    return Number(value)
  }
}

function rate (value: string): number {
  const n = Number(value)
  if (!/^\d+(\.\d+)?$/.test(value) || !(n >= 0 && n <= 10_000)) throw new InvalidArgumentError('expected a number of txs per second from 0 to 10000.')
  return n
}

function seconds (value: string): number {
  const n = Number(value)
  if (!/^\d+(\.\d+)?$/.test(value) || !(n >= 0 && n <= 86_400)) throw new InvalidArgumentError('expected seconds from 0 to 86400.')
  return n
}

function traceFormat (value: string): TraceFormat {
  if (!(TRACE_FORMATS as readonly string[]).includes(value)) throw new InvalidArgumentError(`expected one of ${TRACE_FORMATS.join(', ')}.`)
  return value as TraceFormat
}

/** runs/devnet-YYYYMMDD-HHMMSS (local time). */
function defaultOut (nowMs: number): string {
  const d = new Date(nowMs)
  const p = (n: number): string => String(n).padStart(2, '0')
  return `runs/devnet-${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`
}

interface DevnetOptions {
  nodes: number
  degree: number
  txRate: number
  mineInterval: number
  miners: number
  duration: number
  settle: number
  out?: string
  seed: number
  bits: number
  traceFormat: TraceFormat
}

export const devnetCommand: CommandRegistrar = (program, context) => {
  program.command('devnet')
    .description('run N nodes on 127.0.0.1 with tx load and mining, tracing every node into --out (then: gossipchain report DIR)')
    .requiredOption('--nodes <n>', 'node processes, 2 to 1000', integer(2, 1000))
    .option('--degree <d>', 'links per node in the random connected topology', integer(2, 999), 4)
    .option('--tx-rate <r>', 'signed txs per second, spread over the nodes at random (0: none)', rate, 10)
    .option('--mine-interval <ms>', 'each miner mines its pending txs every this many ms (0: no mining)', integer(0, 3_600_000), 5000)
    .option('--miners <k>', 'how many nodes mine (picked from the seed)', integer(1, 1000), 1)
    .option('--duration <s>', 'seconds of load once the meshes are up', seconds, 30)
    .option('--settle <s>', 'after the load, at most this many seconds for the last messages to propagate (it ends sooner once no node receives anything new for 3 s)', seconds, 30)
    .option('--out <dir>', 'where the traces and devnet.json go (default runs/devnet-<date>-<time>)')
    .option('--seed <n>', 'seed of the topology, the miners and the load\'s targets', integer(0, 2 ** 31 - 1), 1)
    .option('--bits <n>', 'proof-of-work difficulty of the devnet', integer(0, 32), 8)
    .option('--trace-format <format>', `trace format of every node: ${TRACE_FORMATS.join(' or ')}`, traceFormat, 'ndjson')
    .action(async (opts: DevnetOptions) => {
      if (opts.degree >= opts.nodes) throw new CliError(`--degree must be below --nodes (${opts.nodes}), got ${opts.degree}`)
      if (opts.miners > opts.nodes) throw new CliError(`--miners must be at most --nodes (${opts.nodes}), got ${opts.miners}`)
      const out = opts.out ?? defaultOut(context.nowMs())
      const [{ runDevnet }, { writeManifest }] = await Promise.all([import('../devnet/run.js'), import('../devnet/manifest.js')])
      const progress = progressLine({ write: context.stderr, tty: process.stderr.isTTY === true, columns: process.stderr.columns })
      const abort = new AbortController()
      let run: ReturnType<typeof runDevnet>
      try {
        run = runDevnet({
          nodes: opts.nodes,
          degree: opts.degree,
          seed: opts.seed,
          bits: opts.bits,
          txRate: opts.txRate,
          mineIntervalMs: opts.mineInterval,
          miners: opts.miners,
          durationMs: Math.round(opts.duration * 1000),
          settleMs: Math.round(opts.settle * 1000),
          out,
          traceFormat: opts.traceFormat,
          signal: abort.signal,
          onStatus: (s) => {
            switch (s.phase) {
              case 'starting': progress.update(`starting nodes ${s.started}/${s.total}`); break
              case 'meshing': progress.update(`${opts.nodes} nodes up; waiting for every link and gossip mesh`); break
              case 'running': {
                const load = s.load === undefined
                  ? 'no tx load'
                  : `txs ${s.load.sent} sent, ${s.load.accepted} accepted${s.load.refused + s.load.failed > 0 ? `, ${s.load.refused} refused, ${s.load.failed} failed` : ''}`
                progress.update(`${(s.elapsedMs / 1000).toFixed(1)}/${(s.durationMs / 1000).toFixed(0)} s | ${load} | head #${s.height ?? '?'} on node 0`)
                break
              }
              case 'settling': progress.update(`load done; letting the last messages propagate (${(s.elapsedMs / 1000).toFixed(0)}/${(s.maxMs / 1000).toFixed(0)} s${s.received !== undefined ? `, ${s.received} received by all nodes` : ''})`); break
              case 'stopping': progress.update(`stopping ${opts.nodes} nodes (flushing traces)`); break
            }
          }
        })
      } catch (err) {
        throw new CliError((err as Error).message)
      }
      // Ctrl-C: stop the load and mark the run interrupted now (src/devnet stops every node and exits 130).
      const onSignal = (): void => {
        abort.abort()
        try { writeManifest(out, { ...run.manifest(), interrupted: true, endedAt: Date.now() }) } catch {}
        progress.done('interrupted: stopping every node')
      }
      process.once('SIGINT', onSignal)
      process.once('SIGTERM', onSignal)
      try {
        const manifest = await run.done
        const load = manifest.load
        progress.done(`devnet of ${opts.nodes} nodes done${load === undefined
          ? ''
          : `: ${load.accepted}/${load.sent} txs accepted${manifest.settle?.quiet === false ? `; still propagating after --settle ${opts.settle} s` : ''}${load.unsent > 0 ? `, ${load.unsent} not sent (the devnet fell behind ${opts.txRate} tx/s)` : ''}${load.refused > 0 ? `; refused: ${JSON.stringify(load.refusals)}` : ''}${load.failed > 0 ? `; failed requests: ${JSON.stringify(load.errors)}` : ''}`}`)
        context.stdout(`traces and devnet.json in ${out}\nnext: gossipchain report ${out}\n`)
      } catch (err) {
        progress.done()
        throw err instanceof Error ? new CliError(`devnet failed: ${err.message}`) : err
      } finally {
        process.off('SIGINT', onSignal)
        process.off('SIGTERM', onSignal)
      }
    })
}
