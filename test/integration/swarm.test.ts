// The swarm between real processes: `oht daemon`s and `oht fetch` over TCP on 127.0.0.1, real
// files, SIGKILL, hostile peers (test/helpers/peer-tool.ts). Rate limits: ratelimit.test.ts.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { randomBytes, createHash } from 'node:crypto'
import { mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { NODE_BIN, OHT_BIN, REPO, ohtJson, tempDir, exists } from '../helpers/cli.ts'
import { DaemonClient } from '../../src/node/api/client.ts'
import { startDaemon, type Daemon } from '../helpers/daemon.ts'

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')

interface Share { link: string, verifyCap: string, id: string, bytes: number }
interface Fetched { path: string, bytes: number, seconds: number, peers: number, resumedBlocks: number }
interface Status { swarms: Array<{ id: string, uploaded: number, downloaded: number, complete: boolean, peers: number }> }

async function share (d: Daemon, path: string): Promise<Share> {
  return (await ohtJson<Share>(d.dataDir, ['share', path])).value
}

/** A fetch through a daemon (it keeps seeding afterwards). */
async function fetchVia (d: Daemon, link: string, out: string, peers: readonly Daemon[], extra: string[] = []): Promise<Fetched> {
  return (await ohtJson<Fetched>(d.dataDir, ['fetch', link, '-o', out, ...peers.flatMap(p => ['--peer', p.address]), ...extra], { timeoutMs: 60_000 })).value
}

/** A one-off fetch with an embedded node (no daemon). */
async function fetchEmbedded (dataDir: string, link: string, out: string, peers: readonly string[], extra: string[] = []): Promise<Fetched> {
  return (await ohtJson<Fetched>(dataDir, ['--transport', 'tcp', 'fetch', link, '-o', out, ...peers.flatMap(p => ['--peer', p]), ...extra], { timeoutMs: 60_000 })).value
}

async function status (d: Daemon): Promise<Status> {
  return (await ohtJson<Status>(d.dataDir, ['status'])).value
}

async function withDaemons (t: Parameters<typeof tempDir>[0], n: number, extra: string[] = []): Promise<{ dir: string, daemons: Daemon[] }> {
  const dir = await tempDir(t, 'oht-swarm-')
  const daemons = await Promise.all(Array.from({ length: n }, async (_, i) => await startDaemon(join(dir, `node${i}`), extra)))
  t.after(async () => { await Promise.all(daemons.map(async d => { await d.stop() })) })
  return { dir, daemons }
}

test('1 seeder → 1 leecher: byte-identical, leecher holds only the link', async t => {
  const { dir, daemons: [seeder] } = await withDaemons(t, 1)
  const data = randomBytes(3 * 1024 * 1024 + 12345)
  await writeFile(join(dir, 'file.bin'), data)
  const s = await share(seeder!, join(dir, 'file.bin'))
  const r = await fetchEmbedded(join(dir, 'leecher'), s.link, join(dir, 'out'), [seeder!.address])
  assert.equal(r.bytes, data.length)
  assert.equal(r.peers, 1)
  assert.equal(sha(await readFile(join(dir, 'out', 'file.bin'))), sha(data))
  assert.deepEqual((await readdir(join(dir, 'out'))).filter(n => n.endsWith('.part')), [])
})

test('4 seeders → 1 leecher fetches from all of them at once', async t => {
  const { dir, daemons } = await withDaemons(t, 4)
  const data = randomBytes(12 * 1024 * 1024)
  await writeFile(join(dir, 'file.bin'), data)
  const s = await share(daemons[0]!, join(dir, 'file.bin'))
  // The other three become seeders by fetching it through their daemons.
  for (let i = 1; i < 4; i++) await fetchVia(daemons[i]!, s.link, join(dir, `seed${i}`), [daemons[0]!])
  const r = await fetchEmbedded(join(dir, 'leecher'), s.link, join(dir, 'out'), daemons.map(d => d.address))
  assert.equal(sha(await readFile(join(dir, 'out', 'file.bin'))), sha(data))
  assert.equal(r.peers, 4, 'blocks came from every seeder')
})

test('1 seeder → 4 leechers that exchange blocks: the seeder uploads less than 2× the file', async t => {
  // A seeder on a slower link than its leechers (the usual case), so they have time to trade.
  const { dir, daemons } = await withDaemons(t, 1, ['--max-upload', '1MiB'])
  const leechers = await Promise.all([1, 2, 3, 4].map(async i => await startDaemon(join(dir, `leecher${i}`))))
  t.after(async () => { await Promise.all(leechers.map(async d => { await d.stop() })) })
  const seeder = daemons[0]!
  const data = randomBytes(8 * 1024 * 1024)
  await writeFile(join(dir, 'file.bin'), data)
  const s = await share(seeder, join(dir, 'file.bin'))
  const results = await Promise.all(leechers.map(async (l, i) => await fetchVia(l, s.link, join(dir, `out${i}`), [seeder, ...leechers.filter(o => o !== l)])))
  for (let i = 0; i < 4; i++) assert.equal(sha(await readFile(join(dir, `out${i}`, 'file.bin'))), sha(data))
  const up = (await status(seeder)).swarms.find(x => x.id === s.id)!.uploaded
  assert.ok(up < 2 * data.length, `seeder uploaded ${up} bytes for a ${data.length}-byte file`)
  assert.ok(results.some(r => r.peers > 1), 'leechers got blocks from each other')
})

test('a directory share: selective download of one file', async t => {
  const { dir, daemons: [seeder] } = await withDaemons(t, 1)
  const root = join(dir, 'album')
  await mkdir(join(root, 'disc 2'), { recursive: true })
  const files: Record<string, Buffer> = { 'a.bin': randomBytes(700_000), 'disc 2/b.bin': randomBytes(1_300_000), 'c.txt': randomBytes(50_000) }
  for (const [name, bytes] of Object.entries(files)) await writeFile(join(root, name), bytes)
  const s = await share(seeder!, root)
  const r = await fetchEmbedded(join(dir, 'leecher'), s.link, join(dir, 'out'), [seeder!.address], ['--file', 'album/disc 2/b.bin'])
  assert.equal(r.bytes, files['disc 2/b.bin']!.length)
  assert.equal(sha(await readFile(join(dir, 'out', 'album', 'disc 2', 'b.bin'))), sha(files['disc 2/b.bin']!))
  assert.equal(await exists(join(dir, 'out', 'album', 'a.bin')), false)
  assert.equal(await exists(join(dir, 'out', 'album', 'c.txt')), false)
})

/** Polls `dir` (recursively) until its files hold some bytes (allocated blocks: part files are sparse until written); returns how many. Fails after 60 s. */
async function waitForPartialOutput (dir: string, total: number): Promise<number> {
  const deadline = Date.now() + 60_000
  while (Date.now() < deadline) {
    let bytes = 0
    try {
      for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
        if (e.isFile()) bytes += (await stat(join(e.parentPath, e.name))).blocks * 512
      }
    } catch {}
    if (bytes > 0) return Math.min(bytes, total)
    await new Promise(resolve => setTimeout(resolve, 20))
  }
  throw new Error('the fetch wrote nothing within 60 s')
}

