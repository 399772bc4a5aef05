// Free TCP ports on one host for a devnet's facades and p2p listeners.
import { createServer, type Server } from 'node:net'

async function listen (host: string): Promise<Server> {
  return await new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.once('error', reject)
    server.listen(0, host, () => { resolve(server) })
  })
}

async function close (server: Server): Promise<void> {
  await new Promise<void>(resolve => server.close(() => { resolve() }))
}

/** A port the kernel just gave out as free on `host`. Another process may take it before you bind it. */
export async function freePort (host = '127.0.0.1'): Promise<number> {
  return (await freePorts(1, host))[0]
}

/**
 * `count` distinct free ports on `host`: every one is held open until all are found, so none is
 * handed out twice.
 */
export async function freePorts (count: number, host = '127.0.0.1'): Promise<number[]> {
  if (!Number.isSafeInteger(count) || count < 0 || count > 20_000) throw new RangeError('freePorts: "count" must be an integer from 0 to 20000')
  const servers: Server[] = []
  try {
    for (let i = 0; i < count; i++) servers.push(await listen(host))
    return servers.map(server => (server.address() as { port: number }).port)
  } finally {
    await Promise.all(servers.map(close))
  }
}
