// The arithmetic of split blocks (src/swarm/parts.ts): ranges, what a seeder may be asked for,
// slices of a block held in parts, and joining.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { PartAssembly, isServableRange, sliceParts, splitRanges } from '../../src/swarm/parts.ts'

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
