// secp256k1 (Ethereum-compatible) accounts checked against independent implementations: a
// published vector (web3.js docs' key → address and `personal_sign` of "Some data") and ethers
// (verifyMessage, v3 keystores it writes and reads); sealed boxes to both account kinds (round
// trip, tamper, wrong account, wrong kind); delegation certificates of a secp256k1 account;
// deletion that wipes the file; old keystores without a `kind` field.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFile, stat, writeFile } from 'node:fs/promises'
import { Wallet, encryptKeystoreJson, decryptKeystoreJson, verifyMessage as ethersVerify } from 'ethers'
import {
  AccountError, checkCert, createAccount, decryptWith, delegate, deleteAccount, encryptTo, exportV3Account, formatCert,
  importAccount, importV3Account, listAccounts, loadAccount, parseCert, resolveAccountId, signMessage, verifyMessage
} from '../../src/node/identity/accounts.ts'
import { ethAddressOf, personalSign, secp256k1KeyFrom, accountIdOf, checksumAddress } from '../../src/node/identity/account-keys.ts'
import { encryptV3 } from '../../src/node/identity/account-v3.ts'
import { KeystoreError, sealSecret } from '../../src/node/identity/keystore.ts'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { tempDir } from '../helpers/cli.ts'

// web3.js documentation's example key: its address and its `personal_sign` of "Some data".
const VECTOR_KEY = '4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318'
const VECTOR_ADDRESS = '0x2c7536E3605D9C16a7a3D7b1898e529396a65c23'
const VECTOR_SIG = '0xb91467e570a6466aa9e9876cbcd013baba02900b8979d43fe208a4a4f339f5fd6007e74cd82e037b800186422fc2da167c747ef045e5d18a5f5d4300f8e1a0291c'
const FAST = { n: 1024, r: 8, p: 1 }
const NODE = 'c'.repeat(64)

test('a fixed key gives the published address and personal_sign signature; ethers agrees', () => {
  const sk = Buffer.from(VECTOR_KEY, 'hex')
  assert.equal(ethAddressOf(secp256k1.getPublicKey(sk)), VECTOR_ADDRESS)
  assert.equal(checksumAddress(VECTOR_ADDRESS.toLowerCase()), VECTOR_ADDRESS)
  const sig = personalSign(sk, Buffer.from('Some data'))
  assert.equal(sig, VECTOR_SIG)
  assert.equal(ethersVerify('Some data', sig), VECTOR_ADDRESS)
  const id = accountIdOf(secp256k1KeyFrom(sk))
  assert.match(id, /^0[23][0-9a-f]{64}$/)
  assert.equal(verifyMessage(id, Buffer.from('Some data'), sig), true)
  assert.equal(verifyMessage(VECTOR_ADDRESS, Buffer.from('Some data'), sig), true)
  assert.equal(verifyMessage(VECTOR_ADDRESS.toLowerCase(), Buffer.from('Some data'), sig), true)
  assert.equal(verifyMessage(VECTOR_ADDRESS, Buffer.from('Some datA'), sig), false)
  assert.equal(verifyMessage(VECTOR_ADDRESS, Buffer.from('Some data'), sig.slice(0, -2) + '1d'), false)
  assert.equal(verifyMessage(VECTOR_ADDRESS, Buffer.from('Some data'), 'nonsense'), false)
})

test('a secp256k1 account: keystore with kind, address, signatures ethers verifies, lookup by address', async t => {
  const dir = await tempDir(t, 'oht-secp-')
  const info = await createAccount(dir, 'pw', 'eth', 'secp256k1')
  assert.equal(info.kind, 'secp256k1')
  assert.match(info.id, /^0[23][0-9a-f]{64}$/)
  assert.match(info.address!, /^0x[0-9a-fA-F]{40}$/)
  assert.equal((await stat(info.path)).mode & 0o777, 0o600)
  const text = await readFile(info.path, 'utf8')
  const file = JSON.parse(text) as { kind?: string, crypto: { cipher: string } }
  assert.equal(file.kind, undefined, 'the kind is sealed too')
  assert.equal(file.crypto.cipher, 'aes-256-gcm')
  for (const needle of [info.id, info.address!, info.address!.slice(2).toLowerCase(), 'secp256k1']) assert.ok(!text.includes(needle), `${needle} in the keystore`)
  assert.deepEqual((await listAccounts(dir, 'pw')).map(a => [a.id, a.kind, a.address]), [[info.id, 'secp256k1', info.address]])
  assert.equal(await resolveAccountId(dir, info.address!.toLowerCase(), 'pw'), info.id)

  const account = await loadAccount(dir, info.id, 'pw')
  assert.equal(account.kind, 'secp256k1')
  const sig = signMessage(account, Buffer.from('hello ethereum'))
  assert.equal(ethersVerify('hello ethereum', sig), info.address)
  assert.equal(verifyMessage(info.id, Buffer.from('hello ethereum'), sig), true)

  // A format-1 file claiming the other kind is refused rather than misread.
  const lying = { version: 1, kind: 'ed25519', id: info.id, label: 'eth', createdAt: 1, crypto: await sealSecret(account.privateKey.export({ format: 'der', type: 'pkcs8' }), 'pw', info.id) }
  await writeFile(info.path, JSON.stringify(lying))
  await assert.rejects(loadAccount(dir, info.id, 'pw'), /unsupported format/)
})

