// Choking on its own (no sockets): tit-for-tat keeps the peers that upload most to us unchoked
// (when seeding: those that download fastest from us), one optimistic slot rotates among the
// rest every OPTIMISTIC_EVERY rounds, and peers that want nothing stay choked.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { chokeRound, type ChokablePeer, type ChokerState } from '../../src/swarm/choker.ts'
import { OPTIMISTIC_EVERY } from '../../src/swarm/constants.ts'
import type { SwarmContext, SwarmPeer } from '../../src/swarm/peer.ts'
import { Uploader } from '../../src/swarm/upload.ts'

function chokable (id: string, rate: number, interested = true, choked = true): ChokablePeer {
  const p: ChokablePeer = {
    id,
    interested,
    choked,
    rate,
    choke: () => { p.choked = true },
    unchoke: () => { p.choked = false }
  }
  return p
}

const unchoked = (peers: readonly ChokablePeer[]): string[] => peers.filter(p => !p.choked).map(p => p.id).sort()

/** A random source that returns `values` in turn. */
function sequence (...values: number[]): () => number {
  let k = 0
  return () => values[k++ % values.length]!
}

test('choker: the best uploaders keep the regular slots, plus one optimistic', () => {
  const peers = [
    chokable('slow', 10),
    chokable('fast', 900),
    chokable('mid', 500),
    chokable('idle', 0, false, false), // unchoked before, wants nothing now
    chokable('good', 700),
    chokable('poor', 20)
  ]
  const state: ChokerState = { rounds: 0 }
  // The optimistic pick from the rest (slow, poor: in the peers' order): random 0 → slow.
  chokeRound(peers, 4, state, () => 0)
  assert.deepEqual(unchoked(peers), ['fast', 'good', 'mid', 'slow'])
  assert.equal(state.optimistic, 'slow')
  // Rates change: poor now gives most; mid drops out of the regular slots.
  peers.find(p => p.id === 'poor')!.rate = 2000
  peers.find(p => p.id === 'mid')!.rate = 1
  chokeRound(peers, 4, state, () => 0)
  assert.deepEqual(unchoked(peers), ['fast', 'good', 'poor', 'slow'], 'slow keeps the optimistic slot until it rotates')
})

test('choker: the optimistic slot rotates every OPTIMISTIC_EVERY rounds', () => {
  const peers = [chokable('top', 100), chokable('a', 1), chokable('b', 1), chokable('c', 1)]
  const state: ChokerState = { rounds: 0 }
  // 2 slots: one regular (top), one optimistic among a, b, c.
  const seen: string[] = []
  const random = sequence(0, 0.5, 0.9, 0.5, 0.9, 0.9, 0.9)
  for (let round = 0; round < OPTIMISTIC_EVERY * 3; round++) {
    chokeRound(peers, 2, state, random)
    assert.equal(unchoked(peers).length, 2)
    assert.ok(unchoked(peers).includes('top'))
    seen.push(state.optimistic!)
  }
  // Picks at rounds 0, 3, 6 only (random 0, 0.5, 0.9 → a, b, c); held in between.
  assert.deepEqual(seen, ['a', 'a', 'a', 'b', 'b', 'b', 'c', 'c', 'c'])
})

test('choker: an optimistic peer that lost interest is replaced at once', () => {
  const peers = [chokable('top', 100), chokable('a', 1), chokable('b', 1)]
  const state: ChokerState = { rounds: 0 }
  chokeRound(peers, 2, state, () => 0)
  assert.equal(state.optimistic, 'a')
  peers[1]!.interested = false
  chokeRound(peers, 2, state, () => 0)
  assert.equal(state.optimistic, 'b')
  assert.deepEqual(unchoked(peers), ['b', 'top'])
})

/** Swarm peers as the Uploader sees them: counters and a wire's choke state. */
function swarmPeer (id: string, received: number, served: number): SwarmPeer & { choked: () => boolean } {
  let amChoking = true
  const wire = {
    peerInterested: true,
    get amChoking () { return amChoking },
    choke: () => { amChoking = true },
    unchoke: () => { amChoking = false }
  }
  const node = { id, lanes: new Set<SwarmPeer>(), received, served, lastRoundBytes: 0, lastRoundAt: performance.now() - 10_000 }
  const peer = { id, key: `${id}/0`, node, wire: { authenticated: true, wire } }
  node.lanes.add(peer as unknown as SwarmPeer)
  return Object.assign(peer as unknown as SwarmPeer, { choked: () => amChoking })
}

function uploader (peers: SwarmPeer[], seeding: boolean): Uploader {
  const ctx = { options: { uploadSlots: 3 }, peers: new Map(peers.map(p => [p.key, p])), nodes: new Map(peers.map(p => [p.id, p.node])) } as unknown as SwarmContext
  return new Uploader(ctx, { have: undefined, seeding })
}

test('choker: leeching ranks peers by what they gave us, seeding by what they took', () => {
  // gave: what each sent us; took: what we served each.
  const make = (): Array<ReturnType<typeof swarmPeer>> => [
    swarmPeer('gave-most', 9000, 10),
    swarmPeer('gave-some', 5000, 20),
    swarmPeer('took-most', 10, 9000),
    swarmPeer('took-some', 20, 5000)
  ]
  const regular = (peers: Array<ReturnType<typeof swarmPeer>>): string[] => peers.filter(p => !p.choked()).map(p => p.id)
  // 3 slots: two regular, one optimistic (random) among the other two.
  const leeching = make()
  uploader(leeching, false).chokeRound()
  const leechUnchoked = regular(leeching)
  assert.equal(leechUnchoked.length, 3)
  assert.ok(leechUnchoked.includes('gave-most') && leechUnchoked.includes('gave-some'), leechUnchoked.join())

  const seeding = make()
  uploader(seeding, true).chokeRound()
  const seedUnchoked = regular(seeding)
  assert.equal(seedUnchoked.length, 3)
  assert.ok(seedUnchoked.includes('took-most') && seedUnchoked.includes('took-some'), seedUnchoked.join())
})

test('choker: a newly interested peer gets a free slot at once, not beyond the slots', () => {
  const peers = [swarmPeer('a', 0, 0), swarmPeer('b', 0, 0), swarmPeer('c', 0, 0), swarmPeer('d', 0, 0)]
  const up = uploader(peers, false)
  for (const p of peers) up.onInterested(p)
  assert.deepEqual(peers.map(p => p.choked()), [false, false, false, true])
})

test('choker: a peer that idled while unchoked gets only the optimistic slot; equal rates are not ranked by arrival', () => {
  // Ten silent identities that came first (one of them marked idle), then an honest newcomer.
  const peers = [...Array.from({ length: 10 }, (_, i) => chokable(`s${i}`, 0)), chokable('honest', 0)]
  peers[0]!.idle = true
  let honestRegular = 0
  for (let round = 0; round < 200; round++) {
    const state: ChokerState = { rounds: 1, optimistic: 's0' }
    for (const p of peers) p.choked = true
    chokeRound(peers, 4, state, () => 0)
    assert.ok(!peers[0]!.choked ? state.optimistic === 's0' : true, 'an idle peer holds no regular slot')
    if (!peers.at(-1)!.choked && state.optimistic !== 'honest') honestRegular++
  }
  // 3 regular slots among 10 equal peers: about 30 % of rounds, never 0 (arrival order would give 0).
  assert.ok(honestRegular > 20, `the newcomer got a regular slot in ${honestRegular} of 200 rounds`)
})
