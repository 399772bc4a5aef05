// `npm run reliability [-- NAME ...] [--quick] [--equal-priority]` (RELIABILITY.md): runs each attack of issue 7 and the old
// guarantees against real node processes, prints the figures, writes reliability/results/NAME.json and
// exits non-zero when a bar is not met. Without a NAME it runs them all.
import '../src/polyfill.js'
import { parseArgs } from 'node:util'
import { killAll } from '../src/devnet/index.js'
import { SCENARIOS, scenarioNames } from './scenarios.js'
import { priorityModel, setPriorityModel, writeResult, type ScenarioResult } from './harness.js'
import { writeReliabilityTable } from './report.js'

function describeResult (r: ScenarioResult): string[] {
  const f = r.figures
  const lines = [`${r.met ? 'PASS' : 'FAIL'} ${r.name} (defect ${r.defect}): ${r.description}`]
  if (f.baseline !== undefined && f.attack !== undefined) {
    lines.push(`  honest POST /new_transaction: without attack p50 ${f.baseline.p50} ms p99 ${f.baseline.p99} ms (n=${f.baseline.n}), ` +
      `during p50 ${f.attack.p50} ms p99 ${f.attack.p99} ms (n=${f.attack.n}${Object.keys(f.attack.errors).length > 0 ? `, refused ${JSON.stringify(f.attack.errors)}` : ''}): ${f.p99Ratio}x`)
  }
  if (f.blockDelayMs !== undefined) lines.push(`  honest block reached the victim in ${f.blockDelayMs} ms (without attack ${String(f.baselineBlockMs)} ms)`)
  if (f.rssMaxMb !== undefined) lines.push(`  victim RSS at most ${f.rssMaxMb} MB`)
  if (f.lost !== undefined) lines.push(`  lost: ${f.lost.txs} acknowledged txs, ${f.lost.blocks} acknowledged blocks${f.lost.examples.length > 0 ? ` (${f.lost.examples.join('; ')})` : ''}`)
  for (const [name, bar] of Object.entries(r.bars)) lines.push(`  bar ${name}: ${bar.value} (limit ${bar.limit}) ${bar.met ? 'met' : 'NOT MET'}`)
  const failed = Object.entries(r.checks).filter(([, ok]) => !ok).map(([name]) => name)
  lines.push(`  checks: ${Object.keys(r.checks).length - failed.length}/${Object.keys(r.checks).length} passed${failed.length > 0 ? `; failed: ${failed.join(', ')}` : ''}`)
  return lines
}

async function main (): Promise<number> {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { quick: { type: 'boolean', default: false }, 'equal-priority': { type: 'boolean', default: false } } })
  const names = positionals.length === 0 ? scenarioNames() : positionals
  for (const name of names) {
    if (!(name in SCENARIOS)) throw new RangeError(`unknown scenario "${name}"; one of: ${scenarioNames().join(', ')}`)
  }
  const log = (line: string): void => { process.stderr.write(`[reliability ${new Date().toISOString().slice(11, 19)}] ${line}\n`) }
  setPriorityModel(values['equal-priority'] === true ? 'equal' : 'own-machines') // RELIABILITY.md, Priorities
  const onSignal = (): void => { void killAll().finally(() => process.exit(130)) }
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  let failed = 0
  for (const name of names) {
    log(`${name}: starting`)
    let result: ScenarioResult
    try {
      result = await SCENARIOS[name]({ quick: values.quick === true, log })
    } catch (err) {
      log(`${name}: could not run: ${(err as Error).stack ?? String(err)}`)
      failed++
      await killAll()
      continue
    }
    result.priorities = priorityModel()
    const path = await writeResult(result)
    for (const line of describeResult(result)) process.stdout.write(line + '\n')
    process.stdout.write(`  -> ${path}\n\n`)
    if (!result.met) failed++
  }
  await killAll()
  if (values.quick !== true) {
    const path = await writeReliabilityTable()
    process.stdout.write(`figures written to ${path}\n`)
  }
  process.stdout.write(`${names.length - failed} of ${names.length} scenarios met every bar\n`)
  return failed === 0 ? 0 : 1
}

main().then(code => { process.exit(code) }, err => {
  // A bad argument is the user's to fix: one line, no stack (node:util parseArgs codes, unknown scenario).
  const usage = err instanceof RangeError || String((err as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS')
  process.stderr.write(usage ? `reliability: ${(err as Error).message}\n` : `${(err as Error).stack ?? String(err)}\n`)
  void killAll().finally(() => process.exit(2))
})
