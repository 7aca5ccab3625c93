// Rate limits end to end between real `oht daemon`s and fetchers over TCP on 127.0.0.1, each
// limit with two peers so a global bucket and one per peer tell apart. A token bucket of rate R
// with one second of burst never lets more than R × (1 + t) bytes through in t seconds: every
// sample taken while the transfer runs is held to that bound, so a slow machine only lowers the
// counts. A per-peer limit must also let two peers together go past one bucket's bound (a
// global bucket never can); that is waited for, with a deadline that only catches a hang.
// Per-peer limits set and unset with `oht config set|unset` on a running daemon reach the peers
// already connected: held to the bound from then on, and past it again once lifted.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { NODE_BIN, OHT_BIN, REPO, ohtJson, tempDir, type TestContextLike } from '../helpers/cli.ts'
import { DaemonClient } from '../../src/node/api/client.ts'
import type { PeerSnapshot } from '../../src/swarm/types.ts'
import { startDaemon, type Daemon } from '../helpers/daemon.ts'

const RATE = 128 * 1024
const RATE_TEXT = '128KiB'
/** Blocks of 16 KiB (+ the tag) keep what one grant lets through small beside the bound. */
const BLOCK = 16 * 1024 + 16
const SLACK = 2 * BLOCK
const FILE_BYTES = 4 * 1024 * 1024
const HANG_MS = 90_000

interface Share { link: string, id: string }
interface Sample { seconds: number, peers: Map<string, number> }

async function daemons (t: TestContextLike, dir: string, specs: Array<[string, string[]]>): Promise<Daemon[]> {
  const ds = await Promise.all(specs.map(async ([name, extra]) => await startDaemon(join(dir, name), extra)))
  t.after(async () => { await Promise.all(ds.map(async d => { await d.stop() })) })
  return ds
}

async function shareFile (t: TestContextLike, owner: Daemon, bytes = FILE_BYTES): Promise<Share> {
  const dir = await tempDir(t, 'oht-rate-file-')
  await writeFile(join(dir, 'file.bin'), randomBytes(bytes))
  return (await ohtJson<Share>(owner.dataDir, ['share', '--block-size', '16KiB', join(dir, 'file.bin')])).value
}

/** A child process that lives no longer than the test. */
function child (t: TestContextLike, args: string[]): ChildProcess {
  const p = spawn(NODE_BIN, [OHT_BIN, ...args], { cwd: REPO, stdio: 'ignore' })
  t.after(() => { p.kill('SIGKILL') })
  return p
}

/**
 * Samples `side` (bytes served to / received from each peer) of `d`'s swarm of `share` until
 * `done` says enough was seen; `check` runs on every sample. The clock of a sample is read after
 * its answer arrived: a late answer only makes the bound looser (its counts are older than its time).
 */
async function sampleWhile (d: Daemon, share: string, side: 'served' | 'received', since: number, check: (s: Sample) => void, done: (s: Sample) => boolean): Promise<Sample[]> {
  const api = new DaemonClient(join(d.dataDir, 'api.sock'))
  const samples: Sample[] = []
  const deadline = since + HANG_MS
  for (;;) {
    const body = await api.call('GET', '/peers') as { swarms: Array<{ swarm: string, peers: PeerSnapshot[] }> }
    const seconds = (performance.now() - since) / 1000
    const peers = new Map((body.swarms.find(s => s.swarm === share)?.peers ?? []).map(p => [p.id, p[side]]))
    const sample = { seconds, peers }
    samples.push(sample)
    check(sample)
    if (done(sample)) return samples
    if (performance.now() > deadline) throw new Error(`no end after ${HANG_MS / 1000} s; last sample ${JSON.stringify([...peers])} at ${seconds.toFixed(1)} s`)
    await new Promise(resolve => setTimeout(resolve, 100)) // the sampling period, not a wait for an event
  }
}

