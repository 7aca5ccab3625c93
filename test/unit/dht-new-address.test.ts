// A node whose address changes (`/newonions`): DhtNode.setAddress re-announces its provider
// records with the new address, so a lookup finds it there and never at the old one, and the
// peers it talks to update its routing-table entry. Real DhtNodes over the memory transport with
// real oht handshakes, virtual time.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { DhtSimulation } from '../../src/dht/sim/simulation.ts'
import { DHT_PROTOCOL } from '../../src/dht/constants.ts'
import { acceptHandshakes } from '../../src/onion/handshake.ts'
import { contactFrom } from '../../src/dht/contact.ts'
import { idToHex } from '../../src/dht/id.ts'

test('setAddress: provider records re-announced at the new address, peers learn it', { timeout: 120_000 }, async () => {
  const sim = new DhtSimulation({ latency: null, seed: 11 })
  try {
    await sim.populate(24)
    const provider = sim.nodes[0]!
    const finder = sim.nodes[23]!
    const topic = randomBytes(32)
    assert.ok((await provider.dht.provide(topic)).stored > 0)
    const oldAddress = provider.dht.address!

    // The new listener (the new onion service). The old transport stays: the node dials through
    // it (a Tor transport dials through the same tor whatever its address); that the old onion
    // stops answering is test/tor/tor-newonions.test.ts's part.
    const moved = sim.network.transport()
    await moved.listen(acceptHandshakes({ keys: provider.keys, protocols: [DHT_PROTOCOL] }, session => { provider.dht.handleStream(session) }))
    // Publishing a new onion service takes seconds: the new record expires later than the old.
    await new Promise<void>(resolve => { sim.clock.setTimeout(() => { resolve() }, 5_000) })
    assert.equal(await provider.dht.setAddress(moved.address), 1, 'one topic re-announced')
    assert.equal(provider.dht.address, moved.address)
    assert.notEqual(moved.address, oldAddress)
    await assert.rejects(provider.dht.setAddress('not an address'), TypeError)
    assert.equal(provider.dht.address, moved.address, 'a bad address changes nothing')

    const { providers } = await finder.dht.findProvidersAll(topic)
    const own = providers.filter(r => idToHex(contactFrom(r.publicKey, r.address).nodeId) === provider.dht.nodeIdHex)
    assert.equal(own.length, 1, 'the provider is found once')
    assert.equal(own[0]!.address, moved.address, 'at its new address (a stale record anywhere is replaced by the newer one)')

    // Peers that heard from it verified the new address (a ping there) and updated its entry.
    await new Promise<void>(resolve => { sim.clock.setTimeout(() => { resolve() }, 30_000) })
    const entries = sim.nodes.slice(1).map(n => n.dht.table.get(provider.dht.nodeIdHex)?.contact.address).filter(a => a !== undefined)
    assert.ok(entries.includes(moved.address), 'some peer lists the provider at its new address')
  } finally {
    await sim.stop()
  }
})
