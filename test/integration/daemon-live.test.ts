// Live control of a running daemon: `oht config set maxUpload` (and the per-peer limits) change at once
// (and say so), keys that need a restart say that, and a seed limit set while a fetched share
// seeds stops its seeding. Real daemons on 127.0.0.1 (TCP transport).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { oht, ohtJson, tempDir } from '../helpers/cli.ts'
import { startDaemon } from '../helpers/daemon.ts'
import { DaemonClient } from '../../src/node/api/client.ts'

const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

async function until<T> (what: string, ms: number, check: () => Promise<T | undefined>): Promise<T> {
  const end = Date.now() + ms
  while (Date.now() < end) {
    const v = await check().catch(() => undefined)
    if (v !== undefined) return v
    await sleep(150)
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`)
}

test('config set applies rate and seed limits to a running daemon; other keys wait for a restart', { timeout: 180_000 }, async t => {
  const dir = await tempDir(t, 'oht-live-')
  const file = join(dir, 'a.bin')
  await writeFile(file, randomBytes(2 * 1024 * 1024))
  const seeder = await startDaemon(join(dir, 'seeder'))
  const leecher = await startDaemon(join(dir, 'leecher'))
  t.after(async () => { await Promise.all([seeder.stop(), leecher.stop()]) })
  const seederApi = new DaemonClient(join(seeder.dataDir, 'api.sock'))
  assert.deepEqual((await seederApi.status()).limits, { maxUpload: null, maxDownload: null, maxUploadPerPeer: null, maxDownloadPerPeer: null })

  const { value: set } = await ohtJson<{ applied?: boolean }>(seeder.dataDir, ['config', 'set', 'maxUpload', '1MiB'])
  assert.equal(set.applied, true)
  assert.equal((await seederApi.status()).limits?.maxUpload, 1024 * 1024, 'the running daemon limits its upload now')
  const text = await oht(seeder.dataDir, ['config', 'set', 'maxDownload', '512KiB'])
  assert.match(text.stdout, /applies it now/)
  assert.equal((await seederApi.status()).limits?.maxDownload, 512 * 1024)
  for (const key of ['maxUploadPerPeer', 'maxDownloadPerPeer'] as const) {
    const { value: perPeer } = await ohtJson<{ applied?: boolean }>(seeder.dataDir, ['config', 'set', key, '256KiB'])
    assert.equal(perPeer.applied, true, `${key} applies to a running daemon`)
    assert.equal((await seederApi.status()).limits?.[key], 256 * 1024)
    await ohtJson(seeder.dataDir, ['config', 'unset', key])
    assert.equal((await seederApi.status()).limits?.[key], null, `unset lifts ${key} at once`)
  }
  const { value: restart } = await ohtJson<{ applied?: boolean }>(seeder.dataDir, ['config', 'set', 'listen', '127.0.0.1:4999'])
  assert.equal(restart.applied, false, 'listen needs a restart')
  assert.match((await oht(seeder.dataDir, ['config', 'set', 'listen', '127.0.0.1:4998'])).stdout, /when it restarts/)
  await ohtJson(seeder.dataDir, ['config', 'unset', 'maxUpload'])
  assert.equal((await seederApi.status()).limits?.maxUpload, null, 'unset lifts the limit at once')
  await ohtJson(seeder.dataDir, ['config', 'unset', 'listen'])

  // A fetched share seeds; a seed time set in the config while it seeds ends its seeding.
  const { value: shared } = await ohtJson<{ link: string }>(seeder.dataDir, ['share', file], { timeoutMs: 120_000 })
  await ohtJson(leecher.dataDir, ['fetch', shared.link, '--peer', seeder.address, '-o', join(dir, 'out')], { timeoutMs: 120_000 })
  const leecherApi = new DaemonClient(join(leecher.dataDir, 'api.sock'))
  assert.equal((await leecherApi.transfers())[0]?.state, 'seeding')
  assert.equal((await leecherApi.status()).swarms.length, 1)
  const { value: seedTime } = await ohtJson<{ applied?: boolean }>(leecher.dataDir, ['config', 'set', 'seedTime', '1s'])
  assert.equal(seedTime.applied, true)
  await until('seeding to stop at the seed time', 30_000, async () => (await leecherApi.transfers())[0]?.state === 'complete' ? true : undefined)
  await until('its swarm to close', 10_000, async () => (await leecherApi.status()).swarms.length === 0 ? true : undefined)

  // Per fetch: --seed-ratio 0 never seeds.
  const file2 = join(dir, 'b.bin')
  await writeFile(file2, randomBytes(100_000))
  const { value: shared2 } = await ohtJson<{ link: string }>(seeder.dataDir, ['share', file2], { timeoutMs: 120_000 })
  await ohtJson(leecher.dataDir, ['config', 'unset', 'seedTime'])
  await ohtJson(leecher.dataDir, ['fetch', shared2.link, '--peer', seeder.address, '-o', join(dir, 'out2'), '--seed-ratio', '0'], { timeoutMs: 120_000 })
  const second = (await leecherApi.transfers()).find(tr => tr.name === 'b.bin')
  assert.equal(second?.state, 'complete')
  assert.equal(second?.seedRatio, 0)
})
