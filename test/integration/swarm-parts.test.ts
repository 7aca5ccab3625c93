// A seek's head block split across lanes (src/swarm/parts.ts), over real TCP sockets on 127.0.0.1
// in one process, each lane's reads paced as one Tor circuit's (test/helpers/lane-swarms.ts): the
// parts go to different lanes and join into the verified block; a lane that dies mid-split, or a
// seeder that lies in its part, costs a refetch of the block and nothing else; and the seeder
// serves a part exactly, refusing parts too small to be worth a block's sealing.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { laneSwarms, verifiedBlocks } from '../helpers/lane-swarms.ts'
import { MIN_PART_BYTES, type SwarmEvent, type SwarmStore } from '../../src/swarm/index.ts'

const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

/** Polls `check` every 2 ms until it holds; fails after `ms`. */
async function until (what: string, check: () => boolean, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!check()) {
    assert.ok(Date.now() < deadline, `timed out waiting for: ${what}`)
    await sleep(2)
  }
}

type Requested = Extract<SwarmEvent, { type: 'block:requested' }>

/** A leecher of 8 MiB streaming from `lanes` lanes to its seeder, every lane busy, and its events. */
async function streamingOver (lanes: number) {
  const s = await laneSwarms(8 * 1024 * 1024)
  const verified = verifiedBlocks(s.leecher)
  const events: SwarmEvent[] = []
  s.leecher.on('event', e => { events.push(e) })
  const release = s.leecher.holdForStreaming()
  for (let i = 0; i < lanes; i++) await s.openLane()
  await until('every lane carrying a request', () => (s.leecher.snapshot().peerList[0]?.inflight ?? 0) >= lanes)
  /** A block no event named yet, two before the end at least (a seek target nobody was asked for). */
  const unasked = (start: number): number => {
    const named = new Set(events.map(e => 'index' in e ? e.index : -1))
    for (let i = start; i < s.blockCount - 1; i++) if (!named.has(i)) return i
    throw new Error('no block left unasked')
  }
  const partsOf = (index: number): Requested[] => events.filter((e): e is Requested => e.type === 'block:requested' && e.index === index && e.part != null)
  return { s, verified, events, release, unasked, partsOf }
}

test('a seek\'s head block goes out in parts, one per lane, and arrives joined and verified once', async () => {
  const { s, verified, events, release, unasked, partsOf } = await streamingOver(3)
  try {
    const served: Array<{ index: number, bytes: number }> = []
    s.seeder.on('event', e => { if (e.type === 'block:served') served.push({ index: e.index, bytes: e.bytes }) })
    const from = unasked(60)
    s.leecher.setPriorityWindow('player', { from, to: from + 1 })
    await until(`block ${from}`, () => s.leecher.isHeld(from))
    const parts = partsOf(from)
    assert.ok(parts.length >= 2, `block ${from} asked in ${parts.length} parts`)
    assert.equal(new Set(parts.map(p => p.lane)).size, parts.length, 'each part of another lane')
    const ranges = parts.map(p => p.part!).sort((a, b) => a.offset - b.offset)
    const whole = 64 * 1024 + 16
    assert.equal(ranges[0]!.offset, 0)
    for (let i = 1; i < ranges.length; i++) assert.equal(ranges[i]!.offset, ranges[i - 1]!.offset + ranges[i - 1]!.length, 'parts follow each other')
    assert.equal(ranges.at(-1)!.offset + ranges.at(-1)!.length, whole, 'the parts cover the sealed block')
    assert.ok(events.some(e => e.type === 'block:joined' && e.index === from), 'the parts were joined')
    assert.equal(served.filter(x => x.index === from).reduce((n, x) => n + x.bytes, 0), whole, 'the seeder sent the block once, in parts')
    release()
    await s.leecher.whenComplete(AbortSignal.timeout(30_000))
    assert.ok((await s.restore()).equals(s.plain), 'the file arrived byte-identical')
    assert.ok([...verified.values()].every(n => n === 1), 'no block verified twice')
  } finally { await s.cleanup() }
})

