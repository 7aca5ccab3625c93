// DHT mailboxes (src/people/mailbox): records sealed and padded to one size, keys that rotate
// one way per epoch, altered / moved / expired records refused, a record read once; two
// Mailboxes over one in-memory DHT (the same private-value sealing as src/dht) pass messages
// across an epoch change with an injected clock, and the DHT holds nothing that names either side.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { randomBytes } from 'node:crypto'
import { MemoryBackend, SealedDb } from '../../src/store/index.ts'
import { openPrivateValue, privateValueLocation, sealPrivateValue } from '../../src/dht/private-values.ts'
import {
  keyAt, MailboxError, Mailboxes, MAILBOX_EPOCH_MS, MAILBOX_PAYLOAD_BYTES, MAILBOX_RECORD_BYTES, MAILBOX_TTL_MS, openRecord, sealRecord, slotHandle,
  type EpochKey, type MailboxDht, type OutboxItem, type Payload
} from '../../src/people/index.ts'

const NOW = 1_800_000_000_000
const key = (epoch = 100): EpochKey => ({ epoch, key: randomBytes(32) })
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

function memoryDht (): MailboxDht & { stored: Map<string, Uint8Array>, gets: number } {
  const stored = new Map<string, Uint8Array>()
  const dht = {
    stored,
    gets: 0,
    putPrivate: async (handle: Uint8Array, plaintext: Uint8Array) => {
      const loc = privateValueLocation(handle)
      stored.set(hex(loc.key), sealPrivateValue(loc, plaintext))
      return { stored: 1 }
    },
    getPrivate: async (handle: Uint8Array) => {
      dht.gets++
      const loc = privateValueLocation(handle)
      const blob = stored.get(hex(loc.key))
      return { value: blob == null || blob.length === 0 ? null : openPrivateValue(loc, blob) }
    },
    deletePrivate: async (handle: Uint8Array) => { stored.set(hex(privateValueLocation(handle).key), new Uint8Array(0)) }
  }
  return dht
}

async function mailboxes (dht: MailboxDht, clock: { now: number }): Promise<Mailboxes> {
  const db = new SealedDb(new MemoryBackend(), randomBytes(32))
  await db.open()
  return new Mailboxes({ db, dht: () => dht, now: () => clock.now })
}

const whisper = (id: string, text: string): OutboxItem => ({ id, account: 'x', payload: { k: 'whisper', id, text, at: NOW }, queuedAt: NOW })

describe('mailbox records', () => {
  it('seal and open round trip; every record is the same size, whatever it holds', () => {
    const k = key()
    const small = sealRecord(k, 0, Buffer.from('hi'), NOW + 1000)
    const big = sealRecord(k, 1, randomBytes(MAILBOX_PAYLOAD_BYTES), NOW + 1000)
    assert.equal(small.length, MAILBOX_RECORD_BYTES)
    assert.equal(big.length, MAILBOX_RECORD_BYTES)
    assert.equal(openRecord(k, 0, small, NOW).toString(), 'hi')
    assert.equal(openRecord(k, 1, big, NOW).length, MAILBOX_PAYLOAD_BYTES)
    assert.throws(() => sealRecord(k, 2, Buffer.alloc(MAILBOX_PAYLOAD_BYTES + 1), NOW + 1000), (e: Error) => e instanceof MailboxError && e.code === 'too-large')
    // The same payload sealed twice gives different bytes (a fresh nonce): equal messages do not show.
    assert.notEqual(hex(sealRecord(k, 0, Buffer.from('hi'), NOW + 1000)), hex(small))
  })

  it('an altered record, a record moved to another slot or epoch, or one under another key is refused', () => {
    const k = key()
    const r = sealRecord(k, 3, Buffer.from('meet at noon'), NOW + 1000)
    for (const i of [0, 5, 200, MAILBOX_RECORD_BYTES - 1]) {
      const bad = Buffer.from(r)
      bad[i]! ^= 1
      assert.throws(() => openRecord(k, 3, bad, NOW), (e: Error) => e instanceof MailboxError && (e.code === 'tampered' || e.code === 'bad-record'), `byte ${i}`)
    }
    assert.throws(() => openRecord(k, 4, r, NOW), (e: Error) => e instanceof MailboxError && e.code === 'tampered')
    assert.throws(() => openRecord(keyAt(k, k.epoch + 1), 3, r, NOW), (e: Error) => e instanceof MailboxError && e.code === 'tampered')
    assert.throws(() => openRecord(key(), 3, r, NOW), (e: Error) => e instanceof MailboxError && e.code === 'tampered')
    assert.throws(() => openRecord(k, 3, r.subarray(0, 100), NOW), (e: Error) => e instanceof MailboxError && e.code === 'bad-record')
  })

  it('an expired record is refused (a replay after its life)', () => {
    const k = key()
    const r = sealRecord(k, 0, Buffer.from('old'), NOW + 1000)
    assert.equal(openRecord(k, 0, r, NOW + 999).toString(), 'old')
    assert.throws(() => openRecord(k, 0, r, NOW + 1000), (e: Error) => e instanceof MailboxError && e.code === 'expired')
  })

  it('keys rotate one way: each epoch and slot has its own handle, and a stepped key cannot go back', () => {
    const k = key(100)
    const handles = new Set<string>()
    for (let e = 100; e < 104; e++) for (let s = 0; s < 4; s++) handles.add(hex(slotHandle(keyAt(k, e), s)))
    assert.equal(handles.size, 16)
    const later = keyAt(k, 103)
    assert.notEqual(hex(later.key), hex(k.key))
    assert.equal(hex(keyAt(keyAt(k, 101), 103).key), hex(later.key), 'stepping in parts gives the same key')
    assert.throws(() => keyAt(later, 102), (e: Error) => e instanceof MailboxError && e.code === 'bad-epoch')
    assert.throws(() => keyAt(k, 100 + 1_000_000), (e: Error) => e instanceof MailboxError && e.code === 'bad-epoch')
  })
})

