// Account keystores (scrypt + AES-256-GCM, mode 0600), message signatures and delegation
// certificates, on real files; plus the CLI's one-line errors for a wrong passphrase or a
// tampered keystore.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { generateKeyPairSync } from 'node:crypto'
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import {
  AccountError, checkCert, createAccount, delegate, exportAccount, formatCert, importAccount, listAccounts, loadAccount,
  parseCert, resolveAccountId, signMessage, verifyMessage
} from '../../src/node/identity/accounts.ts'
import { KeystoreError, sealSecret } from '../../src/node/identity/keystore.ts'
import { OhtNode } from '../../src/node/index.ts'
import { tempDir } from '../helpers/cli.ts'

const NODE_A = 'a'.repeat(64)
const NODE_B = 'b'.repeat(64)

test('an account keystore is encrypted, mode 0600, names no account, and unlocks only with its passphrase', async t => {
  const dir = await tempDir(t, 'oht-account-')
  const info = await createAccount(dir, 'correct horse', 'alice-label-7Z')
  assert.match(info.id, /^[0-9a-f]{64}$/)
  assert.equal((await stat(info.path)).mode & 0o777, 0o600)
  const text = await readFile(info.path, 'utf8')
  const file = JSON.parse(text) as { version: number, crypto: { kdf: string, cipher: string, ciphertext: string } }
  assert.equal(file.version, 2)
  assert.equal(file.crypto.kdf, 'scrypt')
  assert.equal(file.crypto.cipher, 'aes-256-gcm')
  // Nothing in clear: not the id (nor as the file's name), not the label, not the kind.
  for (const needle of [info.id, 'alice-label-7Z', 'ed25519']) {
    assert.ok(!text.includes(needle), `${needle} in the keystore`)
    assert.ok(!info.path.includes(needle), `${needle} names the keystore`)
  }
  assert.deepEqual((await listAccounts(dir, 'correct horse')).map(a => [a.id, a.label]), [[info.id, 'alice-label-7Z']])
  assert.equal(await resolveAccountId(dir, undefined, 'correct horse'), info.id)
  assert.equal(await resolveAccountId(dir, 'alice-label-7Z', 'correct horse'), info.id)
  assert.equal(await resolveAccountId(dir, info.id.slice(0, 8), 'correct horse'), info.id)
  // Listing or finding needs the passphrase now.
  await assert.rejects(listAccounts(dir, 'wrong'), (err: Error) => err instanceof KeystoreError && /wrong passphrase/.test(err.message))
  await assert.rejects(resolveAccountId(dir, 'alice-label-7Z'), KeystoreError)

  const account = await loadAccount(dir, info.id, 'correct horse')
  assert.equal(account.id, info.id)
  assert.equal(account.label, 'alice-label-7Z')
  await assert.rejects(loadAccount(dir, info.id, 'wrong'), (err: Error) => err instanceof KeystoreError && /wrong passphrase/.test(err.message))

  // One flipped ciphertext byte; another sealed secret moved in (the associated data differs).
  const flipped = JSON.parse(text) as { crypto: { ciphertext: string } }
  const c = flipped.crypto.ciphertext
  flipped.crypto.ciphertext = c.slice(0, 10) + (c[10] === '0' ? '1' : '0') + c.slice(11)
  await writeFile(info.path, JSON.stringify(flipped))
  await assert.rejects(loadAccount(dir, info.id, 'correct horse'), /wrong passphrase .* or a damaged file/)
  await writeFile(info.path, JSON.stringify({ version: 2, crypto: await sealSecret(Buffer.from('{}'), 'correct horse', info.id) }))
  await assert.rejects(loadAccount(dir, info.id, 'correct horse'), KeystoreError)
  await writeFile(info.path, JSON.stringify({ version: 2, crypto: await sealSecret(Buffer.from('{"id":"zz"}'), 'correct horse', 'oht account keystore 2') }))
  await assert.rejects(loadAccount(dir, info.id, 'correct horse'), /unsupported format/)
  // Absurd scrypt parameters are refused before any work is done.
  const greedy = JSON.parse(text) as { crypto: { kdfparams: { n: number } } }
  greedy.crypto.kdfparams.n = 2 ** 30
  await writeFile(info.path, JSON.stringify(greedy))
  await assert.rejects(loadAccount(dir, info.id, 'correct horse'), /unreasonable scrypt parameters/)
  await assert.rejects(loadAccount(dir, 'not-hex', 'x'), AccountError)
})

