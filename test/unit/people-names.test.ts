// Names (src/people/names): a record is signed by its account and read back only for that
// account and name, unexpired and untampered; hostile names are refused with one line; the DHT
// sees neither the name nor the target; the registry republishes once a third of the TTL has
// passed (an injected clock, no sleeping) and a removed name leaves a tombstone.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { randomBytes } from 'node:crypto'
import { generateAccountKey, accountIdOf, type AccountKind } from '../../src/node/identity/account-keys.ts'
import { MemoryBackend, SealedDb } from '../../src/store/index.ts'
import { openPrivateValue, privateValueLocation, sealPrivateValue } from '../../src/dht/private-values.ts'
import {
  checkName, nameHandle, NameError, NameRegistry, parseNameReference, readNameRecord, signNameRecord, type NameValues
} from '../../src/people/names/index.ts'

const account = (kind: AccountKind = 'ed25519'): { id: string, privateKey: ReturnType<typeof generateAccountKey> } => {
  const privateKey = generateAccountKey(kind)
  return { id: accountIdOf(privateKey), privateKey }
}
const LINK = 'tcp:127.0.0.1:4001'
const LINK2 = 'tcp:127.0.0.1:4002'
const NOW = 1_800_000_000_000

/** The DHT as a map of sealed private values (the same sealing as src/dht), with a put count. */
function memoryDht (): NameValues & { stored: Map<string, Uint8Array>, puts: number } {
  const stored = new Map<string, Uint8Array>()
  const dht = {
    stored,
    puts: 0,
    putPrivate: async (handle: Uint8Array, plaintext: Uint8Array) => {
      const loc = privateValueLocation(handle)
      stored.set(Buffer.from(loc.key).toString('hex'), sealPrivateValue(loc, plaintext))
      dht.puts++
      return { stored: 1 }
    },
    getPrivate: async (handle: Uint8Array) => {
      const loc = privateValueLocation(handle)
      const blob = stored.get(Buffer.from(loc.key).toString('hex'))
      return { value: blob == null || blob.length === 0 ? null : openPrivateValue(loc, blob) }
    },
    deletePrivate: async (handle: Uint8Array) => { stored.set(Buffer.from(privateValueLocation(handle).key).toString('hex'), new Uint8Array(0)) }
  }
  return dht
}

async function registry (a = account(), clock = { now: NOW }, dht = memoryDht()): Promise<{ reg: NameRegistry, dht: ReturnType<typeof memoryDht>, clock: { now: number }, a: typeof a }> {
  const db = new SealedDb(new MemoryBackend(), randomBytes(32))
  await db.open()
  return { reg: new NameRegistry({ account: a, db, dht: () => dht, ttlMs: 60_000, now: () => clock.now }), dht, clock, a }
}

describe('name records', () => {
  for (const kind of ['ed25519', 'secp256k1'] as const) {
    it(`a ${kind} account's record reads back for that account and name only`, () => {
      const a = account(kind)
      const bytes = signNameRecord(a, { name: 'holiday', target: LINK, seq: 5, expires: NOW + 1000 })
      assert.deepEqual(readNameRecord(a.id, 'holiday', bytes, NOW), { account: a.id, name: 'holiday', target: LINK, seq: 5, expires: NOW + 1000 })
      assert.equal(readNameRecord(account(kind).id, 'holiday', bytes, NOW), null, 'another account')
      assert.equal(readNameRecord(a.id, 'other', bytes, NOW), null, 'another name')
      assert.equal(readNameRecord(a.id, 'holiday', bytes, NOW + 1000), null, 'expired')
    })
  }

  it('a record re-signed by another account, or altered in any field, is refused', () => {
    const a = account()
    const mallory = account()
    const good = JSON.parse(Buffer.from(signNameRecord(a, { name: 'holiday', target: LINK, seq: 5, expires: NOW + 1000 })).toString())
    const forged = JSON.parse(Buffer.from(signNameRecord(mallory, { name: 'holiday', target: 'oht://evil', seq: 6, expires: NOW + 1000 })).toString())
    assert.equal(readNameRecord(a.id, 'holiday', Buffer.from(JSON.stringify({ ...forged, account: a.id })), NOW), null)
    for (const change of [{ target: 'oht://evil' }, { seq: 6 }, { expires: NOW + 2000 }, { sig: forged.sig }, { v: 2 }]) {
      assert.equal(readNameRecord(a.id, 'holiday', Buffer.from(JSON.stringify({ ...good, ...change })), NOW), null, JSON.stringify(change))
    }
    assert.equal(readNameRecord(a.id, 'holiday', Buffer.from('not json'), NOW), null)
    assert.equal(readNameRecord(a.id, 'holiday', Buffer.from('null'), NOW), null)
  })

  it('hostile names are refused with one line', () => {
    for (const bad of ['', 'Holiday', '-x', 'x-', 'a/b', '../etc', 'a b', 'x'.repeat(64), 'caf\u00e9', 'a\nb', 'a\u0000', '\u202eevil']) {
      assert.throws(() => checkName(bad), (e: unknown) => e instanceof NameError && e.code === 'name.bad' && !e.message.includes('\n'), JSON.stringify(bad))
    }
    for (const good of ['a', 'holiday', 'photos-2026', 'v1.2_final', 'x'.repeat(63)]) assert.equal(checkName(good), good)
    assert.throws(() => signNameRecord(account(), { name: 'ok', target: 'has space', seq: 1, expires: NOW }), NameError)
  })

  it('the DHT key and value reveal neither the name nor the target', () => {
    const a = account()
    const handle = nameHandle(a.id, 'holiday')
    const loc = privateValueLocation(handle)
    const blob = Buffer.from(sealPrivateValue(loc, signNameRecord(a, { name: 'holiday', target: LINK, seq: 1, expires: NOW + 1 })))
    for (const clear of ['holiday', LINK, a.id]) assert.equal(blob.includes(clear), false, clear)
    assert.notDeepEqual(nameHandle(a.id, 'holidays'), handle)
    assert.notDeepEqual(nameHandle(account().id, 'holiday'), handle)
  })

  it('references: oht://name/<account>/<name> and <petname>/<name>', () => {
    const a = account()
    assert.deepEqual(parseNameReference(`oht://name/${a.id.toUpperCase()}/holiday`), { account: a.id, name: 'holiday' })
    assert.deepEqual(parseNameReference(`${a.id}/holiday`), { account: a.id, name: 'holiday' })
    assert.deepEqual(parseNameReference('alice/holiday'), { petname: 'alice', name: 'holiday' })
    assert.equal(parseNameReference('oht://abcdef'), null)
    assert.equal(parseNameReference('holiday'), null)
    assert.throws(() => parseNameReference('oht://name/alice/holiday'), /oht:\/\/name\/<account id>\/<name>/, 'a name link carries an account id')
    assert.throws(() => parseNameReference(`oht://name/${a.id}/holiday/extra`), NameError)
    assert.throws(() => parseNameReference('alice/Bad Name'), NameError)
  })
})

