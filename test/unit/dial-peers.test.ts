// dialAsFound (src/node/transfers/dial-peers.ts): a fetch dials each provider as the DHT lookup
// finds it, instead of after the lookup; these cases drive it with hand-fed sources and dials.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { dialAsFound } from '../../src/node/transfers/dial-peers.ts'

/** An async source fed by hand: push addresses, then end or fail it. */
function feed (): { source: AsyncIterable<string>, push: (a: string) => void, end: (err?: Error) => void } {
  const queue: string[] = []
  let wake: (() => void) | undefined
  let done = false
  let failure: Error | undefined
  return {
    source: (async function * () {
      while (true) {
        const next = queue.shift()
        if (next !== undefined) { yield next; continue }
        if (done) break
        await new Promise<void>(resolve => { wake = resolve })
      }
      if (failure != null) throw failure
    })(),
    push: a => { queue.push(a); wake?.() },
    end: err => { failure = err; done = true; wake?.() }
  }
}

describe('dialAsFound', () => {
  it('connects to the first address before the source has ended', async () => {
    const { source, push, end } = feed()
    const dialled: string[] = []
    const dialing = dialAsFound(source, async a => { dialled.push(a) })
    push('a')
    await dialing.first // would hang if it waited for the source's end
    assert.deepEqual(dialled, ['a'])
    let settled = false
    void dialing.settled.then(() => { settled = true })
    push('b')
    push('a')
    await new Promise(resolve => setImmediate(resolve))
    assert.equal(settled, false, 'not settled while the source is open')
    end()
    await dialing.settled
    assert.deepEqual(dialled, ['a', 'b'], 'each distinct address dialled once')
  })

  it('passes the source error on when no address connected', async () => {
    const { source, end } = feed()
    const dialing = dialAsFound(source, async () => {})
    const err = new Error('no peer provides share x in the DHT')
    end(err)
    await assert.rejects(dialing.first, e => e === err)
  })

  it('gathers every dial error when all dials fail', async () => {
    const dialing = dialAsFound(['a', 'b'], async a => { throw new Error(`refused ${a}`) })
    await assert.rejects(dialing.first, (e: unknown) => e instanceof AggregateError && e.errors.map(x => (x as Error).message).sort().join() === 'refused a,refused b')
  })

  it('waits for a pending dial even after the source failed', async () => {
    const { source, push, end } = feed()
    const gate = Promise.withResolvers<void>()
    const dialing = dialAsFound(source, async () => { await gate.promise })
    push('a')
    await new Promise(resolve => setImmediate(resolve))
    end(new Error('lookup failed'))
    gate.resolve()
    await dialing.first
    await dialing.settled
  })

  it('dials nothing that arrives after stop()', async () => {
    const { source, push, end } = feed()
    const dialled: string[] = []
    const dialing = dialAsFound(source, async a => { dialled.push(a) })
    push('a')
    await dialing.first
    dialing.stop()
    push('b')
    end()
    await dialing.settled
    assert.deepEqual(dialled, ['a'])
  })
})
