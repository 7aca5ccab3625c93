// Pure units of streaming and bootstrap: HTTP Range parsing, the read-ahead window, network keys.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { parseRange } from '../../src/streaming/range.ts'
import { readAheadBlocks } from '../../src/streaming/reader.ts'
import type { StreamableShare } from '../../src/streaming/share.ts'
import { createNetworkKey, parseNetworkKey, networkKeyFromSeed, NetworkKeyError, NETWORK_VIRTUAL_PORT } from '../../src/onion/network-key.ts'

test('parseRange: single ranges, suffixes, open ends, clamping', () => {
  assert.deepEqual(parseRange('bytes=0-99', 1000), { kind: 'partial', range: { start: 0, end: 99 } })
  assert.deepEqual(parseRange('bytes=500-', 1000), { kind: 'partial', range: { start: 500, end: 999 } })
  assert.deepEqual(parseRange('bytes=-100', 1000), { kind: 'partial', range: { start: 900, end: 999 } })
  assert.deepEqual(parseRange('bytes=-5000', 1000), { kind: 'partial', range: { start: 0, end: 999 } }, 'a suffix longer than the file is the whole file')
  assert.deepEqual(parseRange('bytes=900-5000', 1000), { kind: 'partial', range: { start: 900, end: 999 } }, 'an end past the file is clamped')
  assert.deepEqual(parseRange(' BYTES = 1 - 2 ', 1000), { kind: 'partial', range: { start: 1, end: 2 } })
  assert.deepEqual(parseRange('bytes=999-999', 1000), { kind: 'partial', range: { start: 999, end: 999 } })
})

test('parseRange: what it ignores (served whole) and what it refuses (416)', () => {
  for (const header of [undefined, '', 'bytes=-', 'items=0-1', 'bytes=0-1,5-6', 'bytes=5-1', 'bytes=a-b', `bytes=0-${'9'.repeat(300)}`]) {
    assert.deepEqual(parseRange(header, 1000), { kind: 'full' }, String(header).slice(0, 40))
  }
  assert.deepEqual(parseRange('bytes=1000-', 1000), { kind: 'unsatisfiable' }, 'a start at the end')
  assert.deepEqual(parseRange('bytes=-0', 1000), { kind: 'unsatisfiable' }, 'an empty suffix')
  assert.deepEqual(parseRange('bytes=-10', 0), { kind: 'unsatisfiable' }, 'any suffix of an empty file')
  assert.deepEqual(parseRange(`bytes=${'9'.repeat(30)}-`, 1000), { kind: 'unsatisfiable' }, 'a start beyond safe integers')
  assert.deepEqual(parseRange(`bytes=5-${'9'.repeat(30)}`, 1000), { kind: 'partial', range: { start: 5, end: 999 } }, 'an end beyond safe integers means to the end')
})

test('readAheadBlocks: eight seconds of the measured rate, within 4 and 96 blocks', () => {
  const share = (rate: number, blockSize = 256 * 1024): StreamableShare => ({ downloadRate: () => rate, blockSize }) as unknown as StreamableShare
  assert.equal(readAheadBlocks(share(0)), 4, 'nothing measured yet: the minimum')
  assert.equal(readAheadBlocks(share(1024 * 1024)), 32, '1 MiB/s: 8 MiB of 256 KiB blocks')
  assert.equal(readAheadBlocks(share(1024 * 1024 + 1)), 33, 'rounded up')
  assert.equal(readAheadBlocks(share(1024 ** 3)), 96, 'a fast swarm: the maximum')
  assert.equal(readAheadBlocks(share(64 * 1024, 16 * 1024)), 32, 'smaller blocks, more of them')
})

test('network keys: round trip, the shared address and tor key derived from the seed, bad input refused', () => {
  const key = createNetworkKey()
  const again = parseNetworkKey(`  ${key.text}\n`)
  assert.deepEqual(again, key)
  assert.match(key.address, new RegExp(`^onion:[a-z2-7]{56}\\.onion:${NETWORK_VIRTUAL_PORT}$`))
  // tor's expanded form: SHA-512 of the seed with the scalar clamped (RFC 8032 §5.1.5).
  const blob = Buffer.from(key.torKeyBlob.replace(/^ED25519-V3:/, ''), 'base64')
  const h = createHash('sha512').update(key.seed).digest()
  assert.equal(blob.length, 64)
  assert.equal(blob[0]! & 7, 0)
  assert.equal(blob[31]! & 0xc0, 0x40)
  assert.deepEqual(blob.subarray(32), h.subarray(32), 'the second half is the hash prefix, unclamped')
  assert.notEqual(createNetworkKey().address, key.address)
  for (const bad of ['', 'oht-net:', 'oht-net:short', `oht-net:${'A'.repeat(44)}`, `oht-net:${'A'.repeat(42)}=`, `net:${'A'.repeat(43)}`, `oht-net:${'+'.repeat(43)}`]) {
    assert.throws(() => parseNetworkKey(bad), NetworkKeyError, bad)
  }
  assert.throws(() => networkKeyFromSeed(new Uint8Array(31)), NetworkKeyError)
})
