// The node's event stream (src/node/events.ts): inline listeners, bounded pull subscriptions, close.
import { expect } from 'chai'
import { NodeEventStream, NODE_EVENT_TYPES, type NodeEvent, type NodeEventInput } from '../src/node/events.js'

const head = (index: number): NodeEventInput => ({ type: 'head', hash: index.toString(16).padStart(64, '0'), index, work: String(index * 256), txs: 0 })
const connect = (peer: string): NodeEventInput => ({ type: 'peer:connect', peer })

describe('node event stream (src/node/events.ts)', () => {
  it('stamps `at` from its clock and hands every event to on() listeners, inline and in order', () => {
    let clock = 1000
    const stream = new NodeEventStream({ now: () => clock })
    const seen: NodeEvent[] = []
    stream.on(e => { seen.push(e) })
    stream.emit(head(1))
    clock = 2000
    stream.emit(connect('peer-a'))
    expect(seen).to.deep.equal([{ ...head(1), at: 1000 }, { type: 'peer:connect', peer: 'peer-a', at: 2000 }])
  })

  it('filters by type, and the returned function unsubscribes', () => {
    const stream = new NodeEventStream()
    const seen: string[] = []
    const off = stream.on(e => { seen.push(e.type) }, ['peer:connect'])
    stream.emit(head(1))
    stream.emit(connect('a'))
    off()
    stream.emit(connect('b'))
    expect(seen).to.deep.equal(['peer:connect'])
    expect(stream.subscriberCount).to.equal(0)
  })

  it('a throwing listener is reported and the other listeners still get the event', () => {
    const errors: Array<[string, string]> = []
    const stream = new NodeEventStream({ onListenerError: (err, event) => { errors.push([(err as Error).message, event.type]) } })
    const seen: string[] = []
    stream.on(() => { throw new Error('boom') })
    stream.on(e => { seen.push(e.type) })
    expect(() => { stream.emit(head(1)) }).to.not.throw()
    expect(errors).to.deep.equal([['boom', 'head']])
    expect(seen).to.deep.equal(['head'])
  })

  it('refuses unknown types and out-of-range capacities, naming the parameter', () => {
    const stream = new NodeEventStream()
    expect(() => stream.on(() => {}, ['nope' as never])).to.throw(TypeError, '"types"')
    for (const capacity of [0, -1, 1.5, 2_000_000]) expect(() => stream.subscribe({ capacity })).to.throw(RangeError, '"capacity"')
    expect(NODE_EVENT_TYPES).to.have.length(15)
  })

  it('a subscription yields queued events in order, and a waiting reader gets the next one', async () => {
    const stream = new NodeEventStream()
    const sub = stream.subscribe({ capacity: 10, types: ['head'] })
    stream.emit(head(1))
    stream.emit(connect('x'))
    stream.emit(head(2))
    expect(sub.queued).to.equal(2)
    expect((await sub.next()).value).to.include({ index: 1 })
    expect((await sub.next()).value).to.include({ index: 2 })
    const pending = sub.next()
    stream.emit(head(3))
    expect((await pending).value).to.include({ index: 3 })
    sub.close()
    expect(sub.endReason).to.equal('closed')
    expect((await sub.next()).done).to.equal(true)
    expect(stream.subscriberCount).to.equal(0)
  })

  it('a subscriber that never reads is ended with "overflow" at its capacity; the emitter is never held up', async () => {
    const stream = new NodeEventStream()
    const told: Array<{ reason: string, emitted: number }> = []
    let emitted = 0
    const stalled = stream.subscribe({ capacity: 100, onEnd: reason => { told.push({ reason, emitted }) } })
    const reader = stream.subscribe({ capacity: 100_000 })
    const inline: number[] = []
    stream.on(e => { if (e.type === 'head') inline.push(e.index) })
    for (let i = 0; i < 20_000; i++) { stream.emit(head(i)); emitted++ }
    expect(stalled.endReason).to.equal('overflow')
    // Told once, inside the emit that found its queue full (the 101st event).
    expect(told).to.deep.equal([{ reason: 'overflow', emitted: 100 }])
    expect(stalled.queued).to.equal(0) // its queue was freed
    expect((await stalled.next()).done).to.equal(true)
    // The others got everything.
    expect(inline).to.have.length(20_000)
    expect(reader.queued).to.equal(20_000)
    let count = 0
    for await (const e of reader) {
      expect(e.type === 'head' && e.index).to.equal(count)
      if (++count === 20_000) break // `break` returns the iterator: closed
    }
    expect(reader.endReason).to.equal('closed')
    expect(stream.subscriberCount).to.equal(1)
  })

  it('close() ends subscriptions with "stopped" after what they still hold, drops listeners and ignores later events', async () => {
    const stream = new NodeEventStream()
    const sub = stream.subscribe()
    let calls = 0
    stream.on(() => { calls++ })
    stream.emit(head(1))
    const waiting = stream.subscribe()
    const next = waiting.next()
    stream.close()
    stream.emit(head(2))
    expect(calls).to.equal(1)
    expect(sub.endReason).to.equal('stopped')
    const rest: NodeEvent[] = []
    for await (const e of sub) rest.push(e)
    expect(rest.map(e => e.type === 'head' && e.index)).to.deep.equal([1])
    expect((await next).done).to.equal(true)
    const late = stream.subscribe()
    expect(late.endReason).to.equal('stopped')
  })
})