test('a seeder killed mid-transfer: the fetch finishes from the other', async t => {
  const { dir, daemons } = await withDaemons(t, 2, ['--max-upload', '2MiB'])
  const data = randomBytes(8 * 1024 * 1024)
  await writeFile(join(dir, 'file.bin'), data)
  const s = await share(daemons[0]!, join(dir, 'file.bin'))
  await fetchVia(daemons[1]!, s.link, join(dir, 'seed1'), [daemons[0]!])
  const fetching = fetchEmbedded(join(dir, 'leecher'), s.link, join(dir, 'out'), daemons.map(d => d.address))
  // Kill only once the transfer is under way and unfinished: some bytes written, not all.
  const written = await waitForPartialOutput(join(dir, 'out'), data.length)
  await daemons[0]!.kill()
  assert.ok(written > 0 && written < data.length, `killed mid-transfer (${written} of ${data.length} bytes written)`)
  const r = await fetching
  assert.equal(sha(await readFile(join(dir, 'out', 'file.bin'))), sha(data))
  assert.ok(r.peers >= 1)
})

test('a leecher SIGKILLed halfway resumes without re-downloading verified blocks', async t => {
  // 2 MiB/s: the leecher records its verified blocks every 0.5 s, so by half of 8 MiB it has
  // recorded some, even on a busy machine.
  const { dir, daemons: [seeder] } = await withDaemons(t, 1, ['--max-upload', '2MiB'])
  const data = randomBytes(8 * 1024 * 1024)
  await writeFile(join(dir, 'file.bin'), data)
  const s = await share(seeder!, join(dir, 'file.bin'))
  const leecherDir = join(dir, 'leecher')
  const child = spawn(NODE_BIN, [OHT_BIN, '--data-dir', leecherDir, '--transport', 'tcp', '--json', 'fetch', s.link, '-o', join(dir, 'out'), '--peer', seeder!.address], { cwd: REPO, stdio: 'ignore' })
  // Kill once the seeder has sent about half the file, polled over its API in this process (a
  // CLI call per poll takes seconds on a loaded machine: longer than the whole transfer).
  const api = new DaemonClient(join(seeder!.dataDir, 'api.sock'))
  const uploaded = async (): Promise<number> => (await api.status()).swarms.find(x => x.id === s.id)?.uploaded ?? 0
  for (let i = 0; i < 600 && await uploaded() < data.length * 0.5 && child.exitCode == null; i++) {
    await new Promise(resolve => setTimeout(resolve, 100))
  }
  child.kill('SIGKILL')
  await new Promise(resolve => child.once('exit', resolve))
  const before = (await status(seeder!)).swarms.find(x => x.id === s.id)!.uploaded
  assert.ok(before > 0 && before < data.length, `killed after ${before} bytes`)
  const r = await fetchEmbedded(leecherDir, s.link, join(dir, 'out'), [seeder!.address])
  assert.equal(sha(await readFile(join(dir, 'out', 'file.bin'))), sha(data))
  assert.ok(r.resumedBlocks > 0, 'resumed from recorded blocks')
  const total = (await status(seeder!)).swarms.find(x => x.id === s.id)!.uploaded
  // The second run fetches only the blocks the first had not recorded as verified (a few more
  // at most: endgame duplicates). Bytes sent but not yet recorded at the kill are fetched again.
  const secondRun = total - before
  const missing = data.length - r.resumedBlocks * 256 * 1024
  assert.ok(secondRun <= missing + 8 * 256 * 1024, `second run: ${secondRun} bytes sent for ${missing} missing (${r.resumedBlocks} blocks resumed)`)
})

