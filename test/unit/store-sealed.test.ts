// The sealed store (src/store): values open only under their key, at their place (sublevel +
// key), unaltered; database keys are keyed hashes that still answer prefix ranges; a clear
// LevelDB from before is sealed once, in place. Real LevelDB folders and the memory backend.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Level } from 'level'
import {
  LevelBackend, MemoryBackend, migrateToSealed, SealedDb, SealedStoreError, type KvBackend
} from '../../src/store/index.ts'
import { tempDir } from '../helpers/cli.ts'

const SECRET_ID = 'bafySecretShareIdentifier'
const SECRET_PATH = '/home/alice/Secret Documents/plans.pdf'

async function allBytes (dir: string): Promise<Buffer> {
  const parts: Buffer[] = []
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) parts.push(await readFile(join(e.parentPath, e.name)))
  }
  return Buffer.concat(parts)
}

async function rawEntries (backend: KvBackend): Promise<Array<[string, Buffer]>> {
  const out: Array<[string, Buffer]> = []
  for await (const [k, v] of backend.entries({})) out.push([k, Buffer.from(v)])
  return out
}

for (const kind of ['memory', 'level'] as const) {
  const backendFor = async (t: { after: (fn: () => Promise<void>) => void }): Promise<KvBackend> =>
    kind === 'memory' ? new MemoryBackend() : new LevelBackend(join(await tempDir(t as never, 'oht-store-'), 'db'))

  test(`${kind}: values round-trip; neither keys nor values show in the raw store`, async t => {
    const backend = await backendFor(t)
    const db = new SealedDb(backend, randomBytes(32))
    await db.open()
    const shares = db.sublevel<string, { path: string }>('owned', { valueEncoding: 'json' })
    const leaves = db.sublevel<string, Uint8Array>('leaves', { valueEncoding: 'view' })
    await shares.put(SECRET_ID, { path: SECRET_PATH })
    await leaves.put(SECRET_ID, Uint8Array.of(1, 2, 3))
    assert.deepEqual(await shares.get(SECRET_ID), { path: SECRET_PATH })
    assert.deepEqual(await leaves.get(SECRET_ID), Uint8Array.of(1, 2, 3))
    assert.equal(await shares.get('absent'), undefined)
    assert.deepEqual(await shares.getMany([SECRET_ID, 'absent']), [{ path: SECRET_PATH }, undefined])
    assert.deepEqual(await shares.keys().all(), [SECRET_ID], 'a listing names its clear keys')
    const raw = await rawEntries(backend)
    assert.equal(raw.length, 3) // two records and the check record
    for (const [k, v] of raw) {
      assert.ok(!k.includes(SECRET_ID) && !v.includes(SECRET_ID) && !v.includes('Secret Documents'), `clear text in ${k}`)
    }
    await shares.del(SECRET_ID)
    assert.equal(await shares.get(SECRET_ID), undefined)
    await db.close()
  })

  test(`${kind}: a value moved to another key or sublevel, or altered, does not open`, async t => {
    const backend = await backendFor(t)
    const db = new SealedDb(backend, randomBytes(32))
    await db.open()
    const a = db.sublevel<string, string>('owned', { valueEncoding: 'json' })
    const b = db.sublevel<string, string>('held', { valueEncoding: 'json' })
    await a.put('x', 'value of x')
    await a.put('y', 'value of y')
    const sealedX = (await backend.get(a.dbKey('x')))!
    // Swap within the sublevel.
    await backend.batch([{ type: 'put', key: a.dbKey('y'), value: sealedX }])
    await assert.rejects(a.get('y'), (err: SealedStoreError) => err.code === 'store.tampered')
    // Move to another sublevel under the same key.
    await backend.batch([{ type: 'put', key: b.dbKey('x'), value: sealedX }])
    await assert.rejects(b.get('x'), (err: SealedStoreError) => err.code === 'store.tampered')
    // One flipped bit.
    const flipped = Buffer.from(sealedX)
    flipped[20]! ^= 1
    await backend.batch([{ type: 'put', key: a.dbKey('x'), value: flipped }])
    await assert.rejects(a.get('x'), (err: SealedStoreError) => err.code === 'store.tampered')
    await backend.batch([{ type: 'put', key: a.dbKey('x'), value: Buffer.from('{"clear":true}') }])
    await assert.rejects(a.get('x'), (err: SealedStoreError) => err.code === 'store.format')
    await db.close()
  })

  test(`${kind}: prefix ranges over hashed parts, order over clear parts, root batches`, async t => {
    const db = new SealedDb(await backendFor(t), randomBytes(32), { expiry: ['clear', 'hash'] })
    await db.open()
    const pins = db.sublevel<string, string>('pins', { valueEncoding: 'json' })
    const expiry = db.sublevel<string, string>('expiry', { valueEncoding: 'json' })
    await db.batch([
      { type: 'put', sublevel: pins, key: 'share1\u0000local', value: 'p1' },
      { type: 'put', sublevel: pins, key: 'share1\u0000acct', value: 'p2' },
      { type: 'put', sublevel: pins, key: 'share2\u0000local', value: 'p3' },
      { type: 'put', sublevel: pins, key: 'share10\u0000local', value: 'p4' },
      { type: 'put', sublevel: expiry, key: '0000000000000300\u0000share1', value: 'e3' },
      { type: 'put', sublevel: expiry, key: '0000000000000100\u0000share2', value: 'e1' },
      { type: 'put', sublevel: expiry, key: '0000000000000200\u0000share1', value: 'e2' }
    ])
    assert.deepEqual((await pins.values({ gte: 'share1\u0000', lt: 'share1\u0001' }).all()).sort(), ['p1', 'p2'])
    assert.deepEqual(await pins.values({ gte: 'share10\u0000', lt: 'share10\u0001' }).all(), ['p4'])
    assert.equal((await pins.keys().all()).length, 4, 'a sublevel lists only its own records')
    assert.deepEqual(await expiry.values().all(), ['e1', 'e2', 'e3'])
    assert.deepEqual(await expiry.values({ lt: '0000000000000250\u0000' }).all(), ['e1', 'e2'])
    assert.deepEqual(await expiry.keys({ limit: 1 }).all(), ['0000000000000100\u0000share2'])
    assert.deepEqual(await expiry.values({ reverse: true, limit: 2 }).all(), ['e3', 'e2'])
    await pins.batch([{ type: 'del', key: 'share1\u0000local' }])
    assert.deepEqual(await pins.values({ gte: 'share1\u0000', lt: 'share1\u0001' }).all(), ['p2'])
    await db.close()
  })
}

