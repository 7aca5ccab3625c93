// Routing-table admission against a Sybil: identities that call a node announcing addresses
// where nothing answers must not enter its table (docs/SECURITY.md). Real DhtNodes, memory
// transport with real oht handshakes, virtual time.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { DhtSimulation } from '../../src/dht/sim/simulation.ts'
import { DhtNode } from '../../src/dht/index.ts'
import { DHT_PROTOCOL } from '../../src/dht/constants.ts'
import { randomIdentity } from '../../src/dht/sim/adversaries.ts'
import { dialPeer } from '../../src/onion/index.ts'

test('300 identities that call a node announcing dead addresses do not enter its routing table; a live caller does', { timeout: 120_000 }, async () => {
  const sim = new DhtSimulation({ latency: null, seed: 7 })
  try {
    const target = await sim.addNode()
    const honest = await sim.addNode()
    const sybils: DhtNode[] = []
    for (let i = 0; i < 300; i++) {
      const keys = randomIdentity()
      const transport = sim.network.transport()
      // It dials from a live transport but announces an address where nothing listens.
      const dht = new DhtNode({ keys, address: `mem:dead-${i}`, dial: async (peer, signal) => await dialPeer(transport, peer.address, { keys, protocol: DHT_PROTOCOL, signal }), clock: sim.clock })
      await dht.start()
      sybils.push(dht)
    }
    await Promise.all(sybils.map(async s => { await s.bootstrap([target.dht.contact!]).catch(() => {}) }))
    await honest.dht.bootstrap([target.dht.contact!])
    // The verifying pings fail (nothing at the dead addresses) or succeed (the honest node).
    await new Promise<void>(resolve => { sim.clock.setTimeout(() => { resolve() }, 120_000) })
    const entries = target.dht.table.entries()
    const dead = entries.filter(e => e.contact.address.startsWith('mem:dead-')).length
    assert.equal(dead, 0, `${dead} of ${entries.length} table entries announce dead addresses`)
    assert.ok(target.dht.table.has(honest.dht.nodeIdHex), 'the honest caller was admitted')
    await Promise.all(sybils.map(async s => { await s.stop() }))
  } finally {
    await sim.stop()
  }
})
