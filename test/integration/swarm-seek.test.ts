// What a seek leaves behind on a lane, over real TCP sockets on 127.0.0.1 in one process, each
// lane's reads paced as one Tor circuit's (test/helpers/lane-swarms.ts): the requests a seek
// cancels that the seeder had already sent, and the background requests an open stream keeps.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { firstMissing, LANE_BYTES_PER_SECOND, laneSwarms, verifiedBlocks } from '../helpers/lane-swarms.ts'
import { READER_SETTLE_MS, SHALLOW_SLOTS_WHILE_STREAMING, URGENT_BLOCKS } from '../../src/swarm/index.ts'

const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

/** Polls `check` every 2 ms until it holds; fails after `ms`. */
async function until (what: string, check: () => boolean, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!check()) {
    assert.ok(Date.now() < deadline, `timed out waiting for: ${what}`)
    await sleep(2)
  }
}

/** A leecher of 8 MiB with a stream open on it (held before its one lane opens). */
async function streamingLeecher () {
  const s = await laneSwarms(8 * 1024 * 1024)
  const verified = verifiedBlocks(s.leecher)
  const release = s.leecher.holdForStreaming()
  await s.openLane()
  const inflight = (): number => s.leecher.snapshot().peerList[0]?.inflight ?? 0
  return { s, verified, release, inflight }
}

test('seeks cancel requests the seeder already sent: those blocks are used when they come, the file arrives intact', async () => {
  const s = await laneSwarms(8 * 1024 * 1024)
  try {
    const verified = verifiedBlocks(s.leecher)
    const late: number[] = []
    /** Late answers that were asked for again before their block was verified (not used). */
    const askedAgain = new Set<number>()
    const awaitingUse = new Set<number>()
    const everAsked = new Set<number>()
    s.leecher.on('event', e => {
      if (e.type === 'block:requested') everAsked.add(e.index)
      if (e.type === 'block:late') { late.push(e.index); awaitingUse.add(e.index) }
      if (e.type === 'block:requested' && awaitingUse.has(e.index)) askedAgain.add(e.index)
      if (e.type === 'block:verified') awaitingUse.delete(e.index)
    })
    const served = new Map<number, number>()
    s.seeder.on('event', e => { if (e.type === 'block:served') served.set(e.index, (served.get(e.index) ?? 0) + 1) })
    await s.openLane()
    const inflight = (): number => s.leecher.snapshot().peerList[0]?.inflight ?? 0
    // Seeks, each while the lane's pipeline is deep, to blocks never asked for (so the seek must
    // make room): its background requests are cancelled after the seeder wrote them (the lane's
    // reads are paced, so they wait in the socket). A cancelled block the fetcher asks for again
    // on the same lane before its first answer came gets that answer as the new request's (no
    // late answer): seek until a late answer came, at least three times.
    const unasked = (start: number): number | undefined => {
      for (let i = start; i < s.blockCount - 1; i++) if (!everAsked.has(i) && !everAsked.has(i + 1)) return i
      return undefined
    }
    let seeks = 0
    for (const start of [100, 40, 72, 20, 88, 56, 112, 30, 120, 64]) {
      if (seeks >= 3 && late.length > 0) break
      await until('a deep pipeline', () => inflight() >= 3)
      const from = unasked(start)
      if (from == null) continue
      seeks++
      s.leecher.setPriorityWindow('player', { from, to: from + 1 })
      await until(`blocks ${from} and ${from + 1}`, () => s.leecher.isHeld(from) && s.leecher.isHeld(from + 1))
      s.leecher.setPriorityWindow('player', null)
    }
    await s.leecher.whenComplete(AbortSignal.timeout(30_000))
    assert.ok((await s.restore()).equals(s.plain), 'the file arrived byte-identical')
    assert.equal(verified.size, s.blockCount, 'every block verified')
    assert.ok([...verified.values()].every(n => n === 1), 'no block verified twice')
    const twice = [...served.values()].filter(n => n > 1).length
    assert.ok(late.length > 0, `no cancelled request was answered anyway in ${seeks} seeks (blocks the seeder sent twice: ${twice})`)
    assert.deepEqual([...askedAgain], [], `late answers dropped and asked for again (of ${late.length})`)
  } finally { await s.cleanup() }
})

