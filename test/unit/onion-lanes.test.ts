// Each lane to a peer gets its own Tor circuit: tor isolates streams by SOCKS credentials
// (IsolateSOCKSAuth), and the Tor transport's password names the target and the lane.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { circuitKey } from '../../src/onion/tor/transport.ts'

test('tor lanes: the first lane keeps the one-circuit-per-peer key, every other lane has its own', () => {
  const host = 'a'.repeat(56) + '.onion'
  assert.equal(circuitKey(host, undefined), host)
  assert.equal(circuitKey(host, 0), host)
  const keys = [0, 1, 2, 3].map(lane => circuitKey(host, lane))
  assert.equal(new Set(keys).size, 4, keys.join())
  assert.notEqual(circuitKey(host, 1), circuitKey('b'.repeat(56) + '.onion', 1), 'lanes of different peers differ too')
})
