// The swarm's per-block crypto on the worker pool and inline (on the calling thread, the default
// on one or two cores): a fetched block is hashed against its leaf before anything is decrypted
// or written, a served block is re-encrypted and checked, with the same results as the plain
// main-thread reference paths. Real files, real workers.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { blockKeyOf, buildShare, decodeManifest, deriveBlockKey, deriveSwarmInfoHash, FileBlockSource, openManifest, parseReadCap, PlaintextStore, RestoreError, SourceChangedError, verifyCapOf, type BuiltShare } from '../../src/blocks/index.ts'
import { SealPool } from '../../src/blocks/crypto/pool.ts'
import { isFreedWhenSent, pieceBuffers, releaseIfSent, tailOwnsBuffer } from '../../src/blocks/crypto/memory.ts'
import { WireGuard } from '../../src/swarm/guard.ts'
import { Swarm, sourceStore, type SwarmStore } from '../../src/swarm/index.ts'
import { OhtNode } from '../../src/node/transfers/node.ts'
import { socketPair } from '../helpers/sockets.ts'

const BLOCK = 16 * 1024

type Mode = 'workers' | 'inline'
const MODES: Mode[] = ['workers', 'inline']
/** One worker pool for the tests of the worker path (closed by process exit: its workers are unref'd when idle). */
const workers = new SealPool({ size: 1, unrefWhenIdle: true })
const poolFor = (mode: Mode): SealPool | 'inline' => mode === 'workers' ? workers : 'inline'

/** `withTags`: the source knows each block's GCM tag from sharing, as an owner's node does (tags.ts). */
async function share (files: Record<string, Buffer>, mode: Mode = 'workers', withTags = false): Promise<{ dir: string, built: BuiltShare, source: FileBlockSource, reference: FileBlockSource }> {
  const dir = await mkdtemp(join(tmpdir(), 'oht-pool-'))
  const root = join(dir, 'in')
  await mkdir(root)
  for (const [name, bytes] of Object.entries(files)) await writeFile(join(root, name), bytes)
  const built = await buildShare([root], { blockSize: BLOCK })
  const key = deriveBlockKey(built.contentKey)
  const source = new FileBlockSource(built.files, built.manifest.header, key, built.leaves, poolFor(mode), withTags ? built.tags : undefined)
  const reference = new FileBlockSource(built.files, built.manifest.header, key, built.leaves, false)
  return { dir, built, source, reference }
}

/** Closes both sources of `share` and removes its directory. */
async function dispose (s: { dir: string, source: FileBlockSource, reference: FileBlockSource }): Promise<void> {
  await s.source.close()
  await s.reference.close()
  await rm(s.dir, { recursive: true, force: true })
}

const leafOf = (built: BuiltShare, i: number): Buffer => built.leaves.subarray(i * 32, i * 32 + 32)

/** `bytes` behind a 13-byte header in memory of its own, as the wire guard hands a piece over. */
function asPiece (bytes: Uint8Array): Buffer {
  const whole = Buffer.allocUnsafeSlow(13 + bytes.length)
  whole.set(bytes, 13)
  return whole.subarray(13)
}

for (const mode of MODES) test(`${mode}: a block served equals the reference one, also in parts; blocks spanning many files (handle eviction) too`, async () => {
  const files: Record<string, Buffer> = {}
  for (let i = 0; i < 20; i++) files[`small-${String(i).padStart(2, '0')}`] = randomBytes(700 + i)
  files['z-big'] = randomBytes(3 * BLOCK + 5)
  const s = await share(files, mode)
  try {
    const count = s.built.manifest.header.blockCount
    assert.ok(count >= 4)
    // Concurrent gets: the first block reads 20 files through an 8-handle cache.
    const served = await Promise.all(Array.from({ length: count }, async (_, i) => await s.source.get(i)))
    for (let i = 0; i < count; i++) assert.deepEqual(Buffer.from(served[i]!), Buffer.from(await s.reference.get(i)), `block ${i}`)
    // In parts (ciphertext, then its tag: the wire sends them as one piece), the same bytes.
    for (let i = 0; i < count; i++) {
      const parts = await s.source.getParts(i)
      assert.equal(parts.length, 2)
      assert.equal(parts[1]!.length, 16)
      assert.deepEqual(Buffer.concat(parts), Buffer.from(served[i]!), `block ${i} in parts`)
    }
  } finally {
    await dispose(s)
  }
})

