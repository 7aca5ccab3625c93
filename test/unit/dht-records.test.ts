import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import {
  MAX_RECORD_TTL_MS, MAX_VALUE_BYTES, RecordError, RecordStore, StoreRefusedError,
  createImmutableRecord, createMutableRecord, createProviderRecord, derivePrivateValueSecrets, immutableKey, mutableKey,
  openPrivateValue, privateValueLocation, providerFromWire, providerToWire, sealPrivateValue,
  validateProviderRecord, validateValueRecord, valueFromWire, valueToWire,
  type ProviderRecord, type RecordFailure
} from '../../src/dht/index.ts'
import { randomIdentity } from '../../src/dht/sim/adversaries.ts'

const NOW = 1_800_000_000_000
const HOUR = 3600_000
const alice = randomIdentity()
const mallory = randomIdentity()
const topic = new Uint8Array(randomBytes(32))

const fails = (code: RecordFailure) => (err: unknown): boolean => {
  assert.ok(err instanceof RecordError, `expected a RecordError, got ${String(err)}`)
  assert.equal(err.code, code, err.message)
  return true
}

describe('dht provider records', () => {
  const good = createProviderRecord(alice, topic, 'mem:alice', NOW + HOUR)

  test('a signed, unexpired record for the topic validates, also after a wire round trip', () => {
    validateProviderRecord(good, NOW, topic)
    validateProviderRecord(providerFromWire(providerToWire(good)), NOW, topic)
  })

  test('a bad signature is refused: tampered address, another key, flipped bit', () => {
    assert.throws(() => { validateProviderRecord({ ...good, address: 'mem:mallory' }, NOW, topic) }, fails('bad-signature'))
    assert.throws(() => { validateProviderRecord({ ...good, publicKey: mallory.publicKeyRaw }, NOW, topic) }, fails('bad-signature'))
    const signature = new Uint8Array(good.signature); signature[10]! ^= 1
    assert.throws(() => { validateProviderRecord({ ...good, signature }, NOW, topic) }, fails('bad-signature'))
    assert.throws(() => { validateProviderRecord({ ...good, signature: good.signature.subarray(0, 63) }, NOW, topic) }, fails('bad-signature'))
    // Re-signing a changed expiry needs the key; changing it without is caught.
    assert.throws(() => { validateProviderRecord({ ...good, expires: good.expires + 1 }, NOW, topic) }, fails('bad-signature'))
  })

  test('expired and too-long-lived records are refused', () => {
    assert.throws(() => { validateProviderRecord(good, NOW + HOUR, topic) }, fails('expired'))
    const forever = createProviderRecord(alice, topic, 'mem:alice', NOW + MAX_RECORD_TTL_MS * 2)
    assert.throws(() => { validateProviderRecord(forever, NOW, topic) }, fails('too-long-lived'))
  })

  test('a record for another topic is refused for this one', () => {
    assert.throws(() => { validateProviderRecord(good, NOW, new Uint8Array(randomBytes(32))) }, fails('wrong-key'))
  })

  test('oversized or malformed wire records are refused before any signature check', () => {
    assert.throws(() => providerFromWire({ ...providerToWire(good), a: 'mem:' + 'x'.repeat(300) }), fails('oversized'))
    assert.throws(() => providerFromWire({ ...providerToWire(good), t: new Uint8Array(31) }), fails('malformed'))
    assert.throws(() => providerFromWire({ ...providerToWire(good), a: 'http://example.com/' }), fails('malformed'))
    assert.throws(() => providerFromWire({ ...providerToWire(good), e: -5 }), fails('malformed'))
    assert.throws(() => providerFromWire('nope'), fails('malformed'))
  })
})

