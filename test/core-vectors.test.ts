// Known-answer vectors (test/vectors/*.json, written by test/vectors/generate.ts and recomputed
// independently by test/crosscheck/crosscheck.py). Every test loops over a vector file.
import { expect } from 'chai'
import {
  buildMerkleProofFromLeaves, canonicalJson, computeBlockHash, computeTxRoot, decodeHeader,
  encodeHeader, fromHex, genesisBlock, leadingZeroBits, merkleLeafHash, merkleRoot, networkId, parseLegacySubmission,
  parseTx, signTx, toHex, txLeafHash, txSigningPayload, verifyMerkleProof, verifyTx,
  type Block, type Ed25519Signer, type HeaderFields, type MerkleProof, type NetworkParams, type SignatureVerifier, type Tx
} from '../src/core/index.js'
import { createBrowserVerifier, ed25519PublicKey, nobleEd25519Signer } from '../src/crypto/browser-ed25519.js'
import { ed25519PublicKeyFromSeed, nodeEd25519Signer } from '../src/crypto/node-ed25519.js'
import { loadVector, verifier } from './core-fixtures.js'

/** The two implementations behind core's interfaces: the node's (OpenSSL) and the page's (noble, WebCrypto). */
const implementations: Array<{ name: string, signer: (seed: Uint8Array) => Ed25519Signer, publicKey: (seed: Uint8Array) => Uint8Array, verifier: SignatureVerifier }> = [
  { name: 'node:crypto', signer: nodeEd25519Signer, publicKey: ed25519PublicKeyFromSeed, verifier },
  { name: 'noble/WebCrypto', signer: nobleEd25519Signer, publicKey: ed25519PublicKey, verifier: createBrowserVerifier() }
]

interface HeaderVector { name: string, fields: HeaderFields, headerHex: string, hash: string, leadingZeroBits: number }
interface GenesisVector { params: NetworkParams, headerHex: string, hash: string, networkId: string, block: Block, others: Array<{ params: NetworkParams, hash: string, networkId: string }> }
interface TxVectors {
  network: string
  ed25519: Array<{ name: string, seedHex: string, publicKey: string, tx: Tx & { scheme: 'ed25519' }, payloadHex: string, jcs: string, leafHash: string }>
  rsaLegacy: Array<{ name: string, body: unknown, nowMs: number, tx: Tx, idPreimage: string, jcs: string, leafHash: string }>
}
interface MerkleVectors {
  rfc6962: { leafData: string[], roots: string[] }
  trees: Array<{ leafData: string[], root: string }>
  proofs: Array<{ leafHash: string, proof: MerkleProof, root: string }>
  txRoot: { txs: Tx[], leafHashes: string[], root: string }
}

describe('core vectors: block headers', () => {
  for (const v of loadVector<HeaderVector[]>('headers.json')) {
    it(`${v.name}: header bytes, hash, leading zeros, decode`, () => {
      const bytes = encodeHeader(v.fields)
      expect(bytes.length).to.equal(91)
      expect(toHex(bytes)).to.equal(v.headerHex)
      expect(computeBlockHash(v.fields)).to.equal(v.hash)
      expect(leadingZeroBits(fromHex(v.hash, 'hash'))).to.equal(v.leadingZeroBits)
      expect(decodeHeader(bytes)).to.deep.equal(v.fields)
    })
  }
})

describe('core vectors: genesis and network id', () => {
  const v = loadVector<GenesisVector>('genesis.json')
  it('the default network {gossipchain-dev, 1767225600, 16}', () => {
    const g = genesisBlock(v.params)
    expect(g).to.deep.equal(v.block)
    expect(toHex(encodeHeader(g))).to.equal(v.headerHex)
    expect(g.hash).to.equal(v.hash)
    expect(networkId(v.params)).to.equal(v.networkId)
  })
  for (const other of v.others) {
    it(`network ${JSON.stringify(other.params)}`, () => {
      expect(genesisBlock(other.params).hash).to.equal(other.hash)
      expect(networkId(other.params)).to.equal(other.networkId)
    })
  }
})

