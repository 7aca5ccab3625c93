// BEP 5's good contacts, and silent probes: a call from a stranger whose bucket is full of
// contacts heard from lately costs the callee nothing; once that bucket's oldest is stale, the
// callee verifies the caller and probes its oldest, and neither probe makes its receiver probe
// in turn (it announces no address). Real DhtNodes on the memory transport, virtual time.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { sleep } from '../../src/dht/clock.ts'
import { GOOD_CONTACT_MS } from '../../src/dht/constants.ts'
import { DhtSimulation } from '../../src/dht/sim/simulation.ts'

test('a stranger calling into a full bucket: no ping while it is good, then two silent probes that start no chain', { timeout: 120_000 }, async () => {
  const sim = new DhtSimulation({ preAuthenticated: true, latency: { connectMs: [1_000, 1_000], rttMs: [200, 200] }, seed: 5 })
  try {
    await sim.populate(200)
    const callee = sim.nodes[0]!
    // A stranger in the callee's bucket 0 (about 100 nodes, 20 in the table).
    const stranger = sim.nodes.find(n => n !== callee && !callee.dht.table.has(n.dht.nodeIdHex) && callee.dht.table.bucketIndex(n.dht.nodeId) === 0)!
    assert.ok(stranger !== undefined && callee.dht.table.fullOfGood(stranger.dht.nodeId, sim.clock.now(), GOOD_CONTACT_MS), 'the callee\'s bucket 0 is full of good contacts')
    const sent = (n = callee): number => n.dht.stats().requestsSent
    await stranger.dht.ping({ address: callee.dht.address!, nodeId: callee.dht.nodeIdHex })
    await sleep(sim.clock, 30_000)
    assert.equal(sent(), 0, 'the callee sent nothing: the stranger could only have been cached')
    assert.equal(callee.dht.table.has(stranger.dht.nodeIdHex), false)

    await sleep(sim.clock, GOOD_CONTACT_MS)
    const oldest = sim.nodes.find(n => n.dht.nodeIdHex === callee.dht.table.bucketEntries(0)[0]!.hex)!
    const before = sim.nodes.map(n => sent(n))
    await stranger.dht.ping({ address: callee.dht.address!, nodeId: callee.dht.nodeIdHex })
    await sleep(sim.clock, 30_000)
    assert.equal(sent(), 2, 'the callee verified the stranger and probed its stale oldest contact')
    assert.equal(sent(oldest), before[sim.nodes.indexOf(oldest)], 'the probed contact did not probe back: the probe announced no address')
    assert.equal(sent(stranger) - before[sim.nodes.indexOf(stranger)]!, 1 + 1, 'the stranger sent its ping and probed its own stale oldest, nothing for the verification it got')
    assert.equal(callee.dht.table.bucketEntries(0).at(-1)!.hex, oldest.dht.nodeIdHex, 'the probed oldest answered and is now the freshest')
    const others = sim.nodes.filter(n => n !== callee && n !== stranger && n !== oldest)
    const idle = others.filter(n => sent(n) === before[sim.nodes.indexOf(n)]).length
    // The stranger's own probe of its oldest reaches one node; nobody else sends anything.
    assert.ok(idle >= others.length - 1, `${others.length - idle} other nodes sent requests`)
  } finally {
    await sim.stop()
  }
})
