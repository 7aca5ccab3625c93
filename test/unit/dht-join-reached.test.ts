// A joining node may look things up as soon as its bootstrap contacts answered: DhtNode.bootstrap's
// onReached comes before the join's own lookup and bucket refresh end (over Tor each new contact
// of that refresh is a multi-second onion dial, which a fetch's provider lookup need not wait for).
// Real DhtNodes over the memory transport with Tor-like latency, virtual time.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { DhtSimulation, WAN_TESTBED_LATENCY } from '../../src/dht/sim/simulation.ts'

test('bootstrap: onReached fires once the bootstrap node answered, before the refresh ends', { timeout: 60_000 }, async () => {
  const sim = new DhtSimulation({ latency: WAN_TESTBED_LATENCY, seed: 5 })
  try {
    await sim.populate(40)
    const joiner = await sim.addNode()
    const order: string[] = []
    let tableAtReached = -1
    let timeAtReached = -1
    const started = sim.clock.now()
    const joined = await joiner.dht.bootstrap([sim.nodes[0]!.dht.address!], {
      onReached: () => { order.push('reached'); tableAtReached = joiner.dht.table.size; timeAtReached = sim.clock.now() - started }
    })
    order.push('joined')
    const joinTime = sim.clock.now() - started
    assert.deepEqual(order, ['reached', 'joined'])
    assert.equal(joined.reached, 1)
    assert.ok(tableAtReached >= 1, 'the bootstrap node is in the table when lookups may start')
    assert.ok(joined.tableSize > tableAtReached, 'the refresh after it found more nodes')
    assert.ok(timeAtReached < joinTime, `reached at ${timeAtReached} ms of virtual time, the join ended at ${joinTime} ms`)
  } finally {
    await sim.stop()
  }
})
