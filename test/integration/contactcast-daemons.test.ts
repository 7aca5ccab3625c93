// `oht contactcast` between real daemons on 127.0.0.1: with no contact it is one clear error;
// alice, with bob and carol as contacts (added on both sides), sends one message to both: bob,
// online, receives it as a whisper from her petname; carol, stopped, has it queued, and gets it
// when she is back (the common whisper path's retry).
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { test } from 'node:test'
import { createAccounts, nextEvent, startDaemon, type Daemon } from '../helpers/daemon.ts'
import { oht, ohtJson, tempDir } from '../helpers/cli.ts'

test('contactcast: one whisper to every approved contact, through the whisper path', { timeout: 240_000 }, async t => {
  const dir = await tempDir(t, 'oht-contactcast-')
  const ids: Record<string, string> = {}
  Object.assign(ids, await createAccounts(dir, ['alice', 'bob', 'carol']))
  const d: Record<string, Daemon> = {}
  t.after(async () => { await Promise.all(Object.values(d).map(async x => { await x.stop() })) })
  const presence = ['--presence-interval', '2s']
  d.alice = await startDaemon(join(dir, 'alice'), [], 60_000, presence)
  d.bob = await startDaemon(join(dir, 'bob'), [], 60_000, presence)
  d.carol = await startDaemon(join(dir, 'carol'), [], 60_000, presence)

  const none = await oht(d.alice.dataDir, ['contactcast', 'anyone there?'])
  assert.notEqual(none.code, 0)
  assert.equal(none.stderr.trim(), 'oht: error: no approved contacts to send to (oht contact list)')

  for (const other of ['bob', 'carol']) {
    await ohtJson(d.alice.dataDir, ['contact', 'add', ids[other]!, other, '--address', d[other]!.address])
    await ohtJson(d[other]!.dataDir, ['contact', 'add', ids.alice!, 'alice', '--address', d.alice.address])
  }
  await d.carol.stop()
  const got = await nextEvent(d.bob, e => e.type === 'message')
  const r = await ohtJson<{ results: Array<{ contact: string, state: string }> }>(d.alice.dataDir, ['contactcast', 'lunch', 'at', 'one?'])
  assert.deepEqual(r.value.results.map(x => [x.contact, x.state]).sort(), [['bob', 'delivered'], ['carol', 'queued']])
  const e = await got.event
  got.close()
  assert.ok(e.type === 'message' && e.contact === 'alice' && e.text === 'lunch at one?', JSON.stringify(e))
  const text = await oht(d.alice.dataDir, ['contactcast', 'and coffee'])
  assert.equal(text.code, 0, text.stderr)
  assert.match(text.stdout, /^delivered to bob$/m)
  assert.match(text.stdout, /^carol is not reachable now: queued$/m)

  // carol comes back at the same data directory: the queued whispers reach her in order.
  const delivered = await nextEvent(d.alice, e => e.type === 'receipt' && e.contact === 'carol')
  d.carol = await startDaemon(join(dir, 'carol'), [], 60_000, presence)
  await delivered.event
  delivered.close()
  const log = (await ohtJson<{ messages: Array<{ direction: string, text: string }> }>(d.carol.dataDir, ['whisper', 'alice'])).value.messages
  assert.deepEqual(log.map(m => [m.direction, m.text]).slice(0, 1), [['in', 'lunch at one?']])
})
