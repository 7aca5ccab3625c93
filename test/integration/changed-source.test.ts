// An owner whose shared files change on disk: the share is marked broken (ls, status, the API),
// it is no longer offered, and a fetcher gets one clear error instead of waiting. Real daemons
// and CLI processes on 127.0.0.1 (TCP).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { appendFile, readdir, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { assertCliError, oht, ohtJson, tempDir } from '../helpers/cli.ts'
import { startDaemon } from '../helpers/daemon.ts'
import { DaemonClient } from '../../src/node/api/client.ts'

interface Listed { id: string, role: string, broken?: string }

test('a shared file rewritten in place (same size and time): the first fetch fails clearly, the owner says broken and stops offering it', { timeout: 180_000 }, async t => {
  const dir = await tempDir(t, 'oht-changed-')
  const owner = await startDaemon(join(dir, 'owner'))
  t.after(async () => { await owner.stop() })
  const file = join(dir, 'film.bin')
  await writeFile(file, randomBytes(2 * 1024 * 1024))
  // A whole second: the time set again below is then exactly the one shared.
  await utimes(file, 1_700_000_000, 1_700_000_000)
  const shared = (await ohtJson<{ link: string, id: string }>(owner.dataDir, ['share', file])).value
  // New bytes under the old size and modification time: only the blocks' check can tell.
  await writeFile(file, randomBytes(2 * 1024 * 1024))
  await utimes(file, 1_700_000_000, 1_700_000_000)

  const out = join(dir, 'out')
  const fetched = await oht(join(dir, 'fetcher'), ['--transport', 'tcp', 'fetch', shared.link, '-o', out, '--peer', owner.address], { timeoutMs: 60_000 })
  assertCliError(fetched, /no peer can serve share .* any more: the owner's files changed on disk/)
  const written = await readdir(out).catch(() => [] as string[])
  assert.ok(!written.includes('film.bin'), `no finished file from wrong bytes: ${written.join(', ')}`)

  const client = new DaemonClient(join(owner.dataDir, 'api.sock'))
  const shares = await client.list() as Listed[]
  const mine = shares.find(s => s.id === shared.id)
  assert.match(mine?.broken ?? '', /no longer matches the share/, 'the API lists the share broken')
  const status = await client.status()
  assert.ok(status.broken?.some(b => b.id === shared.id), 'status names the broken share')
  assert.equal(status.swarms.some(s => s.id === shared.id), false, 'the share is no longer offered')
  assert.match((await oht(owner.dataDir, ['ls'])).stdout, /BROKEN, no longer served/)
  assert.match((await oht(owner.dataDir, ['status'])).stdout, new RegExp(`${shared.id}.*BROKEN`))

  // A second fetcher finds nothing offered at that peer, at once.
  const again = await oht(join(dir, 'fetcher2'), ['--transport', 'tcp', 'fetch', shared.link, '-o', join(dir, 'out2'), '--peer', owner.address], { timeoutMs: 60_000 })
  assertCliError(again, /no peer reached offers share|could not reach any peer/)
})

test('a shared file that grew is found broken by ls alone, before anyone asks for a block', { timeout: 120_000 }, async t => {
  const dir = await tempDir(t, 'oht-changed-')
  const owner = await startDaemon(join(dir, 'owner'))
  t.after(async () => { await owner.stop() })
  const file = join(dir, 'notes.txt')
  await writeFile(file, 'first version\n')
  const shared = (await ohtJson<{ id: string }>(owner.dataDir, ['share', file])).value
  const client = new DaemonClient(join(owner.dataDir, 'api.sock'))
  assert.ok((await client.status()).swarms.some(s => s.id === shared.id), 'offered while unchanged')
  assert.equal((await client.list() as Listed[]).find(s => s.id === shared.id)?.broken, undefined)

  await appendFile(file, 'second version\n')
  const listed = (await ohtJson<{ shares: Listed[] }>(owner.dataDir, ['ls'])).value.shares.find(s => s.id === shared.id)
  assert.match(listed?.broken ?? '', /changed since it was listed/)
  assert.equal((await client.status()).swarms.some(s => s.id === shared.id), false, 'no longer offered')
  // Restarted, the daemon does not offer it again.
  await owner.stop()
  const restarted = await startDaemon(join(dir, 'owner'))
  t.after(async () => { await restarted.stop() })
  const st = await new DaemonClient(join(restarted.dataDir, 'api.sock')).status()
  assert.equal(st.swarms.some(s => s.id === shared.id), false)
  assert.ok(st.broken?.some(b => b.id === shared.id))
})
