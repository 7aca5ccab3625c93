// CipherPartStore (fetch --encrypted-parts) on real files: what is on disk before completion is
// ciphertext only; a block that does not match its leaf is refused, on arrival, on resume and in
// the final pass; the final files appear only complete.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, open, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildShare, CipherPartStore, deriveBlockKey, FileBlockSource, TAG_BYTES, type BuiltShare } from '../../src/blocks/index.ts'

const MARKER = Buffer.from('ENCPARTS-PLAINTEXT-MARKER-7f3a9c')
const BLOCK = 64 * 1024

async function fixture (t: { after: (fn: () => Promise<void>) => void }): Promise<{ dir: string, data: Buffer, built: BuiltShare, source: FileBlockSource, key: Uint8Array }> {
  const dir = await mkdtemp(join(tmpdir(), 'oht-cipherparts-'))
  t.after(async () => { await rm(dir, { recursive: true, force: true }) })
  const data = Buffer.alloc(5 * BLOCK + 1234)
  for (let i = 0; i < data.length; i += MARKER.length) MARKER.copy(data, i)
  await writeFile(join(dir, 'secret.txt'), data)
  const built = await buildShare([join(dir, 'secret.txt')], { blockSize: BLOCK })
  const key = deriveBlockKey(built.contentKey)
  return { dir, data, built, source: new FileBlockSource(built.files, built.manifest.header, key, built.leaves, false), key }
}

const leaf = (built: BuiltShare, i: number): Buffer => built.leaves.subarray(i * 32, i * 32 + 32)
const block = async (source: FileBlockSource, i: number): Promise<Buffer> => Buffer.from(await source.get(i))

/** Every byte of every file under `root` (none of them may hold the marker). */
async function anyMarker (root: string): Promise<string | undefined> {
  for (const e of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue
    const path = join(e.parentPath, e.name)
    if ((await readFile(path)).includes(MARKER)) return path
  }
  return undefined
}

test('ciphertext only until complete; resumed blocks re-checked; one pass writes the file; the part is removed', async t => {
  const { dir, data, built, source, key } = await fixture(t)
  const out = join(dir, 'out')
  const store = new CipherPartStore(built.manifest, key, out, () => built.leaves)
  await store.open()
  const n = built.manifest.header.blockCount
  for (let i = 0; i < 3; i++) assert.equal(await store.verifyAndPut(i, await block(source, i), leaf(built, i)), 'stored')
  await store.sync()
  assert.deepEqual((await readdir(out)).sort(), ['secret.txt.encrypted.part'])
  assert.equal(await anyMarker(out), undefined, 'no plaintext on disk before completion')
  // What it holds it serves as received (checked against the leaf).
  assert.ok(Buffer.from(await store.get(1)).equals(await block(source, 1)))
  await store.close()

  // A resume: block 2 was damaged on disk meanwhile; it is not kept, the others are.
  const fh = await open(join(out, 'secret.txt.encrypted.part'), 'r+')
  await fh.write(Buffer.from([0xff, 0xee]), 0, 2, 2 * (BLOCK + TAG_BYTES) + 100)
  await fh.close()
  const again = new CipherPartStore(built.manifest, key, out, () => built.leaves, { merge: true })
  assert.deepEqual(await again.open([0, 1, 2]), [0, 1])
  for (let i = 2; i < n; i++) assert.equal(await again.verifyAndPut(i, await block(source, i), leaf(built, i)), 'stored')
  assert.ok(again.allHeld)
  assert.equal(await anyMarker(out), undefined)
  await again.finish()
  assert.ok(again.complete)
  assert.deepEqual(await readdir(out), ['secret.txt'])
  assert.ok((await readFile(join(out, 'secret.txt'))).equals(data))
  // Finished, it serves from the plaintext (re-encrypted, checked).
  assert.ok(Buffer.from(await again.get(4)).equals(await block(source, 4)))
  await again.close()
})

test('a block that does not match its leaf is refused on arrival and, damaged on disk, in the final pass', async t => {
  const { dir, built, source, key } = await fixture(t)
  const out = join(dir, 'out')
  const store = new CipherPartStore(built.manifest, key, out, () => built.leaves)
  await store.open()
  const bad = await block(source, 0)
  bad[10]! ^= 1
  assert.equal(await store.verifyAndPut(0, bad, leaf(built, 0)), 'mismatch')
  assert.equal(store.has(0), false)
  const n = built.manifest.header.blockCount
  for (let i = 0; i < n; i++) await store.verifyAndPut(i, await block(source, i), leaf(built, i))
  const fh = await open(store.partPath, 'r+')
  // Flip the byte's bits: writing a fixed value left it unchanged when it already held that value (1 in 256 runs).
  const at = 3 * (BLOCK + TAG_BYTES) + 7
  const byte = Buffer.alloc(1)
  await fh.read(byte, 0, 1, at)
  byte[0] = byte[0]! ^ 0xff
  await fh.write(byte, 0, 1, at)
  await fh.close()
  await assert.rejects(store.finish(), /block 3 in .* no longer matches the share/)
  assert.equal(store.complete, false)
  assert.equal(store.heldBlocks().includes(3), false, 'the damaged block is no longer counted: a resume fetches it again')
  assert.deepEqual(await readdir(out), ['secret.txt.encrypted.part'], 'no final file, and no plaintext part, from an incomplete pass')
  assert.equal(await anyMarker(out), undefined)
  await store.close()
})
