// A rate limit that changes while it runs (a daemon's `oht config set maxUpload`): unlimited
// buckets cost nothing and let everything through; a limit set later holds the next caller back,
// and lifting it releases a caller already waiting. Ordering, not timing, is asserted.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Duplex, PassThrough } from 'node:stream'
import { RateLimiter, throttleReads } from '../../src/swarm/ratelimit.ts'

/** Whether `p` settles before a macrotask turn passes. */
async function settlesAtOnce (p: Promise<unknown>): Promise<boolean> {
  return await Promise.race([p.then(() => true), new Promise<boolean>(resolve => { setImmediate(() => { resolve(false) }) })])
}

test('an unlimited bucket grants at once; a limit set later holds the next caller; lifting it releases a waiter', async () => {
  const limiter = new RateLimiter(Infinity)
  assert.equal(limiter.unlimited, true)
  assert.equal(await settlesAtOnce(limiter.take(100 * 1024 * 1024)), true)
  limiter.setRate(1024)
  assert.equal(limiter.bytesPerSecond, 1024)
  const held = limiter.take(64 * 1024)
  assert.equal(await settlesAtOnce(held), false, 'the next caller waits under the new limit (the bucket starts empty)')
  limiter.setRate(Infinity)
  assert.equal(await Promise.race([held.then(() => true), new Promise<boolean>(resolve => { setTimeout(() => { resolve(false) }, 5000) })]), true, 'lifting the limit releases it within its next wake-up')
  assert.throws(() => { limiter.setRate(0) }, RangeError)
})

test('throttleReads passes chunks straight through while unlimited, and paces them once a limit is set', async () => {
  const limiter = new RateLimiter(Infinity)
  const inner = new PassThrough()
  const outer: Duplex = throttleReads(inner, limiter)
  const got: Buffer[] = []
  outer.on('data', (c: Buffer) => got.push(c))
  inner.write(Buffer.alloc(10_000))
  await new Promise(resolve => setImmediate(resolve))
  assert.equal(got.length, 1, 'through at once')
  limiter.setRate(1000)
  await limiter.take(1000) // empty the bucket
  inner.write(Buffer.alloc(5000))
  await new Promise(resolve => setImmediate(resolve))
  assert.equal(got.length, 1, 'held back by the new limit')
  // Released at the waiter's next wake-up (at most a second); the deadline only catches a hang.
  const released = new Promise<boolean>(resolve => {
    const timer = setTimeout(() => { resolve(false) }, 10_000)
    outer.once('data', () => { clearTimeout(timer); resolve(true) })
  })
  limiter.setRate(Infinity)
  assert.equal(await released, true, 'released once the limit is lifted')
  assert.equal(got.length, 2)
  outer.destroy()
})
