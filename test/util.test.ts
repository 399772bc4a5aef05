// The one copy of each I/O utility (src/util/): atomic file writes (wallet files, the peer key, chain
// snapshots) and the capped stream read (bodies from other nodes, sync answers).
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect } from 'chai'
import { writeFileAtomic } from '../src/util/atomic-file.js'
import { readCapped, StreamTooLargeError } from '../src/util/read-capped.js'

describe('writeFileAtomic (src/util/atomic-file.ts)', () => {
  let dir: string
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'gossipchain-atomic-')) })
  afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

  it('writes a string, bytes or chunks, with the exact file mode, and leaves no temp file', async () => {
    const path = join(dir, 'out.json')
    await writeFileAtomic(path, 'é1', { fileMode: 0o600 })
    expect(await readFile(path, 'utf8')).to.equal('é1')
    expect((await stat(path)).mode & 0o777).to.equal(0o600)
    await writeFileAtomic(path, new Uint8Array([1, 2, 3]))
    expect([...await readFile(path)]).to.deep.equal([1, 2, 3])
    expect((await stat(path)).mode & 0o777).to.equal(0o644)
    async function * chunks (): AsyncIterable<string | Uint8Array> {
      for (let i = 0; i < 5000; i++) yield i % 2 === 0 ? `${i},` : new TextEncoder().encode(`${i},`)
    }
    await writeFileAtomic(path, chunks())
    expect(await readFile(path, 'utf8')).to.equal(Array.from({ length: 5000 }, (_, i) => `${i},`).join(''))
    expect(await readdir(dir)).to.deep.equal(['out.json'])
  })

  it('a failing chunk source leaves the old file whole and no temp file', async () => {
    const path = join(dir, 'snapshot.json')
    await writeFile(path, 'old')
    async function * failing (): AsyncIterable<string> {
      yield 'x'.repeat(300_000)
      throw new Error('the chain changed')
    }
    let caught: unknown
    try { await writeFileAtomic(path, failing()) } catch (err) { caught = err }
    expect((caught as Error).message).to.equal('the chain changed')
    expect(await readFile(path, 'utf8')).to.equal('old')
    expect(await readdir(dir)).to.deep.equal(['snapshot.json'])
  })

  it("'create' never replaces an existing file: EEXIST, the file untouched, no temp file", async () => {
    const path = join(dir, 'peer-key')
    await writeFileAtomic(path, 'first', { mode: 'create', fileMode: 0o600 })
    let caught: unknown
    try { await writeFileAtomic(path, 'second', { mode: 'create' }) } catch (err) { caught = err }
    expect((caught as NodeJS.ErrnoException).code).to.equal('EEXIST')
    expect(await readFile(path, 'utf8')).to.equal('first')
    expect(await readdir(dir)).to.deep.equal(['peer-key'])
    // Two creators at once: exactly one wins.
    const race = join(dir, 'raced')
    const results = await Promise.allSettled(['a', 'b', 'c'].map(async text => { await writeFileAtomic(race, text, { mode: 'create' }) }))
    expect(results.filter(r => r.status === 'fulfilled')).to.have.length(1)
    expect(['a', 'b', 'c']).to.include(await readFile(race, 'utf8'))
  })

  it('errors of the file system come through with their errno (a missing directory)', async () => {
    let caught: unknown
    try { await writeFileAtomic(join(dir, 'absent', 'x'), 'x') } catch (err) { caught = err }
    expect((caught as NodeJS.ErrnoException).code).to.equal('ENOENT')
    let bad: unknown
    try { await writeFileAtomic('', 'x') } catch (err) { bad = err }
    expect(bad).to.be.instanceOf(TypeError)
  })
})

describe('readCapped (src/util/read-capped.ts)', () => {
  /** A stream of `count` chunks of `size` bytes that records whether it was cancelled. */
  function source (count: number, size: number): { stream: ReadableStream<Uint8Array>, pulled: () => number, cancelled: () => boolean } {
    let pulled = 0
    let cancelled = false
    const stream = new ReadableStream<Uint8Array>({
      pull (controller) {
        if (pulled === count) { controller.close(); return }
        pulled++
        controller.enqueue(new Uint8Array(size).fill(pulled))
      },
      cancel () { cancelled = true }
    }, { highWaterMark: 0 })
    return { stream, pulled: () => pulled, cancelled: () => cancelled }
  }

  it('reads a stream up to and including the ceiling', async () => {
    const { stream } = source(4, 256)
    const bytes = await readCapped(stream, 1024)
    expect(bytes.length).to.equal(1024)
    expect([bytes[0], bytes[256], bytes[1023]]).to.deep.equal([1, 2, 4])
    expect((await readCapped(null, 10)).length).to.equal(0)
  })

  it('StreamTooLargeError one byte past the ceiling: stops pulling and cancels the stream', async () => {
    const { stream, pulled, cancelled } = source(1000, 256)
    let caught: unknown
    try { await readCapped(stream, 1023) } catch (err) { caught = err }
    expect(caught).to.be.instanceOf(StreamTooLargeError)
    expect((caught as StreamTooLargeError).limit).to.equal(1023)
    expect(pulled()).to.equal(4)
    expect(cancelled()).to.equal(true)
  })

  it('an aborted signal rejects with its reason and cancels a stream that stalls', async () => {
    let cancelled = false
    const stalled = new ReadableStream<Uint8Array>({ pull: async () => await new Promise(() => {}), cancel () { cancelled = true } })
    const controller = new AbortController()
    const reading = readCapped(stalled, 100, { signal: controller.signal })
    controller.abort(new Error('deadline'))
    let caught: unknown
    try { await reading } catch (err) { caught = err }
    expect((caught as Error).message).to.equal('deadline')
    expect(cancelled).to.equal(true)
    let bad: unknown
    try { await readCapped(null, -1) } catch (err) { bad = err }
    expect(bad).to.be.instanceOf(TypeError)
  })
})
