// Disjoint lookups (S/Kademlia) against poisoning nodes. First on lookup.ts alone, over a synthetic
// network whose answers are scripted: poisoners answer every query with the attacker's Sybils,
// whose ids lie closer to the target than any honest node's; a path that takes them converges on
// them and finds nothing. Each disjoint path converges on its own candidates, so the paths that
// did not take the Sybils still reach the record's holders; with one window over all paths (or
// one path) the Sybils crowd the holders out. Then on real DhtNodes (memory transport,
// pre-authenticated, virtual time): poisoners, droppers, forgers and an eclipse attempt.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { VirtualClock } from '../../src/dht/clock.ts'
import type { Contact } from '../../src/dht/contact.ts'
import { compareDistance, idToHex, type Id } from '../../src/dht/id.ts'
import { iterativeLookup, type QueryAnswer } from '../../src/dht/lookup.ts'
import { ForgingNode } from '../../src/dht/sim/adversaries.ts'
import { DhtSimulation, seededRandom } from '../../src/dht/sim/simulation.ts'

const K = 20

function contactOf (nodeId: Id): Contact {
  return { nodeId, publicKey: new Uint8Array(32), address: `mem:${idToHex(nodeId).slice(0, 16)}` }
}

/**
 * 300 honest nodes (a quarter of them poisoners) and 20 Sybils sharing 200 bits with the target.
 * An honest node answers with the k closest to the target among a random half of the honest
 * nodes (its table), holders also with the record; poisoners and Sybils answer with the Sybils.
 */
function syntheticNetwork (seed: number): { target: Id, seeds: Contact[], query: (c: Contact) => Promise<QueryAnswer> } {
  const random = seededRandom(seed)
  const bytes = (): Id => new Uint8Array(Array.from({ length: 32 }, () => Math.floor(random() * 256)))
  const target = bytes()
  const honest = Array.from({ length: 300 }, () => contactOf(bytes()))
  const sybils = Array.from({ length: K }, () => { const id = bytes(); id.set(target.subarray(0, 25)); return contactOf(id) })
  const byDistance = (list: Contact[]): Contact[] => [...list].sort((a, b) => compareDistance(a.nodeId, b.nodeId, target))
  const holders = new Set(byDistance(honest).slice(0, K).map(c => idToHex(c.nodeId)))
  const poisoners = new Set(honest.filter(c => !holders.has(idToHex(c.nodeId)) && random() < 0.25).map(c => idToHex(c.nodeId)))
  const tables = new Map(honest.map(c => [idToHex(c.nodeId), honest.filter(() => random() < 0.5)]))
  const query = async (contact: Contact): Promise<QueryAnswer> => {
    const hex = idToHex(contact.nodeId)
    if (poisoners.has(hex) || !tables.has(hex)) return { nodes: sybils }
    return { nodes: byDistance(tables.get(hex)!).slice(0, K), done: holders.has(hex) }
  }
  // The querier's seeds: the honest nodes and poisoners of its own table, none a holder.
  const seeds = byDistance(honest.filter(c => !holders.has(idToHex(c.nodeId)) && random() < 0.1)).slice(0, K)
  return { target, seeds, query }
}

async function syntheticSuccess (paths: number, alphaPerPath: number): Promise<number> {
  const clock = new VirtualClock().start()
  let found = 0
  try {
    for (let seed = 1; seed <= 40; seed++) {
      const { target, seeds, query } = syntheticNetwork(seed)
      const result = await iterativeLookup({
        target, selfHex: '', seeds, k: K, paths, alphaPerPath, maxPerPath: alphaPerPath * 2, stallMs: 12_000, clock, signal: new AbortController().signal, query
      })
      if (result.found) found++
    }
  } finally {
    clock.stop()
  }
  return found / 40
}

test('poisoners leading to Sybils closer than any honest node: every disjoint lookup still finds a holder, one path does not', async () => {
  const disjoint = await syntheticSuccess(3, 2)
  assert.equal(disjoint, 1, `disjoint paths: ${disjoint}`)
  // The same networks with one path and as many requests in flight: the attack itself works.
  const single = await syntheticSuccess(1, 6)
  assert.ok(single <= 0.5, `one path: ${single}`)
})

test('30% adversarial DhtNodes (poisoning, dropping, forging) and an eclipse attempt (k ids ground near one topic): the providers are found, never a forgery', { timeout: 300_000 }, async () => {
  // Tor-like latencies (virtual time): which answers come first shapes what each path owns.
  const sim = new DhtSimulation({ preAuthenticated: true, seed: 1 })
  try {
    const topics = Array.from({ length: 50 }, () => sim.randomBytes(32))
    await sim.populate(400, { drop: 40, forge: 40, poison: 40 }, { topic: topics[0]!, count: K, bits: 9 })
    const items = await sim.provide(topics, 12)
    const { samples, forgedAccepted } = await sim.lookupProviders(items.flatMap(i => [i, i]), 12, ForgingNode.forgedKeys)
    assert.ok(ForgingNode.forgedKeys.size > 0, 'the forgers were asked and forged')
    assert.equal(forgedAccepted, 0, 'no forged record came out of a lookup')
    // Without storing on each path's closest too, the eclipsed topic (and one whose 20 closest
    // were all adversaries) had no honest holder left, and its lookups failed.
    const failed = samples.filter(s => !s.success).length
    assert.equal(failed, 0, `${failed} of ${samples.length} lookups failed`)
  } finally {
    await sim.stop()
  }
})
