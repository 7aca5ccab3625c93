// `oht fetch --encrypted-parts` between real processes over TCP on 127.0.0.1: a leecher SIGKILLed
// mid-transfer leaves no plaintext of the share anywhere under its output or data directory
// (every byte searched for a marker the file is made of), resumes and completes byte-identical;
// a damaged ciphertext block is fetched again, not decrypted; the file appears only complete.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { watch } from 'node:fs'
import { open, readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { NODE_BIN, OHT_BIN, REPO, ohtJson, tempDir } from '../helpers/cli.ts'
import { DaemonClient } from '../../src/node/api/client.ts'
import { startDaemon, type Daemon } from '../helpers/daemon.ts'

const MARKER = Buffer.from('ENCPARTS-DISTINCTIVE-PLAINTEXT-5b1e')
const BLOCK_SLOT = 256 * 1024 + 16
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')

interface Share { link: string, id: string }
interface Fetched { path: string, bytes: number, resumedBlocks: number }

/** Files under `root` that hold the marker, every byte of every file read. */
async function filesWithMarker (root: string): Promise<string[]> {
  const found: string[] = []
  for (const e of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue
    const path = join(e.parentPath, e.name)
    if ((await readFile(path)).includes(MARKER)) found.push(path)
  }
  return found
}

/** Starts an embedded `oht fetch --encrypted-parts` and SIGKILLs it once the seeder has sent `fraction` of the file. */
async function fetchKilledMidway (seeder: Daemon, s: Share, leecherDir: string, out: string, size: number, fraction: number): Promise<number> {
  const child = spawn(NODE_BIN, [OHT_BIN, '--data-dir', leecherDir, '--transport', 'tcp', '--json', 'fetch', s.link, '-o', out, '--encrypted-parts', '--peer', seeder.address], { cwd: REPO, stdio: 'ignore' })
  const api = new DaemonClient(join(seeder.dataDir, 'api.sock'))
  const uploaded = async (): Promise<number> => (await api.status()).swarms.find(x => x.id === s.id)?.uploaded ?? 0
  for (let i = 0; i < 600 && await uploaded() < size * fraction && child.exitCode == null; i++) {
    await new Promise(resolve => setTimeout(resolve, 100))
  }
  child.kill('SIGKILL')
  await new Promise(resolve => child.once('exit', resolve))
  return await uploaded()
}

async function seederWith (t: Parameters<typeof tempDir>[0], size: number): Promise<{ dir: string, seeder: Daemon, data: Buffer, s: Share }> {
  const dir = await tempDir(t, 'oht-encparts-')
  // 2 MiB/s: the leecher records its verified blocks every 0.5 s, so by half the file it has recorded some.
  const seeder = await startDaemon(join(dir, 'seeder'), ['--max-upload', '2MiB'])
  t.after(async () => { await seeder.stop() })
  const data = Buffer.alloc(size)
  for (let i = 0; i < size; i += MARKER.length) MARKER.copy(data, i)
  await writeFile(join(dir, 'secret.txt'), data)
  const s = (await ohtJson<Share>(seeder.dataDir, ['share', join(dir, 'secret.txt')])).value
  return { dir, seeder, data, s }
}

test('killed mid-transfer: no plaintext under the output or data dir; resumes byte-identical; the file appears only complete', async t => {
  const { dir, seeder, data, s } = await seederWith(t, 8 * 1024 * 1024)
  const leecherDir = join(dir, 'leecher')
  const out = join(dir, 'out')
  const sent = await fetchKilledMidway(seeder, s, leecherDir, out, data.length, 0.5)
  assert.ok(sent > 0 && sent < data.length, `killed mid-transfer (${sent} of ${data.length} bytes sent)`)
  assert.deepEqual(await readdir(out), ['secret.txt.encrypted.part'], 'only the ciphertext part is in the output folder')
  assert.deepEqual(await filesWithMarker(out), [], 'no plaintext in the output folder')
  assert.deepEqual(await filesWithMarker(leecherDir), [], 'no plaintext in the data directory')

  // Whenever secret.txt exists during the resume, it is whole.
  const sizes: Array<Promise<number | undefined>> = []
  const watcher = watch(out, (_event, name) => {
    if (name === 'secret.txt') sizes.push(stat(join(out, name)).then(st => st.size, () => undefined))
  })
  t.after(() => { watcher.close() })
  const r = (await ohtJson<Fetched>(leecherDir, ['--transport', 'tcp', 'fetch', s.link, '-o', out, '--encrypted-parts', '--peer', seeder.address], { timeoutMs: 60_000 })).value
  assert.ok(r.resumedBlocks > 0, 'resumed from the recorded ciphertext blocks')
  assert.equal(sha(await readFile(join(out, 'secret.txt'))), sha(data))
  assert.deepEqual(await readdir(out), ['secret.txt'], 'the ciphertext part is removed once complete')
  const seen = (await Promise.all(sizes)).filter(n => n != null)
  assert.ok(seen.every(n => n === data.length), `secret.txt seen at sizes ${seen.join(', ')}`)
})

test('a damaged ciphertext block is not decrypted: the resume fetches it again', async t => {
  const { dir, seeder, data, s } = await seederWith(t, 6 * 1024 * 1024)
  const leecherDir = join(dir, 'leecher')
  const out = join(dir, 'out')
  await fetchKilledMidway(seeder, s, leecherDir, out, data.length, 0.5)
  // Damage every slot the killed run wrote (a slot holds zeros until its block arrives).
  const part = join(out, 'secret.txt.encrypted.part')
  const bytes = await readFile(part)
  const fh = await open(part, 'r+')
  let damaged = 0
  for (let at = 0; at < bytes.length; at += BLOCK_SLOT) {
    if (bytes.subarray(at, at + 64).some(b => b !== 0)) { await fh.write(Buffer.from([bytes[at + 20]! ^ 0xff]), 0, 1, at + 20); damaged++ }
  }
  await fh.close()
  assert.ok(damaged > 0, 'the killed run wrote ciphertext blocks')
  const r = (await ohtJson<Fetched>(leecherDir, ['--transport', 'tcp', 'fetch', s.link, '-o', out, '--encrypted-parts', '--peer', seeder.address], { timeoutMs: 60_000 })).value
  assert.equal(r.resumedBlocks, 0, 'no damaged block is kept')
  assert.equal(sha(await readFile(join(out, 'secret.txt'))), sha(data))
})
