// The piece picker on its own (no sockets, no timers): rarest-first with random ties, random
// first pieces, the endgame's duplicate requests, streaming windows before rarity, and the
// availability counts as peers come and go. `random` is fixed so the scan's start is known.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Bits } from '../../src/swarm/bitfield.ts'
import { ENDGAME_BLOCKS, MAX_ASKS_PER_BLOCK, RANDOM_FIRST, URGENT_BLOCKS } from '../../src/swarm/constants.ts'
import { PiecePicker, type PickPeer } from '../../src/swarm/picker.ts'
import { PriorityWindows } from '../../src/swarm/windows.ts'

const SIZE = 20

function bits (size: number, indices: Iterable<number>): Bits {
  const b = new Bits(size)
  for (const i of indices) b.set(i)
  return b
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, k) => from + k)
const allBut = (...except: number[]): number[] => range(0, SIZE).filter(i => !except.includes(i))

/** A peer with `pieces`, and the blocks in flight to it. */
function peer (pieces: Iterable<number>): PickPeer & { inflight: Set<number> } {
  const inflight = new Set<number>()
  return { pieces: bits(SIZE, pieces), asking: i => inflight.has(i), inflight }
}

/** A picker over SIZE blocks, `held` held, whose scan starts at block `start`. */
function picker (held: Iterable<number>, start = 0, windows = new PriorityWindows()): { picker: PiecePicker, setStart: (s: number) => void } {
  let from = start
  const p = new PiecePicker(bits(SIZE, held), undefined, windows, () => from / SIZE)
  return { picker: p, setStart: s => { from = s } }
}

/** Asks `p` for `index` on behalf of `to`, as the downloader does. */
function ask (p: PiecePicker, to: ReturnType<typeof peer>, index: number): void {
  p.requested(index)
  to.inflight.add(index)
}

test('picker: rarest first, wherever the scan starts', () => {
  // Past the random first pieces: RANDOM_FIRST blocks held.
  const { picker: p, setStart } = picker(range(0, RANDOM_FIRST))
  const a = peer(range(0, SIZE))
  const b = peer(allBut(13))
  const c = peer(allBut(13, 17))
  for (const x of [a, b, c]) p.addPeer(x.pieces)
  assert.equal(p.availability(13), 1)
  assert.equal(p.availability(17), 2)
  assert.equal(p.availability(5), 3)
  for (const start of [0, 5, 14, 19]) {
    setStart(start)
    assert.equal(p.pick(a), 13, `scan from ${start}`)
  }
  // A scan stops at the first block as rare as any (the availability counts say how rare that
  // is): a pick does not look at every block of the share, which would make a fetch quadratic.
  let looked = 0
  setStart(13)
  assert.equal(p.pick({ pieces: { get: i => { looked++; return a.pieces.get(i) } }, asking: a.asking }), 13)
  assert.equal(looked, 1)
  // Once 13 is asked of someone, the next rarest is 17; then the ties go by the scan's start.
  ask(p, b, 13)
  setStart(0)
  assert.equal(p.pick(a), 17)
  ask(p, a, 17)
  setStart(9)
  assert.equal(p.pick(a), 9)
  // A peer is only asked for blocks it has.
  setStart(0)
  assert.equal(p.pick(peer([2, 3, 11])), 11)
})

test('picker: the first pieces are random, not rarest', () => {
  const { picker: p, setStart } = picker([])
  const a = peer(range(0, SIZE))
  const b = peer(allBut(15))
  p.addPeer(a.pieces)
  p.addPeer(b.pieces)
  assert.equal(p.availability(15), 1)
  // Fewer than RANDOM_FIRST held: the first wanted block from the random start, rare or not.
  setStart(10)
  assert.equal(p.pick(a), 10)
  setStart(4)
  assert.equal(p.pick(a), 4)
  // With RANDOM_FIRST held, rarity decides again.
  for (let i = 0; i < RANDOM_FIRST; i++) assert.ok(p.received(i))
  setStart(10)
  assert.equal(p.pick(a), 15)
})