test('a sealed database does not open under another storage key', async t => {
  const path = join(await tempDir(t, 'oht-store-'), 'db')
  const key = randomBytes(32)
  const db = new SealedDb(new LevelBackend(path), key)
  await db.open()
  await db.sublevel<string, string>('owned', { valueEncoding: 'json' }).put('a', 'b')
  await db.close()
  const other = new SealedDb(new LevelBackend(path), randomBytes(32))
  await assert.rejects(other.open(), (err: SealedStoreError) => err.code === 'store.wrongKey')
  await other.close()
  const again = new SealedDb(new LevelBackend(path), key)
  await again.open()
  assert.equal(await again.sublevel<string, string>('owned', { valueEncoding: 'json' }).get('a'), 'b')
  await again.close()
})

test('a clear LevelDB is sealed once, in place, and its clear files are gone', async t => {
  const dir = await tempDir(t, 'oht-store-')
  const path = join(dir, 'state')
  const clear = new Level<string, unknown>(path, { valueEncoding: 'json' })
  const owned = clear.sublevel<string, unknown>('owned', { valueEncoding: 'json' })
  const leaves = clear.sublevel<string, Uint8Array>('leaves', { valueEncoding: 'view' })
  const expiry = clear.sublevel<string, string>('pin-expiry', { valueEncoding: 'json' })
  await owned.put(SECRET_ID, { files: [{ path: SECRET_PATH }] })
  await leaves.put(SECRET_ID, Uint8Array.of(9, 8, 7))
  await expiry.put(`0000000000000100\u0000${SECRET_ID}\u0000local`, `${SECRET_ID}\u0000local`)
  await clear.put('dht:routing-table', [{ address: 'secretpeer.onion:1' }])
  await clear.close()
  assert.ok((await allBytes(path)).includes(SECRET_PATH), 'the clear store shows the path (the premise)')

  const key = randomBytes(32)
  const schemes = { 'pin-expiry': ['clear', 'hash'] as const }
  assert.equal(await migrateToSealed(path, key, schemes), 4)
  assert.equal(await migrateToSealed(path, key, schemes), 0, 'once')
  assert.deepEqual(await readdir(dir), ['state'])
  const bytes = await allBytes(path)
  for (const s of [SECRET_ID, SECRET_PATH, 'secretpeer']) assert.ok(!bytes.includes(s), `${s} in the sealed store`)

  const db = new SealedDb(new LevelBackend(path), key, schemes)
  await db.open()
  assert.deepEqual(await db.sublevel('owned', { valueEncoding: 'json' }).get(SECRET_ID), { files: [{ path: SECRET_PATH }] })
  assert.deepEqual(await db.sublevel('leaves', { valueEncoding: 'view' }).get(SECRET_ID), Uint8Array.of(9, 8, 7))
  assert.deepEqual(await db.sublevel('pin-expiry', { valueEncoding: 'json' }).keys({ lt: '0000000000000200\u0000' }).all(), [`0000000000000100\u0000${SECRET_ID}\u0000local`])
  assert.deepEqual(await db.sublevel('root', { valueEncoding: 'json' }).get('dht:routing-table'), [{ address: 'secretpeer.onion:1' }])
  await db.close()
})
