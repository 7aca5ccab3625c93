// The simulator's virtual clock: time stands still while anything runs and jumps from timer to
// timer only once the work in flight has settled.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { setImmediate as turn } from 'node:timers/promises'
import { VirtualClock, sleep } from '../../src/dht/clock.ts'
import { MemoryNetwork } from '../../src/onion/memory.ts'

const EPOCH = 1_800_000_000_000

test('timers fire in time order (ties in the order set), now jumps to each timer', async () => {
  const clock = new VirtualClock({ epoch: EPOCH }).start()
  try {
    const fired: Array<[string, number]> = []
    const at = (name: string, ms: number): void => { clock.setTimeout(() => { fired.push([name, clock.now() - EPOCH]) }, ms) }
    at('c', 30); at('a', 10); at('b', 20); at('b2', 20); at('zero', 0)
    assert.equal(clock.now(), EPOCH, 'setting timers does not move time')
    await sleep(clock, 100)
    assert.deepEqual(fired, [['zero', 0], ['a', 10], ['b', 20], ['b2', 20], ['c', 30]])
    assert.equal(clock.now(), EPOCH + 100)
    assert.equal(clock.pending, 0)
  } finally {
    clock.stop()
  }
})

test('now stands still while work runs, even real work, and moves only at timers', async () => {
  const clock = new VirtualClock({ epoch: EPOCH }).start()
  try {
    const before = clock.now()
    const spinUntil = Date.now() + 30
    while (Date.now() < spinUntil) { /* real CPU time */ }
    for (let i = 0; i < 5; i++) await turn()
    assert.equal(clock.now(), before, 'no timer: no time passes')
    await sleep(clock, 1234)
    assert.equal(clock.now(), before + 1234)
    // Fractions of a millisecond round up, so now() stays an integer.
    await sleep(clock, 0.2)
    assert.equal(clock.now(), before + 1235)
  } finally {
    clock.stop()
  }
})

test('clearTimeout: a cleared timer never fires, others still do', async () => {
  const clock = new VirtualClock({ epoch: EPOCH }).start()
  try {
    const fired: string[] = []
    const a = clock.setTimeout(() => { fired.push('a') }, 10)
    clock.setTimeout(() => { fired.push('b') }, 20)
    const c = clock.setTimeout(() => { fired.push('c') }, 5)
    clock.clearTimeout(a); clock.clearTimeout(c)
    clock.clearTimeout(c) // twice is harmless
    assert.equal(clock.pending, 1)
    await sleep(clock, 50)
    assert.deepEqual(fired, ['b'])
    // Many cleared timers (the heap compacts) do not disturb the order of the rest.
    const handles = Array.from({ length: 5000 }, (_, i) => clock.setTimeout(() => { fired.push('x') }, 10 + i))
    clock.setTimeout(() => { fired.push('kept') }, 3000)
    for (const h of handles) clock.clearTimeout(h)
    await sleep(clock, 10_000)
    assert.deepEqual(fired, ['b', 'kept'])
  } finally {
    clock.stop()
  }
})

test('time waits for the work a timer starts (promises, nextTicks, immediates) to settle', async () => {
  const clock = new VirtualClock({ epoch: EPOCH }).start()
  try {
    const order: string[] = []
    clock.setTimeout(() => { order.push('late@10') }, 10)
    clock.setTimeout(() => {
      // Work started at t=1 that sets a timer only after a chain of microtasks and two turns.
      void (async () => {
        for (let i = 0; i < 100; i++) await Promise.resolve()
        await new Promise(resolve => process.nextTick(resolve))
        await turn(); await turn()
        order.push(`chain done@${clock.now() - EPOCH}`)
        clock.setTimeout(() => { order.push(`early@${clock.now() - EPOCH}`) }, 4)
      })()
    }, 1)
    await sleep(clock, 20)
    assert.deepEqual(order, ['chain done@1', 'early@5', 'late@10'])
  } finally {
    clock.stop()
  }
})

test('a stopped clock freezes time; advance() steps it by hand', async () => {
  const clock = new VirtualClock({ epoch: EPOCH })
  const fired: number[] = []
  clock.setTimeout(() => { fired.push(clock.now() - EPOCH) }, 100)
  clock.setTimeout(() => { fired.push(clock.now() - EPOCH) }, 300)
  for (let i = 0; i < 5; i++) await turn()
  assert.deepEqual(fired, [], 'not started: nothing fires')
  await clock.advance(200)
  assert.deepEqual(fired, [100])
  assert.equal(clock.now(), EPOCH + 200)
  await clock.advance(200)
  assert.deepEqual(fired, [100, 300])
  assert.equal(clock.elapsed, 400)
})

test('a memory network on the clock: dials and chunks take virtual time, in order, the end after the data', async () => {
  const clock = new VirtualClock({ epoch: EPOCH }).start()
  // Chunk delays that shrink: a later chunk must still wait for the earlier ones.
  const delays = [300, 100, 50]
  let chunk = 0
  const network = new MemoryNetwork({ clock, latency: { dial: () => 2_000, message: (_from, _to, bytes) => (bytes === 0 ? 10 : delays[chunk++ % delays.length]!) } })
  const a = network.transport()
  const b = network.transport()
  try {
    const got: Array<[string, number]> = []
    const ended = new Promise<number>(resolve => {
      void b.listen(stream => {
        stream.on('data', (c: Buffer) => { got.push([c.toString(), clock.now() - EPOCH]) })
        stream.on('end', () => { resolve(clock.now() - EPOCH) })
      })
    })
    const stream = await a.dial(b.address)
    assert.equal(clock.now() - EPOCH, 2_000, 'the dial took its virtual connect time')
    stream.write('one'); stream.write('two'); stream.write('three')
    stream.end()
    const endAt = await ended
    assert.deepEqual(got, [['one', 2_300], ['two', 2_300], ['three', 2_300]], 'chunks arrive in order, none before an earlier one')
    assert.ok(endAt >= 2_300, `the end came after the data (${endAt})`)
  } finally {
    await a.close(); await b.close()
    clock.stop()
  }
})
