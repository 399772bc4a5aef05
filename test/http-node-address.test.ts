// `node_address` parsing and the choice of addresses to dial for a facade URL (src/http/node-address.ts).
import { expect } from 'chai'
import { HttpError, HttpErrorCode } from '../src/http/http-error.js'
import { dialCandidates, MAX_DIAL_CANDIDATES, parseNodeAddress } from '../src/http/node-address.js'
import { OTHER_PEER_ID as PEER, SELF_PEER_ID } from './http-harness.js'

describe('http node_address', () => {
  it('parses a facade URL, dropping query and fragment', () => {
    const a = parseNodeAddress(' http://127.0.0.1:8000/?x=1#y ')
    expect(a.kind).to.equal('url')
    expect(a.kind === 'url' && a.url.href).to.equal('http://127.0.0.1:8000/')
  })

  it('parses a multiaddr ending in /p2p/<id>', () => {
    expect(parseNodeAddress(`/dns4/node1/tcp/9000/p2p/${PEER}`)).to.deep.equal({ kind: 'multiaddr', multiaddr: `/dns4/node1/tcp/9000/p2p/${PEER}`, peerId: PEER })
  })

  it('BAD_NODE_ADDRESS: names the field', () => {
    for (const bad of [undefined, 1, {}, '', 'localhost:8000', 'ws://x', `/ip4/1.2.3.4/tcp/1/p2p/${PEER}x`]) {
      let err: unknown
      try { parseNodeAddress(bad) } catch (e) { err = e }
      expect(err, String(bad)).to.be.instanceOf(HttpError)
      expect((err as HttpError).code).to.equal(HttpErrorCode.BAD_NODE_ADDRESS)
      expect((err as HttpError).message).to.contain('"node_address"')
    }
  })

  it('dials the URL\'s host first, rewrites 0.0.0.0 to it and drops a remote host\'s loopback addresses', () => {
    const info = {
      peerId: PEER,
      addresses: [
        `/ip4/127.0.0.1/tcp/9000/p2p/${PEER}`,
        '/ip4/172.18.0.5/tcp/9000',
        `/ip4/10.0.0.7/tcp/9000/p2p/${PEER}`,
        '/ip4/0.0.0.0/tcp/9001',
        `/ip4/10.0.0.8/tcp/9000/p2p/${SELF_PEER_ID}`, // another peer's address: never dialed as this one
        'not a multiaddr',
        '/ip4/10.0.0.9' // no transport
      ]
    }
    expect(dialCandidates(info, new URL('http://10.0.0.7:8000'))).to.deep.equal([
      `/ip4/10.0.0.7/tcp/9000/p2p/${PEER}`,
      `/ip4/10.0.0.7/tcp/9001/p2p/${PEER}`,
      `/ip4/172.18.0.5/tcp/9000/p2p/${PEER}`
    ])
    expect(dialCandidates(info, new URL('http://localhost:8000'))).to.deep.equal([
      `/ip4/127.0.0.1/tcp/9001/p2p/${PEER}`,
      `/ip4/127.0.0.1/tcp/9000/p2p/${PEER}`,
      `/ip4/172.18.0.5/tcp/9000/p2p/${PEER}`,
      `/ip4/10.0.0.7/tcp/9000/p2p/${PEER}`
    ])
  })

  it('dials at most MAX_DIAL_CANDIDATES addresses', () => {
    const addresses = Array.from({ length: 40 }, (_, i) => `/ip4/10.0.1.${i}/tcp/9000`)
    expect(dialCandidates({ peerId: PEER, addresses }, new URL('http://10.9.9.9'))).to.have.length(MAX_DIAL_CANDIDATES)
  })
})