const bound = (rate: number, seconds: number): number => rate * (1 + seconds) + SLACK
const sum = (s: Sample): number => [...s.peers.values()].reduce((a, b) => a + b, 0)
const active = (s: Sample, atLeast: number): boolean => s.peers.size >= 2 && [...s.peers.values()].every(v => v >= atLeast)
/**
 * Enough seen for a global bound to mean something: both peers active, and long after both came
 * (a bucket per peer would start full at each peer's arrival and outgrow one bucket's line only
 * after about twice that time).
 */
function longAfterBoth (): (s: Sample) => boolean {
  let bothAt: number | undefined
  return s => {
    if (bothAt == null && active(s, 1)) bothAt = s.seconds
    return bothAt != null && s.seconds >= 2 * bothAt + 4 && active(s, 4 * BLOCK)
  }
}
const show = (s: Sample): string => `${[...s.peers.values()].join(' + ')} bytes in ${s.seconds.toFixed(2)} s`

/** Two one-off fetchers (embedded nodes, no daemon) of `share` from `seeder`; `extra`: their global options. */
function twoFetchers (t: TestContextLike, dir: string, share: Share, seeder: Daemon, extra: string[] = []): void {
  for (const name of ['a', 'b']) child(t, ['--data-dir', join(dir, `fetcher-${name}`), '--transport', 'tcp', '--json', ...extra, 'fetch', share.link, '-o', join(dir, `out-${name}`), '--peer', seeder.address])
}

test('--max-upload-per-peer: each of two peers held to its own bucket, together past one bucket', async t => {
  const dir = await tempDir(t, 'oht-rate-upp-')
  const [seeder] = await daemons(t, dir, [['seeder', ['--max-upload-per-peer', RATE_TEXT]]])
  const s = await shareFile(t, seeder!)
  const since = performance.now()
  twoFetchers(t, dir, s, seeder!)
  const samples = await sampleWhile(seeder!, s.id, 'served', since, sample => {
    for (const [peer, served] of sample.peers) assert.ok(served <= bound(RATE, sample.seconds), `peer ${peer.slice(0, 8)}: ${served} bytes in ${sample.seconds.toFixed(2)} s at ${RATE} B/s`)
  }, sample => sample.peers.size >= 2 && sum(sample) > bound(RATE, sample.seconds))
  assert.ok(samples.at(-1)!.peers.size === 2, 'two peers')
})

/** What each peer got since `base` (peers that left are not counted). */
function since (base: Sample, s: Sample): Map<string, number> {
  return new Map([...s.peers].filter(([peer]) => base.peers.has(peer)).map(([peer, v]) => [peer, v - base.peers.get(peer)!]))
}

/**
 * Sets `key` (a per-peer limit of RATE) on the running daemon `d` while it exchanges `share` with
 * two peers, asserts each peer's `side` is then held to the bound (sampled for a few seconds: long
 * enough that an unlimited peer would pass it), unsets it and waits for a peer to pass it again.
 * Blocks that took their per-peer tokens before the change (at most a pipeline of them, in
 * practice a few) may be counted after it: IN_FLIGHT allows for them.
 */
async function limitLive (d: Daemon, share: Share, side: 'served' | 'received', key: string, start: number): Promise<void> {
  const IN_FLIGHT = 16 * BLOCK
  await sampleWhile(d, share.id, side, start, () => {}, sample => active(sample, 4 * BLOCK))
  const { value: set } = await ohtJson<{ applied?: boolean }>(d.dataDir, ['config', 'set', key, RATE_TEXT])
  assert.equal(set.applied, true)
  let base: Sample | undefined
  await sampleWhile(d, share.id, side, performance.now(), sample => {
    base ??= sample
    for (const [peer, got] of since(base, sample)) assert.ok(got <= bound(RATE, sample.seconds - base.seconds) + IN_FLIGHT, `peer ${peer.slice(0, 8)}: ${got} bytes in ${(sample.seconds - base.seconds).toFixed(2)} s under ${RATE} B/s set live`)
  }, sample => base != null && sample.seconds - base.seconds >= 4 && [...since(base, sample).values()].some(v => v >= 2 * BLOCK))
  await ohtJson(d.dataDir, ['config', 'unset', key])
  let free: Sample | undefined
  // Ends (else fails at the hang deadline) once a peer went past the per-peer bound again.
  await sampleWhile(d, share.id, side, performance.now(), sample => { free ??= sample }, sample => [...since(free!, sample).values()].some(v => v > bound(RATE, sample.seconds - free!.seconds) + IN_FLIGHT))
}

