// secp256k1 (Ethereum-compatible) accounts checked against independent implementations: a
// published vector (web3.js docs' key → address and `personal_sign` of "Some data") and ethers
// (verifyMessage, v3 keystores it writes and reads); sealed boxes to both account kinds (round
// trip, tamper, wrong account, wrong kind); delegation certificates of a secp256k1 account;
// deletion that wipes the file; old keystores without a `kind` field.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { verifyMessage as ethersVerify } from 'ethers'
import {
  AccountError, checkCert, createAccount, decryptWith, delegate, deleteAccount, encryptTo, exportV3Account, formatCert,
  importAccount, importV3Account, listAccounts, loadAccount, parseCert, resolveAccountId, signMessage, verifyMessage
} from '../../src/node/identity/accounts.ts'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { join } from 'node:path'
import { assertCliError, oht, ohtJson, tempDir } from '../helpers/cli.ts'

// web3.js documentation's example key: its address and its `personal_sign` of "Some data".
const VECTOR_KEY = '4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318'
const VECTOR_ADDRESS = '0x2c7536E3605D9C16a7a3D7b1898e529396a65c23'
const VECTOR_SIG = '0xb91467e570a6466aa9e9876cbcd013baba02900b8979d43fe208a4a4f339f5fd6007e74cd82e037b800186422fc2da167c747ef045e5d18a5f5d4300f8e1a0291c'
const FAST = { n: 1024, r: 8, p: 1 }
const NODE = 'c'.repeat(64)

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
