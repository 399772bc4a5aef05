// Multi-node test helpers over src/devnet (the one copy of node processes and facade reads): what needs
// the test fixtures' deterministic signers.
import { networkIdOf, type Facade } from '../../src/devnet/index.js'
import type { Tx } from '../../src/core/types.js'
import { makeTx } from './fixtures.js'

/** Post a freshly signed tx; returns it once the node answered 201. */
export async function postTx (node: Facade, data: string, signer = 1): Promise<Tx> {
  const tx = makeTx(await networkIdOf(node), data, { signer, timestamp: Math.floor(Date.now() / 1000) })
  const res = await node.post('/new_transaction', tx)
  if (res.status !== 201) throw new Error(`new_transaction: ${res.status} ${JSON.stringify(res.body)}`)
  return tx
}