describe('dht value records', () => {
  test('immutable: stored under SHA-256(value); a changed value or the wrong key is refused', () => {
    const value = new TextEncoder().encode('hello')
    const record = createImmutableRecord(alice, value, NOW + HOUR)
    validateValueRecord(record, NOW, immutableKey(value))
    validateValueRecord(valueFromWire(valueToWire(record)), NOW, immutableKey(value))
    assert.throws(() => { validateValueRecord({ ...record, value: new TextEncoder().encode('hellO') }, NOW, immutableKey(value)) }, fails('wrong-key'))
    assert.throws(() => { validateValueRecord({ ...record, publisher: mallory.publicKeyRaw }, NOW) }, fails('bad-signature'))
  })

  test('values over the size cap are refused', () => {
    assert.throws(() => createImmutableRecord(alice, new Uint8Array(MAX_VALUE_BYTES + 1), NOW + HOUR), fails('oversized'))
    const ok = createImmutableRecord(alice, new Uint8Array(MAX_VALUE_BYTES), NOW + HOUR)
    assert.throws(() => valueFromWire({ ...valueToWire(ok), v: new Uint8Array(MAX_VALUE_BYTES + 1) }), fails('oversized'))
    assert.throws(() => createMutableRecord(alice, { value: new Uint8Array(1), seq: 1, salt: new Uint8Array(65), expires: NOW + HOUR }), fails('oversized'))
  })

  test('mutable: key = H(label, owner, salt); seq, salt and tombstone flag are all signed', () => {
    const salt = new TextEncoder().encode('profile')
    const record = createMutableRecord(alice, { value: new Uint8Array([1, 2, 3]), seq: 7, salt, expires: NOW + HOUR })
    const key = mutableKey(alice.publicKeyRaw, salt)
    validateValueRecord(record, NOW, key)
    validateValueRecord(valueFromWire(valueToWire(record)), NOW, key)
    assert.throws(() => { validateValueRecord({ ...record, seq: 8 }, NOW, key) }, fails('bad-signature'))
    assert.throws(() => { validateValueRecord({ ...record, salt: new Uint8Array(0) }, NOW, key) }, fails('wrong-key'))
    assert.throws(() => { validateValueRecord(record, NOW, mutableKey(mallory.publicKeyRaw, salt)) }, fails('wrong-key'))
    // Mallory signing under Alice's key: wrong signature.
    const forged = { ...createMutableRecord(mallory, { value: new Uint8Array([9]), seq: 99, salt, expires: NOW + HOUR }), publicKey: alice.publicKeyRaw }
    assert.throws(() => { validateValueRecord(forged, NOW, key) }, fails('bad-signature'))
    assert.throws(() => { validateValueRecord(record, NOW + HOUR, key) }, fails('expired'))
  })

  test('a tombstone carries no value', () => {
    const tomb = createMutableRecord(alice, { value: new Uint8Array(0), seq: 2, deleted: true, expires: NOW + HOUR })
    validateValueRecord(tomb, NOW)
    assert.throws(() => createMutableRecord(alice, { value: new Uint8Array(1), seq: 2, deleted: true, expires: NOW + HOUR }), TypeError)
    assert.throws(() => valueFromWire({ ...valueToWire(tomb), v: new Uint8Array(1) }), fails('malformed'))
  })
})

