// The progress line of long commands (src/cli/progress.ts): into a pipe, the first state at once and
// then at most one line per interval, the final state always; on a terminal, rewritten in place.
import { expect } from 'chai'
import { progressLine } from '../src/cli/progress.js'

describe('progressLine (src/cli/progress.ts)', () => {
  it('into a pipe: the first state at once (even at clock 0), then one line per interval, and the last state at done()', () => {
    const out: string[] = []
    let now = 0
    const p = progressLine({ write: t => { out.push(t) }, tty: false, pipeEveryMs: 5000, now: () => now })
    p.update('starting nodes 1/8')
    expect(out).to.deep.equal(['starting nodes 1/8\n'])
    now = 4999
    p.update('starting nodes 8/8')
    expect(out).to.have.length(1)
    now = 5000
    p.update('1.0/6 s')
    now = 6000
    p.update('2.0/6 s')
    p.done('done')
    expect(out).to.deep.equal(['starting nodes 1/8\n', '1.0/6 s\n', 'done\n'])
  })

  it('on a terminal: rewrites one line in place, cut to the width; log() keeps a line above it', () => {
    const out: string[] = []
    let now = 0
    const p = progressLine({ write: t => { out.push(t) }, tty: true, columns: 20, now: () => now })
    p.update('a'.repeat(30))
    expect(out).to.deep.equal([`\r\x1b[2K${'a'.repeat(18)}…`])
    now = 100
    p.update('too soon')
    expect(out).to.have.length(1)
    p.log('a message')
    expect(out.slice(1)).to.deep.equal(['\r\x1b[2K', 'a message\n', 'too soon'])
    p.done()
    expect(out.at(-1)).to.equal('\r\x1b[2Ktoo soon\n')
  })
})
