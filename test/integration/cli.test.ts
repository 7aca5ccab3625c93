// End-to-end tests of the oht CLI: every test runs `node bin/oht.js` as a child process against
// fresh data directories and real files under os.tmpdir().
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { chmod, copyFile, mkdir, readFile, stat, symlink, truncate, unlink, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { CarIndexer } from '@ipld/car/indexer'
import { RAW_CODEC } from '../../src/blocks/index.ts'
import {
  assertCliError, bypassesPermissions, exists, listTree, oht, ohtJson, ohtOk, tempDir, type TreeEntry
} from '../helpers/cli.ts'
import { buildRawShare, writeRawShareCar, type RawEntry } from '../helpers/raw-share.ts'

const LINK_RE = /^oht:\/\/(b[a-z2-7]{58})#([A-Za-z0-9_-]{43})$/
const VERIFY_RE = /^oht-verify:\/\/(b[a-z2-7]{58})#([A-Za-z0-9_-]{43})$/

interface ShareJson { link: string, verifyCap: string, id: string, bytes: number }
interface FetchJson { path: string, bytes: number, seconds: number, peers: number }
interface ListJson { shares: Array<{ id: string, role: string, bytes: number, link?: string }> }

async function share (dataDir: string, args: readonly string[]): Promise<ShareJson & { stderr: string }> {
  const { value, result } = await ohtJson<ShareJson>(dataDir, ['share', ...args])
  return { ...value, stderr: result.stderr }
}

/** Asserts that `root` holds exactly these regular files (and their parent directories), with these bytes. */
async function assertFiles (root: string, files: Record<string, Uint8Array>): Promise<void> {
  const expected = new Map<string, TreeEntry>()
  for (const [path, bytes] of Object.entries(files)) {
    const parts = path.split('/')
    for (let i = 1; i < parts.length; i++) expected.set(parts.slice(0, i).join('/'), { type: 'dir' })
    expected.set(path, { type: 'file', size: bytes.length })
  }
  const actual = await listTree(root)
  assert.deepEqual(Object.fromEntries([...actual].sort()), Object.fromEntries([...expected].sort()), `unexpected tree under ${root}`)
  for (const [path, bytes] of Object.entries(files)) {
    assert.ok(Buffer.from(bytes).equals(await readFile(join(root, path))), `${path} differs from the original`)
  }
}

async function listShares (dataDir: string): Promise<ListJson['shares']> {
  return (await ohtJson<ListJson>(dataDir, ['ls'])).value.shares
}

// Two CPUs is the common CI shape; each child costs a Node start-up plus scrypt.
describe('oht CLI', { concurrency: 2 }, () => {
  test('share --json and fetch --json round-trip a 3 MiB random file byte for byte', async t => {
    const tmp = await tempDir(t)
    const node = join(tmp, 'node')
    const src = join(tmp, 'big.bin')
    const content = randomBytes(3 * 1024 * 1024 + 4321)
    await writeFile(src, content)

    const { value: shared, result } = await ohtJson<ShareJson>(node, ['share', src])
    assert.deepEqual(Object.keys(shared).sort(), ['bytes', 'id', 'link', 'verifyCap'])
    const m = LINK_RE.exec(shared.link)
    assert.ok(m != null, `bad link ${shared.link}`)
    assert.equal(m[1], shared.id)
    assert.match(shared.id, /^bafyrei/)
    assert.equal(VERIFY_RE.exec(shared.verifyCap)?.[1], shared.id)
    assert.equal(shared.bytes, content.length)
    assert.equal(result.stderr, '', 'a successful --json share prints nothing on stderr')

    const out = join(tmp, 'out')
    const { value: fetched, result: fr } = await ohtJson<FetchJson>(node, ['fetch', shared.link, '-o', out])
    for (const key of ['bytes', 'path', 'peers', 'seconds']) assert.ok(key in fetched, `fetch --json has ${key}`)
    assert.equal(fetched.path, join(out, 'big.bin'))
    assert.equal(fetched.bytes, content.length)
    assert.equal(typeof fetched.seconds, 'number')
    assert.ok(fetched.seconds >= 0 && Number.isFinite(fetched.seconds))
    assert.equal(fetched.peers, 0)
    assert.equal(fr.stderr, '')
    // Exactly one file: byte-identical, no `.part` left behind.
    await assertFiles(out, { 'big.bin': content })
  })

  test('an empty file shares and fetches as an empty file', async t => {
    const tmp = await tempDir(t)
    const node = join(tmp, 'node')
    const src = join(tmp, 'empty.txt')
    await writeFile(src, '')
    const shared = await share(node, [src])
    assert.equal(shared.bytes, 0)
    const out = join(tmp, 'out')
    const { value } = await ohtJson<FetchJson>(node, ['fetch', shared.link, '-o', out])
    assert.equal(value.bytes, 0)
    assert.equal(value.path, join(out, 'empty.txt'))
    await assertFiles(out, { 'empty.txt': new Uint8Array(0) })
  })

  test('a directory with unicode names, empty files and symlinks: links skipped, or followed without looping', async t => {
    const tmp = await tempDir(t)
    const node = join(tmp, 'node')
    const dir = join(tmp, 'tree')
    const files: Record<string, Uint8Array> = {
      'été/naïve file.txt': Buffer.from('bonjour, naïve world\n'),
      '日本語.bin': randomBytes(40_000), // spans blocks at 16 KiB
      'empty.txt': new Uint8Array(0),
      'sub/deep/x.bin': randomBytes(20_000),
      'sub/deep/also empty': new Uint8Array(0),
      'Zed.txt': Buffer.from('uppercase sorts before lowercase\n'),
      'run.sh': Buffer.from('#!/bin/sh\necho hi\n')
    }
    for (const [path, bytes] of Object.entries(files)) {
      await mkdir(join(dir, path, '..'), { recursive: true })
      await writeFile(join(dir, path), bytes)
    }
    await chmod(join(dir, 'run.sh'), 0o755)
    await symlink('été/naïve file.txt', join(dir, 'link-to-file'))
    await symlink('does-not-exist', join(dir, 'dangling'))
    await symlink('..', join(dir, 'sub', 'loop')) // points at tree/ itself: a loop

    const shared = await share(node, ['--block-size', '16KiB', dir])
    const total = Object.values(files).reduce((n, b) => n + b.length, 0)
    assert.equal(shared.bytes, total)
    const warnings = shared.stderr.split('\n').filter(l => l !== '')
    for (const l of warnings) assert.match(l, /^oht: warning: skipped /)
    for (const name of ['link-to-file', 'dangling', join('sub', 'loop')]) {
      assert.ok(warnings.some(l => l.includes(join(dir, name))), `no warning names ${name}:\n${shared.stderr}`)
    }
    assert.equal(warnings.length, 3, shared.stderr)

    const out = join(tmp, 'out')
    const { value } = await ohtJson<FetchJson>(node, ['fetch', shared.link, '-o', out])
    assert.equal(value.path, join(out, 'tree'))
    assert.equal(value.bytes, total)
    const prefixed = Object.fromEntries(Object.entries(files).map(([p, b]) => [`tree/${p}`, b]))
    await assertFiles(out, prefixed) // no symlink of any kind in the output
    assert.notEqual((await stat(join(out, 'tree', 'run.sh'))).mode & 0o100, 0, 'the executable bit is kept')
    assert.equal((await stat(join(out, 'tree', 'Zed.txt'))).mode & 0o111, 0)

    // --follow-symlinks: the link to a file becomes that file; the loop and the dangling link
    // are skipped, and the walk terminates.
    const followed = await share(node, ['--follow-symlinks', '--block-size', '16KiB', dir])
    assert.notEqual(followed.id, shared.id)
    assert.match(followed.stderr, /dangling: broken symbolic link/)
    assert.match(followed.stderr, /loop: symbolic link loop/)
    assert.equal(followed.bytes, total + files['été/naïve file.txt']!.length)
    const out2 = join(tmp, 'out2')
    await ohtJson(node, ['fetch', followed.link, '-o', out2])
    await assertFiles(out2, { ...prefixed, 'tree/link-to-file': files['été/naïve file.txt']! })
  })

  test('fetch --file writes only the selected file (or directory) of a directory share', async t => {
    const tmp = await tempDir(t)
    const node = join(tmp, 'node')
    const dir = join(tmp, 'pack')
    const x = randomBytes(30_000)
    const y = randomBytes(1000)
    await mkdir(join(dir, 'sub'), { recursive: true })
    await writeFile(join(dir, 'a.txt'), randomBytes(20_000))
    await writeFile(join(dir, 'sub', 'x.bin'), x)
    await writeFile(join(dir, 'sub', 'y.bin'), y)
    await writeFile(join(dir, 'z.txt'), randomBytes(20_000))
    const shared = await share(node, ['--block-size', '16KiB', dir])

    const out = join(tmp, 'out')
    const { value } = await ohtJson<FetchJson>(node, ['fetch', shared.link, '-o', out, '--file', 'pack/sub/x.bin'])
    assert.equal(value.bytes, x.length)
    await assertFiles(out, { 'pack/sub/x.bin': x })

    const out2 = join(tmp, 'out2')
    await ohtJson(node, ['fetch', shared.link, '-o', out2, '--file', 'pack/sub'])
    await assertFiles(out2, { 'pack/sub/x.bin': x, 'pack/sub/y.bin': y })

    const out3 = join(tmp, 'out3')
    const r = await oht(node, ['fetch', shared.link, '-o', out3, '--file', 'pack/nope.bin'])
    assertCliError(r, /no file in the share matches "pack\/nope\.bin"/)
    assert.equal(await exists(out3), false)
  })

  test('share refuses a missing path, an unreadable file, and an empty directory', async t => {
    const tmp = await tempDir(t)
    const node = join(tmp, 'node')

    await t.test('missing path', async () => {
      const missing = join(tmp, 'no such file.bin')
      const r = await oht(node, ['share', missing])
      assertCliError(r, /no such file or directory/)
      assert.ok(r.stderr.includes(missing), r.stderr)
      assert.equal(r.stdout, '')
    })

    await t.test('unreadable file', async t2 => {
      if (bypassesPermissions()) { t2.skip('running as root: chmod 000 does not stop root from reading'); return }
      const locked = join(tmp, 'locked.bin')
      await writeFile(locked, randomBytes(100))
      await chmod(locked, 0o000)
      const r = await oht(node, ['share', locked])
      assertCliError(r, /permission denied/)
      assert.ok(r.stderr.includes(locked), r.stderr)
    })

    await t.test('unreadable directory inside a directory share', async t2 => {
      if (bypassesPermissions()) { t2.skip('running as root: chmod 000 does not stop root from reading'); return }
      const dir = join(tmp, 'd')
      await mkdir(join(dir, 'closed'), { recursive: true })
      await writeFile(join(dir, 'closed', 'f'), 'x')
      await chmod(join(dir, 'closed'), 0o000)
      t2.after(async () => { await chmod(join(dir, 'closed'), 0o755) })
      const r = await oht(node, ['share', dir])
      assertCliError(r, /cannot read directory/)
      assert.ok(r.stderr.includes(join(dir, 'closed')), r.stderr)
    })

    await t.test('empty directory', async () => {
      const empty = join(tmp, 'hollow')
      await mkdir(empty)
      const r = await oht(node, ['share', empty])
      assertCliError(r, /no regular files|no files/)
    })

    assert.deepEqual(await listShares(node), [], 'a failed share records nothing')
  })

  test('fetch from the owner fails cleanly when the shared file changed after sharing', async t => {
    const tmp = await tempDir(t)
    const node = join(tmp, 'node')
    const FIXED = 1_600_000_000 // whole seconds: utimes can restore this mtime exactly

    async function setup (name: string): Promise<{ src: string, link: string, content: Buffer }> {
      const src = join(tmp, name)
      const content = randomBytes(40_000) // three 16 KiB blocks
      await writeFile(src, content)
      await utimes(src, FIXED, FIXED)
      const shared = await share(node, ['--block-size', '16KiB', src])
      return { src, link: shared.link, content }
    }

    async function assertRefused (name: string, link: string, pattern: RegExp): Promise<void> {
      const out = join(tmp, `out-${name}`)
      const r = await oht(node, ['fetch', link, '-o', out])
      assertCliError(r, pattern)
      assert.equal(await exists(join(out, name)), false, 'no output file under its final name')
      assert.equal(await exists(join(out, `${name}.part`)), false, 'no part file left behind')
    }

    await t.test('same size, different bytes, same mtime: caught by the leaf hash', async () => {
      const { src, link, content } = await setup('same-mtime.bin')
      content[35_000] = content[35_000]! ^ 0xff // in block 2: blocks 0 and 1 still match
      await writeFile(src, content)
      await utimes(src, FIXED, FIXED)
      await assertRefused('same-mtime.bin', link, /shared files changed on disk: block 2 no longer matches/)
    })

    await t.test('same size, different bytes, new mtime', async () => {
      const { src, link, content } = await setup('new-mtime.bin')
      content[0] = content[0]! ^ 0xff
      await writeFile(src, content)
      await utimes(src, FIXED + 60, FIXED + 60)
      await assertRefused('new-mtime.bin', link, /changed since it was listed/)
    })

    await t.test('truncated', async () => {
      const { src, link } = await setup('short.bin')
      await truncate(src, 20_000)
      await assertRefused('short.bin', link, /changed|shorter/)
    })

    await t.test('deleted', async () => {
      const { src, link } = await setup('gone.bin')
      await unlink(src)
      await assertRefused('gone.bin', link, /gone/)
    })
  })

  test('export --car does not leave a partial CAR behind when the source changed', async t => {
    const tmp = await tempDir(t)
    const node = join(tmp, 'node')
    const src = join(tmp, 'f.bin')
    const content = randomBytes(40_000)
    await writeFile(src, content)
    await utimes(src, 1_600_000_000, 1_600_000_000)
    const shared = await share(node, ['--block-size', '16KiB', src])
    content[39_000] = content[39_000]! ^ 1 // last block
    await writeFile(src, content)
    await utimes(src, 1_600_000_000, 1_600_000_000)
    const car = join(tmp, 'f.car')
    const r = await oht(node, ['export', shared.link, '--car', '-o', car])
    assertCliError(r, /shared files changed on disk/)
    // A failed export once left a truncated CAR (header, manifest, first blocks) at the output path.
    assert.equal(await exists(car), false, 'a failed export must not leave a (truncated) CAR at the output path')
  })

  test('fetch refuses malformed links and verify capabilities, writing nothing', async t => {
    const tmp = await tempDir(t)
    const node = join(tmp, 'node')
    const src = join(tmp, 'f.txt')
    await writeFile(src, 'hello\n')
    const shared = await share(node, [src])
    const cases: Array<[string, string, RegExp]> = [
      ['not a CID', 'oht://notacid#abc', /not an oht link: "notacid" is not a CID/],
      ['http URL', 'http://x', /not an oht link/],
      ['empty', '', /not an oht link/],
      ['short key', `oht://${shared.id}#${randomBytes(16).toString('base64url')}`, /key must be 32 bytes/],
      ['long key', `oht://${shared.id}#${randomBytes(33).toString('base64url')}`, /key must be 32 bytes/],
      ['padded key', `${shared.link}=`, /not an oht link/],
      ['raw-block CID as id', `oht://bafkreigyqu6kbiduw4p6fxon2qclkvy5wcf6erjgjlo4lz7rnlsuwcswlm#${shared.link.split('#')[1]!}`, /CIDv1 \(dag-cbor/],
      ['verify capability', shared.verifyCap, /verify capability/],
      ['share not held', `oht://bafyreieiimzkozfjx5w7kf556lkfenfidloqrszl2oywgnjrgm4svnnziq#${'A'.repeat(43)}`, /not held by this node/]
    ]
    for (const [name, link, pattern] of cases) {
      await t.test(name, async () => {
        const out = join(tmp, 'out')
        const r = await oht(node, ['fetch', link, '-o', out])
        assertCliError(r, pattern)
        assert.equal(r.stdout, '')
        assert.equal(await exists(out), false, 'nothing written')
      })
    }
  })

  test('a link with the right id but a wrong key is refused as a wrong key, writing nothing', async t => {
    const tmp = await tempDir(t)
    const node = join(tmp, 'node')
    const src = join(tmp, 'secret.txt')
    await writeFile(src, 'top secret\n')
    const shared = await share(node, [src])
    const wrong = `oht://${shared.id}#${randomBytes(32).toString('base64url')}`
    const out = join(tmp, 'out')
    const r = await oht(node, ['fetch', wrong, '-o', out])
    assertCliError(r, /wrong key in the link, or the manifest is corrupted/)
    assert.equal(await exists(out), false)
    // The right link still works afterwards.
    await ohtJson(node, ['fetch', shared.link, '-o', out])
    await assertFiles(out, { 'secret.txt': Buffer.from('top secret\n') })
  })

  test('CAR export/import moves a share between nodes; corrupt, truncated and non-CAR files are refused', async t => {
    const tmp = await tempDir(t)
    const a = join(tmp, 'node-a')
    const b = join(tmp, 'node-b')
    const c = join(tmp, 'node-c')
    const src = join(tmp, 'movie.bin')
    const content = randomBytes(300_000) // five 64 KiB blocks
    await writeFile(src, content)
    const shared = await share(a, ['--block-size', '64KiB', src])
    const listedA = await listShares(a)
    assert.equal(listedA.length, 1)
    assert.equal(listedA[0]!.role, 'owner')
    assert.equal(listedA[0]!.link, shared.link)

    const car = join(tmp, 'movie.car')
    const { value: exported } = await ohtJson<Record<string, unknown>>(a, ['export', shared.link, '--car', '-o', car])
    assert.equal(exported.path, car)
    assert.equal(exported.id, shared.id)
    assert.equal(exported.bytes, (await stat(car)).size)
    assert.match(String(exported.unixfsRoot), /^bafybei/)

    const { value: imported } = await ohtJson<Record<string, unknown>>(b, ['import', car])
    assert.deepEqual(imported, { id: shared.id, unixfsRoot: exported.unixfsRoot, blocks: 5, bytes: content.length })
    const listedB = await listShares(b)
    assert.deepEqual(listedB.map(s => [s.id, s.role, s.bytes]), [[shared.id, 'holder', content.length]])
    const out = join(tmp, 'out-b')
    await ohtJson(b, ['fetch', shared.link, '-o', out])
    await assertFiles(out, { 'movie.bin': content })

    // Flip one byte in the middle of a raw (ciphertext) block of a copy.
    const raw: Array<{ cid: string, blockOffset: number, blockLength: number }> = []
    const indexer = await CarIndexer.fromIterable(createReadStream(car))
    for await (const entry of indexer) {
      if (entry.cid.code === RAW_CODEC) raw.push({ cid: entry.cid.toString(), blockOffset: entry.blockOffset, blockLength: entry.blockLength })
    }
    assert.equal(raw.length, 5)
    const victim = raw[2]!
    const bytes = await readFile(car)
    const at = victim.blockOffset + Math.floor(victim.blockLength / 2)
    bytes[at] = bytes[at]! ^ 0x01
    const corrupt = join(tmp, 'corrupt.car')
    await writeFile(corrupt, bytes)

    async function assertHoldsNothing (dataDir: string): Promise<void> {
      assert.deepEqual(await listShares(dataDir), [])
      // The store's marker that its file names are keyed is not a block; anything else would be.
      const stored = [...(await listTree(join(dataDir, 'blocks')))].filter(([path, e]) => e.type !== 'dir' && path !== '.keyed-names')
      assert.deepEqual(stored, [], 'a refused CAR stores no block')
    }

    const r = await oht(c, ['import', corrupt])
    const line = assertCliError(r, /does not match its hash/)
    assert.ok(line.includes(victim.cid), `the error names the corrupted block ${victim.cid}: ${line}`)
    await assertHoldsNothing(c)

    const truncated = join(tmp, 'truncated.car')
    await writeFile(truncated, (await readFile(car)).subarray(0, Math.floor(bytes.length / 2)))
    assertCliError(await oht(c, ['import', truncated]), /truncated or malformed/)
    await assertHoldsNothing(c)

    const notCar = join(tmp, 'notes.txt')
    await writeFile(notCar, 'these are not the blocks you are looking for\n')
    assertCliError(await oht(c, ['import', notCar]), /not a CAR file/)
    const emptyCar = join(tmp, 'empty.car')
    await writeFile(emptyCar, '')
    assertCliError(await oht(c, ['import', emptyCar]), /not a CAR file/)
    const missing = join(tmp, 'missing.car')
    const noFile = await oht(c, ['import', missing])
    assertCliError(noFile, /no such file/)
    assert.ok(noFile.stderr.includes(missing))
    await assertHoldsNothing(c)

    // The untouched CAR still imports on C afterwards.
    await copyFile(car, join(tmp, 'again.car'))
    await ohtJson(c, ['import', join(tmp, 'again.car')])
    const out2 = join(tmp, 'out-c')
    await ohtJson(c, ['fetch', shared.link, '-o', out2])
    await assertFiles(out2, { 'movie.bin': content })
  })

  test('hostile manifests imported from a CAR are refused by fetch, writing nothing anywhere', { concurrency: 2 }, async t => {
    const tmp = await tempDir(t)
    const plaintext = randomBytes(100)

    async function importRaw (caseDir: string, files: RawEntry[], extra: { kind?: string } = {}): Promise<{ node: string, link: string }> {
      const node = join(caseDir, 'node')
      const raw = buildRawShare({ plaintext, files, kind: extra.kind ?? 'dir', name: 'share' })
      const car = join(caseDir, 'share.car')
      await writeRawShareCar(car, raw)
      // Import checks only what needs no key (blocks, DAG, header, Merkle root): it accepts.
      await ohtJson(node, ['import', car])
      return { node, link: raw.link }
    }

    // Control: the hand-built share is well-formed, so the refusals below are about the file table.
    await t.test('control: a benign hand-built manifest fetches fine', async () => {
      const caseDir = join(tmp, 'control')
      await mkdir(caseDir)
      const { node, link } = await importRaw(caseDir, [{ path: 'share/a.txt', size: 60 }, { path: 'share/sub/b.txt', size: 40 }])
      const out = join(caseDir, 'out')
      await ohtJson(node, ['fetch', link, '-o', out])
      await assertFiles(out, { 'share/a.txt': plaintext.subarray(0, 60), 'share/sub/b.txt': plaintext.subarray(60) })
    })

    const cases: Array<{ name: string, files: (caseDir: string) => RawEntry[], kind?: string, error: RegExp }> = [
      { name: 'parent escape ../evil', files: () => [{ path: '../evil', size: 100 }], error: /"\.\."/ },
      { name: '.. in the middle', files: () => [{ path: 'share/../../evil', size: 100 }], error: /"\.\."/ },
      { name: 'absolute path', files: d => [{ path: join(d, 'abs-evil'), size: 100 }], error: /absolute path/ },
      { name: 'NUL byte', files: () => [{ path: 'share/evil\u0000.txt', size: 100 }], error: /NUL/ },
      { name: 'backslashes', files: () => [{ path: 'share\\..\\..\\evil', size: 100 }], error: /backslash/ },
      { name: 'sizes do not add up', files: () => [{ path: 'share/a', size: 40 }, { path: 'share/b', size: 40 }], error: /add up to 80/ },
      { name: 'negative size balancing the sum', files: () => [{ path: 'share/a', size: 150 }, { path: 'share/b', size: -50 }], error: /non-negative integer|more than the whole share/ },
      { name: 'size 2^53 (float)', files: () => [{ path: 'share/a', size: 2 ** 53 }], error: /size must be a non-negative integer/ },
      { name: 'size 2^53 (uint64)', files: () => [{ path: 'share/a', size: 2n ** 53n }], error: /size must be a non-negative integer/ },
      { name: 'duplicate paths', files: () => [{ path: 'share/a', size: 50 }, { path: 'share/a', size: 50 }], error: /duplicate path/ },
      { name: 'file that is also a directory', files: () => [{ path: 'share/a', size: 50 }, { path: 'share/a/b', size: 50 }], error: /both a file and a directory/ },
      { name: 'file share listing two files', kind: 'file', files: () => [{ path: 'share/a', size: 50 }, { path: 'share/b', size: 50 }], error: /exactly one file/ },
    ]
    // Each case has its own node, so they can run side by side.
    await Promise.all(cases.map(async c => {
      await t.test(c.name, async () => {
        const caseDir = join(tmp, c.name.replace(/[^a-z0-9]+/gi, '-'))
        await mkdir(caseDir)
        const { node, link } = await importRaw(caseDir, c.files(caseDir), c.kind != null ? { kind: c.kind } : {})
        const out = join(caseDir, 'out')
        const r = await oht(node, ['fetch', link, '-o', out])
        assertCliError(r, c.error)
        assert.equal(await exists(out), false, 'nothing written, not even the output directory')
        // Outside the node's own data: only the CAR, no `evil` next to `out` or anywhere else.
        const around = [...(await listTree(caseDir)).keys()].filter(p => p !== 'node' && !p.startsWith('node/'))
        assert.deepEqual(around, ['share.car'])
      })
    }))
    assert.equal(await exists(join(tmp, 'evil')), false)
  })

  test('fetch refuses to replace an existing file unless --force', async t => {
    const tmp = await tempDir(t)
    const node = join(tmp, 'node')
    const src = join(tmp, 'doc.txt')
    const content = randomBytes(50_000)
    await writeFile(src, content)
    const shared = await share(node, [src])
    const out = join(tmp, 'out')
    await mkdir(out)
    await writeFile(join(out, 'doc.txt'), 'precious local edits\n')

    const r = await oht(node, ['fetch', shared.link, '-o', out])
    assertCliError(r, /already exists.*--force/)
    assert.ok(r.stderr.includes(join(out, 'doc.txt')))
    await assertFiles(out, { 'doc.txt': Buffer.from('precious local edits\n') })

    await ohtJson(node, ['fetch', shared.link, '-o', out, '--force'])
    await assertFiles(out, { 'doc.txt': content })
  })

  test('a directory share holding both "a" and an empty "a.part" fetches both intact', async t => {
    // Part files once collided: the empty "a.part" renamed onto the in-progress part of "a",
    // and the fetch exited 0 with "a" empty and "a.part" missing.
    const tmp = await tempDir(t)
    const node = join(tmp, 'node')
    const dir = join(tmp, 'dl')
    await mkdir(dir)
    const a = Buffer.from('the real content of a\n')
    await writeFile(join(dir, 'a'), a)
    await writeFile(join(dir, 'a.part'), '')
    const shared = await share(node, [dir])
    const out = join(tmp, 'out')
    await ohtOk(node, ['fetch', shared.link, '-o', out])
    await assertFiles(out, { 'dl/a': a, 'dl/a.part': new Uint8Array(0) })
  })

  test('help for the program and its commands; unknown commands fail', async t => {
    // A data dir is passed anyway so a regression could never touch the user's real one.
    const node = join(await tempDir(t), 'node')
    const top = await ohtOk(node, ['--help'])
    for (const cmd of ['init', 'share', 'ls', 'fetch', 'export', 'import']) assert.match(top.stdout, new RegExp(`^\\s+${cmd}\\b`, 'm'))
    const sh = await ohtOk(node, ['share', '--help'])
    assert.match(sh.stdout, /Usage: oht share/)
    assert.match(sh.stdout, /--follow-symlinks/)
    const fe = await ohtOk(node, ['fetch', '--help'])
    assert.match(fe.stdout, /Usage: oht fetch/)
    assert.match(fe.stdout, /--force/)
    assert.match(fe.stdout, /--output/)

    const bad = await oht(node, ['frobnicate'])
    assert.equal(bad.signal, null)
    assert.notEqual(bad.code, 0)
    assert.match(bad.stderr, /unknown command 'frobnicate'/)
    assert.equal(bad.stdout, '')
    const badOpt = await oht(node, ['share', '--no-such-option', join(node, 'nothing')])
    assert.notEqual(badOpt.code, 0)
    assert.match(badOpt.stderr, /unknown option '--no-such-option'/)
    assert.equal(await exists(node), false, 'help and usage errors do not create a data directory')
  })

  test('init: idempotent, private permissions, and a wrong passphrase is refused', async t => {
    const tmp = await tempDir(t)
    const node = join(tmp, 'node')
    await mkdir(node, { mode: 0o755 })
    await chmod(node, 0o755)

    const { value: first, result } = await ohtJson<{ nodeId: string, dataDir: string, created: boolean }>(node, ['init'])
    assert.equal(first.created, true)
    assert.equal(first.dataDir, node)
    assert.match(first.nodeId, /^[0-9a-f]{64}$/)
    assert.match(result.stderr, /^oht: warning: keystore written without a passphrase/m)
    assert.equal((await stat(node)).mode & 0o777, 0o700, 'data directory is 0700')
    assert.equal((await stat(join(node, 'keystore.json'))).mode & 0o777, 0o600, 'keystore is 0600')

    const second = await ohtOk(node, ['init'])
    assert.match(second.stdout, /already initialized: node [0-9a-f]{64}/)
    assert.ok(second.stdout.includes(first.nodeId))
    assert.equal(second.stderr, '')
    const { value: third } = await ohtJson<{ nodeId: string, created: boolean }>(node, ['init'])
    assert.deepEqual([third.nodeId, third.created], [first.nodeId, false])

    const locked = join(tmp, 'locked')
    const init = await ohtJson<{ created: boolean }>(locked, ['init'], { env: { OHT_PASSPHRASE: 'a' } })
    assert.equal(init.value.created, true)
    assert.equal(init.result.stderr, '', 'no passphrase warning when OHT_PASSPHRASE is set')
    assert.equal((await stat(join(locked, 'keystore.json'))).mode & 0o777, 0o600)
    const src = join(tmp, 'f.txt')
    await writeFile(src, 'x')
    for (const [args, env] of [[['ls'], { OHT_PASSPHRASE: 'b' }], [['share', src], { OHT_PASSPHRASE: 'b' }], [['init'], { OHT_PASSPHRASE: 'b' }], [['ls'], {}]] as const) {
      const r = await oht(locked, args, { env })
      assertCliError(r, /wrong passphrase/)
    }
    const ok = await ohtJson<ListJson>(locked, ['ls'], { env: { OHT_PASSPHRASE: 'a' } })
    assert.deepEqual(ok.value.shares, [], 'the failed share under the wrong passphrase recorded nothing')
  })
})

test('hostile input: --block-size 0 and --ttl 99999999999d give one clear error line', async t => {
  const dir = await tempDir(t)
  await writeFile(join(dir, 'f.txt'), 'hello')
  for (const size of ['0', '3KiB', '1GiB']) {
    assertCliError(await oht(join(dir, 'data'), ['share', join(dir, 'f.txt'), '--block-size', size]), /block size \d+ is not a power of two from 16 KiB to 16 MiB/)
  }
  const link = (await ohtJson<{ link: string }>(join(dir, 'data'), ['share', join(dir, 'f.txt')])).value.link
  assertCliError(await oht(join(dir, 'data'), ['pin', link, '--ttl', '99999999999d']), /duration too long: "99999999999d"/)
})