test('an old (format 1) keystore without a kind field is Ed25519', async t => {
  const dir = await tempDir(t, 'oht-secp-')
  const info = await createAccount(dir, '')
  const key = (await loadAccount(dir, info.id, '')).privateKey.export({ format: 'der', type: 'pkcs8' })
  await writeFile(info.path, JSON.stringify({ version: 1, id: info.id, label: '', createdAt: 1, crypto: await sealSecret(key, '', info.id) }))
  const a = await loadAccount(dir, info.id, '')
  assert.equal(a.kind, 'ed25519')
  assert.equal((await listAccounts(dir))[0]!.kind, 'ed25519')
})

test('v3 keystores: ethers\' file imports, ours opens in ethers, a wrong password or an edit is refused', async t => {
  const dir = await tempDir(t, 'oht-secp-')
  const wallet = new Wallet('0x' + VECTOR_KEY)
  const fromEthers = await encryptKeystoreJson({ address: wallet.address, privateKey: wallet.privateKey }, 'pässword', { scrypt: { N: 1024 } })
  await assert.rejects(importV3Account(dir, fromEthers, 'wrong'), (err: Error) => err instanceof KeystoreError && /wrong passphrase/.test(err.message))
  const imported = await importV3Account(dir, fromEthers, 'pässword', 'from-ethers')
  assert.equal(imported.address, VECTOR_ADDRESS)
  assert.equal(signMessage(await loadAccount(dir, imported.id, 'pässword'), Buffer.from('Some data')), VECTOR_SIG)

  const exported = await exportV3Account(dir, imported.id, 'pässword', FAST)
  const back = await decryptKeystoreJson(exported, 'pässword')
  assert.equal(back.address, VECTOR_ADDRESS)
  assert.equal(back.privateKey, '0x' + VECTOR_KEY)

  // Round trip into a second data directory, through plain `import` (recognized as v3).
  const other = await tempDir(t, 'oht-secp-')
  assert.equal((await importAccount(other, exported, 'pässword')).id, imported.id)

  const edited = JSON.parse(exported) as { crypto: { ciphertext: string } }
  const c = edited.crypto.ciphertext
  edited.crypto.ciphertext = (c[0] === '0' ? '1' : '0') + c.slice(1)
  await assert.rejects(importV3Account(other, JSON.stringify(edited), 'pässword'), /wrong passphrase .* or a damaged file/)
  const wrongAddress = JSON.parse(JSON.stringify(await encryptV3(Buffer.from(VECTOR_KEY, 'hex'), 'x', FAST))) as { address: string }
  wrongAddress.address = '00'.repeat(20)
  await assert.rejects(importV3Account(other, JSON.stringify(wrongAddress), 'x'), /address does not match/)
  const greedy = JSON.parse(exported) as { crypto: { kdfparams: { n: number } } }
  greedy.crypto.kdfparams.n = 2 ** 24
  await assert.rejects(importV3Account(other, JSON.stringify(greedy), 'pässword'), /unreasonable scrypt parameters/)
  const ed = await createAccount(dir, 'pässword')
  await assert.rejects(exportV3Account(dir, ed.id, 'pässword', FAST), (err: Error) => err instanceof AccountError && /only secp256k1/.test(err.message))
})

