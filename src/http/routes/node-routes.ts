// Node and network status (docs/design.md §7): /node_info, /peers, /health.
import { Hono } from 'hono'
import type { Chain } from '../../chain/chain.js'
import type { NetworkApi } from '../types.js'

export interface NodeRoutesInit {
  chain: Chain
  network: NetworkApi
}

export function createNodeRoutes (init: NodeRoutesInit): Hono {
  if (init.chain === undefined || init.network === undefined) throw new TypeError('createNodeRoutes: "chain" and "network" are required')
  const { chain, network } = init
  const routes = new Hono()

  routes.get('/node_info', c => {
    const { peerId, addresses } = network.nodeInfo()
    const { network: networkId, genesis, head } = chain.status()
    return c.json({ peerId, addresses, network: networkId, genesis, head, pending: chain.mempool.count })
  })

  routes.get('/peers', c => c.json({ peers: network.peers() }))

  routes.get('/health', c => c.json({ status: 'ok', height: chain.height, peers: network.peers().length }))

  return routes
}
