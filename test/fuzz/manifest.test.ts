// Fuzz targets: the manifest (clear header, sealed file table) and CAR import.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import {
  CarError, CorruptBlockError, ManifestError, blockCountFor, cidMatches, decodeManifest, encodeManifest, openManifest, readShareCar,
  validateBody, type FileEntry, type ManifestBody, type ManifestHeader
} from '../../src/blocks/index.ts'
import { CIPHER } from '../../src/blocks/crypto/aead.ts'
import { buildRawShare, writeRawShareCar } from '../helpers/raw-share.ts'
import { cborValue, fc, mutated, only, onlyAsync, params } from './fuzz.ts'

const segment = fc.oneof(fc.stringMatching(/^[A-Za-z0-9._ -]{1,12}$/), fc.string({ minLength: 1, maxLength: 12 }))
  .filter(s => s !== '.' && s !== '..' && !/[/\\\0\u0000-\u001f\u007f]/.test(s) && !/^[A-Za-z]:/.test(s))
const key = new Uint8Array(randomBytes(32))

/** A valid share: a name, files under it with sizes, and the header that matches them. */
const share: fc.Arbitrary<{ header: ManifestHeader, body: ManifestBody }> = fc.tuple(
  segment, fc.boolean(), fc.uniqueArray(fc.array(segment, { minLength: 1, maxLength: 3 }).map(p => p.join('/')), { minLength: 1, maxLength: 5 }),
  fc.array(fc.nat({ max: 100_000 }), { minLength: 5, maxLength: 5 }), fc.option(fc.string({ maxLength: 30 }), { nil: undefined })
).filter(([, , paths]) => paths.every(p => !paths.some(q => q.startsWith(p + '/'))))
  .map(([name, single, paths, sizes, mime]) => {
    const files: FileEntry[] = single
      ? [{ path: name, size: sizes[0]!, ...(mime != null ? { mime } : {}) }]
      : paths.map((p, i) => ({ path: `${name}/${p}`, size: sizes[i]!, ...(mime != null && i === 0 ? { mime } : {}) }))
    const size = files.reduce((s, f) => s + f.size, 0)
    const blockSize = 16 * 1024
    const header: ManifestHeader = { version: 2, cipher: CIPHER, blockSize, blockCount: blockCountFor(size, blockSize), size, root: new Uint8Array(32).fill(7) }
    return { header, body: { kind: single ? 'file' : 'dir', name, created: 1_700_000_000, files } }
  })

test('fuzz manifest: valid manifests round-trip; mutated bytes are refused with a ManifestError or open to the same manifest', () => {
  fc.assert(fc.property(share.chain(s => fc.tuple(fc.constant(encodeManifest(s.header, s.body, key)), fc.constant(s))).chain(([m, s]) => fc.tuple(fc.constant(m), fc.constant(s), mutated(m.bytes))), ([m, s, bytes]) => {
    const opened = openManifest(m.bytes, key, m.cid)
    assert.deepEqual(opened.body, s.body)
    assert.deepEqual(opened.header, s.header)
    // Mutated: refused against the share id, and without it either refused or (AEAD) the same table.
    assert.throws(() => decodeManifest(bytes, m.cid), ManifestError)
    const again = only([ManifestError], () => openManifest(bytes, key))
    if (again !== undefined) assert.deepEqual(again.body, s.body)
  }), params(300))
})

test('fuzz manifest: arbitrary headers and hostile file tables under a genuine key are refused with a ManifestError or valid', () => {
  const entry = fc.oneof(
    cborValue,
    fc.record({ path: fc.oneof(segment, fc.string(), fc.constantFrom('share/../x', '/etc/passwd', 'share/a/../../b', 'C:x', 'share/.', 'other/x', 'share//x', 'share/a\\b')), size: fc.oneof(fc.nat({ max: 100 }), cborValue) }, { requiredKeys: [] }),
    fc.record({ path: fc.constantFrom('share/a', 'share/b', 'share'), size: fc.nat({ max: 30 }), mime: fc.oneof(fc.string(), cborValue), executable: cborValue }, { requiredKeys: ['path', 'size'] })
  )
  const table = fc.record({
    kind: fc.oneof(fc.constantFrom('file', 'dir'), cborValue),
    name: fc.oneof(fc.constant('share'), segment, cborValue),
    created: fc.oneof(fc.nat(), cborValue),
    files: fc.oneof(fc.array(entry, { maxLength: 5 }), cborValue)
  })
  fc.assert(fc.property(table, fc.nat({ max: 60 }), (body, size) => {
    const raw = buildRawShare({ plaintext: new Uint8Array(size), ...body, files: body.files as never, contentKey: key })
    const m = only([ManifestError], () => openManifest(raw.manifestBytes, key, raw.cid))
    if (m !== undefined) {
      validateBody(m.body, m.header)
      for (const f of m.body.files) assert.ok(f.path === m.body.name || f.path.startsWith(m.body.name + '/'))
    }
  }), params(1500))
  fc.assert(fc.property(fc.oneof(fc.uint8Array({ maxLength: 200 }), fc.dictionary(fc.constantFrom('oht', 'cipher', 'blockSize', 'blockCount', 'size', 'root', 'body'), cborValue).map(v => Buffer.from(JSON.stringify(v)))), bytes => {
    only([ManifestError], () => openManifest(bytes, key))
  }), params(500))
})

test('fuzz CAR import: a mutated CAR stores nothing wrong, and fails with a CarError, a CorruptBlockError or a ManifestError', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'oht-fuzz-car-'))
  try {
    const raw = buildRawShare({ plaintext: randomBytes(40_000), kind: 'file', name: 'f', files: [{ path: 'f', size: 40_000 }], contentKey: key })
    const good = join(dir, 'good.car')
    await writeRawShareCar(good, raw)
    const bytes = await readFile(good)
    const path = join(dir, 'fuzz.car')
    await fc.assert(fc.asyncProperty(fc.oneof(mutated(bytes), fc.uint8Array({ maxLength: 300 })), async car => {
      await writeFile(path, car)
      const stored: Array<{ ok: boolean }> = []
      const result = await onlyAsync([CarError, CorruptBlockError, ManifestError], async () => await readShareCar(path, async (cid, b) => { stored.push({ ok: cidMatches(cid, b) }) }))
      assert.ok(stored.every(s => s.ok), 'a block that does not match its CID was stored')
      if (result !== undefined) assert.ok(result.manifest.cid.equals(raw.cid), 'a CAR that reads fine is the share it claims')
    }), params(150))
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})