test('sealed boxes to both kinds: round trip, tamper, wrong account, wrong kind, not a box', async t => {
  const dir = await tempDir(t, 'oht-secp-')
  const message = Buffer.from('for your eyes only ✓'.repeat(50))
  const accounts = []
  for (const kind of ['ed25519', 'secp256k1'] as const) {
    const info = await createAccount(dir, '', kind, kind)
    accounts.push(await loadAccount(dir, info.id, ''))
  }
  const [ed, secp] = accounts as [typeof accounts[0], typeof accounts[0]]
  const other = await loadAccount(dir, (await createAccount(dir, '', 'other-ed')).id, '')
  const otherSecp = await loadAccount(dir, (await createAccount(dir, '', 'other-secp', 'secp256k1')).id, '')
  for (const [to, wrong, wrongKind] of [[ed, other, secp], [secp, otherSecp, ed]] as const) {
    const box = encryptTo(to.id, message)
    assert.ok(!box.includes(Buffer.from('for your eyes')))
    assert.deepEqual(decryptWith(to, box), message)
    assert.notDeepEqual(encryptTo(to.id, message), box) // a fresh ephemeral key every time
    assert.deepEqual(decryptWith(to, encryptTo(to.id, new Uint8Array(0))), Buffer.alloc(0))
    assert.throws(() => decryptWith(wrong, box), /not sealed to this account, or it was altered/)
    assert.throws(() => decryptWith(wrongKind, box), /sealed to a .* account; this account is/)
    // The suite byte: still one AccountError, naming what is wrong.
    const suite = Buffer.from(box)
    suite[7]! ^= 0x01
    assert.throws(() => decryptWith(to, suite), AccountError)
    // The ephemeral key, the ciphertext, the tag.
    for (const at of [9, 30, 50, box.length - 20, box.length - 1]) {
      const bad = Buffer.from(box)
      bad[at]! ^= 0x01
      assert.throws(() => decryptWith(to, bad), (err: Error) => err instanceof AccountError && /altered/.test(err.message), `byte ${at}`)
    }
    assert.throws(() => decryptWith(to, box.subarray(0, box.length - 1)), /altered/)
  }
  const box = encryptTo(ed.id, message)
  assert.throws(() => decryptWith(ed, Buffer.concat([Buffer.from('X'), box.subarray(1)])), /not an oht sealed box/)
  const v2 = Buffer.from(box)
  v2[6] = 2
  assert.throws(() => decryptWith(ed, v2), /version 2/)
  assert.throws(() => encryptTo('0x' + 'ab'.repeat(20), message), AccountError)
  // 66 hex digits that are not a point on the curve: refused as an id, not a crash in the curve code.
  const offCurve = '02' + 'ff'.repeat(32)
  assert.throws(() => encryptTo(offCurve, message), (err: Error) => err instanceof AccountError && /not a secp256k1 public key/.test(err.message))
  assert.throws(() => verifyMessage(offCurve, Buffer.from('x'), VECTOR_SIG), AccountError)
})

test('a secp256k1 account delegates to a node; the certificate checks like an Ed25519 one', async t => {
  const dir = await tempDir(t, 'oht-secp-')
  const account = await loadAccount(dir, (await createAccount(dir, '', '', 'secp256k1')).id, '')
  const now = Date.now()
  const cert = parseCert(formatCert(delegate(account, NODE, 60_000, now)))
  assert.equal(cert.account, account.id)
  assert.equal(checkCert(cert, NODE, now), undefined)
  assert.equal(checkCert(cert, 'd'.repeat(64), now), 'wrong-node')
  assert.equal(checkCert(cert, NODE, now + 120_000), 'expired')
  assert.equal(checkCert({ ...cert, expiresAt: cert.expiresAt + 1 }, NODE, now), 'bad-signature')
  // A personal_sign over the certificate's bytes is not a certificate signature.
  const body = JSON.stringify([cert.v, cert.account, cert.node, cert.notBefore, cert.expiresAt])
  const forged = { ...cert, sig: Buffer.from(signMessage(account, Buffer.from(body)).slice(2, 130), 'hex').toString('base64url') }
  assert.equal(checkCert(forged, NODE, now), 'bad-signature')
})

test('delete overwrites the keystore before unlinking it', async t => {
  const dir = await tempDir(t, 'oht-secp-')
  const info = await createAccount(dir, '', 'gone', 'secp256k1')
  const removed = await deleteAccount(dir, info.id)
  assert.equal(removed.id, info.id)
  assert.deepEqual(await listAccounts(dir), [])
  await assert.rejects(stat(info.path), /ENOENT/)
  await assert.rejects(deleteAccount(dir, info.id), /no account/)
})
