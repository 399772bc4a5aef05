// POST /new_transaction (docs/design.md §2, §7): native or legacy tx; accepted ones are gossiped.
import { Hono } from 'hono'
import type { Chain } from '../../chain/chain.js'
import { clientSource } from '../client-source.js'
import type { InternalErrorLogger } from '../error-handler.js'
import { readJsonObject } from '../json-body.js'
import type { NetworkApi } from '../types.js'

export interface TransactionRoutesInit {
  chain: Chain
  network: NetworkApi
  logInternalError: InternalErrorLogger
}

export function createTransactionRoutes (init: TransactionRoutesInit): Hono {
  if (init.chain === undefined || init.network === undefined) throw new TypeError('createTransactionRoutes: "chain" and "network" are required')
  const { chain, network, logInternalError } = init
  const routes = new Hono()

  routes.post('/new_transaction', async c => {
    const body = await readJsonObject(c)
    // Rule errors (400/409/413/503) go to the one onError through ruleErrorOutcome.
    const tx = await chain.submitTx(body, { source: clientSource(c) })
    try {
      network.publishTx(tx)
    } catch (err) {
      // The tx is durable and pending; it still goes out in the next mined block.
      logInternalError(err, { method: c.req.method, path: c.req.path })
    }
    return c.json({ message: 'Success', id: tx.id }, 201)
  })

  return routes
}
