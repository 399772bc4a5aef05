// Proof-of-work search (src/core/pow.ts): the midstate kernel agrees with the reference hash
// everywhere the nonce's bytes change shape, and the generated kernel is current.
import { expect } from 'chai'
import { readFileSync } from 'node:fs'
import {
  blockWork, computeBlockHash, createBlockTemplate, fromHex, hashHeaderWithNonce, headerPrefix, leadingZeroBits,
  meetsProofOfWork, mineBlock, searchNonce, type HeaderFields
} from '../src/core/index.js'
import { KERNEL_PATH, renderKernel } from './vectors/generate-pow-kernel.js'
import { TEST_GENESIS, makeTx } from './core-fixtures.js'

const header: HeaderFields = {
  version: 1, index: 7, previous_hash: 'ab'.repeat(32), tx_root: 'cd'.repeat(32), timestamp: 1767225600.123, bits: 0, nonce: 0
}
const zeros = (hash: string): number => leadingZeroBits(fromHex(hash, 'hash'))

describe('core pow', () => {
  it('the committed kernel is what test/vectors/generate-pow-kernel.ts renders', () => {
    expect(readFileSync(KERNEL_PATH, 'utf8')).to.equal(renderKernel())
  })

  it('hashes every nonce like computeBlockHash, across byte and word boundaries', () => {
    const prefix = headerPrefix(header)
    const nonces = [0, 1, 255, 256, 65535, 65536, 2 ** 24 - 1, 2 ** 24, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1, 2 ** 40 + 5, 2 ** 48 - 1, Number.MAX_SAFE_INTEGER]
    for (const nonce of nonces) {
      const expected = computeBlockHash({ ...header, nonce })
      expect(searchNonce(prefix, 0, nonce, 1), `nonce ${nonce}`).to.deep.equal({ nonce, hash: expected })
      expect(hashHeaderWithNonce(prefix, nonce), `reference ${nonce}`).to.equal(expected)
    }
  })

  it('finds the first qualifying nonce in a range that crosses 2^32 (the low word wraps)', () => {
    const prefix = headerPrefix(header)
    const start = 2 ** 32 - 40
    const hashes = Array.from({ length: 400 }, (_, i) => computeBlockHash({ ...header, nonce: start + i }))
    // A target none of the nonces before the wrap meets, so the first hit lies after it.
    const target = Math.max(...hashes.slice(0, 40).map(zeros)) + 1
    const expectedIndex = hashes.findIndex(h => zeros(h) >= target)
    expect(expectedIndex, 'the fixed header has a hit after the wrap').to.be.at.least(40)
    expect(searchNonce(prefix, target, start, 400)).to.deep.equal({ nonce: start + expectedIndex, hash: hashes[expectedIndex] })
  })

  it('returns null when no nonce in the range qualifies, and stops at 2^53 - 1', () => {
    expect(searchNonce(headerPrefix(header), 64, 0, 2000)).to.equal(null)
    expect(searchNonce(headerPrefix(header), 256, Number.MAX_SAFE_INTEGER - 3, 100)).to.equal(null)
    expect(searchNonce(headerPrefix(header), 0, 5, 0)).to.equal(null)
  })

  it('rejects bad arguments with errors naming them', () => {
    expect(() => searchNonce(new Uint8Array(82), 8, 0, 1)).to.throw(TypeError, /prefix/)
    expect(() => searchNonce(headerPrefix(header), 257, 0, 1)).to.throw(RangeError, /bits/)
    expect(() => searchNonce(headerPrefix(header), 8, -1, 1)).to.throw(RangeError, /startNonce/)
    expect(() => searchNonce(headerPrefix(header), 8, 0, 1.5)).to.throw(RangeError, /count/)
  })

  it('mineBlock produces a block whose hash meets its bits; blockWork is 2^bits', () => {
    const block = mineBlock(createBlockTemplate(TEST_GENESIS, [makeTx(1)], TEST_GENESIS.timestamp + 1, 12))
    expect(block).not.to.equal(null)
    expect(computeBlockHash(block!)).to.equal(block!.hash)
    expect(meetsProofOfWork(block!.hash, 12)).to.equal(true)
    expect(blockWork(0)).to.equal(1n)
    expect(blockWork(16)).to.equal(65536n)
    expect(blockWork(255)).to.equal(2n ** 255n)
  })

  it('meetsProofOfWork counts bits, not hex digits', () => {
    const hash = '0f' + 'ff'.repeat(31)
    expect(meetsProofOfWork(hash, 4)).to.equal(true)
    expect(meetsProofOfWork(hash, 5)).to.equal(false)
    expect(meetsProofOfWork('00'.repeat(32), 256)).to.equal(true)
    expect(leadingZeroBits(fromHex('0001' + '00'.repeat(30), 'h'))).to.equal(15)
  })
})
