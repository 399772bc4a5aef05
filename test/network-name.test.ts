// The network-name rule (docs/design.md §3 Decisions): ONE rule in src/core/network.ts. It used to live in
// four places that disagreed: the config took a 60-character name, then the p2p layer refused its
// 69-character network id and the node crashed at start.
import { expect } from 'chai'
import { ConfigError, loadConfig } from '../src/config.js'
import {
  checkNetworkId, genesisBlock, isNetworkId, isNetworkName, MAX_NETWORK_ID_CHARS, MAX_NETWORK_NAME_CHARS, networkId, txSigningPayload
} from '../src/core/index.js'
import { blockTopic, syncProtocol, txTopic } from '../src/p2p/constants.js'
import { expectOneLineError, killAllCli, runCli } from './helpers/cli.js'
import { makeTx } from './helpers/fixtures.js'
import { connect, killAll, networkIdOf, NodeProcess, pendingOf, waitFor, waitForMesh } from '../src/devnet/index.js'
import { postTx } from './helpers/network.js'

const LONGEST = 'n'.repeat(MAX_NETWORK_NAME_CHARS - 4) + '.v_1'
const params = (name: string): { name: string, genesisTimestamp: number, bits: number } => ({ name, genesisTimestamp: 1767225600, bits: 8 })

/** Names on both sides of the rule: length, first character, alphabet. */
const NAMES: Array<[string, boolean]> = [
  ['gossipchain-dev', true],
  ['a', true],
  ['0net', true],
  [LONGEST, true],
  ['x'.repeat(MAX_NETWORK_NAME_CHARS + 1), false],
  ['x'.repeat(60), false],
  ['x'.repeat(64), false],
  ['', false],
  ['-net', false],
  ['.net', false],
  ['net/1', false],
  ['net work', false],
  ['net\nwork', false],
  ['nét', false]
]

/** Does the config accept `name` as network.name? */
function configAccepts (name: string): boolean {
  try {
    loadConfig({ env: {}, flags: { network: name } })
    return true
  } catch (err) {
    if (err instanceof ConfigError) return false
    throw err
  }
}

function genesisAccepts (name: string): boolean {
  try {
    genesisBlock(params(name))
    return true
  } catch (err) {
    if (err instanceof TypeError) return false
    throw err
  }
}

/** Do topics, the sync protocol id and the signing payload all accept the id? */
function idLayersAccept (id: string): boolean[] {
  const tx = makeTx('gossipchain-test-00000000', 'x')
  return [() => txTopic(id), () => blockTopic(id), () => syncProtocol(id), () => txSigningPayload(tx, id), () => checkNetworkId(id)].map(use => {
    try {
      use()
      return true
    } catch (err) {
      if (err instanceof TypeError) return false
      throw err
    }
  })
}

describe('network-name rule (one rule in src/core/network.ts)', function () {
  this.timeout(120_000)
  afterEach(async () => {
    killAllCli()
    await killAll()
  })

  it('NETWORK_NAME_60_CHARS: a 60-character network name is refused at config time with the rule in the message (it used to pass the config and crash the node at start)', async () => {
    const name = 'x'.repeat(60)
    let caught: unknown
    try { loadConfig({ env: {}, flags: { network: name } }) } catch (err) { caught = err }
    expect(caught).to.be.instanceOf(ConfigError)
    expect((caught as ConfigError).key).to.equal('network.name')
    expect((caught as ConfigError).message).to.include(`1 to ${MAX_NETWORK_NAME_CHARS} characters`)
    // From the command line, the node never starts: one line, no stack trace, nothing listening.
    expectOneLineError(await runCli(['start', '--network', name, '--http-port', '0', '--p2p-port', '0', '--data-dir', '/nonexistent/never-created']),
      'network.name', `1 to ${MAX_NETWORK_NAME_CHARS} characters`)
    expectOneLineError(await runCli(['config', 'show'], { GOSSIPCHAIN_NETWORK: name }), 'network.name', 'env GOSSIPCHAIN_NETWORK')
  })

  it('every layer applies the same rule: config, genesis, network id, topics, sync protocol id, signing payload', () => {
    for (const [name, valid] of NAMES) {
      const label = JSON.stringify(name)
      expect(isNetworkName(name), label).to.equal(valid)
      expect(configAccepts(name), `config ${label}`).to.equal(valid)
      expect(genesisAccepts(name), `genesis ${label}`).to.equal(valid)
      if (!valid) continue
      const id = networkId(params(name))
      expect(id.length, label).to.be.at.most(MAX_NETWORK_ID_CHARS)
      expect(isNetworkId(id), id).to.equal(true)
      expect(idLayersAccept(id), id).to.deep.equal([true, true, true, true, true])
    }
    for (const id of ['x'.repeat(60) + '-0123abcd', 'net-0123ABCD', 'net-0123abc', 'net', 'net-0123abcd\n', '']) {
      expect(isNetworkId(id), JSON.stringify(id)).to.equal(false)
      expect(idLayersAccept(id), JSON.stringify(id)).to.deep.equal([false, false, false, false, false])
    }
  })

  it('the longest allowed name really starts: two nodes on it connect, gossip a tx and sign for it from the CLI', async () => {
    const a = await NodeProcess.start({ extraArgs: ['--network', LONGEST] })
    const b = await NodeProcess.start({ extraArgs: ['--network', LONGEST] })
    const id = await networkIdOf(a)
    expect(id).to.equal(networkId(params(LONGEST)))
    expect(id).to.have.length(MAX_NETWORK_ID_CHARS)
    await connect(b, a) // the sync protocol id /gossipchain/<id>/http/1.1
    await waitForMesh(a, b)
    const tx = await postTx(a, 'over the longest topic')
    await waitFor('the tx to reach b by gossip', async () => (await pendingOf(b)).some(p => p.id === tx.id) ? true : undefined, 30_000)
    // The CLI's --network takes the same ids: it goes on to look for the wallet (and finds none).
    expectOneLineError(await runCli(['tx', 'sign', '--wallet', '/nonexistent.wallet.json', '--data', 'x', '--network', id]), '/nonexistent.wallet.json')
    expectOneLineError(await runCli(['tx', 'sign', '--wallet', '/nonexistent.wallet.json', '--data', 'x', '--network', `x${id}`]), '--network must be a network id')
  })
})
