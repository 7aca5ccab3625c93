// A fetch killed after a file's last block was written and the file renamed into place, but before
// its blocks were recorded: the resumed fetch (a record exists, with no blocks or only some) checks
// the whole finished file against its leaves and goes on, instead of refusing the file as "already
// exists" (the crash-consistency loop found this: a resumed fetch failed after a kill -9).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdir, open, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { buildShare, deriveBlockKey, FileBlockSource, PlaintextStore } from '../../src/blocks/index.ts'
import { tempDir } from '../helpers/cli.ts'

const BLOCK = 16 * 1024

test('a finished file whose blocks were never recorded: a resumed fetch re-checks it whole and is complete; a new fetch still refuses it', async t => {
  const dir = await tempDir(t, 'oht-resume-')
  await mkdir(join(dir, 'in'))
  await writeFile(join(dir, 'in', 'f.bin'), randomBytes(3 * BLOCK + 321))
  const built = await buildShare([join(dir, 'in', 'f.bin')], { blockSize: BLOCK })
  const key = deriveBlockKey(built.contentKey)
  const source = new FileBlockSource(built.files, built.manifest.header, key, built.leaves, false)
  t.after(async () => { await source.close() })
  const out = join(dir, 'out')
  const storeOf = (): PlaintextStore => new PlaintextStore(built.manifest, key, out, () => built.leaves, { pool: 'inline' })
  const count = built.manifest.header.blockCount

  const first = storeOf()
  await first.open()
  for (let i = 0; i < count; i++) assert.equal(await first.verifyAndPut(i, Buffer.from(await source.get(i)), built.leaves.subarray(i * 32, i * 32 + 32)), 'stored')
  assert.equal(first.complete, true)
  await first.close()
  // The run was killed here: the file is in place, the record holds no block.

  await assert.rejects(storeOf().open([], false), /already exists/, 'a fetch that is no resumption still refuses to replace the file')
  const resumed = storeOf()
  const kept = await resumed.open([], true)
  assert.deepEqual(kept, Array.from({ length: count }, (_, i) => i), 'every block of the finished file re-checked and kept')
  assert.equal(resumed.complete, true)
  await resumed.close()

  // A finished file that changed since is not taken as complete.
  const fh = await open(join(out, 'f.bin'), 'r+')
  // Flip the byte's bits: a fixed value left it unchanged when it already held that value (1 in 256 runs).
  const byte = Buffer.alloc(1)
  await fh.read(byte, 0, 1, BLOCK + 5)
  byte[0] = byte[0]! ^ 0xff
  await fh.write(byte, 0, 1, BLOCK + 5)
  await fh.close()
  await assert.rejects(storeOf().open([], true), /exists but does not match the share/)
})
