// End-to-end tests of `oht export --car` and `oht import`: every test runs `node bin/oht.js` as a
// child process against fresh data directories and real files under os.tmpdir().
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { copyFile, mkdir, readFile, stat, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { CarIndexer } from '@ipld/car/indexer'
import { RAW_CODEC } from '../../src/blocks/index.ts'
import { assertCliError, exists, listTree, oht, ohtJson, tempDir } from '../helpers/cli.ts'
import { assertFiles, listShares, share } from '../helpers/cli-share.ts'
import { buildRawShare, writeRawShareCar, type RawEntry } from '../helpers/raw-share.ts'

describe('oht CLI: CAR export and import', { concurrency: 2 }, () => {
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
})