test('while a stream is open a lane keeps one background request in flight; closed, its pipeline deepens again', async () => {
  const { s, verified, release, inflight } = await streamingLeecher()
  try {
    let most = 0
    while (verified.size < 24) {
      most = Math.max(most, inflight())
      await sleep(1)
    }
    assert.ok(most >= 1, 'the lane carried requests')
    assert.ok(most <= SHALLOW_SLOTS_WHILE_STREAMING, `${most} background requests in flight at once while a stream was open`)
    release()
    release() // once only: a second call changes nothing
    most = 0
    while (verified.size < s.blockCount - 8) {
      most = Math.max(most, inflight())
      await sleep(1)
    }
    assert.ok(most > SHALLOW_SLOTS_WHILE_STREAMING, `the pipeline stayed at ${most} after the stream closed`)
    await s.leecher.whenComplete(AbortSignal.timeout(30_000))
    assert.ok((await s.restore()).equals(s.plain), 'the file arrived byte-identical')
  } finally { await s.cleanup() }
})

test('a reader\'s read-ahead deep in its window keeps one request per lane besides the window\'s head', async () => {
  const { s, verified, release, inflight } = await streamingLeecher()
  try {
    // A player reading from block 0 with a read-ahead to block 100: the pipeline would take 20+.
    let from = 0
    let most = 0
    while (from < 60) {
      s.leecher.setPriorityWindow('player', { from, to: from + 100 })
      await until(`block ${from}`, () => { most = Math.max(most, inflight()); return s.leecher.isHeld(from) })
      from++
    }
    assert.ok(most > 1, 'the lane carried the head and more')
    assert.ok(most <= URGENT_BLOCKS + SHALLOW_SLOTS_WHILE_STREAMING, `${most} requests in flight at once for one reader (its head is ${URGENT_BLOCKS} blocks)`)
    s.leecher.setPriorityWindow('player', null)
    release()
    await s.leecher.whenComplete(AbortSignal.timeout(30_000))
    assert.equal(verified.size, s.blockCount, 'every block verified')
  } finally { await s.cleanup() }
})

test('readers that come and go within milliseconds (a player probing) ask only for the blocks they wait on', async () => {
  const { s, verified, release } = await streamingLeecher()
  try {
    await until('the lane carrying background blocks', () => verified.size >= 8)
    const asked: Array<{ index: number, at: number }> = []
    s.leecher.on('event', e => { if (e.type === 'block:requested') asked.push({ index: e.index, at: performance.now() }) })
    const missing = (start: number): number => {
      for (let i = start; i < s.blockCount - 40; i++) if (!s.leecher.isHeld(i) && !s.leecher.isHeld(i + 1)) return i
      throw new Error(`no missing blocks after ${start}`)
    }
    // Three readers in a few milliseconds, as ffmpeg opens and drops them while it probes a file;
    // each window's head is two blocks, its read-ahead thirty.
    const a = missing(40)
    s.leecher.setPriorityWindow('probe-a', { from: a, to: a + 30 })
    await sleep(3)
    s.leecher.setPriorityWindow('probe-a', null)
    const b = missing(a + 32)
    s.leecher.setPriorityWindow('probe-b', { from: b, to: b + 30 })
    await sleep(3)
    s.leecher.setPriorityWindow('probe-b', null)
    const c = missing(8)
    s.leecher.setPriorityWindow('player', { from: c, to: c + 30 })
    const lastChange = performance.now()
    await sleep(READER_SETTLE_MS / 2)
    const early = asked.filter(r => r.at < lastChange + READER_SETTLE_MS / 2).map(r => r.index)
    assert.ok(early.includes(c), `the player's first block ${c} was not asked at once (asked: ${early.join(', ')})`)
    const others = early.filter(i => i !== a && i !== b && i !== c)
    assert.deepEqual(others, [], `asked while readers came and went (only ${a}, ${b}, ${c} are waited on)`)
    // Once the readers settled, the rest of the player's head and its read-ahead go out.
    await until(`block ${c + 1} asked after the readers settled`, () => asked.some(r => r.index === c + 1), 5000)
    await until(`blocks ${c}..${c + 4}`, () => [0, 1, 2, 3, 4].every(k => s.leecher.isHeld(c + k)))
    s.leecher.setPriorityWindow('player', null)
    release()
    await s.leecher.whenComplete(AbortSignal.timeout(30_000))
    assert.ok((await s.restore()).equals(s.plain), 'the file arrived byte-identical')
  } finally { await s.cleanup() }
})

