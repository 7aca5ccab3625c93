// `oht dashboard` in a real 80×24 terminal (tmux) during a real loopback transfer between two
// daemons (the seeder rate-limited so it lasts): progress moves, `p` pauses it, `q` quits.
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { NODE_BIN, OHT_BIN, REPO, ohtJson, tempDir } from '../helpers/cli.ts'
import { startDaemon, type Daemon } from '../helpers/daemon.ts'
import { ended, tmux, waitForFrame } from '../helpers/tmux.ts'
import { DaemonClient } from '../../src/node/api/client.ts'

const percentOf = (frame: string): number => Number(/^> .*?(\d+)% /m.exec(frame)?.[1] ?? NaN)

/** A seeder (rate-limited, so a transfer lasts) sharing a 12 MiB file, and an empty leecher daemon. */
async function seederAndLeecher (t: TestContext, prefix: string, file: string): Promise<{ dir: string, seeder: Daemon, leecher: Daemon, link: string }> {
  const dir = await tempDir(t, prefix)
  const [seeder, leecher] = await Promise.all([startDaemon(join(dir, 'seeder'), ['--max-upload', '512KiB']), startDaemon(join(dir, 'leecher'))])
  t.after(async () => { await Promise.all([seeder.stop(), leecher.stop()]) })
  await writeFile(join(dir, file), randomBytes(12 * 1024 * 1024))
  const { link } = (await ohtJson<{ link: string }>(seeder.dataDir, ['share', join(dir, file)])).value
  return { dir, seeder, leecher, link }
}

/** `oht dashboard` of the daemon in a detached 80×24 tmux session, killed when the test ends. */
async function dashboardIn (t: TestContext, session: string, daemon: Daemon): Promise<void> {
  const command = [NODE_BIN, OHT_BIN, '--data-dir', daemon.dataDir, '--lang', 'en', 'dashboard'].map(a => `'${a}'`).join(' ')
  await tmux('new-session', '-d', '-x', '80', '-y', '24', '-s', session, '-c', REPO, `env -u OHT_HOME -u NODE_OPTIONS -u NODE_TEST_CONTEXT ${command}`)
  t.after(async () => { await tmux('kill-session', '-t', session).catch(() => '') })
}

test('oht dashboard in tmux: live progress, p pauses, q quits', async t => {
  const { dir, seeder, leecher, link } = await seederAndLeecher(t, 'oht-dash-', 'film.bin')
  const client = new DaemonClient(join(leecher.dataDir, 'api.sock'))
  const tr = await client.addTransfer(link, { output: join(dir, 'out'), peers: [seeder.address] })

  const session = `oht-dash-${process.pid}`
  await dashboardIn(t, session, leecher)

  const first = await waitForFrame(session, 'a fetching row with progress, its block map and peer', 20_000, f => /fetching/.test(f) && percentOf(f) >= 1 && /blocks of film\.bin \(48\)/.test(f) && f.includes(seeder.nodeId.slice(0, 12)))
  assert.match(first, /node [0-9a-f]{12}… {2}tcp tcp:127\.0\.0\.1:\d+/)
  assert.match(first, /blocks of film\.bin \(48\)/)
  assert.match(first, new RegExp(`${seeder.nodeId.slice(0, 12)} tcp`), 'the seeder in the peer table')
  const lines = first.split('\n')
  assert.ok(lines.length <= 25 && lines.every(l => l.length <= 80), 'fits 80×24')
  const p1 = percentOf(first)
  const moved = await waitForFrame(session, 'progress to move', 20_000, f => percentOf(f) > p1)
  process.stdout.write(`# dashboard frame (80x24) during a transfer:\n${moved.split('\n').map(l => `# ${l}`).join('\n')}\n`)

  await tmux('send-keys', '-t', session, 'p')
  const paused = await waitForFrame(session, 'the paused state', 10_000, f => /^> .*paused/m.test(f))
  assert.equal((await client.transfer(tr.id)).state, 'paused', 'p paused the transfer in the daemon')
  const pAtPause = percentOf(paused)
  await sleep(1500)
  const later = await tmux('capture-pane', '-p', '-t', session)
  assert.equal(percentOf(later), pAtPause, 'no progress while paused')
  assert.ok(pAtPause < 100)

  await tmux('send-keys', '-t', session, 'p')
  await waitForFrame(session, 'fetching again', 10_000, f => /^> .*fetching/m.test(f))
  await tmux('send-keys', '-t', session, 'q')
  assert.equal(await ended(session, 10_000), true, 'q quits the dashboard (its tmux session ends)')
  assert.equal((await client.transfer(tr.id)).state !== 'cancelled', true, 'quitting leaves the transfer running')
})

test('oht dashboard in tmux: a stream the daemon serves shows as a transfer; p cannot pause it, c cancels it', async t => {
  const { seeder, leecher, link } = await seederAndLeecher(t, 'oht-dash-stream-', 'clip.mkv')
  // `oht stream` with a daemon running: the daemon fetches and serves, the command prints the URL.
  const { value: streamed } = await ohtJson<{ url: string }>(leecher.dataDir, ['stream', link, '--peer', seeder.address])
  const client = new DaemonClient(join(leecher.dataDir, 'api.sock'))
  const listed = (await client.transfers()).filter(x => x.kind === 'stream')
  assert.equal(listed.length, 1, '/v0/transfers lists the stream')

  const session = `oht-dash-stream-${process.pid}`
  await dashboardIn(t, session, leecher)

  const first = await waitForFrame(session, 'a streaming row with progress and its block map', 20_000, f => /^> clip\.mkv .*streaming/m.test(f) && percentOf(f) >= 1 && /blocks of clip\.mkv \(48\)/.test(f))
  const p1 = percentOf(first)
  await waitForFrame(session, 'the stream\'s progress to move', 20_000, f => percentOf(f) > p1)

  await tmux('send-keys', '-t', session, 'p')
  await waitForFrame(session, 'the message that a stream cannot be paused', 10_000, f => /a stream cannot be paused/.test(f))
  assert.equal((await client.transfer(listed[0]!.id)).state, 'fetching', 'p did not pause the stream')

  await tmux('send-keys', '-t', session, 'c')
  await waitForFrame(session, 'the cancel question', 10_000, f => /cancel clip\.mkv\? y = yes/.test(f))
  await tmux('send-keys', '-t', session, 'y')
  await waitForFrame(session, 'the row gone', 10_000, f => !/clip\.mkv .*streaming/.test(f) && /no transfers/i.test(f))
  assert.deepEqual(await client.transfers(), [], 'the daemon forgot the stream')
  const gone = await fetch(streamed.url).then(r => r.status, () => 0)
  assert.notEqual(gone, 200, 'its URL no longer serves the file')
  await tmux('send-keys', '-t', session, 'q')
})
