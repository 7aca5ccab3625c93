// The real DHT code, hundreds to a thousand nodes in one process on the memory transport (see
// src/dht/sim/simulation.ts for the shortcuts: tables filled from global knowledge, identities
// pre-authenticated instead of a handshake per connection — the handshake runs in dht-tcp.test.ts).
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { DhtSimulation, summarize } from '../../src/dht/sim/simulation.ts'
import { ForgingNode } from '../../src/dht/sim/adversaries.ts'
import { privateValueLocation } from '../../src/dht/index.ts'

describe('dht simulation', () => {
  test('1,000 nodes, 20% churn: provider lookups succeed ≥ 99%', { timeout: 120_000 }, async () => {
    // Without latency a request fails only when its node is gone (at once) or when the machine
    // stalls: generous timeouts keep a loaded CI machine from turning stalls into failures.
    const sim = new DhtSimulation({ scale: 1, latency: null, preAuthenticated: true, seed: 11, config: { rpcTimeoutMs: 60_000, dialTimeoutMs: 60_000 } })
    try {
      await sim.populate(1000)
      const topics = await sim.provideRandom(50)
      // Each topic is looked up twice, from different random nodes.
      const items = [...topics, ...topics]
      assert.ok(topics.every(i => i.stored >= 15), `each provider record reached most of its k closest nodes (${items.map(i => i.stored).join(',')})`)
      const keep = new Set(items.map(i => i.provider.name))
      const { left, joined } = await sim.churn(0.2, keep)
      assert.equal(left, 200); assert.equal(joined, 200)
      const fresh = sim.nodes.slice(1000)
      // A joiner's table fills from its self-lookup; a few may come out smaller on a busy machine.
      const filled = fresh.filter(n => n.dht.table.size >= 20).length
      assert.ok(fresh.every(n => n.dht.table.size > 0), 'every joiner knows someone')
      assert.ok(filled >= 0.95 * fresh.length, `${filled} of ${fresh.length} joiners have a full first bucket set`)
      const { samples, forgedAccepted } = await sim.lookupProviders(items, 16)
      const summary = summarize(samples)
      assert.equal(forgedAccepted, 0)
      assert.ok(summary.successRate >= 0.99, `success ${summary.successRate}`)
      assert.ok(summary.medianHops <= 4, `median hops ${summary.medianHops}`)
      // Lookups started on freshly joined nodes work too.
      const fromFresh = await Promise.all(items.slice(0, 20).map(async (item, i) => {
        const { providers } = await fresh[i]!.dht.findProvidersAll(item.topic, { limit: 1 })
        return providers.some(p => Buffer.from(p.publicKey).equals(item.provider.keys.publicKeyRaw))
      }))
      assert.ok(fromFresh.filter(Boolean).length >= 19, `from joiners: ${fromFresh.filter(Boolean).length}/20`)
    } finally {
      await sim.stop()
    }
  })

  test('10% of nodes forge provider records, 5% drop requests: every forgery is rejected, lookups succeed', { timeout: 120_000 }, async () => {
    const sim = new DhtSimulation({ scale: 1, latency: null, preAuthenticated: true, seed: 12, config: { rpcTimeoutMs: 1_000, stallMs: 200 } })
    try {
      await sim.populate(400, { forge: 40, drop: 20 })
      const items = await sim.provideRandom(80)
      const { samples, forgedAccepted } = await sim.lookupProviders(items, 16, ForgingNode.forgedKeys)
      const summary = summarize(samples)
      const rejected = sim.nodes.reduce((sum, n) => sum + n.dht.stats().rejectedRecords, 0)
      assert.ok(ForgingNode.forgedKeys.size > 0, 'the forgers were asked and forged')
      assert.ok(rejected > 0, 'forged records reached honest nodes and were rejected')
      assert.equal(forgedAccepted, 0, 'no forged record came out of a lookup')
      assert.ok(summary.successRate >= 0.99, `success ${summary.successRate}`)
      // A forger also answers get-value with a value that does not match the key.
      const value = new Uint8Array(randomBytes(100))
      const { key } = await sim.pick().dht.putImmutable(value)
      const got = await sim.pick().dht.getImmutable(key)
      assert.deepEqual(got.value, value)
    } finally {
      await sim.stop()
    }
  })

  test('values: immutable, mutable with seq, delete by tombstone, private values', { timeout: 60_000 }, async () => {
    const sim = new DhtSimulation({ scale: 1, latency: null, preAuthenticated: true, seed: 13 })
    try {
      await sim.populate(60)
      const [alice, bob, carol] = [sim.nodes[0]!.dht, sim.nodes[1]!.dht, sim.nodes[2]!.dht]
      const value = new TextEncoder().encode('an immutable value')
      const put = await alice.putImmutable(value)
      assert.ok(put.stored >= 15)
      assert.deepEqual((await bob.getImmutable(put.key)).value, value)
      assert.equal((await bob.getImmutable(new Uint8Array(randomBytes(32)))).value, null)

      const salt = new TextEncoder().encode('status')
      const v1 = await alice.putMutable(new TextEncoder().encode('v1'), { salt, seq: 1 })
      await alice.putMutable(new TextEncoder().encode('v2'), { salt, seq: 2 })
      const read = await bob.getMutable(alice.keys.publicKeyRaw, { salt })
      assert.equal(new TextDecoder().decode(read.record!.value), 'v2')
      assert.equal(read.record!.seq, 2)
      assert.notDeepEqual(v1.key, put.key)
      // Replaying seq 1 changes nothing.
      await carol.putMutable(new TextEncoder().encode('v1'), { salt, seq: 1, owner: alice.keys }).catch(() => {})
      assert.equal((await carol.getMutable(alice.keys.publicKeyRaw, { salt })).record!.seq, 2)
      const deleted = await alice.deleteMutable({ salt })
      assert.ok(deleted.stored >= 15)
      const afterDelete = await bob.getMutable(alice.keys.publicKeyRaw, { salt })
      assert.ok(afterDelete.record?.deleted === true && afterDelete.record.value.length === 0)

      const handle = new Uint8Array(randomBytes(32))
      await alice.putPrivate(handle, new TextEncoder().encode('secret'))
      const priv = await bob.getPrivate(handle)
      assert.equal(new TextDecoder().decode(priv.value!), 'secret')
      assert.equal((await bob.getPrivate(new Uint8Array(randomBytes(32)))).value, null)
      // The nodes that store it hold only ciphertext under a key derived from the handle.
      const location = privateValueLocation(handle)
      const stored = sim.nodes.map(n => n.dht.records.getValue(location.key, sim.clock.now())).filter(r => r !== null)
      assert.ok(stored.length >= 15)
      for (const record of stored) assert.equal(Buffer.from(record.value).includes(Buffer.from('secret')), false)
      await bob.deletePrivate(handle)
      const gone = await carol.getPrivate(handle)
      assert.equal(gone.value, null); assert.equal(gone.deleted, true)
    } finally {
      await sim.stop()
    }
  })
})
