// Striping over lanes, over real TCP sockets on 127.0.0.1 in one process (as swarm-engine.test.ts):
// a leecher opens several connections to one seeder, each paced on its own as a Tor circuit is
// (so more lanes carry more), spreads its requests over them, survives losing one, and a seeder
// refuses a node's lane beyond MAX_LANES.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { socketPair } from '../helpers/sockets.ts'
import { BLOCK, laneSwarms, verifiedBlocks } from '../helpers/lane-swarms.ts'
import { LaneController, MAX_LANES } from '../../src/swarm/index.ts'

test('one seeder serves a leecher over lanes the lane controller opens: blocks spread over them, every block verified once', async () => {
  const s = await laneSwarms(10 * 1024 * 1024)
  try {
    const verified = verifiedBlocks(s.leecher)
    let mostLanes = 0
    const watch = setInterval(() => { mostLanes = Math.max(mostLanes, s.leecher.snapshot().peerList[0]?.lanes ?? 0) }, 20)
    await s.openLane()
    const lanes = new LaneController(s.leecher, s.seederId, async () => { await s.openLane() }, { windowMs: () => 300 })
    await s.leecher.whenComplete(AbortSignal.timeout(30_000))
    clearInterval(watch)
    lanes.stop()
    assert.ok((await s.restore()).equals(s.plain), 'the file arrived byte-identical')
    assert.equal(verified.size, s.blockCount, 'every block verified')
    assert.ok([...verified.values()].every(n => n === 1), 'no block verified twice')
    assert.ok(lanes.opened >= 1 && s.lanes.length >= 2, `lanes opened: ${lanes.opened}`)
    assert.ok(mostLanes >= 2, `the swarm saw ${mostLanes} lanes to the seeder`)
    // Blocks went over more than one lane: each carrying lane wrote at least a few blocks.
    const carrying = s.lanes.filter(l => l.seederSide.bytesWritten > 4 * BLOCK).length
    assert.ok(carrying >= 2, `${carrying} lanes carried blocks (${s.lanes.map(l => l.seederSide.bytesWritten).join(', ')} bytes)`)
    // Whether a lane's gain is enough to go on is the pure rule's job (test/unit/swarm-lanes.test.ts);
    // here rates depend on the machine's load, so they are not asserted (bench/onion.ts measures them).
    // One node, however many lanes: it counts once as a peer.
    assert.equal(s.leecher.peerCount, 1)
    assert.equal(s.seeder.peerCount, 1)
  } finally { await s.cleanup() }
})

test('a lane that dies mid-transfer: its blocks are fetched over the others, the peer stays, the file arrives intact', async () => {
  const s = await laneSwarms(6 * 1024 * 1024)
  try {
    const verified = verifiedBlocks(s.leecher)
    const closed: string[] = []
    s.leecher.on('event', e => { if (e.type === 'peer:closed') closed.push(e.peer) })
    await s.openLane()
    await s.openLane()
    await s.openLane()
    // Wait until every lane carries requests, then cut the first one (the lane whose bitfield counts).
    const deadline = Date.now() + 10_000
    while (s.leecher.snapshot().peerList[0]?.inflight === 0 || verified.size < 8) {
      assert.ok(Date.now() < deadline, 'transfer started')
      await new Promise(resolve => setTimeout(resolve, 10))
    }
    const before = s.leecher.snapshot().peerList[0]!
    assert.equal(before.lanes, 3)
    assert.ok(verified.size < s.blockCount, 'cut mid-transfer')
    s.lanes[0]!.leecherSide.destroy()
    await new Promise(resolve => setTimeout(resolve, 50))
    assert.equal(s.leecher.snapshot().peerList[0]?.lanes, 2, 'the lane is gone, the node is not')
    await s.leecher.whenComplete(AbortSignal.timeout(30_000))
    assert.ok((await s.restore()).equals(s.plain), 'byte-identical')
    assert.equal(verified.size, s.blockCount, 'every block verified')
    assert.deepEqual(closed, [], 'the peer never left')
    assert.equal(s.leecher.peerCount, 1)
  } finally { await s.cleanup() }
})

test('a seeder takes up to MAX_LANES lanes of one node and refuses the next; a lane freed makes room again', async () => {
  const s = await laneSwarms(512 * 1024)
  try {
    const leecherId = s.leecher.options.localNodeId
    const pairs = await Promise.all(Array.from({ length: MAX_LANES + 1 }, async () => await socketPair()))
    const added = pairs.map(([, b]) => s.seeder.addPeer(b, false, leecherId))
    assert.equal(added.filter(w => w != null).length, MAX_LANES)
    assert.equal(added[MAX_LANES], undefined, 'the lane beyond MAX_LANES is refused')
    assert.ok(pairs[MAX_LANES]![1].destroyed, 'and its stream destroyed')
    assert.equal(s.seeder.peerCount, 1)
    // Another node is still welcome, and a closed lane frees its place.
    const [, other] = await socketPair()
    assert.notEqual(s.seeder.addPeer(other, false, randomBytes(32)), undefined)
    added[0]!.close()
    const [, again] = await socketPair()
    assert.notEqual(s.seeder.addPeer(again, false, leecherId), undefined)
    for (const [a, b] of pairs) { a.destroy(); b.destroy() }
  } finally { await s.cleanup() }
})