/** An account keystore as oht wrote it before format 2: id (also the file name), kind, label and time in clear. */
async function writeLegacyAccount (dataDir: string, passphrase: string, label: string, edits: Record<string, unknown> = {}): Promise<{ id: string, path: string }> {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519')
  const id = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url').toString('hex')
  await mkdir(join(dataDir, 'accounts'), { recursive: true, mode: 0o700 })
  const path = join(dataDir, 'accounts', `${id}.json`)
  const crypto = await sealSecret(privateKey.export({ format: 'der', type: 'pkcs8' }), passphrase, id)
  await writeFile(path, JSON.stringify({ version: 1, kind: 'ed25519', id, label, createdAt: 1700000000000, crypto, ...edits }), { mode: 0o600 })
  return { id, path }
}

test('a keystore of the clear format 1 is sealed when it is unlocked, and when the node opens', async t => {
  const dir = await tempDir(t, 'oht-account-')
  const old = await writeLegacyAccount(dir, 'pw', 'legacy-label-4Q')
  // An edited id (authenticated as the old format's associated data) is refused, not migrated.
  const forged = await writeLegacyAccount(dir, 'pw', 'forged')
  const forgedText = JSON.parse(await readFile(forged.path, 'utf8')) as { id: string }
  await rm(forged.path)
  const forgedPath = join(dir, 'accounts', `${'a'.repeat(64)}.json`)
  await writeFile(forgedPath, JSON.stringify({ ...forgedText, id: 'a'.repeat(64) }), { mode: 0o600 })
  await assert.rejects(loadAccount(dir, 'a'.repeat(64), 'pw'), KeystoreError)
  await rm(forgedPath)

  const a = await loadAccount(dir, old.id, 'pw')
  assert.equal(a.label, 'legacy-label-4Q')
  await assert.rejects(stat(old.path), /ENOENT/, 'the clear file is gone')
  const files = await readdir(join(dir, 'accounts'))
  assert.equal(files.length, 1)
  const text = await readFile(join(dir, 'accounts', files[0]!), 'utf8')
  assert.ok(!text.includes(old.id) && !text.includes('legacy-label-4Q') && !files[0]!.includes(old.id))
  assert.deepEqual((await listAccounts(dir, 'pw')).map(x => [x.id, x.label, x.createdAt]), [[old.id, 'legacy-label-4Q', 1700000000000]])

  // A node opening its data directory seals the account keystores that unlock with its passphrase.
  const nodeDir = await tempDir(t, 'oht-account-node-')
  const mine = await writeLegacyAccount(nodeDir, 'pw', 'mine-9R')
  const other = await writeLegacyAccount(nodeDir, 'other pw', 'other-2K')
  const node = await OhtNode.open({ dataDir: nodeDir, passphrase: 'pw' })
  await node.close()
  const names = await readdir(join(nodeDir, 'accounts'))
  assert.equal(names.length, 2)
  assert.ok(!names.includes(`${mine.id}.json`), 'sealed on open')
  assert.ok(names.includes(`${other.id}.json`), 'another passphrase: left until it is unlocked with its own')
  const all = Buffer.concat(await Promise.all(names.filter(n => n !== `${other.id}.json`).map(async n => await readFile(join(nodeDir, 'accounts', n)))))
  assert.ok(!all.includes(mine.id) && !all.includes('mine-9R'))
  assert.equal((await loadAccount(nodeDir, mine.id, 'pw')).label, 'mine-9R')
})

test('export and import move an account; an import must unlock', async t => {
  const a = await tempDir(t, 'oht-account-')
  const b = await tempDir(t, 'oht-account-')
  const info = await createAccount(a, 'pw')
  const exported = await exportAccount(a, info.id, 'pw')
  await assert.rejects(importAccount(b, exported, 'not pw'), /wrong passphrase/)
  assert.deepEqual(await listAccounts(b), [])
  const imported = await importAccount(b, exported, 'pw')
  assert.equal(imported.id, info.id)
  const sig = signMessage(await loadAccount(b, info.id, 'pw'), Buffer.from('hello'))
  assert.equal(verifyMessage(info.id, Buffer.from('hello'), sig), true)
  // Importing it again replaces it rather than adding a second keystore.
  await importAccount(b, exported, 'pw')
  assert.equal((await listAccounts(b, 'pw')).length, 1)
  // An exported keystore of the old format imports too.
  const legacy = await writeLegacyAccount(await tempDir(t, 'oht-account-'), 'pw', 'from-before')
  const fromBefore = await importAccount(b, await readFile(legacy.path, 'utf8'), 'pw')
  assert.deepEqual([fromBefore.id, fromBefore.label], [legacy.id, 'from-before'])
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
