// `oht dashboard` in a real 80×24 terminal (tmux) during a real loopback transfer between two
// daemons (the seeder rate-limited so it lasts): progress moves, `p` pauses it, `q` quits.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { NODE_BIN, OHT_BIN, REPO, ohtJson, tempDir } from '../helpers/cli.ts'
import { startDaemon } from '../helpers/daemon.ts'
import { ended, tmux, waitForFrame } from '../helpers/tmux.ts'
import { DaemonClient } from '../../src/node/api/client.ts'

const percentOf = (frame: string): number => Number(/^> .*?(\d+)% /m.exec(frame)?.[1] ?? NaN)

test('oht dashboard in tmux: live progress, p pauses, q quits', async t => {
  const dir = await tempDir(t, 'oht-dash-')
  const [seeder, leecher] = await Promise.all([startDaemon(join(dir, 'seeder'), ['--max-upload', '512KiB']), startDaemon(join(dir, 'leecher'))])
  t.after(async () => { await Promise.all([seeder.stop(), leecher.stop()]) })
  await writeFile(join(dir, 'film.bin'), randomBytes(12 * 1024 * 1024))
  const s = (await ohtJson<{ link: string }>(seeder.dataDir, ['share', join(dir, 'film.bin')])).value
  const client = new DaemonClient(join(leecher.dataDir, 'api.sock'))
  const tr = await client.addTransfer(s.link, { output: join(dir, 'out'), peers: [seeder.address] })

  const session = `oht-dash-${process.pid}`
  const command = [NODE_BIN, OHT_BIN, '--data-dir', leecher.dataDir, '--lang', 'en', 'dashboard'].map(a => `'${a}'`).join(' ')
  await tmux('new-session', '-d', '-x', '80', '-y', '24', '-s', session, '-c', REPO, `env -u OHT_HOME -u NODE_OPTIONS -u NODE_TEST_CONTEXT ${command}`)
  t.after(async () => { await tmux('kill-session', '-t', session).catch(() => '') })

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
