// Defect 8, error bodies: requests Node's HTTP parser refuses itself (headers too large, bad
// Content-Length, malformed Host, not HTTP) and /register_with to addresses the client chose (a closed
// port, an open port that is not a node). Every answer must be JSON, 4xx, and a closed port must read
// exactly like an open one.
import { createServer, type Server } from 'node:net'
import { ATTACKER_ADDRESS, loop, parseRawAnswer, rawSocket } from '../attacker.js'
import { httpJson } from '../harness.js'
import type { Attack, AttackEnv } from '../scenario.js'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { freePort } from '../../src/devnet/index.js'

const MALFORMED = [
  `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
  'POST /new_transaction HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n',
  'POST /new_transaction HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab',
  'GET /health HTTP/1.1\r\nHost: a b\r\nConnection: close\r\n\r\n',
  'HELLO\r\n\r\n',
  'GET /../../etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
]

async function rawExchange (port: number, request: string): Promise<string> {
  const socket = await rawSocket(port, ATTACKER_ADDRESS)
  return await new Promise(resolve => {
    let text = ''
    const timer = setTimeout(() => { socket.destroy(); resolve(text) }, 5000)
    socket.on('data', d => { text += d.toString() })
    socket.on('error', () => {})
    socket.on('close', () => { clearTimeout(timer); resolve(text) })
    socket.write(request)
  })
}

export function errorBodies (): Attack {
  let counts: Record<string, number> = {}
  let silent: Server | undefined
  const registrations: Array<{ target: string, status: number, error: string }> = []
  return {
    name: 'error-bodies',
    defect: '8 error bodies',
    description: 'malformed requests Node refuses itself, and /register_with to a closed port and to an open non-node port',
    start: async (env: AttackEnv) => {
      const port = Number(new URL(env.victim.url).port)
      silent = createServer(socket => { socket.on('error', () => {}) }) // accepts, says nothing
      await new Promise<void>(resolve => silent!.listen(0, '127.0.0.1', resolve))
      const openPort = (silent.address() as { port: number }).port
      const closedPort = await freePort()
      const raw = loop(4, async (_lane, i) => {
        const answer = parseRawAnswer(await rawExchange(port, MALFORMED[i % MALFORMED.length]))
        return `${answer.status} ${answer.json ? (answer.code ?? 'json') : 'NOT JSON'}`
      })
      counts = raw.counts
      // A peer id nobody here has (a connected peer's id would be reached over its existing connection).
      const nobody = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
      for (const target of [`http://127.0.0.1:${closedPort}`, `http://127.0.0.1:${openPort}`,
        `/ip4/127.0.0.1/tcp/${closedPort}/p2p/${nobody}`, `/ip4/127.0.0.1/tcp/${openPort}/p2p/${nobody}`]) {
        const r = await httpJson(`${env.victim.url}/register_with`, { body: { node_address: target }, timeoutMs: 30_000 })
        registrations.push({ target, status: r.status, error: String(r.body?.error ?? r.body) })
      }
      return async () => { await raw.stop() }
    },
    checks: async (env: AttackEnv) => {
      silent?.close()
      env.figures.malformed = counts
      env.figures.registrations = registrations
      const keys = Object.keys(counts)
      const sameMessage = (a: number, b: number): boolean =>
        registrations[a].error.replace(/(:|\/tcp\/)\d+/g, '$1PORT') === registrations[b].error.replace(/(:|\/tcp\/)\d+/g, '$1PORT')
      return {
        everyParserErrorJson: keys.length > 0 && keys.every(k => !k.includes('NOT JSON') && /^4\d\d /.test(k)),
        registrationsAre4xx: registrations.every(r => r.status >= 400 && r.status < 500),
        closedReadsLikeOpen: sameMessage(0, 1) && sameMessage(2, 3)
      }
    }
  }
}
