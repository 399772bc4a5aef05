// The reliability battery's attacks in their quick form (reliability/, RELIABILITY.md): each runs against
// real node processes and must pass its functional checks: the attack is refused the way docs/design.md
// §12 says, the honest client and the honest peer are still served, nothing acknowledged is lost. The
// timing and memory bars are for `npm run reliability`, never asserted here.
import { expect } from 'chai'
import { killAll } from '../src/devnet/index.js'
import { SCENARIOS, scenarioNames } from '../reliability/scenarios.js'

describe('reliability battery, quick (issue 7: each defect as an attack, and the old guarantees)', function () {
  this.timeout(240_000)
  afterEach(async () => { await killAll() })

  for (const name of scenarioNames()) {
    it(`${name}: the node holds (functional checks)`, async () => {
      const result = await SCENARIOS[name]({ quick: true, log: () => {} })
      const failed = Object.entries(result.checks).filter(([, ok]) => !ok).map(([check]) => check)
      expect(failed, `${name} failed ${failed.join(', ')}: ${JSON.stringify(result.figures).slice(0, 2000)}`).to.deep.equal([])
      expect(result.figures.lost).to.deep.include({ txs: 0, blocks: 0 })
    })
  }
})
