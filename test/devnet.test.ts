// src/devnet: random connected topologies, free ports, and devnets of compiled node processes that never
// outlive their launcher (stop(), exit, SIGTERM, even SIGKILL of the launcher).
import { spawn } from 'node:child_process'
import { readFile, stat } from 'node:fs/promises'
import { createServer } from 'node:net'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect } from 'chai'
import {
  adjacency, diameter, freePorts, prng, randomConnectedTopology, startDevnet, waitFor, type Devnet
} from '../src/devnet/index.js'
import type { NodeEvent } from '../src/node/events.js'
import { postTx } from './helpers/network.js'

const repoRoot = fileURLToPath(new URL('..', import.meta.url))

function alive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

async function portFree (port: number, host: string): Promise<boolean> {
  return await new Promise(resolve => {
    const server = createServer()
    server.once('error', () => { resolve(false) })
    server.listen(port, host, () => { server.close(() => { resolve(true) }) })
  })
}

describe('src/devnet', function () {
  describe('randomConnectedTopology', () => {
    it('is connected, `degree` links per node, no duplicates, the same for the same seed', () => {
      const cases: Array<[number, number, number]> = [[2, 2, 1], [3, 2, 2], [7, 3, 9], [20, 4, 4], [100, 4, 5], [100, 8, 6], [7, 10, 7], [1000, 6, 8]]
      for (let seed = 0; seed < 50; seed++) cases.push([8 + seed % 5, 3, seed])
      for (const [n, d, seed] of cases) {
        const edges = randomConnectedTopology(n, d, prng(seed))
        const degrees = adjacency(n, edges).map(peers => peers.length)
        expect(diameter(n, edges), `n=${n} d=${d}`).to.be.lessThan(Number.POSITIVE_INFINITY)
        expect(Math.max(...degrees)).to.be.at.most(Math.min(d, n - 1))
        // Every node has `degree` links but, when n x degree is odd, one that has one fewer.
        const missing = degrees.reduce((sum, k) => sum + Math.min(d, n - 1) - k, 0)
        expect(missing, `n=${n} d=${d}: ${degrees.join(',')}`).to.equal((n * Math.min(d, n - 1)) % 2)
        expect(new Set(edges.map(([a, b]) => `${a}-${b}`)).size).to.equal(edges.length)
        for (const [a, b] of edges) expect(a).to.be.lessThan(b)
        expect(randomConnectedTopology(n, d, prng(seed))).to.deep.equal(edges)
      }
      expect(randomConnectedTopology(100, 4, prng(1))).to.not.deep.equal(randomConnectedTopology(100, 4, prng(2)))
    })

    it('names the bad parameter', () => {
      expect(() => randomConnectedTopology(5, 1, prng(1))).to.throw(RangeError, '"degree"')
      expect(() => randomConnectedTopology(0, 3, prng(1))).to.throw(RangeError, '"n"')
      expect(diameter(4, [[0, 1], [2, 3]])).to.equal(Number.POSITIVE_INFINITY)
    })
  })

  it('freePorts gives distinct ports that are free', async () => {
    const ports = await freePorts(50)
    expect(new Set(ports).size).to.equal(50)
    for (const port of ports.slice(0, 5)) expect(await portFree(port, '127.0.0.1')).to.equal(true)
  })

  describe('startDevnet', function () {
    this.timeout(180_000)
    let net: Devnet | undefined
    let traceDir: string
    before(async () => { traceDir = await mkdtemp(join(tmpdir(), 'gossipchain-devnet-trace-')) })
    after(async () => {
      await net?.stop()
      await rm(traceDir, { recursive: true, force: true })
    })

    it('starts 8 compiled nodes in a degree-3 topology; a tx reaches all; stop() ends every process and frees its ports', async () => {
      const progress: number[] = []
      net = await startDevnet({ nodes: 8, degree: 3, seed: 11, traceDir, onProgress: p => { progress.push(p.started) } })
      expect(progress).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8])
      for (const node of net.nodes) expect(node.child.spawnargs[1]).to.equal(join(repoRoot, 'dist', 'cli.js'))
      await net.waitForMeshes()
      // The links are the topology's: each node is connected to exactly its neighbours.
      const links = adjacency(8, net.edges)
      for (const [i, node] of net.nodes.entries()) {
        const peers = (await node.get<{ peers: Array<{ peerId: string }> }>('/peers')).peers.map(p => p.peerId).sort()
        expect(peers, `node ${i}`).to.deep.equal(links[i].map(j => net!.nodes[j].peerId).sort())
      }
      const tx = await postTx(net.nodes[0], 'devnet record')
      await waitFor('the tx in every mempool', async () => {
        const pending = await Promise.all(net!.nodes.map(async n => await n.get<Array<{ id: string }>>('/pending_tx')))
        return pending.every(p => p.some(t => t.id === tx.id)) ? true : undefined
      })

      const pids = net.nodes.map(n => n.pid as number)
      const ports = net.nodes.flatMap(n => [n.httpPort, n.p2pPort])
      const dataRoot = net.dataRoot
      await net.stop()
      for (const pid of pids) expect(alive(pid), `pid ${pid}`).to.equal(false)
      for (const port of ports) expect(await portFree(port, '127.0.0.1'), `port ${port}`).to.equal(true)
      expect(await stat(dataRoot).then(() => true, () => false)).to.equal(false)
      // Stopped cleanly: every trace is complete, and every other node saw the tx by gossip.
      for (let i = 1; i < 8; i++) {
        const events = (await readFile(net.tracePath(i) as string, 'utf8')).trim().split('\n').map(line => JSON.parse(line) as NodeEvent)
        expect(events.some(e => e.type === 'gossip' && e.topic === 'tx' && e.id === tx.id && e.result === 'accept'), `node ${i}`).to.equal(true)
      }
      const origin = (await readFile(net.tracePath(0) as string, 'utf8')).trim().split('\n').map(line => JSON.parse(line) as NodeEvent)
      expect(origin.some(e => e.type === 'publish' && e.id === tx.id)).to.equal(true)
    })
  })

  describe('no node outlives its launcher', function () {
    this.timeout(120_000)

    async function launch (mode: 'exit' | 'wait'): Promise<{ child: ReturnType<typeof spawn>, info: { pids: number[], ports: number[], dataRoot: string }, exited: Promise<number | null> }> {
      const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'test', 'helpers', 'devnet-child.ts'), mode], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] })
      const exited = new Promise<number | null>(resolve => child.once('exit', (code, signal) => { resolve(code ?? (signal === null ? null : -1)) }))
      let out = ''
      const info = await new Promise<{ pids: number[], ports: number[], dataRoot: string }>((resolve, reject) => {
        child.stdout?.on('data', (chunk: Buffer) => {
          out += chunk.toString()
          const line = out.split('\n').find(l => l.startsWith('{'))
          if (line !== undefined) resolve(JSON.parse(line))
        })
        child.once('exit', () => { reject(new Error(`the launcher exited early: ${out}`)) })
      })
      return { child, info, exited }
    }

    async function expectAllGone (info: { pids: number[], ports: number[] }): Promise<void> {
      await waitFor('every node process to be gone', () => info.pids.every(pid => !alive(pid)) ? true : undefined, 20_000)
      for (const port of info.ports) expect(await portFree(port, '127.0.0.1'), `port ${port}`).to.equal(true)
    }

    it('the launcher exits without stopping them: its exit hook kills them', async () => {
      const { info, exited } = await launch('exit')
      expect(await exited).to.equal(0)
      await expectAllGone(info)
      await rm(info.dataRoot, { recursive: true, force: true })
    })

    it('the launcher gets SIGTERM: they are stopped cleanly, then it exits 143', async () => {
      const { child, info, exited } = await launch('wait')
      child.kill('SIGTERM')
      expect(await exited).to.equal(143)
      await expectAllGone(info)
    })

    it('the launcher is SIGKILLed: they notice their parent is gone and stop themselves', async () => {
      const { child, info, exited } = await launch('wait')
      child.kill('SIGKILL')
      await exited
      await expectAllGone(info)
      await rm(info.dataRoot, { recursive: true, force: true })
    })
  })
})
