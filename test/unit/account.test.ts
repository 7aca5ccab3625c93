// Account keystores (scrypt + AES-256-GCM, mode 0600), message signatures and delegation
// certificates, on real files; plus the CLI's one-line errors for a wrong passphrase or a
// tampered keystore.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import {
  AccountError, checkCert, createAccount, delegate, exportAccount, formatCert, importAccount, listAccounts, loadAccount,
  parseCert, resolveAccountId, signMessage, verifyMessage
} from '../../src/node/identity/accounts.ts'
import { KeystoreError } from '../../src/node/identity/keystore.ts'
import { oht, tempDir } from '../helpers/cli.ts'

const NODE_A = 'a'.repeat(64)
const NODE_B = 'b'.repeat(64)

test('an account keystore is encrypted, mode 0600, and unlocks only with its passphrase', async t => {
  const dir = await tempDir(t, 'oht-account-')
  const info = await createAccount(dir, 'correct horse', 'alice')
  assert.match(info.id, /^[0-9a-f]{64}$/)
  assert.equal((await stat(info.path)).mode & 0o777, 0o600)
  const text = await readFile(info.path, 'utf8')
  const file = JSON.parse(text) as { crypto: { kdf: string, cipher: string, ciphertext: string } }
  assert.equal(file.crypto.kdf, 'scrypt')
  assert.equal(file.crypto.cipher, 'aes-256-gcm')
  assert.deepEqual((await listAccounts(dir)).map(a => [a.id, a.label]), [[info.id, 'alice']])
  assert.equal(await resolveAccountId(dir), info.id)
  assert.equal(await resolveAccountId(dir, 'alice'), info.id)
  assert.equal(await resolveAccountId(dir, info.id.slice(0, 8)), info.id)

  const account = await loadAccount(dir, info.id, 'correct horse')
  assert.equal(account.id, info.id)
  await assert.rejects(loadAccount(dir, info.id, 'wrong'), (err: Error) => err instanceof KeystoreError && /wrong passphrase/.test(err.message))

  // One flipped ciphertext byte, and an edited id (authenticated as associated data).
  const flipped = JSON.parse(text) as { crypto: { ciphertext: string } }
  const c = flipped.crypto.ciphertext
  flipped.crypto.ciphertext = c.slice(0, 10) + (c[10] === '0' ? '1' : '0') + c.slice(11)
  await writeFile(info.path, JSON.stringify(flipped))
  await assert.rejects(loadAccount(dir, info.id, 'correct horse'), /wrong passphrase .* or a damaged file/)
  const renamed = JSON.parse(text) as { id: string }
  renamed.id = NODE_A
  await writeFile(join(dir, 'accounts', `${NODE_A}.json`), JSON.stringify(renamed), { mode: 0o600 })
  await assert.rejects(loadAccount(dir, NODE_A, 'correct horse'), KeystoreError)
  // Absurd scrypt parameters are refused before any work is done.
  const greedy = JSON.parse(text) as { crypto: { kdfparams: { n: number } } }
  greedy.crypto.kdfparams.n = 2 ** 30
  await writeFile(info.path, JSON.stringify(greedy))
  await assert.rejects(loadAccount(dir, info.id, 'correct horse'), /unreasonable scrypt parameters/)
  await assert.rejects(loadAccount(dir, 'not-hex', 'x'), AccountError)
})

test('export and import move an account; an import must unlock', async t => {
  const a = await tempDir(t, 'oht-account-')
  const b = await tempDir(t, 'oht-account-')
  const info = await createAccount(a, 'pw')
  const exported = await exportAccount(a, info.id)
  await assert.rejects(importAccount(b, exported, 'not pw'), /wrong passphrase/)
  assert.deepEqual(await listAccounts(b), [])
  const imported = await importAccount(b, exported, 'pw')
  assert.equal(imported.id, info.id)
  const sig = signMessage(await loadAccount(b, info.id, 'pw'), Buffer.from('hello'))
  assert.equal(verifyMessage(info.id, Buffer.from('hello'), sig), true)
  await assert.rejects(importAccount(b, '{"version":1,"id":"zz"}', 'pw'), /unsupported format/)
  await assert.rejects(importAccount(b, 'not json', 'pw'), /unreadable/)
})

test('signatures and delegation certificates: domain-separated, bound to a node, time-limited', async t => {
  const dir = await tempDir(t, 'oht-account-')
  const info = await createAccount(dir, '')
  const account = await loadAccount(dir, info.id, '')
  const other = await loadAccount(dir, (await createAccount(dir, '')).id, '')

  const sig = signMessage(account, Buffer.from('pay 5'))
  assert.equal(verifyMessage(info.id, Buffer.from('pay 5'), sig), true)
  assert.equal(verifyMessage(info.id, Buffer.from('pay 50'), sig), false)
  assert.equal(verifyMessage(other.id, Buffer.from('pay 5'), sig), false)
  assert.equal(verifyMessage(info.id, Buffer.from('pay 5'), 'AAAA'), false)

  const now = Date.now()
  const cert = delegate(account, NODE_A, 60_000, now)
  const parsed = parseCert(formatCert(cert))
  assert.deepEqual(parsed, cert)
  assert.equal(checkCert(parsed, NODE_A, now), undefined)
  assert.equal(checkCert(parsed, NODE_B, now), 'wrong-node')
  assert.equal(checkCert(parsed, NODE_A, now + 60_000), 'expired')
  assert.equal(checkCert(parsed, NODE_A, now - 3_600_000), 'not-yet-valid')
  // Extending one's own certificate breaks its signature.
  assert.equal(checkCert({ ...parsed, expiresAt: parsed.expiresAt + 86_400_000 }, NODE_A, now), 'bad-signature')
  // A certificate claimed by another account does not verify under its key.
  assert.equal(checkCert({ ...parsed, account: other.id }, NODE_A, now), 'bad-signature')
  // A message signature over the certificate's bytes is not a certificate (domain separation).
  const forged = { ...parsed, sig: signMessage(account, Buffer.from(JSON.stringify([1, account.id, NODE_A, parsed.notBefore, parsed.expiresAt]))) }
  assert.equal(checkCert(forged, NODE_A, now), 'bad-signature')

  assert.throws(() => parseCert('oht-cert:' + 'A'.repeat(5000)), /not a delegation certificate/)
  assert.throws(() => parseCert('oht-cert:bm90IGpzb24'), /undecodable/)
  assert.throws(() => parseCert('oht-cert:' + Buffer.from('{"v":1}').toString('base64url')), /malformed/)
  assert.throws(() => delegate(account, 'node', 1000), /not a node id/)
  assert.throws(() => delegate(account, NODE_A, Infinity), /finite/)
})
