// Relayed provider lookups (src/dht/relay.ts): a node without the topic's records passes a
// get-providers on over a session it already has open, never over a new one. Real DhtNodes on the
// memory transport (pre-authenticated, virtual time, no latency), routing tables set by hand.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { MAX_FORWARD_HOPS } from '../../src/dht/constants.ts'
import { createProviderRecord } from '../../src/dht/records.ts'
import { DhtSimulation, type SimNode } from '../../src/dht/sim/simulation.ts'
import { WireError, decodeRequest, encodeRequest } from '../../src/dht/wire.ts'
import * as dagCbor from '@ipld/dag-cbor'

/** A asks B; C is closer to the topic (the topic is C's id) and holds a record of provider P; only B knows C. */
async function chain (sim: DhtSimulation, options: { bOpenToC: boolean }): Promise<{ a: SimNode, b: SimNode, c: SimNode, p: SimNode }> {
  const [a, b, c, p] = [await sim.addNode(), await sim.addNode(), await sim.addNode(), await sim.addNode()]
  const now = sim.clock.now()
  a.dht.table.add(b.dht.contact!, now)
  b.dht.table.add(c.dht.contact!, now)
  const record = createProviderRecord(p.keys, c.dht.nodeId, p.dht.address!, now + 3600_000)
  c.dht.records.addProvider(record, p.dht.nodeIdHex, now)
  if (options.bOpenToC) await b.dht.ping({ address: c.dht.address!, nodeId: c.dht.nodeIdHex })
  return { a, b, c, p }
}

test('an answerer relays a get-providers over its open session: the record comes back in one request, the querier dials nobody else', async () => {
  const sim = new DhtSimulation({ latency: null, preAuthenticated: true, seed: 31 })
  try {
    const { a, b, p } = await chain(sim, { bOpenToC: true })
    const { providers, lookup } = await a.dht.findProvidersAll(sim.nodes[2]!.dht.nodeId, { limit: 1 })
    assert.equal(providers.length, 1)
    assert.deepEqual(providers[0]!.publicKey, p.keys.publicKeyRaw)
    assert.equal(lookup.messages, 1, 'one request: the relay did the second hop')
    assert.equal(a.dht.stats().dials, 1, 'the querier opened a session to B only')
    assert.equal(b.dht.stats().relayed, 1)
  } finally {
    await sim.stop()
  }
})

test('without an open session to a closer node an answerer does not relay (never dials for it); the querier goes on itself', async () => {
  const sim = new DhtSimulation({ latency: null, preAuthenticated: true, seed: 32 })
  try {
    const { a, b, c, p } = await chain(sim, { bOpenToC: false })
    const { providers, lookup } = await a.dht.findProvidersAll(c.dht.nodeId, { limit: 1 })
    assert.deepEqual(providers[0]!.publicKey, p.keys.publicKeyRaw)
    assert.equal(b.dht.stats().relayed, 0)
    assert.equal(c.dht.stats().requestsServed, 1, 'C was asked once, by the querier: B opened no session to it')
    assert.equal(lookup.messages, 2, 'the querier asked C itself')
  } finally {
    await sim.stop()
  }
})

test('a querier that asks for no relay gets none', async () => {
  const sim = new DhtSimulation({ latency: null, preAuthenticated: true, seed: 33, config: { forwardHops: 0 } })
  try {
    const { a, b } = await chain(sim, { bOpenToC: true })
    const { lookup } = await a.dht.findProvidersAll(sim.nodes[2]!.dht.nodeId, { limit: 1 })
    assert.equal(b.dht.stats().relayed, 0)
    assert.equal(lookup.messages, 2)
  } finally {
    await sim.stop()
  }
})

test('wire: the forward count round-trips, is capped at MAX_FORWARD_HOPS, and a malformed one ends the session', () => {
  const topic = new Uint8Array(32).fill(7)
  assert.deepEqual(decodeRequest(encodeRequest({ id: 1, request: { type: 'get-providers', topic, forward: 2 } })).request, { type: 'get-providers', topic, forward: 2 })
  assert.deepEqual(decodeRequest(encodeRequest({ id: 1, request: { type: 'get-providers', topic, forward: 0 } })).request, { type: 'get-providers', topic })
  const raw = (f: unknown): Uint8Array => dagCbor.encode({ v: 1, i: 3, t: 'get-providers', k: topic, f })
  assert.deepEqual(decodeRequest(raw(1000)).request, { type: 'get-providers', topic, forward: MAX_FORWARD_HOPS })
  for (const bad of [-1, 1.5, 'x']) {
    assert.throws(() => decodeRequest(raw(bad)), (err: unknown) => err instanceof WireError && err.code === 'malformed', `forward ${String(bad)}`)
  }
})
