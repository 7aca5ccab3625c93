// The arithmetic of split blocks (src/swarm/parts.ts): ranges, what a seeder may be asked for,
// slices of a block held in parts, and joining.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { PartAssembly, isServableRange, planParts, sliceParts, splitRanges } from '../../src/swarm/parts.ts'
import { Pipeline } from '../../src/swarm/pipeline.ts'

test('splitRanges: contiguous ranges of near-equal size covering the block, fewer when it is small', () => {
  assert.deepEqual(splitRanges(262160, 4, 32768), [
    { offset: 0, length: 65540 }, { offset: 65540, length: 65540 }, { offset: 131080, length: 65540 }, { offset: 196620, length: 65540 }
  ])
  assert.deepEqual(splitRanges(65552, 4, 32768), [{ offset: 0, length: 32776 }, { offset: 32776, length: 32776 }])
  assert.deepEqual(splitRanges(40000, 4, 32768), [{ offset: 0, length: 40000 }])
  assert.deepEqual(splitRanges(100, 3, 30), [{ offset: 0, length: 34 }, { offset: 34, length: 34 }, { offset: 68, length: 32 }])
  for (const [length, count] of [[262160, 3], [1000003, 7], [70000, 2]] as const) {
    const ranges = splitRanges(length, count, 1000)
    assert.ok(ranges.length <= count)
    assert.equal(ranges.reduce((n, r) => n + r.length, 0), length)
    ranges.forEach((r, i) => { assert.equal(r.offset, i === 0 ? 0 : ranges[i - 1]!.offset + ranges[i - 1]!.length) })
  }
})

test('isServableRange: the whole block, a part of at least the minimum, or the tail; nothing out of bounds', () => {
  assert.ok(isServableRange(0, 1000, 1000, 300))
  assert.ok(isServableRange(0, 300, 1000, 300))
  assert.ok(isServableRange(900, 100, 1000, 300), 'the tail may be short')
  assert.ok(!isServableRange(0, 299, 1000, 300), 'too small, not the tail')
  assert.ok(!isServableRange(800, 300, 1000, 300), 'past the end')
  assert.ok(!isServableRange(-1, 300, 1000, 300))
  assert.ok(!isServableRange(0, 0, 1000, 300))
  assert.ok(!isServableRange(0.5, 300, 1000, 300))
  assert.ok(!isServableRange(2 ** 53, 300, 1000, 300))
})

test('sliceParts: the bytes of a range across the block\'s parts, without copying', () => {
  const cipher = randomBytes(1000)
  const tag = randomBytes(16)
  const joined = Buffer.concat([cipher, tag])
  for (const [offset, length] of [[0, 1016], [0, 500], [500, 516], [990, 20], [1000, 16], [1008, 8], [0, 1000]] as const) {
    const slices = sliceParts([cipher, tag], { offset, length })
    assert.ok(Buffer.concat(slices).equals(joined.subarray(offset, offset + length)), `${offset}+${length}`)
    assert.ok(slices.every(s => s.buffer === cipher.buffer || s.buffer === tag.buffer), 'views of the parts')
  }
})

test('PartAssembly: joins the parts wherever they arrive from, refuses a part of the wrong size', () => {
  const block = randomBytes(1000)
  const ranges = splitRanges(1000, 3, 100)
  const join = new PartAssembly<string>(1000)
  ranges.forEach((r, i) => { join.assign(`lane${i}`, r) })
  assert.throws(() => join.put('lane1', block.subarray(0, 10)), /not asked for/)
  assert.throws(() => join.put('lane9', block.subarray(0, ranges[0]!.length)), /not asked for/)
  assert.equal(join.put('lane2', block.subarray(ranges[2]!.offset)), false)
  assert.equal(join.put('lane0', block.subarray(0, ranges[0]!.length)), false)
  assert.equal(join.put('lane1', block.subarray(ranges[1]!.offset, ranges[1]!.offset + ranges[1]!.length)), true)
  assert.ok(join.buffer.equals(block))
})

test('planParts: as many parts as make the last one arrive soonest, on the lanes that deliver soonest', () => {
  // Each lane: a backlog (bytes ahead of anything asked now) and a rate (bytes/ms); round trip 100 ms.
  const lane = (name: string, backlog: number, rate: number) => ({ name, finish: (bytes: number) => (backlog + bytes) / rate + 100 })
  const plan = (lanes: Array<ReturnType<typeof lane>>, whole = 262160) =>
    planParts(lanes, (l, bytes) => l.finish(bytes), whole, 4, 32768).map(p => `${p.lane.name}:${p.range.length}`).sort()
  const clean = [lane('a', 0, 300), lane('b', 0, 300), lane('c', 0, 300), lane('d', 0, 300)]
  assert.deepEqual(plan(clean), ['a:65540', 'b:65540', 'c:65540', 'd:65540'], 'four clean lanes: four parts')
  // Two lanes with a whole block already on its way: two parts on the clean ones arrive sooner.
  assert.deepEqual(plan([lane('a', 262160, 300), lane('b', 0, 300), lane('c', 262160, 300), lane('d', 0, 300)]), ['b:131080', 'd:131080'])
  // One fast clean lane beats splitting onto slow ones.
  assert.deepEqual(plan([lane('a', 0, 3000), lane('b', 0, 30), lane('c', 0, 30)]), ['a:262160'])
  assert.deepEqual(plan([lane('a', 0, 300)], 40000), ['a:40000'], 'one lane, or a block too small to split: whole')
  assert.deepEqual(planParts([], () => 0, 262160, 4, 32768), [], 'no lane')
})

test('Pipeline: the backlog is what is in flight and what was withdrawn within the last round trip', async () => {
  const p = new Pipeline()
  p.rttMs = 50
  p.track(1, 60_000, () => {}, 1000)
  p.track(2, 60_000, () => {}, 500)
  assert.equal(p.backlogBytes(), 1500)
  p.untrack(2)
  p.withdrawn(2, 500)
  assert.equal(p.backlogBytes(), 1500, 'just withdrawn: the peer may have sent it')
  await new Promise(resolve => setTimeout(resolve, 60))
  assert.equal(p.backlogBytes(), 1000, 'a round trip later: it came, or never will')
  p.bytesPerMs = 10
  p.minRttMs = 40
  assert.equal(p.finishMs(500, 1), 1500 / 10 + 40)
  p.untrack(1)
})
