// Admin routes (docs/design.md §7), all behind the bearer token when one is configured:
// /mine, /save, /register_with, /register_node.
import { Hono } from 'hono'
import type { Chain } from '../../chain/chain.js'
import type { Miner } from '../../chain/miner.js'
import { jsonOf } from '../../core/serialized.js'
import { requireApiToken } from '../admin-auth.js'
import { chainChangedAsHttpError, chainResponse } from '../chain-response.js'
import { writeChainSnapshot } from '../chain-snapshot.js'
import type { InternalErrorLogger } from '../error-handler.js'
import { readJsonObject } from '../json-body.js'
import type { RegisterPeer } from '../peer-registration.js'
import type { NetworkApi } from '../types.js'

export interface AdminRoutesInit {
  chain: Chain
  miner: Miner
  network: NetworkApi
  dataDir: string
  apiToken: string | undefined
  registerPeer: RegisterPeer
  now: () => number
  logInternalError: InternalErrorLogger
}

export function createAdminRoutes (init: AdminRoutesInit): Hono {
  if (init.chain === undefined || init.miner === undefined || init.network === undefined) {
    throw new TypeError('createAdminRoutes: "chain", "miner" and "network" are required')
  }
  if (typeof init.dataDir !== 'string' || init.dataDir === '') throw new TypeError('createAdminRoutes: "dataDir" must be a directory path')
  if (typeof init.registerPeer !== 'function' || typeof init.now !== 'function') {
    throw new TypeError('createAdminRoutes: "registerPeer" and "now" must be functions')
  }
  const { chain, miner, dataDir, registerPeer, now } = init
  const admin = requireApiToken(init.apiToken)
  const routes = new Hono()

  // The original node mined on GET; POST is the honest verb. Both stay.
  routes.on(['GET', 'POST'], '/mine', admin, async c => {
    const result = await miner.mine()
    if (result.status === 'nothing-to-mine') return c.json({ message: 'No transactions to mine' })
    // The block's serialized text from its store write (src/core/serialized.ts), not a second JSON.stringify.
    const json = `{"message":${JSON.stringify(`Block #${result.block.index} is mined.`)},"block":${jsonOf(result.block)}}`
    return c.body(json, 200, { 'Content-Type': 'application/json' })
  })

  routes.on(['GET', 'POST'], '/save', admin, async c => {
    const { path, length } = await writeChainSnapshot(chain, dataDir, now()).catch(err => { throw chainChangedAsHttpError(err) })
    return c.json({ message: 'Success', path, length }, 201)
  })

  routes.post('/register_with', admin, async c => {
    const body = await readJsonObject(c)
    const { peer, sync } = await registerPeer(body.node_address, c.req.raw.signal)
    return c.json({ message: 'Registration successful', peer, sync })
  })

  // The original returned its chain to the registering node; the dial + sync replaces its peer list.
  routes.post('/register_node', admin, async c => {
    const body = await readJsonObject(c)
    await registerPeer(body.node_address, c.req.raw.signal)
    return await chainResponse(c, init)
  })

  return routes
}
