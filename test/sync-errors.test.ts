// The sync client's coded errors (src/p2p/sync-errors.ts), mapped once: a loop over the enum checks that
// every code has an outcome and that only the peer's faults cost it anything.
import { expect } from 'chai'
import { CodedError } from '../src/core/errors.js'
import { PeerRequestError, PeerRequestErrorCode } from '../src/p2p/http-over-libp2p.js'
import { SYNC_ERROR_OUTCOMES, SyncError, SyncErrorCode, toSyncError } from '../src/p2p/sync-errors.js'

/** The peer's faults (penalised and disconnected), with the outcome each reports. */
const PEER_FAULTS: Partial<Record<SyncErrorCode, 'invalid-data' | 'lied'>> = {
  [SyncErrorCode.BAD_STATUS_BODY]: 'invalid-data',
  [SyncErrorCode.BAD_LOCATE]: 'invalid-data',
  [SyncErrorCode.NO_COMMON_BLOCK]: 'invalid-data',
  [SyncErrorCode.BAD_BATCH]: 'invalid-data',
  [SyncErrorCode.INVALID_BLOCK]: 'invalid-data',
  [SyncErrorCode.WORK_NOT_DELIVERED]: 'lied',
  [SyncErrorCode.TOO_MANY_BATCHES]: 'lied',
  // docs/design.md §12 progress budget: a peer that holds a sync slot without delivering what it claims.
  [SyncErrorCode.SHORT_BATCH]: 'lied',
  [SyncErrorCode.NO_PROGRESS]: 'lied',
  [SyncErrorCode.WORK_INDEX_MISMATCH]: 'invalid-data'
}

describe('sync errors (one table, src/p2p/sync-errors.ts)', () => {
  for (const code of Object.values(SyncErrorCode)) {
    const fault = PEER_FAULTS[code]
    const expected = code === SyncErrorCode.WRONG_NETWORK
      ? { outcome: 'wrong-network', action: 'ban' }
      : fault !== undefined ? { outcome: fault, action: 'penalise' } : { outcome: 'failed', action: 'none' }
    it(`${code}: ${expected.outcome}, ${expected.action}`, () => {
      expect(code).to.match(/^SYNC_[A-Z_]+$/)
      expect(SYNC_ERROR_OUTCOMES[code]).to.deep.equal(expected)
    })
  }

  it('the table has exactly the codes of SyncErrorCode', () => {
    expect(Object.keys(SYNC_ERROR_OUTCOMES).sort()).to.deep.equal(Object.values(SyncErrorCode).sort())
  })

  it('toSyncError: request failures by their code (never a penalty), SyncErrors as they are, the rest INTERNAL', () => {
    const expected: Record<PeerRequestErrorCode, SyncErrorCode> = {
      [PeerRequestErrorCode.TIMEOUT]: SyncErrorCode.TIMEOUT,
      [PeerRequestErrorCode.UNREACHABLE]: SyncErrorCode.UNREACHABLE,
      [PeerRequestErrorCode.TOO_LARGE]: SyncErrorCode.RESPONSE_TOO_LARGE,
      [PeerRequestErrorCode.BAD_JSON]: SyncErrorCode.BAD_JSON,
      [PeerRequestErrorCode.BAD_STATUS]: SyncErrorCode.PEER_ERROR
    }
    for (const code of Object.values(PeerRequestErrorCode)) {
      const err = toSyncError(new PeerRequestError(code, 'x', { peer: 'p', path: '/status', status: 500, remoteCode: 'INTERNAL' }))
      expect(err.code, code).to.equal(expected[code])
      expect(err.meta).to.include({ path: '/status' })
      expect(SYNC_ERROR_OUTCOMES[err.code].action).to.equal('none')
    }
    const own = new SyncError(SyncErrorCode.BAD_BATCH, 'x', { from: 'h' })
    expect(toSyncError(own)).to.equal(own)
    expect(own).to.be.instanceOf(CodedError)
    expect(toSyncError(new Error('disk on fire'))).to.include({ code: SyncErrorCode.INTERNAL, message: 'disk on fire' })
    expect(toSyncError('a string')).to.include({ code: SyncErrorCode.INTERNAL })
  })
})