test('a lane that dies with a part in flight: the block is asked whole of another lane and the file arrives intact', async () => {
  const { s, verified, events, release, unasked, partsOf } = await streamingOver(3)
  try {
    // The seeder side of every lane stops writing, so the split cannot finish before a lane dies.
    for (const lane of s.lanes) lane.seederSide.pause()
    const from = unasked(60)
    s.leecher.setPriorityWindow('player', { from, to: from + 1 })
    await until(`block ${from} in parts`, () => partsOf(from).length >= 2)
    // Lanes are numbered in the order they opened (the peer's key: node/lane).
    const victim = Number(partsOf(from)[0]!.lane!.split('/')[1])
    const before = events.length
    s.lanes[victim]!.leecherSide.destroy()
    for (const lane of s.lanes) lane.seederSide.resume()
    await until(`block ${from}`, () => s.leecher.isHeld(from))
    const after = events.slice(before)
    assert.ok(after.some(e => e.type === 'block:requested' && e.index === from && e.part == null), 'asked whole again once a part was lost')
    assert.ok(!after.some(e => e.type === 'block:joined' && e.index === from), 'not joined from what was left')
    assert.ok(!events.some(e => e.type === 'block:rejected'), 'nothing rejected: a lost lane is no lie')
    release()
    await s.leecher.whenComplete(AbortSignal.timeout(30_000))
    assert.ok((await s.restore()).equals(s.plain), 'the file arrived byte-identical')
    assert.ok([...verified.values()].every(n => n === 1), 'no block verified twice')
  } finally { await s.cleanup() }
})

test('a seeder that lies in its part: the joined block fails, nobody is banned for it until the block verifies whole, then the liar is', async () => {
  const s = await laneSwarms(8 * 1024 * 1024)
  try {
    let lieAbout = -1
    // Lies once, about the block it is told to: its first answer for it (the part) is corrupt.
    const liar = await s.addSeeder((store): SwarmStore => ({
      has: async i => await store.has(i),
      get: async i => {
        const b = Buffer.from(await store.get(i))
        if (i === lieAbout) { lieAbout = -1; b[0]! ^= 1; b[b.length - 1]! ^= 1 }
        return b
      }
    }))
    const liarId = Buffer.from(liar.options.localNodeId).toString('hex')
    const verified = verifiedBlocks(s.leecher)
    const events: SwarmEvent[] = []
    s.leecher.on('event', e => { events.push(e) })
    const release = s.leecher.holdForStreaming()
    await s.openLane()
    await s.openLane(liar)
    await until('both seeders carrying a request', () => s.leecher.snapshot().peerList.filter(p => p.inflight > 0).length === 2)
    const named = new Set(events.map(e => 'index' in e ? e.index : -1))
    let from = 60
    while (named.has(from) || named.has(from + 1)) from++
    lieAbout = from
    s.leecher.setPriorityWindow('player', { from, to: from + 1 })
    await until(`block ${from}`, () => s.leecher.isHeld(from))
    assert.ok(events.some(e => e.type === 'block:joined' && e.index === from), 'asked in parts and joined')
    assert.ok(events.some(e => e.type === 'block:rejected' && e.index === from && /joined from parts/.test(e.reason)), 'the joined block failed its hash')
    await until('the liar banned', () => s.leecher.snapshot().bannedPeers.includes(liarId), 5000)
    assert.ok(!s.leecher.snapshot().bannedPeers.includes(s.seederId), 'the honest seeder is not banned')
    release()
    await s.leecher.whenComplete(AbortSignal.timeout(30_000))
    assert.ok((await s.restore()).equals(s.plain), 'the file arrived byte-identical')
    assert.ok([...verified.values()].every(n => n === 1), 'no block verified twice')
  } finally { await s.cleanup() }
})

test('a seeder serves a part of a block byte for byte, and drops a peer asking for parts too small to be worth sealing a block', async () => {
  const s = await laneSwarms(1024 * 1024)
  try {
    const wire = await s.rawWire()
    await once(wire, 'ready')
    const unchoked = once(wire.wire, 'unchoke')
    wire.wire.interested()
    await unchoked
    const whole = await s.seeder.options.store!.get(3)
    const tail = { offset: MIN_PART_BYTES, length: whole.length - MIN_PART_BYTES }
    const part = await new Promise<Uint8Array>((resolve, reject) => {
      wire.wire.request(3, tail.offset, tail.length, (err, block) => { if (err != null) reject(err); else resolve(block!) })
    })
    assert.ok(Buffer.from(part).equals(Buffer.from(whole).subarray(tail.offset)), 'the part is the block\'s bytes at its offset')
    const closed = once(wire, 'close', { signal: AbortSignal.timeout(10_000) })
    wire.wire.request(3, 0, 1024, () => {})
    await closed.catch(() => { assert.fail('the peer asking for 1 KiB of a block is still connected after 10 s') })
    assert.ok(s.seeder.snapshot().bannedPeers.length === 1, 'the peer asking for 1 KiB of a block was banned')
  } finally { await s.cleanup() }
})
