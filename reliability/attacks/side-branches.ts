// Defect 7, side branches at any depth: proof-of-work blocks that fork off genesis and off old blocks
// (refused below the checkpoint, before their body is read) and a swarm of siblings near the head (kept
// up to the side-branch bound, then refused). The victim's memory and disk must stay bounded.
import { execFileSync } from 'node:child_process'
import type { Block } from '../../src/core/types.js'
import { chainOf, GENESIS, mineBlock, postLoop } from '../attacker.js'
import { httpJson, mineOne, round } from '../harness.js'
import type { Attack, AttackEnv } from '../scenario.js'
import { waitFor, headOf } from '../../src/devnet/index.js'

function diskMb (dir: string): number {
  return round(Number(execFileSync('du', ['-sk', dir]).toString().split('\t')[0]) / 1024, 1)
}

export function sideBranches (): Attack {
  const deep: Block[] = []
  const near: Block[] = []
  let counts: Record<string, number> = {}
  let diskBefore = 0
  return {
    name: 'side-branches',
    defect: '7 side branches at any depth',
    description: 'siblings of genesis and of old blocks, and hundreds of siblings near the head, all with real proof of work',
    prepare: async (env: AttackEnv) => {
      // A chain longer than the checkpoint depth (100), mined by the honest peer.
      const height = env.ctx.quick ? 110 : 130
      for (let i = (await headOf(env.honest)).index; i < height; i++) env.acknowledgedBlocks.push((await mineOne(env.honest, `chain ${i}`)).hash)
      await waitFor('the victim to hold the chain', async () => (await headOf(env.victim)).index >= height ? true : undefined, 120_000, 100)
      const chain = await chainOf(env.victim)
      for (let i = 0; i < (env.ctx.quick ? 50 : 400); i++) {
        const at = i % 2 === 0 ? GENESIS : chain[1 + (i % 5)] // below the checkpoint
        deep.push(mineBlock(at, [], at.timestamp + 0.001 * (i + 1)))
      }
      const recent = chain[chain.length - 3]
      for (let i = 0; i < (env.ctx.quick ? 300 : 600); i++) near.push(mineBlock(recent, [], recent.timestamp + 0.001 * (i + 1)))
      diskBefore = diskMb(env.victim.dataDir)
    },
    start: async (env: AttackEnv) => {
      const items = [...deep.map(b => ({ label: 'deep', body: b })), ...near.map(b => ({ label: 'near head', body: b }))]
      const posts = postLoop(`${env.victim.url}/add_block`, items, { concurrency: 4, once: true })
      counts = posts.counts
      return posts.stop
    },
    checks: async (env: AttackEnv) => {
      const diskAfter = diskMb(env.victim.dataDir)
      env.figures.answers = counts
      env.figures.diskMb = { before: diskBefore, after: diskAfter }
      const stored = (await Promise.all(near.map(async b => (await httpJson(`${env.victim.url}/blocks/${b.hash}`)).status))).filter(s => s === 200).length
      env.figures.nearHeadSiblingsStored = stored
      const deepKeys = Object.keys(counts).filter(k => k.startsWith('deep'))
      return {
        deepForksRefused: deepKeys.length > 0 && deepKeys.every(k => k.includes('BLOCK_FORK_TOO_DEEP') || k.includes('503 BUSY')),
        sideBlocksBounded: stored <= 256,
        sideStoreFullAnswered: env.ctx.quick || Object.keys(counts).some(k => k.includes('BLOCK_SIDE_BRANCHES_FULL'))
      }
    }
  }
}