test('a peer that sends garbage, a 2^32-1 length prefix or absurd requests is dropped; the seeder keeps serving', async t => {
  const { dir, daemons: [seeder] } = await withDaemons(t, 1)
  const data = randomBytes(2 * 1024 * 1024)
  await writeFile(join(dir, 'file.bin'), data)
  const s = await share(seeder!, join(dir, 'file.bin'))
  const rssBefore = await seeder!.rssKiB()
  for (const mode of ['not-bittorrent', 'garbage', 'huge-prefix', 'absurd-request']) {
    const out = await new Promise<string>((resolve, reject) => {
      const p = spawn(NODE_BIN, [join(REPO, 'test', 'helpers', 'peer-tool.ts'), mode, seeder!.address, s.link], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] })
      let text = ''
      let err = ''
      p.stdout.on('data', (d: Buffer) => { text += d.toString() })
      p.stderr.on('data', (d: Buffer) => { err += d.toString() })
      p.once('exit', code => { code === 0 ? resolve(text.trim()) : reject(new Error(`peer-tool ${mode} failed: ${err}`)) })
    })
    assert.equal(out, 'disconnected', `${mode}: the seeder hung up`)
  }
  const rssAfter = await seeder!.rssKiB()
  assert.ok(rssAfter - rssBefore < 64 * 1024, `seeder memory grew by ${rssAfter - rssBefore} KiB`)
  const r = await fetchEmbedded(join(dir, 'leecher'), s.link, join(dir, 'out'), [seeder!.address])
  assert.equal(sha(await readFile(r.path)), sha(data))
})
