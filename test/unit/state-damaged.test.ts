// A damaged state database gives one clear error at start, never a silent empty node.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { NodeState } from '../../src/node/identity/state.ts'
import { NodeError } from '../../src/node/errors.ts'
import { randomBytes } from 'node:crypto'

const storageKey = new Uint8Array(randomBytes(32))

test('a state database without its CURRENT file is reported as damaged, not opened empty', async t => {
  const dir = await mkdtemp(join(tmpdir(), 'oht-state-'))
  t.after(async () => { await rm(dir, { recursive: true, force: true }) })
  const path = join(dir, 'state')
  const state = new NodeState({ path }, storageKey)
  await state.open()
  await state.db.sublevel<string, unknown>('owned', { valueEncoding: 'json' }).put('x', { kept: true })
  await state.close()
  await rm(join(path, 'CURRENT'))
  await assert.rejects(new NodeState({ path }, storageKey).open(), (err: unknown) => err instanceof NodeError && err.code === 'node.stateDamaged' && /CURRENT file is missing/.test(err.message))
  // A fresh directory still opens.
  const fresh = new NodeState({ path: join(dir, 'fresh') }, storageKey)
  await fresh.open()
  await fresh.close()
})
