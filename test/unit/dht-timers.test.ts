// The DHT's timers run on the injected clock: a manual clock drives republish and expiry here.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { setImmediate as turn } from 'node:timers/promises'
import { memoryDuplexPair, nodeIdOf } from '../../src/onion/index.ts'
import { DhtNode, PROVIDER_REPUBLISH_MS, PROVIDER_TTL_MS, STORE_SWEEP_MS, VALUE_REPUBLISH_MS, VALUE_TTL_MS, MAINTENANCE_INTERVAL_MS, BUCKET_REFRESH_MS, type Clock, type DhtConfig, type Dialer, type TimerHandle } from '../../src/dht/index.ts'
import { immutableKey } from '../../src/dht/caps.ts'
import { randomIdentity } from '../../src/dht/sim/adversaries.ts'

class ManualClock implements Clock {
  #now = 1_800_000_000_000
  #timers = new Map<number, { at: number, fn: () => void }>()
  #next = 1
  now (): number { return this.#now }
  setTimeout (fn: () => void, ms: number): TimerHandle {
    const id = this.#next++
    this.#timers.set(id, { at: this.#now + ms, fn })
    return id as unknown as TimerHandle
  }
  clearTimeout (handle: TimerHandle): void { this.#timers.delete(handle as unknown as number) }
  /** Moves time forward, firing due timers in order and letting the I/O they start settle. */
  async advance (ms: number): Promise<void> {
    const end = this.#now + ms
    while (true) {
      const due = [...this.#timers.entries()].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0]
      if (due === undefined) break
      this.#timers.delete(due[0])
      this.#now = Math.max(this.#now, due[1].at)
      due[1].fn()
      for (let i = 0; i < 50; i++) await turn()
    }
    this.#now = end
  }
}

/** Nodes on one manual clock, dialing each other over in-memory streams as if the handshake had run. */
function network (clock: ManualClock): { make: (name: string, config?: Partial<DhtConfig>) => DhtNode } {
  const nodes = new Map<string, DhtNode>()
  const make = (name: string, config?: Partial<DhtConfig>): DhtNode => {
    const keys = randomIdentity()
    const dial: Dialer = async target => {
      const peer = nodes.get(target.address)
      if (peer === undefined) throw new Error('unreachable')
      const [ours, theirs] = memoryDuplexPair()
      peer.handleStream({ remoteNodeId: nodeIdOf(keys.publicKeyRaw), remotePublicKey: keys.publicKeyRaw, protocol: 'dht', stream: theirs })
      return { remoteNodeId: peer.nodeIdHex, remotePublicKey: peer.keys.publicKeyRaw, protocol: 'dht', stream: ours }
    }
    const node = new DhtNode({ keys, address: `mem:${name}`, dial, clock, ...(config !== undefined ? { config } : {}) })
    nodes.set(`mem:${name}`, node)
    return node
  }
  return { make }
}

test('providers are republished on the clock, and expire on it once no longer provided', async () => {
  const clock = new ManualClock()
  const { make } = network(clock)
  const alice = make('alice'); const bob = make('bob')
  await alice.start(); await bob.start()
  try {
    await alice.bootstrap(['mem:bob'])
    const topic = new Uint8Array(randomBytes(32))
    await alice.provide(topic)
    const first = bob.records.getProviders(topic, clock.now())
    assert.equal(first.length, 1)
    assert.equal(first[0]!.expires, clock.now() + PROVIDER_TTL_MS)

    await clock.advance(PROVIDER_REPUBLISH_MS)
    const second = bob.records.getProviders(topic, clock.now())
    assert.equal(second.length, 1)
    assert.ok(second[0]!.expires > first[0]!.expires, 'republished with a later expiry, re-signed')

    alice.unprovide(topic)
    await clock.advance(PROVIDER_TTL_MS + STORE_SWEEP_MS)
    assert.equal(bob.records.size, 0, 'swept once expired')
    assert.equal(bob.records.getProviders(topic, clock.now()).length, 0)
  } finally {
    await alice.stop(); await bob.stop()
  }
})

test('values are republished on the clock while their putter runs, and expire once it stops', async () => {
  const clock = new ManualClock()
  const { make } = network(clock)
  const alice = make('alice'); const bob = make('bob')
  await alice.start(); await bob.start()
  try {
    await alice.bootstrap(['mem:bob'])
    const value = new Uint8Array(randomBytes(100))
    await alice.putImmutable(value)
    const first = bob.records.getValue(immutableKey(value), clock.now())
    assert.equal(first?.expires, clock.now() + VALUE_TTL_MS)

    await clock.advance(VALUE_REPUBLISH_MS)
    const second = bob.records.getValue(immutableKey(value), clock.now())
    assert.ok(second !== null && second.expires > first.expires, 'republished with a later expiry')

    await alice.stop()
    await clock.advance(VALUE_TTL_MS + STORE_SWEEP_MS)
    assert.equal(bob.records.getValue(immutableKey(value), clock.now()), null)
    assert.equal(bob.records.size, 0, 'swept once expired')
  } finally {
    await alice.stop(); await bob.stop()
  }
})

test('maintenance refreshes buckets no lookup went through for the refresh age, and only those', async () => {
  const clock = new ManualClock()
  const { make } = network(clock)
  const alice = make('alice'); const bob = make('bob')
  await alice.start(); await bob.start()
  try {
    await alice.bootstrap(['mem:bob'])
    const lookups = alice.stats().lookups
    // Rounds before the refresh age: nothing is stale (the bootstrap touched the buckets).
    await clock.advance(BUCKET_REFRESH_MS - MAINTENANCE_INTERVAL_MS - 1)
    assert.equal(alice.stats().lookups, lookups, 'no refresh before the age')
    await clock.advance(2 * MAINTENANCE_INTERVAL_MS)
    assert.ok(alice.stats().lookups > lookups, 'stale buckets refreshed with lookups')
  } finally {
    await alice.stop(); await bob.stop()
  }
})

test('idle outbound sessions are reaped by maintenance, except those kept warm', async () => {
  for (const warm of [false, true]) {
    const clock = new ManualClock()
    const { make } = network(clock)
    const config: Partial<DhtConfig> = { sessionIdleMs: 60_000, ...(warm ? {} : { maxWarmSessions: 0, warmPerBucket: 0 }) }
    const alice = make('alice', config); const bob = make('bob')
    await alice.start(); await bob.start()
    try {
      await alice.bootstrap(['mem:bob'])
      assert.equal(alice.stats().outboundSessions, 1)
      await clock.advance(MAINTENANCE_INTERVAL_MS + 1)
      assert.equal(alice.stats().outboundSessions, warm ? 1 : 0, warm ? 'the warm session stays' : 'the idle session is closed')
    } finally {
      await alice.stop(); await bob.stop()
    }
  }
})
