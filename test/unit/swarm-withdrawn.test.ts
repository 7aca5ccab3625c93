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