test('config set maxUploadPerPeer on a running seeder holds each peer already connected to it; unset lets them go faster', async t => {
  const dir = await tempDir(t, 'oht-rate-live-')
  const [seeder] = await daemons(t, dir, [['seeder', []]])
  const s = await shareFile(t, seeder!, 4 * FILE_BYTES)
  const start = performance.now()
  // The fetchers' own --max-download keeps the transfer running for the test's length.
  twoFetchers(t, dir, s, seeder!, ['--max-download', '512KiB'])
  await limitLive(seeder!, s, 'served', 'maxUploadPerPeer', start)
})

test('--max-upload: two peers together held to the one global bucket', async t => {
  const dir = await tempDir(t, 'oht-rate-up-')
  const [seeder] = await daemons(t, dir, [['seeder', ['--max-upload', RATE_TEXT]]])
  const s = await shareFile(t, seeder!)
  const since = performance.now()
  twoFetchers(t, dir, s, seeder!)
  const samples = await sampleWhile(seeder!, s.id, 'served', since, sample => {
    assert.ok(sum(sample) <= bound(RATE, sample.seconds), `${show(sample)} at ${RATE} B/s for all`)
  }, longAfterBoth())
  assert.ok(samples.length >= 2)
})

/** A leecher daemon with `limits` fetching `share` from two seeders (the second got it from the first). */
async function leechFromTwo (t: TestContextLike, limits: string[], bytes = FILE_BYTES): Promise<{ leecher: Daemon, share: Share, since: number }> {
  const dir = await tempDir(t, 'oht-rate-down-')
  const [first, second, leecher] = await daemons(t, dir, [['seed1', []], ['seed2', []], ['leecher', limits]])
  const s = await shareFile(t, first!, bytes)
  await ohtJson(second!.dataDir, ['fetch', s.link, '-o', join(dir, 'seed2-copy'), '--peer', first!.address], { timeoutMs: 60_000 })
  const since = performance.now()
  child(t, ['--data-dir', leecher!.dataDir, '--json', 'fetch', s.link, '-o', join(dir, 'out'), '--peer', first!.address, '--peer', second!.address])
  return { leecher: leecher!, share: s, since }
}

test('--max-download: what two peers send together is held to the one global bucket', async t => {
  const { leecher, share, since } = await leechFromTwo(t, ['--max-download', RATE_TEXT])
  await sampleWhile(leecher, share.id, 'received', since, sample => {
    assert.ok(sum(sample) <= bound(RATE, sample.seconds), `${show(sample)} at ${RATE} B/s for all`)
  }, longAfterBoth())
})

test('--max-download-per-peer: each of two peers held to its own bucket, together past one bucket', async t => {
  const { leecher, share, since } = await leechFromTwo(t, ['--max-download-per-peer', RATE_TEXT])
  await sampleWhile(leecher, share.id, 'received', since, sample => {
    for (const [peer, received] of sample.peers) assert.ok(received <= bound(RATE, sample.seconds), `peer ${peer.slice(0, 8)}: ${received} bytes in ${sample.seconds.toFixed(2)} s at ${RATE} B/s`)
  }, sample => sample.peers.size >= 2 && sum(sample) > bound(RATE, sample.seconds))
})

test('config set maxDownloadPerPeer on a running leecher holds each peer already sending; unset lets them go faster', async t => {
  // The leecher's --max-download keeps the transfer running for the test's length.
  const { leecher, share, since: start } = await leechFromTwo(t, ['--max-download', '1MiB'], 4 * FILE_BYTES)
  await limitLive(leecher, share, 'received', 'maxDownloadPerPeer', start)
})