test('a seek\'s first block goes to lanes that deliver, not to one whose sent blocks have not arrived', async () => {
  const s = await laneSwarms(8 * 1024 * 1024)
  try {
    const verified = verifiedBlocks(s.leecher)
    const release = s.leecher.holdForStreaming()
    for (let i = 0; i < 3; i++) await s.openLane()
    for (const lane of s.lanes) lane.pace.setRate(LANE_BYTES_PER_SECOND / 16) // the share lasts the seeks
    await until('blocks over every lane', () => verified.size >= 12 && s.lanes.every(l => l.requested.length >= 3))
    // Lane 0 (the first in every tie) stops delivering: what it was sent stays in its "circuit".
    const stuck = s.lanes[0]!
    stuck.pace.setRate(1)
    const heads: number[] = []
    const askedOfStuck: number[] = []
    for (const start of [60, 90, 30, 110, 75]) {
      await sleep(READER_SETTLE_MS * 2) // the lanes refilled since the last reader went
      const from = firstMissing(s.leecher, start)
      heads.push(from)
      const before = stuck.requested.length
      s.leecher.setPriorityWindow('player', { from, to: from + 8 })
      await until(`block ${from}`, () => s.leecher.isHeld(from), 10_000)
      s.leecher.setPriorityWindow('player', null)
      // The first seek finds lane 0 as loaded as the others (one request each); after it, lane 0
      // holds withdrawn requests that no answer has passed.
      if (heads.length > 1 && stuck.requested.slice(before).includes(from)) askedOfStuck.push(from)
    }
    assert.deepEqual(askedOfStuck, [], `seeks' first blocks asked of the lane that delivers nothing (seeks to ${heads.join(', ')})`)
    release()
    for (const lane of s.lanes) lane.pace.setRate(LANE_BYTES_PER_SECOND)
    await s.leecher.whenComplete(AbortSignal.timeout(60_000))
    assert.ok((await s.restore()).equals(s.plain), 'the file arrived byte-identical')
  } finally {
    for (const lane of s.lanes) lane.pace.setRate(LANE_BYTES_PER_SECOND)
    await s.cleanup()
  }
})

test('a seek\'s first block goes to the lanes that will deliver it soonest, not to a slow lane with fewer blocks queued', async () => {
  const s = await laneSwarms(32 * 1024 * 1024)
  try {
    // Three far lanes (100 ms each way); lane 0 carries an eighth of what lanes 1 and 2 carry, so
    // its pipeline is shallower: its few queued blocks take longer to drain than their many.
    for (let i = 0; i < 3; i++) await s.openLane(100)
    s.lanes[0]!.pace.setRate(LANE_BYTES_PER_SECOND / 16)
    s.lanes[1]!.pace.setRate(LANE_BYTES_PER_SECOND / 2)
    s.lanes[2]!.pace.setRate(LANE_BYTES_PER_SECOND / 2)
    const verified = verifiedBlocks(s.leecher)
    await until('blocks over every lane', () => verified.size >= 48 && s.lanes.every(l => l.requested.length >= 6))
    const slow = s.lanes[0]!
    const heads: number[] = []
    const askedOfSlow: number[] = []
    for (const start of [300, 450, 150, 500, 380]) {
      await sleep(READER_SETTLE_MS + 50) // the lanes refilled since the last reader went
      const from = firstMissing(s.leecher, start)
      heads.push(from)
      const before = slow.requested.length
      s.leecher.setPriorityWindow('player', { from, to: from + 8 })
      await until(`block ${from}`, () => s.leecher.isHeld(from), 20_000)
      s.leecher.setPriorityWindow('player', null)
      await sleep(220) // a request sent meanwhile reached the seeder (100 ms away)
      if (slow.requested.slice(before).includes(from)) askedOfSlow.push(from)
    }
    assert.deepEqual(askedOfSlow, [], `seeks' first blocks asked of the slow lane (seeks to ${heads.join(', ')})`)
    await s.leecher.whenComplete(AbortSignal.timeout(60_000))
    assert.ok((await s.restore()).equals(s.plain), 'the file arrived byte-identical')
  } finally { await s.cleanup() }
})

