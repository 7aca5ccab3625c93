// A daemon people live with: its transfers survive a restart and a kill -9 (they resume by
// themselves and end byte-identical), fetched shares seed again after a restart and show in
// `oht ls`, and `oht unshare` stops a share for good. Real daemons on 127.0.0.1 (TCP transport).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { assertCliError, exists, oht, ohtJson, tempDir } from '../helpers/cli.ts'
import { startDaemon, type Daemon } from '../helpers/daemon.ts'
import { DaemonClient } from '../../src/node/api/client.ts'
import type { TransferInfo } from '../../src/node/transfers/index.ts'
import type { ListedShare } from '../../src/node/transfers/node.ts'

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')
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

const clientOf = (d: Daemon): DaemonClient => new DaemonClient(join(d.dataDir, 'api.sock'))
const only = async (d: Daemon): Promise<TransferInfo> => {
  const list = await clientOf(d).transfers()
  assert.equal(list.length, 1, `one transfer expected, got ${JSON.stringify(list.map(t => t.state))}`)
  return list[0]!
}

/** The JSON listening line's fields the helper does not parse. */
async function listening (d: Daemon): Promise<{ seeding: number, resumed: number }> {
  const st = await clientOf(d).status()
  assert.ok(st.daemon)
  return { seeding: st.swarms.filter(s => s.complete).length, resumed: st.swarms.filter(s => !s.complete).length }
}

test('a transfer survives a restart and a kill -9, ends byte-identical, seeds after a restart and shows in oht ls', { timeout: 240_000 }, async t => {
  const dir = await tempDir(t, 'oht-persist-')
  const data = randomBytes(6 * 1024 * 1024 + 12345)
  const file = join(dir, 'film.bin')
  await writeFile(file, data)
  const seeder = await startDaemon(join(dir, 'seeder'), ['--max-upload', '768KiB'])
  let leecher = await startDaemon(join(dir, 'leecher'))
  t.after(async () => { await Promise.all([seeder.stop(), leecher.stop()]) })
  const { value: shared } = await ohtJson<{ link: string, id: string }>(seeder.dataDir, ['share', file], { timeoutMs: 120_000 })
  const out = join(dir, 'out')
  const added = await clientOf(leecher).addTransfer(shared.link, { output: out, peers: [seeder.address] })

  // A graceful restart mid-fetch: the transfer is recorded as fetching and goes on by itself.
  await until('some progress', 60_000, async () => { const tr = await only(leecher); return tr.bytesDone > 1024 * 1024 ? tr : undefined })
  await leecher.stop()
  leecher = await startDaemon(leecher.dataDir)
  const again = await only(leecher)
  assert.equal(again.id, added.id, 'the same transfer, restored')
  assert.equal(again.state, 'fetching')

  // A kill -9 mid-fetch: the journal and the fetch record are on disk; it resumes again.
  const atKill = await until('more progress', 60_000, async () => { const tr = await only(leecher); return tr.bytesDone > 3 * 1024 * 1024 ? tr : undefined })
  await leecher.kill()
  assert.ok(atKill.bytesDone < data.length, `killed mid-fetch (${atKill.bytesDone} of ${data.length} bytes)`)
  leecher = await startDaemon(leecher.dataDir)
  const done = await until('the transfer to finish', 120_000, async () => { const tr = await only(leecher); return tr.state === 'seeding' ? tr : undefined })
  assert.ok((done.resumedBlocks ?? 0) > 0, 'blocks written before the kill were kept')
  assert.equal(sha(await readFile(join(out, 'film.bin'))), sha(data), 'byte-identical after two interruptions')

  // After a restart, the fetched share seeds again (the seeder is gone: only the leecher has it).
  await seeder.stop()
  await leecher.stop()
  leecher = await startDaemon(leecher.dataDir)
  assert.equal((await only(leecher)).state, 'seeding')
  assert.equal((await listening(leecher)).seeding, 1, 'the fetched share is seeded at start')
  const { value: ls } = await ohtJson<{ shares: ListedShare[] }>(leecher.dataDir, ['ls'])
  const fetched = ls.shares.find(s => s.role === 'fetcher')
  assert.ok(fetched != null, 'oht ls lists the fetched share')
  assert.equal(fetched.state, 'seeding')
  assert.equal(fetched.id, shared.id)
  const text = await oht(leecher.dataDir, ['ls'])
  assert.match(text.stdout, /fetched \(seeding\)/)
  const third = join(dir, 'third')
  const { value: got } = await ohtJson<{ path: string }>(join(dir, 'third-node'), ['--transport', 'tcp', 'fetch', shared.link, '--peer', leecher.address, '-o', third], { timeoutMs: 90_000 })
  assert.equal(sha(await readFile(got.path)), sha(data), 'a third node fetches it from the restarted leecher')

  // unshare --delete-data: the leecher forgets it, deletes the files, and serves it no more.
  const { value: gone } = await ohtJson<{ fetched: number, removed: string[] }>(leecher.dataDir, ['unshare', shared.link, '--delete-data'])
  assert.equal(gone.fetched, 1)
  assert.ok(!(await exists(join(out, 'film.bin'))), 'the fetched file is deleted')
  assert.deepEqual(await clientOf(leecher).transfers(), [])
  const refused = await oht(join(dir, 'fourth-node'), ['--transport', 'tcp', 'fetch', shared.link, '--peer', leecher.address, '-o', join(dir, 'fourth')], { timeoutMs: 60_000 })
  assertCliError(refused, /no peer reached offers share/)
  // And it stays forgotten across a restart.
  await leecher.stop()
  leecher = await startDaemon(leecher.dataDir)
  assert.deepEqual(await clientOf(leecher).transfers(), [])
})

