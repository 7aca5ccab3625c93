// --max-download paces what a stream reads: over a real TCP socket pair on 127.0.0.1, a sender
// that writes 1 MiB at once is held to the limiter's rate by flow control; every byte still
// arrives, in order; writes in the other direction are not paced.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { test } from 'node:test'
import { RateLimiter, throttleReads } from '../../src/swarm/ratelimit.ts'
import { socketPair } from '../helpers/sockets.ts'

test('throttleReads: reads paced by the limiter, nothing lost or reordered, writes pass', async t => {
  const [a, b] = await socketPair()
  t.after(() => { a.destroy(); b.destroy() })
  const rate = 256 * 1024
  const paced = throttleReads(b, new RateLimiter(rate))
  const data = randomBytes(1024 * 1024)
  const received: Buffer[] = []
  let bytes = 0
  paced.on('data', (chunk: Buffer) => { received.push(chunk); bytes += chunk.length })
  const started = performance.now()
  a.end(data)
  await new Promise(resolve => setTimeout(resolve, 1500))
  // A slow machine only lowers this count: it cannot make the assertion fail.
  const elapsed = (performance.now() - started) / 1000
  const allowed = rate /* the one-second burst */ + rate * elapsed + 64 * 1024 /* one socket read */
  assert.ok(bytes <= allowed, `${bytes} bytes read in ${elapsed.toFixed(2)} s at ${rate} B/s`)
  assert.ok(bytes < data.length)

  // The other direction is not paced: 1 MiB written through the wrapper arrives at once.
  const back = randomBytes(1024 * 1024)
  const echoed: Buffer[] = []
  let echoedBytes = 0
  const gotBack = new Promise<void>(resolve => { a.on('data', (c: Buffer) => { echoed.push(c); echoedBytes += c.length; if (echoedBytes === back.length) resolve() }) })
  paced.write(back)
  await gotBack
  assert.ok(Buffer.concat(echoed).equals(back))

  await new Promise<void>(resolve => { paced.once('end', () => { resolve() }) })
  assert.ok(Buffer.concat(received).equals(data), 'every byte, in order')
})

/** A stillWanted that counts its calls: called once at the caller's turn, once more only after a wait for tokens. */
function counted (answer: () => boolean = () => true): { check: () => boolean, calls: () => number } {
  let n = 0
  return { check: () => { n++; return answer() }, calls: () => n }
}

test('take: a request no longer wanted at its turn, or after its wait, spends nothing', async () => {
  const rate = 64 * 1024
  const limiter = new RateLimiter(rate)
  const first = counted()
  assert.equal(await limiter.take(rate, first.check), true)
  assert.equal(first.calls(), 1, 'the one-second burst: no wait')

  // Wanted when its turn comes with the bucket empty, cancelled during its wait.
  let turns = 0
  const cancelled = counted(() => ++turns === 1)
  assert.equal(await limiter.take(rate, cancelled.check), false)
  assert.equal(cancelled.calls(), 2, 'asked at its turn, and again after waiting for tokens')

  // What the cancelled request waited for is still there: half the rate goes through at once.
  const next = counted()
  assert.equal(await limiter.take(rate / 2, next.check), true)
  assert.equal(next.calls(), 1, 'no wait: nothing was spent by the cancelled request')

  // Not wanted when its turn comes: refused before any wait.
  const gone = counted(() => false)
  assert.equal(await limiter.take(rate, gone.check), false)
  assert.equal(gone.calls(), 1)
})
