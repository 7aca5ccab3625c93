// `oht console` in a real 80×24 terminal (tmux) against real TCP daemons: a typo and its
// suggestion, tab completion (command, file path, DHT reference), /share, /put then /get, /ping,
// /lookup, /ftable, /successor, /newtor refused without Tor,
// a /fetch from a second daemon with its progress lines, Ctrl-C during a fetch, history across
// restarts (and no clear text in its file), --lang de, and the console with no daemon running.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { tempDir } from '../helpers/cli.ts'
import { ended, fits, prompt, startConsole, tmux, type, waitForFrame } from '../helpers/tmux.ts'
import { startDaemon } from '../helpers/daemon.ts'
import { DaemonClient } from '../../src/node/api/client.ts'

test('oht console in tmux against two daemons', async t => {
  const dir = await tempDir(t, 'oht-console-')
  const [seeder, leecher] = await Promise.all([startDaemon(join(dir, 'seeder'), ['--max-upload', '512KiB']), startDaemon(join(dir, 'leecher'))])
  t.after(async () => { await Promise.all([seeder.stop(), leecher.stop()]) })
  await writeFile(join(dir, 'film.bin'), randomBytes(6 * 1024 * 1024))

  // The seeder's console: status line, a typo, completion, /share, /put then /get, /ping.
  const a = await startConsole(t, 'a', dir, ['--data-dir', seeder.dataDir, '--lang', 'en'])
  const first = await waitForFrame(a, 'the status line and the prompt', 30_000, f => f.includes(seeder.nodeId.slice(0, 8)) && /tcp 127\.0\.0\.1:\d+/.test(f) && /^oht>/m.test(f))
  assert.ok(fits(first), 'fits 80×24')
  assert.match(first, /0 transfers/)

  await type(a, '/shrae film.bin')
  await waitForFrame(a, 'the typo error', 10_000, f => f.includes('oht: error: unknown command /shrae. Did you mean /share?'))

  await type(a, '/sha\t', false)
  await waitForFrame(a, 'the command completed', 10_000, f => prompt(f) === 'oht> /share')
  await type(a, 'fil\t', false)
  await waitForFrame(a, 'the file name completed', 10_000, f => prompt(f) === 'oht> /share film.bin')
  await tmux('send-keys', '-t', a, 'Enter')
  const shared = await waitForFrame(a, 'the share done', 30_000, f => /shared bafy\S+: 6\.00 MiB in 1 files/.test(f.replace(/\n/g, ' ')))
  assert.match(shared, /^oht:\/\/bafy/m, 'the link is printed')

  await type(a, '/put hello from the console')
  const put = await waitForFrame(a, 'the DHT reference', 20_000, f => /^[0-9a-f]{64}\s*$/m.test(f))
  const ref = /^([0-9a-f]{64})\s*$/m.exec(put)![1]!
  await type(a, '/get \t', false) // the reference of the /put is offered by completion
  await waitForFrame(a, 'the reference completed', 10_000, f => prompt(f).startsWith(`oht> /get ${ref.slice(0, 70)}`))
  await tmux('send-keys', '-t', a, 'Enter')
  await waitForFrame(a, 'the value got back', 20_000, f => /^hello from the console\s*$/m.test(f))

  await type(a, `/ping ${leecher.address} --count 3`)
  const pinged = await waitForFrame(a, 'the ping summary', 30_000, f => /3 sent, 3 answered; min\/median\/max [\d.]+\/[\d.]+\/[\d.]+ ms/.test(f))
  assert.match(pinged, new RegExp(`seq=1 from ${leecher.nodeId.slice(0, 12)}: [\\d.]+ ms`))
  // The routing table now holds the leecher (it answered the pings).
  await type(a, `/lookup ${leecher.nodeId}`)
  await waitForFrame(a, 'the lookup', 20_000, f => f.includes(`node ${leecher.nodeId.slice(0, 16)} is at ${leecher.address}`))
  await type(a, '/ftable')
  await waitForFrame(a, 'the routing table', 10_000, f => /routing table of [0-9a-f]{16}…: 1 nodes/.test(f) && f.includes(`${leecher.nodeId.slice(0, 12)} ${leecher.address}`))
  await type(a, '/successor')
  await waitForFrame(a, 'the successor', 10_000, f => f.includes(`${leecher.nodeId}\n  ${leecher.address}`))
  await type(a, '/newtor')
  await waitForFrame(a, 'the refusal on TCP', 10_000, f => f.includes('oht: error: this daemon does not use Tor (transport tcp)'))
  await type(a, '/quit')
  assert.equal(await ended(a, 10_000), true, '/quit leaves the console')

  // The leecher's console: a fetch with progress lines; Ctrl-C cancels one; fetching again resumes.
  const link = (await new DaemonClient(join(seeder.dataDir, 'api.sock')).list()).find(s => s.name === 'film.bin')!.link!
  const b = await startConsole(t, 'b', dir, ['--data-dir', leecher.dataDir, '--lang', 'en'])
  await waitForFrame(b, 'the prompt', 30_000, f => f.includes(leecher.nodeId.slice(0, 8)) && /^oht>/m.test(f))
  await type(b, `/fetch ${link} out --peer ${seeder.address}`)
  await waitForFrame(b, 'a progress line', 30_000, f => /film\.bin \d+%  [\d.]+ \w+ of 6\.00 MiB/.test(f))
  await tmux('send-keys', '-t', b, 'C-c')
  await waitForFrame(b, 'the fetch interrupted', 15_000, f => /oht: error: .*interrupted/i.test(f))
  const client = new DaemonClient(join(leecher.dataDir, 'api.sock'))
  assert.ok((await client.transfers()).every(tr => tr.state !== 'fetching'), 'Ctrl-C cancelled the transfer in the daemon')
  await type(b, `/fetch ${link} out --peer ${seeder.address}`)
  const fetched = await waitForFrame(b, 'the fetch done', 90_000, f => /film\.bin \(6\.00 MiB in [\d.]+ s, from 1 peer\)/.test(f.replace(/\n/g, '')))
  process.stdout.write(`# console frame (80x24) after a fetch:\n${fetched.split('\n').map(l => `# ${l}`).join('\n')}\n`)
  assert.ok(fits(fetched))
  assert.deepEqual(await readFile(join(dir, 'out', 'film.bin')), await readFile(join(dir, 'film.bin')))
  await type(b, '/quit')
  assert.equal(await ended(b, 10_000), true)

  // History across restarts, encrypted: Up brings back the last line; the file holds no clear text.
  const raw = await readFile(join(leecher.dataDir, 'console-history.enc'), 'utf8')
  assert.ok(!raw.includes('/fetch') && !raw.includes('oht://') && !raw.includes(seeder.address), 'the history file holds no clear text')
  const c = await startConsole(t, 'c', dir, ['--data-dir', leecher.dataDir, '--lang', 'de'])
  const de = await waitForFrame(c, 'the German console', 30_000, f => f.includes('oht-Konsole') && /^oht>/m.test(f))
  assert.match(de, /\d+ Übertragung/)
  await tmux('send-keys', '-t', c, 'Up')
  await waitForFrame(c, 'the last command from the history', 10_000, f => prompt(f).startsWith('oht> /quit'))
  await tmux('send-keys', '-t', c, 'Up')
  await tmux('send-keys', '-t', c, 'C-a') // a long line shows around the cursor: its start, at the start
  await waitForFrame(c, 'the fetch from the history', 10_000, f => prompt(f).startsWith('oht> /fetch oht://'))
  await tmux('send-keys', '-t', c, 'C-k')
  await type(c, '/trasnfers')
  await waitForFrame(c, 'the German typo error', 10_000, f => f.includes('unbekannter Befehl /trasnfers. Meinten Sie /transfers?'))
  await type(c, '/quit')
  assert.equal(await ended(c, 10_000), true)
})

test('oht console with no daemon running starts its own node and says so', async t => {
  const dir = await tempDir(t, 'oht-console-alone-')
  const dataDir = join(dir, 'node')
  const s = await startConsole(t, 'alone', dir, ['--data-dir', dataDir, '--transport', 'tcp', '--listen', '127.0.0.1:0', '--lang', 'en'])
  const frame = await waitForFrame(s, 'the embedded node announced', 60_000, f => f.replace(/\n/g, ' ').includes('this console started its own node') && /^oht>/m.test(f))
  assert.match(frame, /\(in console\)/, 'the status line says the node runs in the console')
  assert.ok(existsSync(join(dataDir, 'api.sock')), 'its API answers like a daemon\'s')
  await type(s, '/status')
  await waitForFrame(s, 'the status', 10_000, f => /^node [0-9a-f]{64}/m.test(f) && /daemon listening on tcp:127\.0\.0\.1:\d+ \(tcp\) \(in console\)/.test(f))
  await type(s, '/quit')
  assert.equal(await ended(s, 20_000), true, '/quit stops the console and its node')
  assert.equal(existsSync(join(dataDir, 'api.sock')), false, 'the node stopped with it')
})