for (const mode of MODES) test(`${mode}: a block served in parts is marked to be freed once sent, a whole block (get) never is`, async () => {
  const s = await share({ 'a.bin': randomBytes(2 * BLOCK + 100) }, mode, true)
  try {
    const whole = await s.source.get(0)
    assert.equal(isFreedWhenSent(whole), false, 'get() may be kept by its caller')
    const parts = await s.source.getParts(0)
    const copy = Buffer.concat(parts)
    assert.ok(isFreedWhenSent(parts[0]!), 'the ciphertext goes to a sender and nowhere else')
    releaseIfSent(parts[0]!)
    assert.equal(parts[0]!.byteLength, 0, 'freed at once: its memory is detached')
    assert.equal(isFreedWhenSent(parts[0]!), false)
    // The source is untouched by freeing what it handed out.
    assert.deepEqual(Buffer.concat(await s.source.getParts(0)), copy)
    releaseIfSent(whole)
    assert.equal(whole.byteLength, BLOCK + 16, 'unmarked memory is never freed')
  } finally {
    await dispose(s)
  }
})

for (const mode of MODES) for (const withTags of [false, true]) test(`${mode}, ${withTags ? 'checked by tag' : 'checked by leaf'}: a file changed on disk is never served: the source goes stale`, async () => {
  const s = await share({ 'a.bin': randomBytes(2 * BLOCK + 100) }, mode, withTags)
  try {
    await s.source.get(1)
    const path = s.built.files[0]!.absPath
    const bytes = await readFile(path)
    bytes[BLOCK + 3]! ^= 0xff
    await writeFile(path, bytes) // same size; the leaf check catches it even before the stat re-check
    await assert.rejects(s.source.get(1), SourceChangedError)
    assert.match(s.source.stale ?? '', /no longer matches/)
    await assert.rejects(s.source.get(0), SourceChangedError)
  } finally {
    await dispose(s)
  }
})

for (const mode of MODES) test(`${mode}: with the tags from sharing a served block is checked by its tag: they end each sealed block, and a wrong one refuses a block whose leaf matches`, async () => {
  const s = await share({ 'a.bin': randomBytes(3 * BLOCK + 7) }, mode, true)
  const count = s.built.manifest.header.blockCount
  const tags = Buffer.from(s.built.tags)
  tags[2 * 16 + 5]! ^= 0x01
  const wrongTag = new FileBlockSource(s.built.files, s.built.manifest.header, deriveBlockKey(s.built.contentKey), s.built.leaves, poolFor(mode), tags)
  try {
    assert.equal(s.built.tags.length, count * 16)
    for (let i = 0; i < count; i++) {
      const sealed = Buffer.from(await s.reference.get(i))
      assert.deepEqual(s.built.tags.subarray(i * 16, i * 16 + 16), sealed.subarray(-16), `tag ${i}`)
      assert.deepEqual(Buffer.concat(await s.source.getParts(i)), sealed, `block ${i} served by tag`)
    }
    assert.deepEqual(Buffer.concat(await wrongTag.getParts(1)), Buffer.from(await s.reference.get(1)))
    await assert.rejects(wrongTag.getParts(2), SourceChangedError, 'the tag decides, not the leaf')
  } finally {
    await wrongTag.close()
    await dispose(s)
  }
})

