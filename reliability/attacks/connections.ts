// Defect 5, connections: one client (127.0.0.2) opens far more connections than the facade serves, half
// of them dribbling request headers (slowloris), half starting uploads they never finish. Honest clients
// (127.0.0.1) must not notice: the per-client cap leaves them room, and the header and request
// deadlines close the dribblers with a JSON 408.
import type { Socket } from 'node:net'
import { ATTACKER_ADDRESS, parseRawAnswer, rawSocket } from '../attacker.js'
import type { Attack, AttackEnv } from '../scenario.js'

export function connections (): Attack {
  const sockets: Array<{ socket: Socket, received: string, closed: boolean }> = []
  let timer: ReturnType<typeof setInterval> | undefined
  return {
    name: 'connections',
    defect: '5 connections',
    description: 'one client opens 1,000 connections: slowloris headers and uploads that never finish',
    start: async (env: AttackEnv) => {
      const port = Number(new URL(env.victim.url).port)
      const n = env.ctx.quick ? 300 : 1000
      for (let i = 0; i < n; i++) {
        let socket: Socket
        try { socket = await rawSocket(port, ATTACKER_ADDRESS) } catch { continue }
        const entry = { socket, received: '', closed: false }
        socket.on('data', d => { entry.received += d.toString() })
        socket.on('error', () => {})
        socket.on('close', () => { entry.closed = true })
        socket.write(i % 2 === 0 ? 'GET /chain HTTP/1.1\r\nHost: victim\r\n' : 'POST /new_transaction HTTP/1.1\r\nHost: victim\r\nContent-Length: 1000000\r\n\r\n{')
        sockets.push(entry)
      }
      // Dribble a byte every second on every connection still open.
      timer = setInterval(() => {
        for (const e of sockets) if (!e.closed) e.socket.write(e.received === '' ? 'X' : '')
      }, 1000)
      return async () => { clearInterval(timer) }
    },
    checks: async (env: AttackEnv) => {
      clearInterval(timer)
      // Wait for the request deadline to pass for every dribbler still open (10 s headers, 30 s request).
      const deadline = Date.now() + (env.ctx.quick ? 3_000 : 35_000)
      while (Date.now() < deadline && sockets.some(e => !e.closed)) await new Promise(resolve => setTimeout(resolve, 250))
      const answers = sockets.map(e => parseRawAnswer(e.received))
      const byStatus: Record<string, number> = {}
      for (const a of answers) byStatus[String(a.status)] = (byStatus[String(a.status)] ?? 0) + 1
      const open = sockets.filter(e => !e.closed).length
      for (const e of sockets) e.socket.destroy()
      env.figures.attackerConnections = { opened: sockets.length, answers: byStatus, stillOpen: open }
      const answered = answers.filter(a => a.status !== 0)
      return {
        overTheCapRefused: (byStatus['503'] ?? 0) > 0,
        everyAnswerJson: answered.every(a => a.json),
        ...(env.ctx.quick ? {} : { dribblersClosed: open === 0 })
      }
    }
  }
}
