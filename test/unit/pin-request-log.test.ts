// The log of remote pin requests (`oht pins requests`) stays bounded however many requests come,
// and is trimmed in rounds, not counted on every request.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { NodeState } from '../../src/node/identity/state.ts'
import { PinGrants } from '../../src/node/pins/pin-protocol.ts'

test('the pin request log keeps about its last 1000 requests, newest first', async () => {
  const state = new NodeState({ memory: true }, new Uint8Array(randomBytes(32)))
  await state.open()
  try {
    const grants = new PinGrants(state)
    // The cost, in reads rather than time: how often the log's keys are scanned.
    const keys = grants.log.keys.bind(grants.log)
    let scans = 0
    grants.log.keys = ((...args: Parameters<typeof keys>) => { scans++; return keys(...args) }) as typeof keys
    for (let i = 0; i < 1300; i++) await grants.record({ at: 1_000_000 + i, node: 'n', account: null, share: null, ttlMs: null, outcome: 'refused', code: 'bad-request' })
    const stored = (await grants.log.keys().all()).length
    assert.ok(stored >= 1000 && stored < 1000 + 64, `stored ${stored}`)
    // Trimmed in rounds (about every 64 records), not on every record: a scan of 1000 keys per
    // request was the attack.
    assert.ok(scans <= 2 * Math.ceil(1300 / 64) + 2, `the log was scanned ${scans} times for 1300 records`)
    const latest = await grants.requests(1000)
    assert.equal(latest.length, 1000)
    assert.equal(latest[0]!.at, 1_000_000 + 1299)
  } finally {
    await state.close()
  }
})