test('unshare of an owned share: peers can no longer fetch it; an unknown share is one clear error', { timeout: 120_000 }, async t => {
  const dir = await tempDir(t, 'oht-unshare-')
  const file = join(dir, 'a.bin')
  await writeFile(file, randomBytes(300_000))
  const seeder = await startDaemon(join(dir, 'seeder'))
  t.after(async () => { await seeder.stop() })
  const { value: shared } = await ohtJson<{ link: string, id: string }>(seeder.dataDir, ['share', file], { timeoutMs: 120_000 })
  await ohtJson(join(dir, 'n1'), ['--transport', 'tcp', 'fetch', shared.link, '--peer', seeder.address, '-o', join(dir, 'o1')], { timeoutMs: 60_000 })
  const provided = async (): Promise<number> => ((await clientOf(seeder).call('GET', '/dht')) as { stats: { providedTopics: number } }).stats.providedTopics
  assert.equal(await until('the share to be announced', 30_000, async () => await provided() === 1 ? 1 : undefined), 1)
  const { value: r } = await ohtJson<{ owned: boolean }>(seeder.dataDir, ['unshare', shared.id])
  assert.equal(r.owned, true)
  assert.equal(await provided(), 0, 'the DHT announcement is no longer refreshed')
  assert.ok(await exists(file), 'the owner\'s own file stays')
  const { value: ls } = await ohtJson<{ shares: ListedShare[] }>(seeder.dataDir, ['ls'])
  assert.deepEqual(ls.shares, [])
  const refused = await oht(join(dir, 'n2'), ['--transport', 'tcp', 'fetch', shared.link, '--peer', seeder.address, '-o', join(dir, 'o2')], { timeoutMs: 60_000 })
  assertCliError(refused, /no peer reached offers share/)
  assert.doesNotMatch(refused.stderr, /unsettled top-level await/)
  assertCliError(await oht(seeder.dataDir, ['unshare', shared.id]), /neither shares nor holds nor fetched/)
  // Without a daemon, on the node's state directly.
  await seeder.stop()
  assertCliError(await oht(seeder.dataDir, ['unshare', shared.id]), /neither shares nor holds nor fetched/)
  assertCliError(await oht(seeder.dataDir, ['unshare', 'not-a-cid']), /not a share id or link: "not-a-cid"/)
})

test('a resumed transfer whose peer is offline retries with backoff and finishes when the peer is back', { timeout: 240_000 }, async t => {
  const dir = await tempDir(t, 'oht-retry-')
  const data = randomBytes(3 * 1024 * 1024 + 5)
  const file = join(dir, 'x.bin')
  await writeFile(file, data)
  const port = await freePort()
  let seeder = await startDaemon(join(dir, 'seeder'), ['--listen', `127.0.0.1:${port}`, '--max-upload', '512KiB'])
  let leecher = await startDaemon(join(dir, 'leecher'))
  t.after(async () => { await Promise.all([seeder.stop(), leecher.stop()]) })
  const { value: shared } = await ohtJson<{ link: string }>(seeder.dataDir, ['share', file], { timeoutMs: 120_000 })
  const out = join(dir, 'out')
  await clientOf(leecher).addTransfer(shared.link, { output: out, peers: [seeder.address] })
  const atKill = await until('some progress', 60_000, async () => { const tr = await only(leecher); return tr.bytesDone > 512 * 1024 ? tr : undefined })
  await seeder.stop()
  await leecher.kill()
  assert.ok(atKill.bytesDone < data.length, `killed mid-fetch (${atKill.bytesDone} of ${data.length} bytes)`)
  leecher = await startDaemon(leecher.dataDir)
  const waiting = await until('the resumed transfer to fail and wait for a retry', 60_000, async () => { const tr = await only(leecher); return tr.state === 'failed' && tr.retryAt != null ? tr : undefined })
  assert.match(waiting.error ?? '', /could not reach any peer|every peer left/)
  seeder = await startDaemon(seeder.dataDir, ['--listen', `127.0.0.1:${port}`])
  assert.equal(seeder.address, `tcp:127.0.0.1:${port}`)
  await until('the retried transfer to finish', 150_000, async () => { const tr = await only(leecher); return tr.state === 'seeding' ? tr : undefined })
  assert.equal(sha(await readFile(join(out, 'x.bin'))), sha(data))
})

