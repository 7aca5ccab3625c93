// Which late pieces a connection may use: only answers to requests withdrawn from it (cancelled,
// timed out), each once, and only the last MAX_WITHDRAWN of them: a peer cannot make the fetcher
// hash and store blocks it never asked that connection for.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Pipeline } from '../../src/swarm/pipeline.ts'
import { MAX_WITHDRAWN } from '../../src/swarm/constants.ts'

test('a withdrawn request\'s answer is usable once; one never asked, or asked again, is not', () => {
  const p = new Pipeline()
  assert.equal(p.takeWithdrawn(7), false, 'never asked on this connection')
  p.track(7, 60_000, () => {})
  assert.equal(p.takeWithdrawn(7), false, 'in flight: its answer is the request\'s, not a late one')
  p.untrack(7)
  p.withdrawn(7)
  assert.equal(p.takeWithdrawn(7), true)
  assert.equal(p.takeWithdrawn(7), false, 'a second copy is not used')
  p.withdrawn(8)
  p.track(8, 60_000, () => {}) // asked again here: the answer belongs to the new request
  assert.equal(p.takeWithdrawn(8), false)
  p.untrack(8)
})

test('only the last MAX_WITHDRAWN withdrawn requests are remembered', () => {
  const p = new Pipeline()
  for (let i = 0; i < MAX_WITHDRAWN + 10; i++) p.withdrawn(i)
  for (let i = 0; i < 10; i++) assert.equal(p.takeWithdrawn(i), false, `the oldest (${i}) is forgotten`)
  for (let i = 10; i < MAX_WITHDRAWN + 10; i++) assert.equal(p.takeWithdrawn(i), true, `${i} is remembered`)
})

test('backlog counts what the peer will still send: requests in flight, and withdrawn ones it likely sent that no later answer passed', () => {
  const p = new Pipeline()
  const now = performance.now()
  p.track(1, 60_000, () => {})
  p.track(2, 60_000, () => {})
  assert.equal(p.backlog, 2)
  p.untrack(1)
  p.withdrawn(1, now - 50) // cancelled 50 ms after its request went out: the peer sent it
  assert.equal(p.size, 1, 'one request in flight')
  assert.equal(p.backlog, 2, 'and one withdrawn that is still on its way')
  p.withdrawn(3, performance.now()) // cancelled in the same write as its request: never sent
  assert.equal(p.backlog, 2)
  p.withdrawn(4, now - 20)
  assert.equal(p.backlog, 3)
  p.answered(now - 30) // an answer to a request sent after 1 and before 4: 1 came or never will
  assert.equal(p.backlog, 2, 'request 2 and withdrawn 4')
  assert.equal(p.takeWithdrawn(4), true)
  assert.equal(p.backlog, 1, 'only request 2')
  p.untrack(2)
  assert.equal(p.backlog, 0)
})

test('expected wait: a lane drains its queue at its own pace, measured from blocks that came back to back', () => {
  const t = performance.now()
  /** A lane that got `blocks` answers `gapMs` apart, each asked before the one before it arrived. */
  const lane = (gapMs: number, blocks: number): Pipeline => {
    const p = new Pipeline()
    for (let i = 0; i < blocks; i++) p.answered(t - 10_000, t - 5_000 + i * gapMs)
    return p
  }
  const slow = lane(150, 8)
  const fast = lane(20, 8)
  assert.ok(Math.abs(slow.msPerQueuedBlock - 150) < 1e-6 && Math.abs(fast.msPerQueuedBlock - 20) < 1e-6, `${slow.msPerQueuedBlock}, ${fast.msPerQueuedBlock}`)
  // An answer asked after the block before it arrived (the lane sat idle between) says nothing of the drain.
  slow.answered(t - 1_000, t)
  assert.ok(Math.abs(slow.msPerQueuedBlock - 150) < 1e-6, 'an idle gap is not a drain sample')
  // The slow lane has 7 requests in flight, the fast one 20: the fast one still answers sooner
  // (with no round trip measured, both assume the initial one, during which a backlog drains).
  for (let i = 0; i < 7; i++) slow.track(i, 60_000, () => {})
  for (let i = 0; i < 20; i++) fast.track(i, 60_000, () => {})
  assert.ok(fast.expectedWaitMs < slow.expectedWaitMs, `fast ${fast.expectedWaitMs} ms, slow ${slow.expectedWaitMs} ms`)
  // A withdrawn block the peer likely sent drains like one in flight.
  const before = slow.expectedWaitMs
  slow.withdrawn(9, performance.now() - 50)
  assert.ok(slow.expectedWaitMs > before, 'a sent, withdrawn block adds to the wait')
  for (let i = 0; i < 20; i++) fast.untrack(i)
  for (let i = 0; i < 7; i++) slow.untrack(i)
})
