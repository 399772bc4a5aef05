// Runs the independent cross-check (test/crosscheck/crosscheck.py: Python hashlib + python3-
// cryptography, or the openssl command line) over the known-answer vectors. Skips, saying why,
// only when no python3 with either signature backend exists.
import { expect } from 'chai'
import { spawnSync } from 'node:child_process'
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const SCRIPT = fileURLToPath(new URL('./crosscheck/crosscheck.py', import.meta.url))
const VECTORS = fileURLToPath(new URL('./vectors/', import.meta.url))
/** Debian's interpreter has python3-cryptography; a pyenv `python3` on PATH may not. */
const PYTHONS = ['/usr/bin/python3', 'python3']
const SKIPPED = 77

function run (python: string, args: string[]): { status: number | null, out: string } {
  const r = spawnSync(python, [SCRIPT, ...args], { encoding: 'utf8', timeout: 15_000 })
  return { status: r.error !== undefined ? null : r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}` }
}

/** The first python3 whose run of the script does not skip, with its result. */
function firstWorking (args: string[] = []): { python: string, status: number | null, out: string } | { skip: string } {
  const reasons: string[] = []
  for (const python of PYTHONS) {
    const r = run(python, args)
    if (r.status === null) { reasons.push(`${python}: not found`); continue }
    if (r.status === SKIPPED) { reasons.push(`${python}: ${r.out.trim()}`); continue }
    return { python, ...r }
  }
  return { skip: reasons.join('; ') }
}

describe('core crosscheck (independent implementation)', function () {
  this.timeout(30_000)

  it('recomputes every vector: header hashes, Merkle roots, JCS payloads, ids, Ed25519 and RSA signatures', function () {
    const r = firstWorking()
    if ('skip' in r) {
      console.log(`      skipped: needs python3 with python3-cryptography or an openssl with Ed25519 (${r.skip})`)
      this.skip()
    }
    expect(r.status, r.out).to.equal(0)
    expect(r.out).to.match(/^OK: \d+ checks, 0 mismatches/m)
  })

  it('agrees through the openssl command line too', function () {
    const r = firstWorking(['--openssl'])
    if ('skip' in r) {
      console.log(`      skipped: no openssl with Ed25519 (${r.skip})`)
      this.skip()
    }
    expect(r.status, r.out).to.equal(0)
    expect(r.out).to.match(/signatures via openssl/)
  })

  it('is not vacuous: a corrupted vector is reported', function () {
    const dir = mkdtempSync(join(tmpdir(), 'gossipchain-vectors-'))
    try {
      cpSync(VECTORS, dir, { recursive: true })
      const headers = JSON.parse(readFileSync(join(dir, 'headers.json'), 'utf8'))
      headers[1].hash = headers[1].hash.replace(/^./, (c: string) => (c === '0' ? '1' : '0'))
      writeFileSync(join(dir, 'headers.json'), JSON.stringify(headers))
      const txs = JSON.parse(readFileSync(join(dir, 'txs.json'), 'utf8'))
      txs.ed25519[0].tx.data += '!'
      writeFileSync(join(dir, 'txs.json'), JSON.stringify(txs))
      const r = firstWorking([dir])
      if ('skip' in r) this.skip()
      expect(r.status, r.out).to.equal(1)
      expect(r.out).to.match(/MISMATCH: header small values: hash differs/)
      expect(r.out).to.match(/MISMATCH: ed25519 minimal record: signing payload/)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