test('picker: endgame asks a second peer for blocks in flight, only near the end', () => {
  // ENDGAME_BLOCKS + 1 blocks missing: no duplicates yet.
  const missing = range(SIZE - ENDGAME_BLOCKS - 1, SIZE)
  const { picker: p } = picker(range(0, SIZE - ENDGAME_BLOCKS - 1))
  const a = peer(range(0, SIZE))
  const b = peer(range(0, SIZE))
  const c = peer(range(0, SIZE))
  for (const x of [a, b, c]) p.addPeer(x.pieces)
  for (const i of missing) ask(p, a, i)
  assert.equal(p.pick(b), undefined, 'no duplicate while more than ENDGAME_BLOCKS are missing')
  // One arrives: ENDGAME_BLOCKS missing, all in flight to a; b may be asked for one of them.
  p.received(missing[0]!)
  a.inflight.delete(missing[0]!)
  p.released(missing[0]!)
  assert.equal(p.missing, ENDGAME_BLOCKS)
  const dup = p.pick(b)
  assert.ok(dup != null && a.inflight.has(dup), `duplicate of a block in flight to a (got ${dup})`)
  // Never twice to the same peer, never beyond MAX_ASKS_PER_BLOCK peers.
  assert.equal(p.pick(a), undefined, 'a already has every missing block in flight')
  ask(p, b, dup)
  assert.equal(p.askedCount(dup), MAX_ASKS_PER_BLOCK)
  const next = p.pick(c)
  assert.ok(next != null && next !== dup, `c gets another block, not a third ask of ${dup} (got ${next})`)
  // A block being stored is not asked again.
  p.startStoring(next)
  assert.notEqual(p.pick(c), next)
})

test('picker: a streaming window beats rarity; its head may go to a second peer', () => {
  const windows = new PriorityWindows()
  const { picker: p } = picker(range(0, RANDOM_FIRST), 0, windows)
  const a = peer(range(0, SIZE))
  const b = peer(allBut(6))
  const c = peer(allBut(6))
  for (const x of [a, b, c]) p.addPeer(x.pieces)
  assert.equal(p.pick(a), 6, 'block 6 is the rarest')
  assert.equal(p.windowsPending(), false)
  windows.set('reader', { from: 12, to: 15 }, SIZE - 1)
  assert.equal(p.windowsPending(), true)
  assert.equal(p.pickWindowed(a), 12, 'the window\'s first block, rarity aside')
  ask(p, a, 12)
  assert.equal(p.pickWindowed(a), 13)
  // The head (first URGENT_BLOCKS blocks) may be asked of a second peer; the rest may not.
  assert.equal(URGENT_BLOCKS, 2)
  assert.equal(p.pickWindowed(b), 12)
  ask(p, b, 12)
  ask(p, a, 13)
  assert.equal(p.pickWindowed(b), 13)
  ask(p, b, 13)
  ask(p, a, 14)
  assert.equal(p.pickWindowed(b), 15, 'block 14 is past the head: not duplicated')
  // Of two windows, the block nearest a window's start comes first.
  windows.set('other', { from: 2, to: 8 }, SIZE - 1)
  assert.equal(p.pickWindowed(c), 4, 'blocks 2 and 3 are held; 4 is 2 blocks into its window')
  // Held windows are no longer pending.
  windows.set('reader', null, SIZE - 1)
  windows.set('other', { from: 0, to: 3 }, SIZE - 1)
  assert.equal(p.windowsPending(), false)
})

test('picker: availability follows peers leaving', () => {
  const { picker: p, setStart } = picker(range(0, RANDOM_FIRST))
  const a = peer(range(0, SIZE))
  const b = peer(allBut(12))
  const c = peer([12])
  const d = peer(allBut(12))
  for (const x of [a, b, c, d]) p.addPeer(x.pieces)
  assert.equal(p.availability(12), 2)
  assert.equal(p.availability(13), 3)
  setStart(12)
  assert.equal(p.pick(a), 12, 'block 12 is the rarest')
  // b and d leave: 12 (a, c) is now the most common block.
  p.removePeer(b.pieces)
  p.removePeer(d.pieces)
  assert.equal(p.availability(12), 2)
  assert.equal(p.availability(13), 1)
  assert.equal(p.pick(a), 13, 'the scan from 12 passes over it to a rarest block')
  // A `have` counts as well, and a peer that leaves never drives a count below zero.
  assert.ok(p.peerHas(13))
  assert.equal(p.availability(13), 2)
  assert.equal(p.peerHas(SIZE), false, 'out of range')
  p.removePeer(c.pieces)
  assert.equal(p.availability(12), 1)
  assert.equal(p.pick(a), 12, 'as rare as any block again')
  // Counted out more often than it was counted in: the count stops at zero, never wraps.
  p.removePeer(c.pieces)
  p.removePeer(c.pieces)
  assert.equal(p.availability(12), 0)
})

test('picker: only wanted blocks, and block states for snapshots', () => {
  const wanted = bits(SIZE, [7, 8, 9])
  const p = new PiecePicker(bits(SIZE, [8]), wanted, new PriorityWindows(), () => 0)
  const a = peer(range(0, SIZE))
  p.addPeer(a.pieces)
  assert.equal(p.missing, 2)
  assert.equal(p.pick(a), 7)
  p.requested(7)
  assert.equal(p.pick(a), 9)
  assert.deepEqual([0, 7, 8, 9].map(i => p.state(i)), [3 /* skipped */, 2 /* in flight */, 1 /* held */, 0 /* missing */])
})