describe('dht record store', () => {
  test('bounds records per peer and in total; replacing a record does not count twice', () => {
    const store = new RecordStore({ maxPerPeer: 2, maxRecords: 3 })
    const r = (i: number): ProviderRecord => createProviderRecord(alice, new Uint8Array(32).fill(i), 'mem:alice', NOW + HOUR)
    store.addProvider(r(1), 'peer-a', NOW)
    store.addProvider(r(2), 'peer-a', NOW)
    assert.throws(() => { store.addProvider(r(3), 'peer-a', NOW) }, (err: unknown) => err instanceof StoreRefusedError && err.code === 'peer-quota')
    store.addProvider(createProviderRecord(alice, new Uint8Array(32).fill(1), 'mem:alice', NOW + 2 * HOUR), 'peer-a', NOW)
    store.addProvider(r(3), 'peer-b', NOW)
    // Full: the newcomer is stored, and the heaviest storer's oldest record makes room.
    store.addProvider(r(4), 'peer-c', NOW)
    assert.equal(store.size, 3)
    // peer-a's oldest record: r(2), as r(1) was replaced (renewed) after it.
    assert.equal(store.getProviders(new Uint8Array(32).fill(2), NOW).length, 0, "peer-a's oldest record went")
    assert.equal(store.getProviders(new Uint8Array(32).fill(4), NOW).length, 1)
    assert.equal(store.evicted, 1)
  })

  test('five identities flooding 16 KiB values cannot make the store refuse an honest provider', () => {
    const store = new RecordStore()
    let refused = 0
    for (let peer = 0; peer < 5; peer++) {
      for (let i = 0; i < 200; i++) {
        try {
          store.putValue(createImmutableRecord(mallory, new Uint8Array(randomBytes(MAX_VALUE_BYTES)), NOW + HOUR), `flooder-${peer}`, NOW)
        } catch (err) {
          assert.ok(err instanceof StoreRefusedError && err.code === 'peer-quota', String(err))
          refused++
        }
      }
    }
    assert.ok(refused > 0, 'each flooder hits its own byte quota')
    assert.ok(store.bytes <= 5 * 1024 * 1024 + 5 * 17 * 1024, `the flood holds ${store.bytes} bytes`)
    // A store full of the flood to the byte (shrunk to 120 of its values, fewer than five quotas
    // fill) still takes an honest record: it evicts, it does not refuse.
    const perValue = store.bytes / store.size
    assert.ok(Number.isInteger(perValue), 'the flood\'s records are all of one size')
    const small = new RecordStore({ maxBytes: 120 * perValue })
    for (let peer = 0; peer < 5; peer++) {
      for (let i = 0; i < 60; i++) {
        try { small.putValue(createImmutableRecord(mallory, new Uint8Array(randomBytes(MAX_VALUE_BYTES)), NOW + HOUR), `flooder-${peer}`, NOW) } catch {}
      }
    }
    assert.equal(small.bytes, 120 * perValue, 'the flood filled the store: no byte left for the honest record')
    const honest = createProviderRecord(alice, topic, 'mem:alice', NOW + HOUR)
    small.addProvider(honest, 'alice', NOW)
    assert.equal(small.getProviders(topic, NOW).length, 1)
  })

  test("an attacker's 64 bogus providers of a topic do not crowd out an honest one", () => {
    const store = new RecordStore()
    // One storer announcing 64 identities' records, then 64 identities announcing themselves.
    for (let i = 0; i < 64; i++) store.addProvider(createProviderRecord(randomIdentity(), topic, `mem:bogus${i}`, NOW + HOUR), 'mallory', NOW)
    const honest = createProviderRecord(alice, topic, 'mem:alice', NOW + HOUR)
    store.addProvider(honest, 'alice', NOW)
    const has = (): boolean => store.getProviders(topic, NOW, 1000).some(r => r.address === 'mem:alice')
    assert.ok(has(), 'the honest provider is stored, not refused')
    // More of mallory's evict mallory's own.
    for (let i = 0; i < 64; i++) store.addProvider(createProviderRecord(randomIdentity(), topic, `mem:more${i}`, NOW + HOUR), 'mallory', NOW)
    assert.ok(has(), 'the flood evicts its own records first')
    assert.equal(store.getProviders(topic, NOW, 1000).length, 64)
  })

  test('records are re-checked on read: expired ones are dropped, and a corrupted one too', () => {
    const store = new RecordStore()
    const record = createProviderRecord(alice, topic, 'mem:alice', NOW + HOUR)
    store.addProvider(record, 'peer', NOW)
    assert.equal(store.getProviders(topic, NOW).length, 1)
    record.address = 'mem:corrupted' // in-memory corruption after storage
    assert.equal(store.getProviders(topic, NOW).length, 0)
    assert.equal(store.size, 0)
    assert.equal(store.invalid, 1)
    store.addProvider(createProviderRecord(alice, topic, 'mem:alice', NOW + HOUR), 'peer', NOW)
    assert.equal(store.getProviders(topic, NOW + HOUR).length, 0)
    assert.equal(store.size, 0, 'the expired record was dropped on read')
  })

  test('invalid records are refused on the way in', () => {
    const store = new RecordStore()
    const record = createProviderRecord(alice, topic, 'mem:alice', NOW + HOUR)
    assert.throws(() => { store.addProvider({ ...record, address: 'mem:x' }, 'peer', NOW) }, fails('bad-signature'))
    assert.throws(() => { store.addProvider(record, 'peer', NOW + 2 * HOUR) }, fails('expired'))
    assert.equal(store.size, 0)
  })

  test('mutable values: a higher seq replaces, a lower one is refused, a tombstone wins', () => {
    const store = new RecordStore()
    const key = mutableKey(alice.publicKeyRaw)
    const v = (seq: number, byte: number): ReturnType<typeof createMutableRecord> => createMutableRecord(alice, { value: new Uint8Array([byte]), seq, expires: NOW + HOUR })
    store.putValue(v(5, 5), 'peer', NOW)
    store.putValue(v(6, 6), 'peer', NOW)
    assert.throws(() => { store.putValue(v(4, 4), 'peer', NOW) }, (err: unknown) => err instanceof StoreRefusedError && err.code === 'stale')
    assert.throws(() => { store.putValue(v(6, 7), 'peer', NOW) }, (err: unknown) => err instanceof StoreRefusedError && err.code === 'conflict')
    // The same value re-signed with a later expiry is a republish.
    store.putValue(createMutableRecord(alice, { value: new Uint8Array([6]), seq: 6, expires: NOW + 2 * HOUR }), 'peer', NOW)
    const tomb = createMutableRecord(alice, { value: new Uint8Array(0), seq: 7, deleted: true, expires: NOW + 2 * HOUR })
    store.putValue(tomb, 'peer', NOW)
    const read = store.getValue(key, NOW)
    assert.ok(read?.kind === 'mutable' && read.deleted && read.seq === 7)
    assert.throws(() => { store.putValue(v(6, 6), 'peer', NOW) }, StoreRefusedError)
    assert.equal(store.size, 1)
  })
})

describe('dht private values', () => {
  test('sealed under keys derived from the handle; another handle neither finds nor opens it', () => {
    const handle = new Uint8Array(randomBytes(32))
    const location = privateValueLocation(handle)
    const secrets = derivePrivateValueSecrets(handle)
    assert.notDeepEqual(secrets.encryptionKey, secrets.salt)
    assert.notDeepEqual(Buffer.from(location.key), Buffer.from(handle))
    const plaintext = new TextEncoder().encode('meet at the usual place')
    const sealed = sealPrivateValue(location, plaintext)
    assert.equal(Buffer.from(sealed).includes(Buffer.from(plaintext)), false)
    assert.deepEqual(openPrivateValue(location, sealed), plaintext)
    const other = privateValueLocation(new Uint8Array(randomBytes(32)))
    assert.notDeepEqual(other.key, location.key)
    assert.equal(openPrivateValue(other, sealed), null)
    const tampered = new Uint8Array(sealed); tampered[20]! ^= 1
    assert.equal(openPrivateValue(location, tampered), null)
    // Deterministic: the same handle always finds the same place.
    assert.deepEqual(privateValueLocation(handle).key, location.key)
    assert.deepEqual(privateValueLocation(handle).owner.publicKeyRaw, location.owner.publicKeyRaw)
  })
})
