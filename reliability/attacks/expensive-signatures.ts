// Defect 2, expensive signatures under the chain lock: unauthenticated POST /add_block with blocks (real
// proof of work, on the victim's head) full of legacy RSA txs: keys with a huge public exponent, 4096-bit
// keys with bad signatures, and blocks of hundreds of validly signed 4096-bit txs with a bad last
// one. Every block must be refused, cheaply (key bounds before any signature; the first bad signature
// ends the check; a block already refused is refused again by its hash), and never under the lock that
// honest txs need.
import { createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto'
import { legacyTxId } from '../../src/core/tx.js'
import type { Block, RsaLegacyTx } from '../../src/core/types.js'
import { headOf } from '../../src/devnet/index.js'
import { mineBlock, postLoop } from '../attacker.js'
import { httpJson } from '../harness.js'
import type { Attack, AttackEnv } from '../scenario.js'

function legacyTx (publicPem: string, privateKey: KeyObject | undefined, data: string, timestamp: number): RsaLegacyTx {
  const signature = privateKey === undefined
    ? Buffer.alloc(512, 7).toString('latin1') // not a signature of anything
    : sign('sha256', Buffer.from(data, 'utf8'), privateKey).toString('latin1')
  return { scheme: 'rsa-legacy', senderPK: publicPem, signature, data, timestamp, id: legacyTxId(publicPem, signature, data) }
}

export function expensiveSignatures (): Attack {
  const blocks: Array<{ kind: string, block: Block }> = []
  let counts: Record<string, number> = {}
  return {
    name: 'expensive-signatures',
    defect: '2 expensive signatures under the chain lock',
    description: 'POST /add_block with proof-of-work blocks of legacy RSA txs: huge exponents, a bad first signature, hundreds of good signatures and a bad last one',
    prepare: async (env: AttackEnv) => {
      const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 4096 })
      const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString()
      const jwk = publicKey.export({ format: 'jwk' }) as { n: string }
      const hugeE = createPublicKey({ key: { kty: 'RSA', n: jwk.n, e: Buffer.from('01' + 'ff'.repeat(255), 'hex').toString('base64url') }, format: 'jwk' })
        .export({ type: 'spki', format: 'pem' }).toString()
      const head = await headOf(env.victim)
      const parent = (await httpJson(`${env.victim.url}/blocks/${head.hash}`)).body as Block
      const now = Math.floor(Date.now() / 1000)
      const many = env.ctx.quick ? 40 : 200
      const variants = env.ctx.quick ? 2 : 3
      for (let v = 0; v < variants; v++) {
        const stamp = Math.round((now + v / 1000) * 1000) / 1000
        blocks.push({ kind: 'huge exponent', block: mineBlock(parent, Array.from({ length: 200 }, (_, i) => legacyTx(hugeE, undefined, `huge e ${v}.${i}`, stamp)), parent.timestamp + 0.001 * (v + 1)) })
        // Every signature bad: the check stops at the first one, so this is what a bad first one costs.
        blocks.push({ kind: 'bad signatures', block: mineBlock(parent, Array.from({ length: 200 }, (_, i) => legacyTx(pem, undefined, `bad ${v}.${i}`, stamp)), parent.timestamp + 0.001 * (v + 11)) })
        const good = Array.from({ length: many }, (_, i) => legacyTx(pem, privateKey, `good ${v}.${i}`, stamp))
        blocks.push({ kind: 'bad last', block: mineBlock(parent, [...good, legacyTx(pem, undefined, `bad last ${v}`, stamp)], parent.timestamp + 0.001 * (v + 21)) })
      }
      env.figures.attackBlocks = blocks.map(b => ({ kind: b.kind, txs: b.block.transactions.length, bytes: JSON.stringify(b.block).length }))
    },
    start: async (env: AttackEnv) => {
      const posts = postLoop(`${env.victim.url}/add_block`, blocks.map(b => ({ label: b.kind, body: b.block })), { concurrency: 4 })
      counts = posts.counts
      return posts.stop
    },
    checks: async (env: AttackEnv) => {
      env.figures.answers = counts
      const keys = Object.keys(counts)
      return {
        everyAttackBlockRefused: keys.length > 0 && keys.every(k => !/: 20\d /.test(k)),
        // Read and checked (the key bounds refuse it), or turned away unread (the byte budget, the line; the
        // node then closes the connection, which an upload still under way sees as a reset: -1).
        hugeExponentRefusedByKeyBounds: keys.some(k => k === 'huge exponent: 400 BLOCK_INVALID_TX') &&
          keys.filter(k => k.startsWith('huge exponent')).every(k => / (400 BLOCK_INVALID_TX|429 RATE_LIMITED|503 \w+|-1 )$/.test(k)),
        attackBlocksNotStored: (await Promise.all(blocks.map(async b => (await httpJson(`${env.victim.url}/blocks/${b.block.hash}`)).status))).every(s => s === 404)
      }
    }
  }
}
