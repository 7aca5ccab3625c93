// `oht account` with secp256k1 (Ethereum-compatible) accounts end to end: create, sign (checked
// by ethers), encrypt | decrypt through files, delete needing --yes; one clear error each (the
// keys, vectors and keystores themselves: test/unit/account-secp256k1.test.ts).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { verifyMessage as ethersVerify } from 'ethers'
import { assertCliError, oht, ohtJson, tempDir } from '../helpers/cli.ts'

test('oht account create --kind secp256k1, sign, encrypt | decrypt through files, delete needs --yes: one clear error each', async t => {
  const dir = await tempDir(t, 'oht-secp-cli-')
  // An empty passphrase: cheap scrypt, so the spawns stay quick on a loaded machine.
  const env = { OHT_PASSPHRASE: '' }
  const { value: eth } = await ohtJson<{ id: string, address: string }>(dir, ['account', 'create', '--kind', 'secp256k1', '--label', 'eth'], { env })
  assert.match(eth.address, /^0x[0-9a-fA-F]{40}$/)
  const { value: signed } = await ohtJson<{ signature: string }>(dir, ['account', 'sign', 'hello'], { env })
  assert.equal(ethersVerify('hello', signed.signature), eth.address)

  const plain = join(dir, 'plain.txt')
  const box = join(dir, 'box.bin')
  await writeFile(plain, 'meet at noon')
  await ohtJson(dir, ['account', 'encrypt', eth.id, plain, '-o', box])
  assert.equal((await oht(dir, ['account', 'decrypt', 'eth', box], { env })).stdout, 'meet at noon')
  const bytes = await readFile(box)
  bytes[bytes.length - 3]! ^= 0x80
  await writeFile(join(dir, 'bad.bin'), bytes)
  assertCliError(await oht(dir, ['account', 'decrypt', 'eth', join(dir, 'bad.bin')], { env }), /cannot open the sealed box: it was not sealed to this account, or it was altered/)

  assertCliError(await oht(dir, ['account', 'delete', 'eth'], { env }), /cannot be undone .* add --yes/)
  await ohtJson(dir, ['account', 'delete', 'eth', '--yes'])
  const { value: list } = await ohtJson<{ accounts: unknown[] }>(dir, ['account', 'list'])
  assert.deepEqual(list.accounts, [])
})