test('a paused transfer stays paused across a restart and finishes when resumed; a complete one stays complete', { timeout: 240_000 }, async t => {
  const dir = await tempDir(t, 'oht-paused-')
  const data = randomBytes(4 * 1024 * 1024 + 7)
  await writeFile(join(dir, 'p.bin'), data)
  await writeFile(join(dir, 'small.bin'), randomBytes(100_000))
  const seeder = await startDaemon(join(dir, 'seeder'), ['--max-upload', '512KiB'])
  let leecher = await startDaemon(join(dir, 'leecher'))
  t.after(async () => { await Promise.all([seeder.stop(), leecher.stop()]) })
  const { value: big } = await ohtJson<{ link: string }>(seeder.dataDir, ['share', join(dir, 'p.bin')], { timeoutMs: 120_000 })
  const { value: small } = await ohtJson<{ link: string }>(seeder.dataDir, ['share', join(dir, 'small.bin')], { timeoutMs: 120_000 })
  // Seed ratio 0: done at once, not seeded (state complete).
  const done = await clientOf(leecher).addTransfer(small.link, { output: join(dir, 'out-small'), peers: [seeder.address], seedRatio: 0 })
  await until('the small transfer to complete', 60_000, async () => (await clientOf(leecher).transfer(done.id)).state === 'complete' ? true : undefined)
  const tr = await clientOf(leecher).addTransfer(big.link, { output: join(dir, 'out'), peers: [seeder.address] })
  await until('some progress', 60_000, async () => { const x = await clientOf(leecher).transfer(tr.id); return x.bytesDone > 256 * 1024 ? x : undefined })
  await clientOf(leecher).pauseTransfer(tr.id)

  await leecher.stop()
  leecher = await startDaemon(leecher.dataDir)
  const states = Object.fromEntries((await clientOf(leecher).transfers()).map(x => [x.id, x.state]))
  assert.deepEqual(states, { [done.id]: 'complete', [tr.id]: 'paused' }, 'each restored in its state')
  const held = (await clientOf(leecher).transfer(tr.id)).bytesDone
  await sleep(1500)
  assert.equal((await clientOf(leecher).transfer(tr.id)).state, 'paused', 'a paused transfer does not resume by itself')
  assert.equal((await clientOf(leecher).transfer(tr.id)).bytesDone, held)
  await clientOf(leecher).resumeTransfer(tr.id)
  await until('the resumed transfer to finish', 120_000, async () => (await clientOf(leecher).transfer(tr.id)).state === 'seeding' ? true : undefined)
  assert.equal(sha(await readFile(join(dir, 'out', 'p.bin'))), sha(data))
})

test('after a kill -9, a transfer resumes from a peer the DHT names when the peer it was given is gone', { timeout: 240_000 }, async t => {
  const dir = await tempDir(t, 'oht-resume-dht-')
  const data = randomBytes(4 * 1024 * 1024 + 3)
  await writeFile(join(dir, 'd.bin'), data)
  // B: the DHT's bootstrap node, which will also hold the share; A: the owner, slow; L: the leecher.
  const b = await startDaemon(join(dir, 'b'))
  const a = await startDaemon(join(dir, 'a'), ['--bootstrap', b.address, '--max-upload', '512KiB'])
  let l = await startDaemon(join(dir, 'l'), ['--bootstrap', b.address])
  t.after(async () => { await Promise.all([a.stop(), b.stop(), l.stop()]) })
  const { value: shared } = await ohtJson<{ link: string }>(a.dataDir, ['share', join(dir, 'd.bin')], { timeoutMs: 120_000 })
  const onB = await clientOf(b).addTransfer(shared.link, { output: join(dir, 'out-b'), peers: [a.address] })
  await until('B to hold and announce the share', 120_000, async () => {
    const provided = ((await clientOf(b).call('GET', '/dht')) as { stats: { providedTopics: number } }).stats.providedTopics
    return (await clientOf(b).transfer(onB.id)).state === 'seeding' && provided >= 1 ? true : undefined
  })
  // L is told of A only; it is killed mid-fetch, and A goes away.
  const tr = await clientOf(l).addTransfer(shared.link, { output: join(dir, 'out'), peers: [a.address] })
  const atKill = await until('some progress from A', 60_000, async () => { const x = await clientOf(l).transfer(tr.id); return x.bytesDone > 512 * 1024 ? x : undefined })
  await l.kill()
  assert.ok(atKill.bytesDone < data.length, `killed mid-fetch (${atKill.bytesDone} of ${data.length} bytes)`)
  await a.stop()
  l = await startDaemon(l.dataDir, ['--bootstrap', b.address])
  const done = await until('the transfer to finish from B', 120_000, async () => { const x = await only(l); return x.state === 'seeding' ? x : undefined })
  assert.equal(done.id, tr.id)
  assert.deepEqual(done.peers, [a.address], 'B was never given: the DHT named it')
  assert.equal(sha(await readFile(join(dir, 'out', 'd.bin'))), sha(data), 'byte-identical')
})

async function freePort (): Promise<number> {
  const { createServer } = await import('node:net')
  return await new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => { const a = s.address(); s.close(() => { resolve(typeof a === 'object' && a != null ? a.port : 0) }) })
  })
}
