// End-to-end tests of the oht CLI: every test runs `node bin/oht.js` as a child process against
// fresh data directories and real files under os.tmpdir().
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { chmod, mkdir, stat, symlink, truncate, unlink, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import {
  assertCliError, bypassesPermissions, exists, oht, ohtJson, ohtOk, tempDir
} from '../helpers/cli.ts'
import { assertFiles, LINK_RE, listShares, share, VERIFY_RE, type FetchJson, type ListJson, type ShareJson } from '../helpers/cli-share.ts'

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
    assertCliError(await oht(join(dir, 'data'), ['share', join(dir, 'f.txt'), '--block-size', size]), /bad block size "[^"]+": expected a power of two from 16KiB to 16MiB/)
  }
  const link = (await ohtJson<{ link: string }>(join(dir, 'data'), ['share', join(dir, 'f.txt')])).value.link
  assertCliError(await oht(join(dir, 'data'), ['pin', link, '--ttl', '99999999999d']), /duration too long: "99999999999d"/)
})