describe('name registry', () => {
  it('publishes, resolves, lists, republishes after a third of the TTL, and removes', async () => {
    const { reg, dht, clock, a } = await registry()
    const p = await reg.publish('holiday', LINK)
    assert.equal(p.stored, 1)
    assert.equal((await reg.resolve(a.id, 'holiday')).target, LINK)
    assert.deepEqual((await reg.list()).map(n => n.name), ['holiday'])
    await assert.rejects(reg.resolve(a.id, 'nothing'), (e: unknown) => e instanceof NameError && e.code === 'name.notFound')

    clock.now += 10_000
    assert.equal(await reg.refresh(), 0, 'not due yet')
    clock.now += 15_000
    assert.equal(await reg.refresh(), 1, 'a third of the TTL has passed')
    assert.equal(dht.puts, 2)
    clock.now += 50_000 // past the first record's expiry, not the republished one's
    const r = await reg.resolve(a.id, 'holiday')
    assert.ok(r.seq > p.seq && r.expires > clock.now)

    const updated = await reg.publish('holiday', LINK2)
    assert.ok(updated.seq > r.seq)
    assert.equal((await reg.resolve(a.id, 'holiday')).target, LINK2)

    assert.equal(await reg.remove('holiday'), true)
    assert.equal(await reg.remove('holiday'), false)
    await assert.rejects(reg.resolve(a.id, 'holiday'), (e: unknown) => e instanceof NameError && e.code === 'name.notFound')
    assert.deepEqual(await reg.list(), [])
  })

  it('emits name-published; a refresh racing a removal never brings the name back', async () => {
    const { reg, clock, a } = await registry()
    const events: string[] = []
    reg.on('event', e => { events.push(`${e.type}:${e.name}`) })
    await reg.publish('holiday', LINK)
    clock.now += 30_000
    const refreshing = reg.refresh()
    const removing = reg.remove('holiday')
    assert.equal(await refreshing, 1)
    assert.equal(await removing, true)
    assert.equal(await reg.refresh(), 0)
    await assert.rejects(reg.resolve(a.id, 'holiday'), (e: unknown) => e instanceof NameError && e.code === 'name.notFound')
    assert.deepEqual(events, ['name-published:holiday', 'name-published:holiday'])
  })

  it('an unrefreshed record lapses after its TTL', async () => {
    const { reg, clock, a } = await registry()
    await reg.publish('holiday', LINK)
    clock.now += 60_000
    await assert.rejects(reg.resolve(a.id, 'holiday'), (e: unknown) => e instanceof NameError && e.code === 'name.notFound')
  })

  it('a record another account put under the handle is not resolved', async () => {
    const { reg, dht, a } = await registry()
    const mallory = account()
    await dht.putPrivate(nameHandle(a.id, 'holiday'), signNameRecord(mallory, { name: 'holiday', target: 'oht://evil', seq: NOW * 2, expires: NOW + 1000 }), {})
    await assert.rejects(reg.resolve(a.id, 'holiday'), (e: unknown) => e instanceof NameError && e.code === 'name.notFound')
  })

  it('a target that is neither an oht link nor a node address is refused with one line', async () => {
    const { reg } = await registry()
    for (const bad of ['oht://not-a-cid#abc', 'https://example.com/x', 'example.com:80', 'x'.repeat(2000), 'a\nb']) {
      await assert.rejects(reg.publish('holiday', bad), (e: unknown) => e instanceof NameError && e.code === 'name.badTarget' && !e.message.includes('\n'), JSON.stringify(bad))
    }
    assert.deepEqual(await reg.list(), [])
  })

  it('without the DHT, publish and resolve fail with one line', async () => {
    const db = new SealedDb(new MemoryBackend(), randomBytes(32))
    await db.open()
    const a = account()
    const reg = new NameRegistry({ account: a, db, dht: () => undefined })
    await assert.rejects(reg.publish('holiday', LINK), (e: unknown) => e instanceof NameError && e.code === 'name.noDht')
    const resolver = new NameRegistry({ db, dht: () => undefined })
    await assert.rejects(resolver.publish('holiday', LINK), (e: unknown) => e instanceof NameError && e.code === 'name.noAccount')
    assert.throws(() => new NameRegistry({ db, dht: () => undefined, ttlMs: 10 }), NameError)
  })
})