test('while a stream is open, a lane still carrying cancelled blocks gets no background request until they arrive', async () => {
  const s = await laneSwarms(8 * 1024 * 1024)
  try {
    const verified = verifiedBlocks(s.leecher)
    const release = s.leecher.holdForStreaming()
    await s.openLane(100) // a far lane: a cancel reaches the seeder after it sent the block
    s.lanes[0]!.pace.setRate(LANE_BYTES_PER_SECOND / 8)
    await until('background blocks over the lane', () => verified.size >= 4)
    const events: Array<{ type: string, index: number, at: number }> = []
    s.leecher.on('event', e => { if (e.type === 'block:requested' || e.type === 'block:late') events.push({ type: e.type, index: e.index, at: performance.now() }) })
    // Three readers that live 20 ms each (a player probing): each one's first block is asked at
    // once and cancelled when it goes, after the seeder has sent it.
    const heads: number[] = []
    for (const start of [40, 70, 100]) {
      const from = firstMissing(s.leecher, start)
      heads.push(from)
      s.leecher.setPriorityWindow('probe', { from, to: from + 8 })
      await sleep(20)
      s.leecher.setPriorityWindow('probe', null)
    }
    const gone = performance.now()
    await until('the cancelled blocks arrived anyway', () => heads.every(h => s.leecher.isHeld(h)), 10_000)
    const lastLate = Math.max(...events.filter(e => e.type === 'block:late').map(e => e.at))
    assert.ok(Number.isFinite(lastLate), 'the cancelled blocks came as late answers')
    const piledOn = events.filter(e => e.type === 'block:requested' && e.at > gone && e.at < lastLate).map(e => e.index)
    assert.deepEqual(piledOn, [], `background asked of the lane while its cancelled blocks ${heads.join(', ')} were still on their way`)
    release()
    s.lanes[0]!.pace.setRate(LANE_BYTES_PER_SECOND)
    await s.leecher.whenComplete(AbortSignal.timeout(60_000))
    assert.ok((await s.restore()).equals(s.plain), 'the file arrived byte-identical')
  } finally {
    s.lanes[0]?.pace.setRate(LANE_BYTES_PER_SECOND)
    await s.cleanup()
  }
})

test('a seed does not send a requester to another seed: only a holder still fetching is worth the round trip', async () => {
  const s = await laneSwarms(2 * 1024 * 1024)
  try {
    // The first leecher fetches everything from the seeder and stays, a seed itself.
    const first = await s.addLeecher()
    await first.whenComplete(AbortSignal.timeout(30_000))
    await until('the seeder sees the first leecher as a seed (not interested)', () => {
      const peers = s.seeder.snapshot().peerList
      return peers.length === 1 && !peers[0]!.peerInterested
    })
    // Every block was sent once and another node (a seed) holds it: a new leecher asks for each once.
    const asked = new Map<number, number>()
    s.leecher.on('event', e => { if (e.type === 'block:requested') asked.set(e.index, (asked.get(e.index) ?? 0) + 1) })
    await s.openLane()
    await s.leecher.whenComplete(AbortSignal.timeout(30_000))
    assert.ok((await s.restore()).equals(s.plain), 'the file arrived byte-identical')
    const again = [...asked].filter(([, n]) => n > 1).map(([i]) => i)
    assert.deepEqual(again, [], `blocks refused once and asked again: ${again.length} of ${s.blockCount}`)
  } finally { await s.cleanup() }
})
