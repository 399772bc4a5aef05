// fast-check properties of the pure rules: Merkle proofs, header encoding, proof-of-work search.
import { expect } from 'chai'
import fc from 'fast-check'
import {
  buildMerkleProofFromLeaves, computeBlockHash, decodeHeader, encodeHeader, headerPrefix, leadingZeroBits,
  meetsProofOfWork, merkleLeafHash, merkleRoot, searchNonce, toHex, fromHex, canonicalJson, verifyMerkleProof,
  type HeaderFields, type MerkleProof
} from '../src/core/index.js'

const leafArb = fc.uint8Array({ minLength: 0, maxLength: 8 })
/** Trees of 1..40 distinct leaves (distinct so a wrong index cannot land on an equal leaf). */
const treeArb = fc.uniqueArray(leafArb, { minLength: 1, maxLength: 40, selector: a => toHex(a) })
  .map(data => data.map(d => merkleLeafHash(d)))
const treeWithIndexArb = treeArb.chain(leaves => fc.record({ leaves: fc.constant(leaves), index: fc.nat(leaves.length - 1) }))

const hex32Arb = fc.uint8Array({ minLength: 32, maxLength: 32 }).map(toHex)
const headerArb: fc.Arbitrary<HeaderFields> = fc.record({
  version: fc.integer({ min: 0, max: 0xffff }),
  index: fc.oneof(fc.nat(1000), fc.maxSafeNat()),
  previous_hash: hex32Arb,
  tx_root: hex32Arb,
  timestamp: fc.oneof(fc.nat(9_007_199_254_740), fc.integer({ min: 0, max: 4_102_444_800_000 }).map(ms => ms / 1000)),
  bits: fc.integer({ min: 0, max: 255 }),
  nonce: fc.oneof(fc.nat(), fc.maxSafeNat(), fc.constant(2 ** 32 - 1), fc.constant(2 ** 32))
})

describe('core properties', () => {
  it('any Merkle proof of any leaf of any tree verifies against the root', () => {
    fc.assert(fc.property(treeWithIndexArb, ({ leaves, index }) => {
      const proof = buildMerkleProofFromLeaves(leaves, index)
      return verifyMerkleProofHex(leaves[index], proof, merkleRoot(leaves))
    }), { numRuns: 300 })
  })

  it('flipping any bit of a proof sibling, of the leaf or of the root makes it fail', () => {
    fc.assert(fc.property(treeWithIndexArb, fc.nat(), fc.nat(255), ({ leaves, index }, pick, bit) => {
      const proof = buildMerkleProofFromLeaves(leaves, index)
      const root = merkleRoot(leaves)
      const leaf = leaves[index]
      if (proof.siblings.length > 0) {
        const s = pick % proof.siblings.length
        const siblings = [...proof.siblings]
        siblings[s] = flipHex(siblings[s], bit)
        expect(verifyMerkleProofHex(leaf, { ...proof, siblings }, root), 'sibling').to.equal(false)
      }
      expect(verifyMerkleProofHex(flipBit(leaf, bit), proof, root), 'leaf').to.equal(false)
      expect(verifyMerkleProofHex(leaf, proof, flipBit(root, bit)), 'root').to.equal(false)
    }), { numRuns: 300 })
  })

  it('a proof presented for another index, or with a sibling dropped or added, fails', () => {
    fc.assert(fc.property(treeWithIndexArb, fc.nat(), ({ leaves, index }, other) => {
      const proof = buildMerkleProofFromLeaves(leaves, index)
      const root = merkleRoot(leaves)
      const j = other % leaves.length
      if (j !== index) expect(verifyMerkleProofHex(leaves[index], { ...proof, index: j }, root), 'index').to.equal(false)
      if (proof.siblings.length > 0) expect(verifyMerkleProofHex(leaves[index], { ...proof, siblings: proof.siblings.slice(1) }, root), 'dropped').to.equal(false)
      expect(verifyMerkleProofHex(leaves[index], { ...proof, siblings: [...proof.siblings, toHex(root)] }, root), 'added').to.equal(false)
    }), { numRuns: 300 })
  })

  it('encodeHeader round-trips every field (decodeHeader), and the hash is sha256 of those bytes', () => {
    fc.assert(fc.property(headerArb, h => {
      const bytes = encodeHeader(h)
      expect(bytes.length).to.equal(91)
      expect(decodeHeader(bytes)).to.deep.equal(h)
      expect(toHex(headerPrefix(h))).to.equal(toHex(bytes.subarray(0, 83)))
    }), { numRuns: 500 })
  })

  it('searchNonce returns a nonce whose header hash (computeBlockHash) meets the proof of work', () => {
    fc.assert(fc.property(headerArb, fc.integer({ min: 0, max: 10 }), fc.oneof(fc.nat(), fc.constant(2 ** 32 - 3), fc.constant(Number.MAX_SAFE_INTEGER - 5000)),
      (h, bits, start) => {
        const found = searchNonce(headerPrefix(h), bits, start, 50_000)
        const last = Math.min(start + 50_000 - 1, Number.MAX_SAFE_INTEGER)
        if (found === null) {
          // A full window of 50,000 tries misses at 10 bits with p < 1e-21; a window cut short by the last
          // safe nonce (start = MAX_SAFE_INTEGER - 5000: 5,001 tries, p(miss) ~ 0.8% at 10 bits) may
          // rightly find nothing, and then no nonce of it meets the target.
          expect(last - start + 1, 'a nonce within a full window of 50,000 tries').to.be.below(50_000)
          for (let n = start; n <= last; n++) expect(leadingZeroBits(fromHex(computeBlockHash({ ...h, nonce: n }), 'h'))).to.be.below(bits)
          return
        }
        expect(found.nonce).to.be.within(start, Number.MAX_SAFE_INTEGER)
        expect(computeBlockHash({ ...h, nonce: found.nonce })).to.equal(found.hash)
        expect(meetsProofOfWork(found.hash, bits)).to.equal(true)
        // It is the first such nonce from start.
        for (let n = start; n < found.nonce; n++) expect(leadingZeroBits(fromHex(computeBlockHash({ ...h, nonce: n }), 'h'))).to.be.below(bits)
      }), { numRuns: 60 })
  })

  it('canonicalJson is independent of key order and stable under JSON round-trips', () => {
    fc.assert(fc.property(fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.double({ noNaN: true, noDefaultInfinity: true }))), obj => {
      const reversed = Object.fromEntries(Object.entries(obj).reverse())
      const c = canonicalJson(obj)
      expect(canonicalJson(reversed)).to.equal(c)
      expect(canonicalJson(JSON.parse(c))).to.equal(c)
    }), { numRuns: 300 })
  })
})

function verifyMerkleProofHex (leaf: Uint8Array, proof: MerkleProof, root: Uint8Array): boolean {
  return verifyMerkleProof(leaf, proof, toHex(root))
}

function flipBit (bytes: Uint8Array, bit: number): Uint8Array {
  const out = Uint8Array.from(bytes)
  out[(bit >> 3) % out.length] ^= 1 << (bit & 7)
  return out
}

function flipHex (hex: string, bit: number): string {
  return toHex(flipBit(fromHex(hex, 'sibling'), bit))
}
