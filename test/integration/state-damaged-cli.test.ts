// A damaged state database, seen from the CLI: `oht daemon` and an embedded command both stop
// with one `oht: error:` line naming the database and the way out; neither starts without shares.
import { test } from 'node:test'
import { randomBytes } from 'node:crypto'
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import assert from 'node:assert/strict'
import { assertCliError, oht, ohtJson, ohtOk, tempDir } from '../helpers/cli.ts'

test('a flipped byte in the state log: `oht daemon` and `oht ls` stop with one clear line', { timeout: 120_000 }, async t => {
  const dir = await tempDir(t, 'oht-damaged-')
  const data = join(dir, 'data')
  const file = join(dir, 'notes.txt')
  await writeFile(file, randomBytes(10_000))
  const { value: shared } = await ohtJson<{ id: string }>(data, ['share', file])

  const state = (await readdir(data, { recursive: true })).find(p => /(^|\/)state\/\d+\.log$/.test(p))
  assert.ok(state != null, 'the state database has a log')
  const log = join(data, state)
  const intact = await readFile(log)
  assert.ok(intact.length > 100, 'the log holds the share')
  const bytes = Buffer.from(intact)
  bytes[Math.floor(bytes.length / 2)]! ^= 0x01
  await writeFile(log, bytes)

  for (const args of [['ls'], ['daemon']]) {
    const r = await oht(data, ['--transport', 'tcp', '--listen', '127.0.0.1:0', ...args], { timeoutMs: 60_000 })
    assertCliError(r, /the state database .* is damaged \(its log \d+\.log does not read back at byte \d+: checksum mismatch; .*\): run oht repair-state .*, or restore it from a backup/)
  }
  // oht repair-state: a copy aside, what was lost said; the node then opens (the share is lost
  // with the log's damaged block, its file is where it was: shared again, it is back).
  const repaired = await ohtOk(data, ['repair-state'])
  assert.match(repaired.stdout, /^repaired .*state: \d+ records kept; the damaged copy is in .*state\.damaged-/m)
  assert.match(repaired.stdout, /^lost: the records written in the log at \d+\.log at byte \d+: checksum mismatch$/m)
  const { value: after } = await ohtJson<{ shares: Array<{ id: string }> }>(data, ['ls'])
  assert.ok(!after.shares.some(s => s.id === shared.id), 'the share written in the damaged block is gone, and was said to be')
  const { value: again } = await ohtJson<{ id: string }>(data, ['share', file])
  assert.equal((await ohtJson<{ shares: Array<{ id: string }> }>(data, ['ls'])).value.shares.filter(s => s.id === again.id).length, 1)
  const intactNow = await ohtOk(data, ['repair-state'])
  assert.match(intactNow.stdout, /opens whole: nothing to repair/)
})
