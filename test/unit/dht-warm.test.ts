// The warm-session policy: which routing-table contacts stay warm, how many, and what a round
// dials or pings, on a manual clock (no sockets).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { RoutingTable, contactFrom, type Contact, type Request } from '../../src/dht/index.ts'
import { randomIdentity } from '../../src/dht/sim/adversaries.ts'
import { chooseWarmContacts, WarmSessions } from '../../src/dht/warm-sessions.ts'

const self = new Uint8Array(32)
function contact (): Contact {
  return contactFrom(randomIdentity().publicKeyRaw, 'tcp:127.0.0.1:4001')
}
function table (n: number, now = 1000): RoutingTable {
  const t = new RoutingTable(self, 0)
  for (let i = 0; i < n; i++) t.add(contact(), now + i)
  return t
}

test('the warm set is bounded per bucket and in all, farthest bucket first', () => {
  const t = table(600)
  const chosen = chooseWarmContacts(t, { perBucket: 4, max: 10, isOpen: () => false })
  assert.equal(chosen.length, 10)
  const perBucket = new Map<number, number>()
  for (const e of chosen) perBucket.set(t.bucketIndex(e.contact.nodeId), (perBucket.get(t.bucketIndex(e.contact.nodeId)) ?? 0) + 1)
  assert.deepEqual([...perBucket.entries()].sort((a, b) => a[0] - b[0]), [[0, 4], [1, 4], [2, 2]])
})

test('within a bucket the picks are spread over its sub-ranges, open sessions first, failing contacts never', () => {
  const t = table(600)
  const bucket0 = t.bucketEntries(0)
  const open = new Set([bucket0[0]!.hex])
  t.recordFailure(bucket0[1]!.hex)
  const chosen = chooseWarmContacts(t, { perBucket: 4, max: 4, isOpen: hex => open.has(hex) })
  // Bits 1 and 2 of the ids (after bucket 0's bit): one pick from each of the four sub-ranges.
  assert.deepEqual(new Set(chosen.map(e => e.contact.nodeId[0]! >> 5 & 3)).size, 4)
  assert.ok(chosen.some(e => open.has(e.hex)), 'the contact with an open session stays warm')
  assert.ok(!chosen.some(e => e.hex === bucket0[1]!.hex), 'a failing contact is not kept warm')
})

test('a round dials at most warmDialsPerRound, pings only sessions idle past the keepalive, exempts the set', async () => {
  let now = 10_000_000
  const clock = { now: () => now, setTimeout: () => ({ __timer: 0 }), clearTimeout: () => {} }
  const t = table(600)
  const openAt = new Map<string, number>()
  const sent: Array<{ hex: string, type: string }> = []
  let warm: string[] = []
  const sessions = {
    setWarm: (hexes: Iterable<string>) => { warm = [...hexes] },
    isOpen: (hex: string) => openAt.has(hex),
    lastUsed: (hex: string) => openAt.get(hex),
    request: async (target: { nodeId?: string }, request: Request) => {
      sent.push({ hex: target.nodeId!, type: request.type })
      openAt.set(target.nodeId!, now)
      return { body: {}, contact: contact() }
    }
  }
  const config = { warmPerBucket: 4, maxWarmSessions: 12, warmKeepaliveMs: 60_000, warmDialsPerRound: 5 }
  const round = new WarmSessions({ clock, config, table: t, sessions: sessions as never })
  assert.deepEqual(await round.round(), { chosen: 12, dialed: 5, pinged: 0 })
  assert.equal(warm.length, 12)
  assert.deepEqual(await round.round(), { chosen: 12, dialed: 5, pinged: 0 })
  // The sessions dialed stay chosen (open ones first), so the last two are dialed next.
  assert.deepEqual(await round.round(), { chosen: 12, dialed: 2, pinged: 0 })
  assert.equal(new Set(sent.map(s => s.hex)).size, 12)
  now += 30_000
  assert.deepEqual(await round.round(), { chosen: 12, dialed: 0, pinged: 0 })
  now += 60_000
  assert.deepEqual(await round.round(), { chosen: 12, dialed: 0, pinged: 12 })
  assert.ok(sent.every(s => s.type === 'ping'))
  assert.ok(warm.every(hex => openAt.has(hex)))
})