for (const mode of MODES) test(`${mode}: without tags from sharing a block is checked by its leaf once, then by the tag that check vouched for`, async () => {
  const s = await share({ 'a.bin': randomBytes(2 * BLOCK + 9) }, mode)
  const leaves = Buffer.from(s.built.leaves)
  const source = new FileBlockSource(s.built.files, s.built.manifest.header, deriveBlockKey(s.built.contentKey), leaves, poolFor(mode))
  try {
    const first = Buffer.concat(await source.getParts(0))
    assert.deepEqual(first, Buffer.from(await s.reference.get(0)))
    // The leaf list zeroed in place: a block served before passes by its learned tag, a block
    // never served has only its (now wrong) leaf and is refused.
    leaves.fill(0)
    assert.deepEqual(Buffer.concat(await source.getParts(0)), first)
    await assert.rejects(source.getParts(1), SourceChangedError)
  } finally {
    await source.close()
    await dispose(s)
  }
})

for (const mode of MODES) test(`${mode}: a block a fetch received is served again by the tag it arrived with, and refused once its plaintext on disk changes`, async () => {
  const s = await share({ 'f.bin': randomBytes(2 * BLOCK + 50) })
  const out = join(s.dir, 'out')
  let leaves: Uint8Array = s.built.leaves
  const store = new PlaintextStore(s.built.manifest, deriveBlockKey(s.built.contentKey), out, () => leaves, { pool: poolFor(mode) })
  try {
    await store.open()
    const cts = await Promise.all([0, 1, 2].map(async i => Buffer.from(await s.reference.get(i))))
    assert.equal(await store.verifyAndPut(0, asPiece(cts[0]!), leafOf(s.built, 0)), 'stored')
    assert.equal(await store.verifyAndPut(1, asPiece(cts[1]!), leafOf(s.built, 1)), 'stored')
    // With the leaf list swapped for zeros, a hash check would refuse everything: the tag serves.
    leaves = Buffer.alloc(s.built.leaves.length)
    assert.deepEqual(Buffer.concat(await store.getParts(0)), cts[0])
    const part = join(out, 'in', 'f.bin.part')
    const bytes = await readFile(part)
    bytes[BLOCK + 9]! ^= 0x10
    await writeFile(part, bytes)
    await assert.rejects(store.getParts(1), RestoreError)
  } finally {
    await store.close()
    await dispose(s)
  }
})

for (const mode of MODES) test(`${mode}: verifyAndPut writes only blocks that match their leaf; a lie writes nothing; the file is whole at the end`, async () => {
  const plain = randomBytes(3 * BLOCK + 321)
  const s = await share({ 'f.bin': plain })
  const out = join(s.dir, 'out')
  const store = new PlaintextStore(s.built.manifest, deriveBlockKey(s.built.contentKey), out, () => s.built.leaves, { pool: poolFor(mode) })
  try {
    await store.open()
    const count = s.built.manifest.header.blockCount
    const cts = await Promise.all(Array.from({ length: count }, async (_, i) => Buffer.from(await s.reference.get(i))))

    // A flipped byte, a truncated block, the right bytes under another block's leaf: all refused.
    const flipped = Buffer.from(cts[1]!)
    flipped[100]! ^= 1
    assert.equal(await store.verifyAndPut(1, asPiece(flipped), leafOf(s.built, 1)), 'mismatch')
    assert.equal(await store.verifyAndPut(1, cts[1]!.subarray(0, 1000), leafOf(s.built, 1)), 'mismatch')
    assert.equal(await store.verifyAndPut(1, Buffer.from(cts[2]!), leafOf(s.built, 1)), 'mismatch')
    assert.equal(store.has(1), false)
    const part = await readFile(join(out, 'in', 'f.bin.part'))
    assert.ok(part.subarray(BLOCK, 2 * BLOCK).equals(Buffer.alloc(BLOCK)), 'nothing of a refused block reached the disk')

    // Workers: a piece in memory of its own is handed over (detached), not copied; a plain view
    // is copied. Inline: such a piece's memory is recycled for the next piece, never a buffer
    // that holds anything else.
    const piece = asPiece(cts[0]!)
    assert.ok(tailOwnsBuffer(piece, 13))
    assert.equal(await store.verifyAndPut(0, piece, leafOf(s.built, 0)), 'stored')
    if (mode === 'workers') assert.equal(piece.byteLength, 0, 'the piece memory went to the worker')
    else assert.equal(pieceBuffers.take(piece.buffer.byteLength).buffer, piece.buffer, 'the piece memory is reused for the next piece')
    const kept = Buffer.from(cts[1]!)
    assert.equal(await store.verifyAndPut(1, kept, leafOf(s.built, 1)), 'stored')
    assert.equal(kept.byteLength, cts[1]!.byteLength, 'a buffer that is not only the piece is copied')
    assert.notEqual(pieceBuffers.take(kept.buffer.byteLength).buffer, kept.buffer, 'a buffer that is not only the piece is not recycled')
    assert.deepEqual(kept, cts[1])
    assert.equal(await store.verifyAndPut(1, asPiece(cts[1]!), leafOf(s.built, 1)), 'duplicate')
    assert.equal(store.has(1), true)

    // Served back from the .part file through the pool: the same ciphertext.
    assert.deepEqual(Buffer.from(await store.get(1)), cts[1])
    for (let i = 2; i < count; i++) assert.equal(await store.verifyAndPut(i, asPiece(cts[i]!), leafOf(s.built, i)), 'stored')
    assert.equal(store.complete, true)
    assert.deepEqual(await readFile(join(out, 'in', 'f.bin')), plain)
    // Finished files are served by name.
    assert.deepEqual(Buffer.from(await store.get(count - 1)), cts[count - 1])
  } finally {
    await store.close()
    await dispose(s)
  }
})

