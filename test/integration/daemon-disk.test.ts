// A fetch into a filesystem that is too small, or that fills up while the fetch runs: a size-
// limited tmpfs (mount -t tmpfs -o size=…, as root). The daemon pauses the transfer with a clear
// message, writes nothing corrupt, and resumes by itself once space is back (a filler file deleted).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, open, readFile, rm, statfs, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { assertCliError, oht, ohtJson, tempDir } from '../helpers/cli.ts'
import { startDaemon, type Daemon } from '../helpers/daemon.ts'
import { DaemonClient } from '../../src/node/api/client.ts'
import type { TransferInfo } from '../../src/node/transfers/index.ts'

const MiB = 1024 * 1024
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

/** A tmpfs of `size` at a new directory, unmounted and removed when the test ends; undefined where mounting is not allowed. */
async function smallFs (t: { after: (fn: () => Promise<void>) => void }, size: string): Promise<string | undefined> {
  const dir = await mkdtemp(join(tmpdir(), 'oht-small-fs-'))
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'ignore' })
  } catch {
    await rm(dir, { recursive: true, force: true })
    return undefined
  }
  t.after(async () => {
    try { execFileSync('umount', ['-l', dir], { stdio: 'ignore' }) } catch {}
    await rm(dir, { recursive: true, force: true })
  })
  return dir
}

/** Fills the filesystem of `path` up to its last bytes (what is left may be less than asked: ENOSPC ends it). */
async function fill (path: string, leave: number): Promise<void> {
  const f = await open(path, 'w')
  try {
    const chunk = Buffer.alloc(64 * 1024)
    while (await free(dirname(path)) > leave + chunk.length) await f.write(chunk)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err
  } finally {
    await f.close()
  }
}

const free = async (dir: string): Promise<number> => { const s = await statfs(dir); return s.bavail * s.bsize }
const only = async (d: Daemon): Promise<TransferInfo> => (await new DaemonClient(join(d.dataDir, 'api.sock')).transfers())[0]!

test('a fetch that does not fit pauses with a clear error, then resumes when space is freed; so does one that fills the disk midway', { timeout: 240_000 }, async t => {
  const dir = await tempDir(t, 'oht-disk-')
  const small = await smallFs(t, '10m')
  if (small == null) { t.skip('cannot mount a tmpfs here (needs root)'); return }
  const data = randomBytes(6 * MiB + 777)
  const file = join(dir, 'big.bin')
  await writeFile(file, data)
  const seeder = await startDaemon(join(dir, 'seeder'), ['--max-upload', '1MiB'])
  const leecher = await startDaemon(join(dir, 'leecher'))
  t.after(async () => { await Promise.all([seeder.stop(), leecher.stop()]) })
  const { value: shared } = await ohtJson<{ link: string }>(seeder.dataDir, ['share', file], { timeoutMs: 120_000 })

  // Before: 6 MiB into 4 MiB free is refused at once, with one clear line.
  const filler = join(small, 'filler')
  await writeFile(filler, Buffer.alloc(6 * MiB))
  const out1 = join(small, 'one')
  const refused = await oht(leecher.dataDir, ['fetch', shared.link, '--peer', seeder.address, '-o', out1], { timeoutMs: 60_000 })
  assertCliError(refused, /not enough free space in .*one: 6\.0 MiB still to fetch, [34]\.\d MiB free/)
  const paused = await only(leecher)
  assert.equal(paused.state, 'paused', 'the daemon keeps the transfer, paused')
  assert.match(paused.error ?? '', /not enough free space/)
  await rm(filler)
  const done1 = await until('the transfer to resume and finish once space is back', 90_000, async () => { const tr = await only(leecher); return tr.state === 'seeding' ? tr : undefined })
  assert.equal(sha(await readFile(join(out1, 'big.bin'))), sha(data))
  await new DaemonClient(join(leecher.dataDir, 'api.sock')).unshare(done1.shareId, { deleteData: true })

  // During: the disk fills while the fetch runs (ENOSPC on a block write): paused, nothing
  // corrupt, and resumed by itself once the filler is gone.
  const out2 = join(small, 'two')
  const client = new DaemonClient(join(leecher.dataDir, 'api.sock'))
  await client.addTransfer(shared.link, { output: out2, peers: [seeder.address] })
  await until('some progress', 60_000, async () => { const tr = await only(leecher); return tr.bytesDone > MiB ? tr : undefined })
  await fill(filler, 32 * 1024)
  const full = await until('the transfer to pause for want of space', 60_000, async () => { const tr = await only(leecher); return tr.state === 'paused' ? tr : undefined })
  assert.match(full.error ?? '', /not enough free space/)
  await rm(filler)
  await until('the transfer to resume and finish', 90_000, async () => { const tr = await only(leecher); return tr.state === 'seeding' ? tr : undefined })
  assert.equal(sha(await readFile(join(out2, 'big.bin'))), sha(data), 'byte-identical after the disk was full')
})
