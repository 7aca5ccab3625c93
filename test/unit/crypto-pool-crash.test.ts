// A crypto worker that dies mid-share (or mid-serve) is replaced and its jobs run again: the
// share comes out exactly as with no crash, every served block is right, and the pool keeps its
// size. Real worker threads, killed with terminate() as a crash would end them.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildShare, deriveBlockKey, FileBlockSource } from '../../src/blocks/index.ts'
import { SealPool } from '../../src/blocks/crypto/pool.ts'

const BLOCK = 64 * 1024

test('a worker killed mid-share is replaced and its seal jobs run again: the share is identical', { timeout: 120_000 }, async t => {
  const dir = await mkdtemp(join(tmpdir(), 'oht-pool-crash-'))
  t.after(async () => { await rm(dir, { recursive: true, force: true }) })
  const file = join(dir, 'data.bin')
  await writeFile(file, randomBytes(24 * 1024 * 1024 + 999))
  const contentKey = randomBytes(32)
  const created = 1_700_000_000_000

  const crashing = new SealPool({ size: 2 })
  t.after(async () => { await crashing.close() })
  let killed: Promise<void> | undefined
  const built = await buildShare([file], {
    blockSize: BLOCK, contentKey, created, pool: crashing,
    onProgress: (done, total) => { if (killed == null && done > 0 && done < total) killed = crashing.terminateWorker(0) }
  })
  await killed
  assert.ok(killed != null, 'a worker was killed while the share was being built')
  assert.ok(crashing.restarts >= 1, 'the dead worker was replaced')
  assert.equal(crashing.size, 2, 'the pool keeps its size')

  const calm = new SealPool({ size: 2 })
  t.after(async () => { await calm.close() })
  const reference = await buildShare([file], { blockSize: BLOCK, contentKey, created, pool: calm })
  assert.equal(built.manifest.cid.toString(), reference.manifest.cid.toString(), 'the same share id')
  assert.ok(Buffer.from(built.leaves).equals(Buffer.from(reference.leaves)), 'the same leaves')

  // The replaced pool still works, and serve jobs of a worker killed mid-serve run again.
  const key = deriveBlockKey(contentKey)
  const source = new FileBlockSource(built.files, built.manifest.header, key, built.leaves, crashing)
  const plain = new FileBlockSource(built.files, built.manifest.header, key, built.leaves, false)
  t.after(async () => { await source.close?.(); await plain.close?.() })
  const count = built.manifest.header.blockCount
  const reads = Array.from({ length: count }, async (_v, i) => await source.get(i))
  await crashing.terminateWorker(1)
  const served = await Promise.all(reads)
  for (let i = 0; i < count; i++) assert.ok(Buffer.from(served[i]!).equals(Buffer.from(await plain.get(i))), `block ${i} served right`)
  assert.ok(crashing.restarts >= 2)
})