for (const mode of MODES) test(`${mode}: a block that matches its leaf but not the link's key is an error of ours, not a lie`, async () => {
  const s = await share({ 'f.bin': randomBytes(BLOCK + 10) })
  const store = new PlaintextStore(s.built.manifest, randomBytes(32), join(s.dir, 'out'), () => s.built.leaves, { pool: poolFor(mode) })
  try {
    await store.open()
    const ct = Buffer.from(await s.reference.get(0))
    await assert.rejects(store.verifyAndPut(0, ct, leafOf(s.built, 0)), RestoreError)
    assert.equal(store.has(0), false)
  } finally {
    await store.close(true)
    await s.reference.close()
    await rm(s.dir, { recursive: true, force: true })
  }
})

test('the pool refuses work once closed and small inputs never detach Node\'s shared Buffer pool', async () => {
  const pool = new SealPool({ size: 1 })
  const small = Buffer.from('a small block that lives in the shared Buffer pool')
  const neighbour = Buffer.from('another small buffer')
  const sealed = await pool.seal(new Uint8Array(32), 0, 1024, small, true)
  assert.equal(sealed.digests.length, 32)
  assert.equal(neighbour.toString(), 'another small buffer', 'the pool slab was copied, not transferred')
  await pool.close()
  await assert.rejects(pool.serveBlock({ key: new Uint8Array(32), index: 0, leaf: new Uint8Array(32), plainLength: 1, reads: [] }), /closed/)
})

test('the guard hands a piece that spans chunks over in memory of exactly its size', async () => {
  const guard = new WireGuard(1 << 20)
  const got: Buffer[] = []
  guard.on('data', (b: Buffer) => { got.push(b) })
  const handshake = Buffer.alloc(68)
  handshake[0] = 19
  const body = randomBytes(100_000)
  const message = Buffer.alloc(4 + body.length)
  message.writeUInt32BE(body.length, 0)
  body.copy(message, 4)
  const have = Buffer.from([0, 0, 0, 5, 4, 0, 0, 0, 7])
  const stream = Buffer.concat([handshake, message, have])
  for (let off = 0; off < stream.length; off += 65536) guard.write(stream.subarray(off, off + 65536))
  await new Promise(resolve => setImmediate(resolve))
  assert.equal(got.length, 3)
  assert.deepEqual(got[1], message)
  assert.equal(got[1]!.byteOffset, 0)
  assert.equal(got[1]!.buffer.byteLength, message.length, 'the piece owns its memory')
  assert.deepEqual(got[2], have)
})