describe('Mailboxes between two nodes over one DHT', () => {
  const alice = '11'.repeat(32)
  const bob = '22'.repeat(32)

  async function pair (): Promise<{ a: Mailboxes, b: Mailboxes, dht: ReturnType<typeof memoryDht>, clock: { now: number }, key: EpochKey }> {
    const dht = memoryDht()
    const clock = { now: NOW }
    const a = await mailboxes(dht, clock)
    const b = await mailboxes(dht, clock)
    // bob offers alice its inbox (over a live session); alice acknowledges.
    const offer = await b.offer(alice)
    assert.ok(offer != null)
    assert.equal(await a.take(bob, offer), true)
    assert.equal(await a.take(bob, offer), false, 'the same offer again is nothing new')
    await b.offerDelivered(alice)
    assert.equal(await b.offer(alice), undefined, 'no offer once acknowledged')
    return { a, b, dht, clock, key: { epoch: offer.epoch, key: Buffer.from(offer.key, 'hex') } }
  }

  it('nothing can be left before the contact gave its key', async () => {
    const dht = memoryDht()
    const a = await mailboxes(dht, { now: NOW })
    assert.equal(await a.writable(bob), false)
    assert.deepEqual(await a.deposit(bob, [whisper('m1', 'hello')]), [])
    assert.equal(dht.stored.size, 0)
  })

  it('left by one side, read once by the other, across an epoch change; the DHT holds no ids and one size', async () => {
    const { a, b, dht, clock } = await pair()
    const left = await a.deposit(bob, [whisper('m1', 'first'), whisper('m2', 'second'), { id: 'p', account: bob, payload: { k: 'ping', id: 'p' }, queuedAt: NOW }])
    assert.deepEqual(left.map(l => [l.id, l.where.slot]), [['m1', 0], ['m2', 1]], 'a ping never goes into a mailbox')
    clock.now += MAILBOX_EPOCH_MS
    const more = await a.deposit(bob, [whisper('m3', 'third')])
    assert.deepEqual(more.map(l => l.where.slot), [0], 'a new epoch starts at slot 0 again, under the next key')
    assert.notEqual(more[0]!.where.epoch, left[0]!.where.epoch)
    const texts = (ps: Payload[]): string[] => ps.map(p => p.k === 'whisper' ? p.text : p.k)
    assert.deepEqual(texts(await b.collect(alice)), ['first', 'second', 'third'])
    assert.deepEqual(texts(await b.collect(alice)), [], 'read once: the reader goes on from the next slot')
    // Nothing the DHT holds names either side or says what is inside; every value is the same size.
    const sizes = new Set<number>()
    for (const [k, v] of dht.stored) {
      sizes.add(v.length)
      for (const id of [alice, bob]) {
        assert.equal(k.includes(id), false)
        assert.equal(Buffer.from(v).includes(Buffer.from(id, 'hex')), false)
        assert.equal(Buffer.from(v).includes(id), false)
      }
      assert.equal(Buffer.from(v).includes('first'), false)
    }
    assert.equal(sizes.size, 1)
    // A receipt for m3 empties its slot: the holders keep a tombstone, not the record. m1's epoch
    // key is gone on the writer's side too (stepped past): its record just expires.
    await a.clear(bob, more[0]!.where)
    await a.clear(bob, left[0]!.where)
    assert.equal([...dht.stored.values()].filter(v => v.length === 0).length, 1)
  })

  it('a record replayed into the next slot (a hostile holder) does not open there', async () => {
    const { a, b, dht, key } = await pair()
    await a.deposit(bob, [whisper('m1', 'once')])
    // The holder copies slot 0's stored bytes to the key of slot 1 (which it cannot compute; here the test can).
    const from = hex(privateValueLocation(slotHandle(key, 0)).key)
    const to = privateValueLocation(slotHandle(key, 1))
    dht.stored.set(hex(to.key), dht.stored.get(from)!)
    const got = await b.collect(alice)
    assert.deepEqual(got.map(p => p.k === 'whisper' && p.text), ['once'])
  })

  it('a record that has expired is not read; old epochs are stepped past and their keys forgotten', async () => {
    const { a, b, clock } = await pair()
    await a.deposit(bob, [whisper('m1', 'late')])
    clock.now += MAILBOX_TTL_MS + MAILBOX_EPOCH_MS
    assert.deepEqual(await b.collect(alice), [])
  })

  it('a removed contact\'s mailbox is forgotten: it has to offer again', async () => {
    const { a, b } = await pair()
    await b.forget(alice)
    const again = await b.offer(alice)
    assert.ok(again != null)
    assert.equal(await a.take(bob, again), true, 'a new key')
  })
})

