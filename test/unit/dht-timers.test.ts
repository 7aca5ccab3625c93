// The DHT's timers run on the injected clock: a manual clock drives republish and expiry here.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { setImmediate as turn } from 'node:timers/promises'
import { memoryDuplexPair, nodeIdOf } from '../../src/onion/index.ts'
import { DhtNode, PROVIDER_REPUBLISH_MS, PROVIDER_TTL_MS, STORE_SWEEP_MS, type Clock, type Dialer, type TimerHandle } from '../../src/dht/index.ts'
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

test('providers are republished on the clock, and expire on it once no longer provided', async () => {
  const clock = new ManualClock()
  const nodes = new Map<string, DhtNode>()
  const make = (name: string): DhtNode => {
    const keys = randomIdentity()
    // Pre-authenticated in-memory dialer: the identity the handshake would have proved.
    const dial: Dialer = async target => {
      const peer = nodes.get(target.address)
      if (peer === undefined) throw new Error('unreachable')
      const [ours, theirs] = memoryDuplexPair()
      peer.handleStream({ remoteNodeId: nodeIdOf(keys.publicKeyRaw), remotePublicKey: keys.publicKeyRaw, protocol: 'dht', stream: theirs })
      return { remoteNodeId: peer.nodeIdHex, remotePublicKey: peer.keys.publicKeyRaw, protocol: 'dht', stream: ours }
    }
    const node = new DhtNode({ keys, address: `mem:${name}`, dial, clock })
    nodes.set(`mem:${name}`, node)
    return node
  }
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