test('a leecher writing through verifyAndPut bans a seeder whose blocks do not match and gets the file intact from another', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'oht-pool-swarm-'))
  const owner = await OhtNode.open({ dataDir: join(dir, 'owner') })
  const swarms: Swarm[] = []
  try {
    const plain = randomBytes(2 * 1024 * 1024 + 99)
    await writeFile(join(dir, 'data.bin'), plain)
    const shared = await owner.share([join(dir, 'data.bin')], { blockSize: 64 * 1024 })
    const cap = parseReadCap(shared.link)
    const swarmKey = verifyCapOf(cap).swarmKey
    const infoHash = deriveSwarmInfoHash(swarmKey, cap.manifestCid.bytes)
    const held = (await owner.ciphertextSource(cap.manifestCid))!
    const manifest = decodeManifest(held.manifestBytes, cap.manifestCid)
    const leaves = (await owner.state.getLeaves(shared.id))!
    const seeder = (store: SwarmStore): Swarm => new Swarm({ manifestCid: cap.manifestCid, swarmKey, infoHash, localNodeId: randomBytes(32), manifest, leaves, store })
    // Flips a byte of every block it serves, after the source's own leaf check.
    const liarStore: SwarmStore = { has: async () => true, get: async i => { const b = Buffer.from(await held.source.get(i)); b[7]! ^= 0x80; return b } }
    const liar = seeder(liarStore)
    const honest = seeder(sourceStore(held.source))
    const leecher = new Swarm({ manifestCid: cap.manifestCid, swarmKey, infoHash, localNodeId: randomBytes(32), requestTimeoutMs: 5000 })
    swarms.push(liar, honest, leecher)
    let store: PlaintextStore | undefined
    const attached = new Promise<void>((resolve, reject) => {
      leecher.once('metadata', () => {
        const m = openManifest(leecher.manifest!.bytes, cap.contentKey, cap.manifestCid)
        const ps = new PlaintextStore(m, blockKeyOf(cap), join(dir, 'out'), () => leecher.leaves!)
        store = ps
        ps.open()
          .then(async () => { await leecher.attachStore({ has: i => ps.has(i), get: async i => await ps.get(i), verifyAndPut: async (i, b, leaf) => await ps.verifyAndPut(i, b, leaf), close: async () => { await ps.close() } }, ps.wanted) })
          .then(resolve, reject)
      })
    })
    const rejected: number[] = []
    leecher.on('event', e => { if (e.type === 'block:rejected') rejected.push(e.index) })
    await liar.start(); await honest.start(); await leecher.start()
    const [a1, b1] = await socketPair()
    leecher.addPeer(a1, true, liar.options.localNodeId)
    liar.addPeer(b1, false, leecher.options.localNodeId)
    await attached
    // The liar alone first, so it surely gets asked and caught.
    for (let i = 0; i < 100 && !leecher.banned.has(Buffer.from(liar.options.localNodeId).toString('hex')); i++) await new Promise(resolve => setTimeout(resolve, 50))
    assert.ok(leecher.banned.has(Buffer.from(liar.options.localNodeId).toString('hex')), 'liar banned')
    assert.ok(rejected.length >= 1)
    assert.equal(store!.heldBlocks().length, 0, 'nothing of the liar was stored')
    const [a2, b2] = await socketPair()
    leecher.addPeer(a2, true, honest.options.localNodeId)
    honest.addPeer(b2, false, leecher.options.localNodeId)
    await leecher.whenComplete(AbortSignal.timeout(30_000))
    assert.equal(store!.complete, true)
    assert.deepEqual(await readFile(join(dir, 'out', 'data.bin')), plain)
  } finally {
    for (const s of swarms) s.close()
    await owner.close()
    await rm(dir, { recursive: true, force: true })
  }
})
