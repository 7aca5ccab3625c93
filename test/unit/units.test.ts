import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseDuration, parseSize, formatBytes } from '../../cli/units.ts'

test('sizes read as people write them', () => {
  assert.equal(parseSize('512KiB'), 524288)
  assert.equal(parseSize('2MiB'), 2097152)
  assert.equal(parseSize('1GB'), 1e9)
  assert.equal(parseSize('100'), 100)
  assert.equal(parseSize('1.5k'), 1500)
  for (const bad of ['', 'abc', '-1MiB', '2 parsecs', '1e9']) assert.throws(() => parseSize(bad), /not a size/)
})

test('durations read as people write them', () => {
  assert.equal(parseDuration('30s'), 30_000)
  assert.equal(parseDuration('15m'), 900_000)
  assert.equal(parseDuration('7d'), 7 * 86_400_000)
  assert.equal(parseDuration('never'), Infinity)
  for (const bad of ['', '7', 'soon', '-3d']) assert.throws(() => parseDuration(bad), /not a duration/)
})

test('bytes format for people', () => {
  assert.equal(formatBytes(0), '0 B')
  assert.equal(formatBytes(1536), '1.50 KiB')
  assert.equal(formatBytes(2 ** 30), '1.00 GiB')
})

test('a duration past 100 years is refused with one clear message, not a Date overflow later', () => {
  assert.throws(() => parseDuration('99999999999d'), /duration too long: "99999999999d"/)
  assert.equal(parseDuration('36500d'), 36500 * 86400e3)
})
