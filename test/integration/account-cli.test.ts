// `oht account` end to end: create, sign, verify, list; the CLI's one-line errors for a wrong
// passphrase or a tampered keystore (the keystores themselves: test/unit).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { assertCliError, oht, ohtJson, tempDir } from '../helpers/cli.ts'

test('oht account: create, sign, verify; a wrong passphrase or a tampered keystore is one clear error', async t => {
  const dir = await tempDir(t, 'oht-account-cli-')
  const env = { OHT_PASSPHRASE: 'secret words' }
  const { value: created } = await ohtJson<{ id: string, path: string }>(dir, ['account', 'create', '--label', 'me'], { env })
  const { value: signed } = await ohtJson<{ signature: string }>(dir, ['account', 'sign', 'hello world'], { env })
  await ohtJson(dir, ['account', 'verify', created.id, 'hello world', signed.signature])
  assertCliError(await oht(dir, ['account', 'verify', created.id, 'hello there', signed.signature]), /invalid signature/)
  assertCliError(await oht(dir, ['account', 'sign', 'x'], { env: { OHT_PASSPHRASE: 'wrong words' } }), /cannot unlock account keystore .*wrong passphrase/)
  // The keystore names its account only inside: listing needs the passphrase too.
  const { value: list } = await ohtJson<{ accounts: Array<{ id: string, label: string }> }>(dir, ['account', 'list'], { env })
  assert.deepEqual(list.accounts.map(a => [a.id, a.label]), [[created.id, 'me']])
  assertCliError(await oht(dir, ['account', 'list']), /cannot unlock account keystore .*wrong passphrase/)
  const file = JSON.parse(await readFile(created.path, 'utf8')) as { crypto: { nonce: string } }
  file.crypto.nonce = '00'.repeat(12)
  await writeFile(created.path, JSON.stringify(file))
  assertCliError(await oht(dir, ['account', 'sign', 'x'], { env }), /cannot unlock account keystore .*damaged file/)
})
