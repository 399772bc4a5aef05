// ByteBudget (src/http/byte-budget.ts, docs/design.md §12): token buckets of body bytes per client and for
// all clients, refused before the body is read, refilled with time.
import { expect } from 'chai'
import { ByteBudget } from '../src/http/byte-budget.js'
import { HttpError } from '../src/http/http-error.js'

function refusal (fn: () => void): HttpError {
  try { fn() } catch (err) { if (err instanceof HttpError) return err; throw err }
  throw new Error('expected an HttpError')
}

describe('ByteBudget', () => {
  it('a client in debt is refused (429) until its bucket refills; another client still gets in', () => {
    let now = 0
    const budget = new ByteBudget({ what: 'block bytes', perClient: { rate: 100, burst: 200 }, total: { rate: 1000, burst: 1000 }, now: () => now })
    budget.admit('a'); budget.charge('a', 150)
    budget.admit('a'); budget.charge('a', 150) // into debt by one body
    const err = refusal(() => { budget.admit('a') })
    expect(err).to.include({ status: 429, code: 'RATE_LIMITED' })
    expect(err.headers['Retry-After']).to.equal('1')
    budget.admit('b')
    now = 1000 // +100 bytes: out of debt
    budget.admit('a')
  })

  it('all clients together are refused (503 BUSY) past the total budget', () => {
    let now = 0
    const budget = new ByteBudget({ what: 'block bytes', perClient: { rate: 100, burst: 200 }, total: { rate: 100, burst: 300 }, now: () => now })
    for (const c of ['a', 'b']) { budget.admit(c); budget.charge(c, 200) }
    expect(refusal(() => { budget.admit('c') })).to.include({ status: 503, code: 'BUSY' })
    now = 2000
    budget.admit('c')
  })

  it('refuses bad limits, naming them', () => {
    expect(() => new ByteBudget({ what: 'x', perClient: { rate: 0, burst: 1 }, total: { rate: 1, burst: 1 } })).to.throw(TypeError, /perClient.rate/)
    expect(() => new ByteBudget({ what: 'x', perClient: { rate: 1, burst: 1 }, total: { rate: 1, burst: Number.NaN } })).to.throw(TypeError, /total.burst/)
  })
})
