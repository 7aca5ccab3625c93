// Hostile peers that hold the link, against a real `oht daemon` (docs/SECURITY.md): each attack
// runs from test/helpers/peer-tool.ts in its own process, while the test reads the seeder's
// resident memory from /proc. The bounds are generous (a loaded machine, a garbage collector
// that runs when it likes); the attacks, unbounded, cost several hundred MiB each.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { readFile, truncate, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { NODE_BIN, REPO, ohtJson, tempDir } from '../helpers/cli.ts'
import { startDaemon, type Daemon } from '../helpers/daemon.ts'
import { DaemonClient } from '../../src/node/api/client.ts'

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')
/** Growth of the seeder's RSS that an attack may cause: bounded answers, not the attack's size. */
const RSS_BOUND_KIB = 96 * 1024

interface Share { link: string, id: string }

/** Starts peer-tool; resolves once it says `attacking` (the attack is fully sent). */
async function attack (t: { after: (fn: () => void) => void }, args: string[]): Promise<ChildProcess> {
  const p = spawn(NODE_BIN, [join(REPO, 'test', 'helpers', 'peer-tool.ts'), ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] })
  t.after(() => { p.kill('SIGKILL') })
  let err = ''
  p.stderr!.on('data', (d: Buffer) => { err += d.toString() })
  await new Promise<void>((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => { reject(new Error(`peer-tool ${args[0]} did not start its attack: ${err}`)) }, 120_000)
    p.stdout!.on('data', (d: Buffer) => { out += d.toString(); if (out.includes('attacking')) { clearTimeout(timer); resolve() } })
    p.once('exit', code => { clearTimeout(timer); reject(new Error(`peer-tool ${args[0]} exited with ${code} before attacking: ${err}`)) })
  })
  return p
}

/**
 * The peers the seeder's swarms banned, once there are `count` (the API's peers route). A peer
 * that stopped reading cannot see the seeder hang up, so the seeder is asked; the deadline only
 * catches a ban that never comes.
 */
async function bannedBy (seeder: Daemon, count: number): Promise<string[]> {
  const client = new DaemonClient(join(seeder.dataDir, 'api.sock'))
  const deadline = Date.now() + 60_000
  while (true) {
    const banned = (await client.peers()).swarms.flatMap(sw => sw.banned)
    if (banned.length >= count || Date.now() > deadline) return banned
    await new Promise(resolve => setTimeout(resolve, 250))
  }
}

async function growthAfter (seeder: Daemon, before: number, settleMs = 3000): Promise<number> {
  await new Promise(resolve => setTimeout(resolve, settleMs))
  return await seeder.rssKiB() - before
}

async function fetchWorks (dir: string, seeder: Daemon, s: Share, data: Buffer | undefined, name: string): Promise<void> {
  const r = (await ohtJson<{ path: string }>(join(dir, name), ['--transport', 'tcp', 'fetch', s.link, '-o', join(dir, `out-${name}`), '--peer', seeder.address], { timeoutMs: 120_000 })).value
  if (data != null) assert.equal(sha(await readFile(r.path)), sha(data))
}

test('peers that stop reading while they request blocks make the seeder wait, not buffer', async t => {
  const dir = await tempDir(t, 'oht-hostile-')
  const seeder = await startDaemon(join(dir, 'seeder'))
  t.after(async () => { await seeder.stop() })
  // 4 blocks of 1 MiB: every request asks for a whole MiB.
  const data = randomBytes(4 * 1024 * 1024)
  await writeFile(join(dir, 'file.bin'), data)
  const s = (await ohtJson<Share>(seeder.dataDir, ['share', join(dir, 'file.bin'), '--block-size', '1MiB'])).value
  const before = await seeder.rssKiB()
  // Three peers within the request limit (120 MiB of answers asked each), one far over it.
  const readers = await Promise.all([0, 1, 2].map(async () => await attack(t, ['stop-reading-requests', seeder.address, s.link, '120', String(1024 * 1024), '60'])))
  const flooder = await attack(t, ['stop-reading-requests', seeder.address, s.link, '2000', String(1024 * 1024), '60'])
  const grown = await growthAfter(seeder, before)
  t.diagnostic(`block requests: +${grown} KiB`)
  assert.ok(grown < RSS_BOUND_KIB, `block requests: the seeder grew by ${grown} KiB`)
  // An honest fetcher is still served meanwhile.
  await fetchWorks(dir, seeder, s, data, 'honest')
  // The peer far over MAX_QUEUED_REQUESTS was banned, and only it.
  assert.equal((await bannedBy(seeder, 1)).length, 1, 'the 2,000-request peer was banned')
  for (const p of [...readers, flooder]) p.kill('SIGKILL')
})

