// A rate limit that changes while it runs (a daemon's `oht config set maxUpload`): unlimited
// buckets cost nothing and let everything through; a limit set later holds the next caller back,
// and lifting it releases a caller already waiting. Ordering, not timing, is asserted.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Duplex, PassThrough } from 'node:stream'
import { PerPeerRate, RateLimiter, throttleReads } from '../../src/swarm/ratelimit.ts'

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

/** A chunk written once `limiter` is limited and empty is held back, and released once it is lifted. */
async function heldUntilLifted (inner: PassThrough, got: Buffer[], outer: Duplex, limiter: RateLimiter): Promise<void> {
  const before = got.length
  limiter.setRate(1000)
  await limiter.take(1000) // empty the bucket
  inner.write(Buffer.alloc(5000))
  await new Promise(resolve => setImmediate(resolve))
  assert.equal(got.length, before, 'held back by the new limit')
  // Released at the waiter's next wake-up (at most a second); the deadline only catches a hang.
  const released = new Promise<boolean>(resolve => {
    const timer = setTimeout(() => { resolve(false) }, 10_000)
    outer.once('data', () => { clearTimeout(timer); resolve(true) })
  })
  limiter.setRate(Infinity)
  assert.equal(await released, true, 'released once the limit is lifted')
  assert.equal(got.length, before + 1)
}

/** `throttleReads` over `limiters`, unlimited for now, with what it passed so far. */
async function throttled (...limiters: RateLimiter[]): Promise<{ inner: PassThrough, outer: Duplex, got: Buffer[] }> {
  const inner = new PassThrough()
  const outer = throttleReads(inner, ...limiters)
  const got: Buffer[] = []
  outer.on('data', (c: Buffer) => got.push(c))
  inner.write(Buffer.alloc(10_000))
  await new Promise(resolve => setImmediate(resolve))
  assert.equal(got.length, 1, 'unlimited: straight through')
  return { inner, outer, got }
}

test('throttleReads passes chunks straight through while unlimited, and paces them once a limit is set', async () => {
  const limiter = new RateLimiter(Infinity)
  const { inner, outer, got } = await throttled(limiter)
  await heldUntilLifted(inner, got, outer, limiter)
  outer.destroy()
})

test('PerPeerRate: one bucket per peer shared by its connections; setRate reaches buckets already handed out, both ways', async () => {
  const perPeer = new PerPeerRate()
  const a1 = perPeer.bucket('a')
  const a2 = perPeer.bucket('a')
  const b = perPeer.bucket('b')
  assert.equal(a1.limiter, a2.limiter, 'the lanes of one peer share its bucket')
  assert.notEqual(a1.limiter, b.limiter, 'another peer has its own')
  assert.equal(a1.limiter.unlimited, true)
  assert.equal(await settlesAtOnce(a1.limiter.take(10 * 1024 * 1024)), true)

  perPeer.setRate(1024)
  assert.equal(a1.limiter.bytesPerSecond, 1024, 'a limit set later reaches a peer already connected')
  assert.equal(b.limiter.bytesPerSecond, 1024)
  assert.equal(perPeer.bucket('c').limiter.bytesPerSecond, 1024, 'and peers to come')
  const held = b.limiter.take(64 * 1024)
  assert.equal(await settlesAtOnce(held), false, 'held under the new limit')
  assert.equal(await settlesAtOnce(a1.limiter.take(64 * 1024)), false, 'each peer is held by its own empty bucket')

  perPeer.setRate(Infinity)
  assert.equal(b.limiter.unlimited, true, 'unset: unlimited again')
  assert.equal(await Promise.race([held.then(() => true), new Promise<boolean>(resolve => { setTimeout(() => { resolve(false) }, 5000) })]), true, 'lifting it releases the waiter')
  assert.throws(() => { perPeer.setRate(-1) }, RangeError)
})

test('PerPeerRate: a bucket is forgotten once every connection of its peer released it (twice is harmless)', () => {
  const perPeer = new PerPeerRate(1000)
  const a1 = perPeer.bucket('a')
  const a2 = perPeer.bucket('a')
  a1.release()
  a1.release()
  assert.equal(perPeer.peers, 1, 'a second release of one connection does not free the other')
  assert.equal(perPeer.bucket('a').limiter, a2.limiter)
  a2.release()
  assert.equal(perPeer.peers, 1)
  const fresh = new PerPeerRate(1000)
  const x = fresh.bucket('x')
  x.release()
  assert.equal(fresh.peers, 0)
  assert.notEqual(fresh.bucket('x').limiter, x.limiter, 'a peer back later starts with a bucket of its own')
})

test('throttleReads with a peer bucket and the node bucket: held while either is limited', async () => {
  const peer = new RateLimiter(Infinity)
  const node = new RateLimiter(Infinity)
  const { inner, outer, got } = await throttled(peer, node)
  await heldUntilLifted(inner, got, outer, peer)
  await heldUntilLifted(inner, got, outer, node)
  outer.destroy()
})