describe('core vectors: transactions', () => {
  const v = loadVector<TxVectors>('txs.json')
  for (const impl of implementations) {
    for (const t of v.ed25519) {
      it(`ed25519 ${t.name} (${impl.name}): key, payload, signature, id, JCS, leaf`, async () => {
        const seed = fromHex(t.seedHex, 'seed', 32)
        expect(toHex(impl.publicKey(seed))).to.equal(t.publicKey)
        const { receiverPK, item, data, timestamp, nonce } = t.tx
        expect(signTx({ receiverPK, item, data, timestamp, nonce }, impl.signer(seed), v.network)).to.deep.equal(t.tx)
        expect(toHex(txSigningPayload(t.tx, v.network))).to.equal(t.payloadHex)
        expect(parseTx(t.tx)).to.deep.equal(t.tx)
        expect(canonicalJson(t.tx)).to.equal(t.jcs)
        expect(toHex(txLeafHash(t.tx))).to.equal(t.leafHash)
        await verifyTx(t.tx, { network: v.network, nowMs: 1767225600_000, verifier: impl.verifier })
      })
    }
    for (const t of v.rsaLegacy) {
      it(`rsa-legacy ${t.name} (${impl.name}): stamp, id, JCS, leaf, signature`, async () => {
        const tx = parseLegacySubmission(t.body, t.nowMs)
        expect(tx).to.deep.equal(t.tx)
        expect(canonicalJson({ scheme: tx.scheme, senderPK: tx.senderPK, signature: tx.signature, data: tx.data })).to.equal(t.idPreimage)
        expect(parseTx(t.tx)).to.deep.equal(t.tx)
        expect(canonicalJson(t.tx)).to.equal(t.jcs)
        expect(toHex(txLeafHash(t.tx))).to.equal(t.leafHash)
        await verifyTx(tx, { network: v.network, nowMs: t.nowMs, verifier: impl.verifier })
      })
    }
    it(`RFC 8032 test 1 (${impl.name}): Ed25519 public key and signature of the empty message`, async () => {
      const seed = fromHex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60', 'seed', 32)
      const publicKey = impl.publicKey(seed)
      expect(toHex(publicKey)).to.equal('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a')
      const signature = impl.signer(seed).sign(new Uint8Array(0))
      expect(toHex(signature)).to.equal(
        'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b')
      expect(await impl.verifier.verifyEd25519(publicKey, new Uint8Array(0), signature)).to.equal(true)
      expect(await impl.verifier.verifyEd25519(publicKey, new Uint8Array(1), signature)).to.equal(false)
    })
  }
})

describe('core vectors: Merkle trees', () => {
  const v = loadVector<MerkleVectors>('merkle.json')
  const ctLeaves = v.rfc6962.leafData.map(d => merkleLeafHash(fromHex(d, 'leaf')))
  v.rfc6962.roots.forEach((root, n) => {
    it(`RFC 6962 reference root of ${n} leaves`, () => {
      expect(toHex(merkleRoot(ctLeaves.slice(0, n)))).to.equal(root)
    })
  })
  it('RFC 6962 reference inclusion proofs (CT test data: leaf 0 and leaf 5 of 8)', () => {
    const root = fromHex(v.rfc6962.roots[8], 'root')
    const cases = [
      { index: 0, siblings: ['96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7', '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4'] },
      { index: 5, siblings: ['bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b', 'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0', 'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7'] }
    ]
    for (const { index, siblings } of cases) {
      expect(buildMerkleProofFromLeaves(ctLeaves, index)).to.deep.equal({ index, leafCount: 8, siblings })
      expect(verifyMerkleProof(ctLeaves[index], { index, leafCount: 8, siblings }, toHex(root))).to.equal(true)
    }
  })
  for (const tree of v.trees) {
    it(`root of ${tree.leafData.length} leaves`, () => {
      expect(toHex(merkleRoot(tree.leafData.map(d => merkleLeafHash(fromHex(d, 'leaf')))))).to.equal(tree.root)
    })
  }
  for (const p of v.proofs) {
    it(`proof of leaf ${p.proof.index} of ${p.proof.leafCount}`, () => {
      const tree = v.trees[p.proof.leafCount]
      const leaves = tree.leafData.map(d => merkleLeafHash(fromHex(d, 'leaf')))
      expect(buildMerkleProofFromLeaves(leaves, p.proof.index)).to.deep.equal(p.proof)
      expect(verifyMerkleProof(fromHex(p.leafHash, 'leaf'), p.proof, p.root)).to.equal(true)
    })
  }
  it('tx_root of the vector txs (ed25519 and rsa-legacy)', () => {
    expect(v.txRoot.txs.map(tx => toHex(txLeafHash(parseTx(tx))))).to.deep.equal(v.txRoot.leafHashes)
    expect(computeTxRoot(v.txRoot.txs)).to.equal(v.txRoot.root)
  })
})