test('a peer that floods leaves? without reading makes the seeder wait, not buffer', async t => {
  const dir = await tempDir(t, 'oht-hostile-')
  const seeder = await startDaemon(join(dir, 'seeder'))
  t.after(async () => { await seeder.stop() })
  // 4,096 blocks of 16 KiB: every `leaves?` is answered with 128 KiB of hashes.
  await writeFile(join(dir, 'zeros.bin'), '')
  await truncate(join(dir, 'zeros.bin'), 64 * 1024 * 1024)
  const s = (await ohtJson<Share>(seeder.dataDir, ['share', join(dir, 'zeros.bin'), '--block-size', '16KiB'])).value
  const before = await seeder.rssKiB()
  // 12,000 × 128 KiB of leaf hashes asked by a peer that takes none of them.
  const flooder = await attack(t, ['leaves-flood', seeder.address, s.link, '12000', '0', '60'])
  const grown = await growthAfter(seeder, before)
  t.diagnostic(`leaves? flood: +${grown} KiB`)
  assert.ok(grown < RSS_BOUND_KIB, `leaves? flood: the seeder grew by ${grown} KiB`)
  // Over MAX_QUEUED_METADATA_REQUESTS waiting: banned.
  assert.equal((await bannedBy(seeder, 1)).length, 1, 'the leaves? flooder was banned')
  flooder.kill('SIGKILL')
})

test('peers that each hold an unfinished 8 MiB message cost the seeder a bounded amount', async t => {
  const dir = await tempDir(t, 'oht-hostile-')
  const seeder = await startDaemon(join(dir, 'seeder'))
  t.after(async () => { await seeder.stop() })
  const data = randomBytes(1024 * 1024)
  await writeFile(join(dir, 'file.bin'), data)
  const s = (await ohtJson<Share>(seeder.dataDir, ['share', join(dir, 'file.bin')])).value
  const before = await seeder.rssKiB()
  await attack(t, ['partial-message', seeder.address, s.link, '40', '0', '60'])
  const grown = await growthAfter(seeder, before)
  t.diagnostic(`partial messages: +${grown} KiB`)
  assert.ok(grown < RSS_BOUND_KIB, `40 unfinished messages: the seeder grew by ${grown} KiB`)
  await fetchWorks(dir, seeder, s, data, 'honest')
})

test('50 identities that log in and say nothing do not lock an honest fetcher out', async t => {
  const dir = await tempDir(t, 'oht-hostile-')
  const seeder = await startDaemon(join(dir, 'seeder'))
  t.after(async () => { await seeder.stop() })
  const data = randomBytes(1024 * 1024)
  await writeFile(join(dir, 'file.bin'), data)
  const s = (await ohtJson<Share>(seeder.dataDir, ['share', join(dir, 'file.bin')])).value
  // 25 silent, 25 that only say they are interested: the swarm's 50 node slots, full.
  await attack(t, ['silent', seeder.address, s.link, '25', '0', '120'])
  await attack(t, ['idle-interested', seeder.address, s.link, '25', '0', '120'])
  // Once they have idled past PEER_IDLE_EVICT_MS, a newcomer takes one's slot.
  await new Promise(resolve => setTimeout(resolve, 22_000))
  await fetchWorks(dir, seeder, s, data, 'honest')
})
