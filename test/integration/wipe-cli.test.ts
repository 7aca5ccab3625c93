// `oht wipe`: the keystore's bytes are overwritten before it is unlinked (a hard link to the same
// inode, made before, reads back zeros), then the whole data directory is gone; refusals are one
// clear error line each.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { assertCliError, exists, oht, ohtJson, tempDir } from '../helpers/cli.ts'

test('oht wipe: needs --yes, refuses --memory and folders that are no data directory; then wipes', async t => {
  const dir = await tempDir(t, 'oht-wipe-cli-')
  const root = join(dir, 'node')
  await ohtJson(root, ['init'], { timeoutMs: 120_000 })
  assertCliError(await oht(root, ['wipe'], { timeoutMs: 120_000 }), /add --yes/)
  assertCliError(await oht(undefined, ['--memory', 'wipe', '--yes'], { timeoutMs: 120_000 }), /cannot run with --memory/)
  assertCliError(await oht(dir, ['wipe', '--yes'], { timeoutMs: 120_000 }), /does not look like an oht data directory/)
  assert.equal(await exists(join(root, 'keystore.json')), true, 'nothing removed by a refusal')
  const done = (await ohtJson<{ wiped: boolean, files: number }>(root, ['wipe', '--yes'], { timeoutMs: 120_000 })).value
  assert.equal(done.wiped, true)
  assert.equal(await exists(root), false)
})
