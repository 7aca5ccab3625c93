import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import {
  RoutingTable, commonPrefixLength, compareDistance, contactFrom, idToHex, nodeIdBytes, randomIdInBucket, xorDistance,
  contactFromRecord, contactToRecord, type Contact
} from '../../src/dht/index.ts'
import { nodeIdOf } from '../../src/onion/index.ts'

const id = (hex: string): Uint8Array => new Uint8Array(Buffer.from(hex.padEnd(64, '0'), 'hex'))
const randomContact = (i: number): Contact => contactFrom(new Uint8Array(randomBytes(32)), `mem:n${i}`)

describe('dht ids and the XOR metric', () => {
  test('node ids are SHA-256 of the raw public key, as the handshake computes them', () => {
    const key = new Uint8Array(randomBytes(32))
    assert.equal(idToHex(nodeIdBytes(key)), nodeIdOf(key))
  })

  test('distance is symmetric, zero only to itself, and orders by the first differing bit', () => {
    const a = new Uint8Array(randomBytes(32)); const b = new Uint8Array(randomBytes(32))
    assert.deepEqual(xorDistance(a, b), xorDistance(b, a))
    assert.ok(xorDistance(a, a).every(x => x === 0))
    const target = id('00')
    assert.ok(compareDistance(id('01'), id('80'), target) < 0, '0x01… is closer to 0 than 0x80…')
    assert.ok(compareDistance(id('ff'), id('fe'), id('ff')) < 0)
    assert.equal(compareDistance(a, a, target), 0)
  })

  test('common prefix length counts leading equal bits', () => {
    assert.equal(commonPrefixLength(id('00'), id('80')), 0)
    assert.equal(commonPrefixLength(id('00'), id('01')), 7)
    assert.equal(commonPrefixLength(id('0000'), id('0001')), 15)
    const a = new Uint8Array(randomBytes(32))
    assert.equal(commonPrefixLength(a, a), 256)
  })

  test('randomIdInBucket lands in exactly the asked bucket', () => {
    const self = new Uint8Array(randomBytes(32))
    for (const prefix of [0, 1, 7, 8, 9, 100, 254, 255]) {
      for (let i = 0; i < 20; i++) assert.equal(commonPrefixLength(self, randomIdInBucket(self, prefix)), prefix)
    }
    assert.throws(() => randomIdInBucket(self, 256), RangeError)
  })
})

describe('dht k-buckets', () => {
  const self = id('00')
  // Contacts whose ids we choose: the public key is irrelevant to the table, which keys on nodeId.
  const at = (hex: string, i = 0): Contact => ({ ...randomContact(i), nodeId: id(hex) })

  test('contacts go to the bucket of their common prefix with us; self is never added', () => {
    const table = new RoutingTable(self, 0, { k: 2 })
    assert.equal(table.bucketIndex(id('80')), 0)
    assert.equal(table.bucketIndex(id('01')), 7)
    assert.equal(table.add(at('80'), 1).status, 'added')
    assert.equal(table.add(at('01'), 1).status, 'added')
    assert.equal(table.add({ ...at('80'), nodeId: self }, 1).status, 'self')
    const sizes = table.bucketSizes()
    assert.equal(sizes[0], 1); assert.equal(sizes[7], 1); assert.equal(table.size, 2)
  })

  test('a full bucket keeps its healthy contacts and caches the newcomer; a failing contact makes room', () => {
    const table = new RoutingTable(self, 0, { k: 2, maxFailures: 2 })
    const first = at('80'); const second = at('c0'); const third = at('a0')
    table.add(first, 1); table.add(second, 2)
    const outcome = table.add(third, 3)
    assert.equal(outcome.status, 'cached')
    assert.ok(outcome.status === 'cached' && idToHex(outcome.oldest.nodeId) === idToHex(first.nodeId), 'the least recently seen is offered for a ping')
    assert.equal(table.has(idToHex(third.nodeId)), false)
    // One failure: not yet evicted; two in a row: evicted and replaced from the cache.
    assert.equal(table.recordFailure(idToHex(first.nodeId)), false)
    assert.equal(table.recordFailure(idToHex(first.nodeId)), true)
    assert.equal(table.has(idToHex(first.nodeId)), false)
    assert.equal(table.has(idToHex(third.nodeId)), true, 'the cached newcomer was promoted')
  })

  test('a bucket is full of good contacts while full, none failing, its oldest seen within the limit', () => {
    const table = new RoutingTable(self, 0, { k: 2, maxFailures: 2 })
    const a = at('80'); const b = at('c0'); const probe = at('a0').nodeId
    table.add(a, 1_000)
    assert.equal(table.fullOfGood(probe, 1_000, 500), false, 'not full')
    table.add(b, 1_200)
    assert.equal(table.fullOfGood(probe, 1_400, 500), true)
    assert.equal(table.fullOfGood(probe, 1_500, 500), false, 'its oldest was seen 500 ms ago: questionable')
    const outcome = table.add(at('a0'), 1_500)
    assert.ok(outcome.status === 'cached' && outcome.oldestSeen === 1_000, 'the cached outcome says when the oldest was seen')
    table.recordFailure(idToHex(b.nodeId))
    assert.equal(table.fullOfGood(probe, 1_100, 500), false, 'a contact with a failed request')
  })

  test('seeing a contact again moves it to the tail and clears its failures', () => {
    const table = new RoutingTable(self, 0, { k: 2, maxFailures: 2 })
    const a = at('80'); const b = at('c0')
    table.add(a, 1); table.add(b, 2)
    table.recordFailure(idToHex(a.nodeId))
    assert.equal(table.add(a, 3).status, 'updated')
    assert.equal(table.get(idToHex(a.nodeId))?.failures, 0)
    const outcome = table.add(at('a0'), 4)
    assert.ok(outcome.status === 'cached' && idToHex(outcome.oldest.nodeId) === idToHex(b.nodeId))
  })

  test('closest returns the n nearest by XOR, nearest first, and honours exclusions', () => {
    const table = new RoutingTable(new Uint8Array(randomBytes(32)), 0)
    const contacts = Array.from({ length: 200 }, (_, i) => randomContact(i))
    for (const c of contacts) table.add(c, 1)
    const target = new Uint8Array(randomBytes(32))
    const inTable = table.entries().map(e => e.contact)
    const expected = [...inTable].sort((a, b) => compareDistance(a.nodeId, b.nodeId, target)).slice(0, 20)
    assert.deepEqual(table.closest(target, 20).map(c => idToHex(c.nodeId)), expected.map(c => idToHex(c.nodeId)))
    const skip = idToHex(expected[0]!.nodeId)
    assert.ok(!table.closest(target, 20, hex => hex === skip).some(c => idToHex(c.nodeId) === skip))
  })

  test('stale buckets are those not touched for the refresh age, up to the deepest used one', () => {
    const table = new RoutingTable(self, 0, { k: 20 })
    table.add(at('01'), 0)
    assert.deepEqual(table.staleBuckets(10, 100), [])
    table.touch(id('80'), 150)
    assert.deepEqual(table.staleBuckets(200, 100), [1, 2, 3, 4, 5, 6, 7, 8])
  })

  test('contact records round-trip, and a record whose id does not match its key is refused', () => {
    const c = randomContact(1)
    assert.deepEqual(contactFromRecord(contactToRecord(c)), c)
    assert.equal(contactFromRecord({ ...contactToRecord(c), nodeId: 'ab'.repeat(32) }), null)
    assert.equal(contactFromRecord({ ...contactToRecord(c), address: 'http://evil' }), null)
  })
})
