// Accounts: keys a person holds apart from any node (Ed25519 by default, or secp256k1 for an
// Ethereum-compatible account: account-keys.ts), kept in encrypted keystore files (keystore.ts:
// scrypt + AES-256-GCM, mode 0600) under <data dir>/accounts/. An account signs
// messages and time-limited delegation certificates ("node X may act for account A until T"):
// a pinning node that trusts account A accepts a request from node X (the oht handshake proves
// X) only with such a certificate, so a stolen node key stops being useful when it expires.
// docs/PINNING.md draws the hierarchy.
import { createPrivateKey, randomBytes, sign, verify, type KeyObject } from 'node:crypto'
import { mkdir, open as openFile, readdir, readFile, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { KeystoreError, openSecret, sealSecret, writePrivateFile, type KeystoreCrypto } from './keystore.ts'
import { signable } from './caps.ts'
import {
  AccountError, accountIdOf, addressOfId, checkAccountId, ed25519PublicKey, generateAccountKey, isAccountId, isEthAddress,
  kindOfId, kindOfKey, personalSign, rawSecret, recoverPersonal, secp256k1KeyFrom, signLabelled, verifyLabelled, type AccountKind
} from './account-keys.ts'
import { decryptV3, encryptV3, V3_SCRYPT } from './account-v3.ts'
import { openFromAccount, sealToAccount } from './account-box.ts'

export { AccountError, checkAccountId, type AccountKind } from './account-keys.ts'

const ACCOUNT_KEYSTORE_VERSION = 1
const CERT_PREFIX = 'oht-cert:'
/** A certificate is small; anything longer is refused before parsing. */
export const MAX_CERT_CHARS = 2048
const HEX64 = /^[0-9a-f]{64}$/
const ACCOUNT_FILE = /^(?:[0-9a-f]{64}|0[23][0-9a-f]{64})\.json$/

/**
 * An account id is the hex of its public key (raw Ed25519, or compressed secp256k1): self-certifying,
 * nothing to look up.
 */
export interface Account {
  id: string
  label: string
  kind: AccountKind
  privateKey: KeyObject
}

interface AccountFile {
  version: number
  /** Absent in files written before secp256k1 accounts: those are Ed25519. */
  kind?: AccountKind
  id: string
  label: string
  createdAt: number
  crypto: KeystoreCrypto
}

export interface AccountInfo {
  id: string
  kind: AccountKind
  /** The EIP-55 Ethereum address of a secp256k1 account. */
  address?: string
  label: string
  createdAt: number
  path: string
}

const infoOf = (id: string, label: string, createdAt: number, path: string): AccountInfo => {
  const address = addressOfId(id)
  return { id, kind: kindOfId(id), ...(address != null ? { address } : {}), label, createdAt, path }
}

/** "node `node` may act for `account` from `notBefore` until `expiresAt`" (ms since the epoch). */
export interface DelegationCert {
  v: 1
  account: string
  node: string
  notBefore: number
  expiresAt: number
  /** Ed25519 signature by the account over the delegation label (caps.ts) || the fields, base64url. */
  sig: string
}

export const accountsDir = (dataDir: string): string => join(dataDir, 'accounts')

function accountPath (dataDir: string, id: string): string { return join(accountsDir(dataDir), `${id}.json`) }

export async function createAccount (dataDir: string, passphrase: string, label = '', kind: AccountKind = 'ed25519'): Promise<AccountInfo> {
  return await writeAccount(dataDir, generateAccountKey(kind), passphrase, label, Date.now())
}

async function writeAccount (dataDir: string, privateKey: KeyObject, passphrase: string, label: string, createdAt: number): Promise<AccountInfo> {
  const id = accountIdOf(privateKey)
  await mkdir(accountsDir(dataDir), { recursive: true, mode: 0o700 })
  const secret = privateKey.export({ format: 'der', type: 'pkcs8' })
  const file: AccountFile = { version: ACCOUNT_KEYSTORE_VERSION, kind: kindOfKey(privateKey), id, label, createdAt, crypto: await sealSecret(secret, passphrase, id) }
  const path = accountPath(dataDir, id)
  await writePrivateFile(path, JSON.stringify(file, null, 2) + '\n')
  return infoOf(id, label, createdAt, path)
}

export async function listAccounts (dataDir: string): Promise<AccountInfo[]> {
  let names: string[]
  try {
    names = await readdir(accountsDir(dataDir))
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw err
  }
  const out: AccountInfo[] = []
  for (const name of names.filter(n => ACCOUNT_FILE.test(n)).sort()) {
    const path = join(accountsDir(dataDir), name)
    try {
      const f = JSON.parse(await readFile(path, 'utf8')) as AccountFile
      if (typeof f.id === 'string' && isAccountId(f.id)) out.push(infoOf(f.id, f.label ?? '', f.createdAt ?? 0, path))
    } catch { /* a damaged file is reported when it is used */ }
  }
  return out
}

/** The one account to use: the given id (or a unique prefix of it, its label or its 0x address), else the only account there is. */
export async function resolveAccountId (dataDir: string, wanted?: string): Promise<string> {
  const all = await listAccounts(dataDir)
  if (wanted == null || wanted === '') {
    if (all.length === 1) return all[0]!.id
    throw all.length === 0 ? new AccountError('account.none', {}, 'no account yet') : new AccountError('account.several', {}, 'several accounts: say which one')
  }
  const w = wanted.toLowerCase()
  const hits = all.filter(a => a.id.startsWith(w) || a.label === wanted || (isEthAddress(wanted) && a.address?.toLowerCase() === w))
  if (hits.length === 1) return hits[0]!.id
  throw hits.length === 0 ? new AccountError('account.unknown', { id: wanted }, `no account ${wanted} in this data directory`) : new AccountError('account.ambiguous', { id: wanted }, `account ${wanted} is ambiguous`)
}

function parseAccountFile (text: string, where: string): AccountFile {
  let f: AccountFile
  try {
    f = JSON.parse(text) as AccountFile
  } catch (err) {
    throw new KeystoreError('keystore.unreadable', {}, `account keystore ${where} is unreadable: ${(err as Error).message}`)
  }
  if (f?.version !== ACCOUNT_KEYSTORE_VERSION || typeof f.id !== 'string' || !isAccountId(f.id) || kindOfId(f.id) !== (f.kind ?? 'ed25519')) throw new KeystoreError('keystore.unreadable', {}, `account keystore ${where} has an unsupported format`)
  return f
}

async function unlock (f: AccountFile, passphrase: string, where: string): Promise<Account> {
  const secret = await openSecret(f.crypto, passphrase, f.id, `account keystore ${where}`)
  const privateKey = createPrivateKey({ key: secret, format: 'der', type: 'pkcs8' })
  if (kindOfKey(privateKey) !== (f.kind ?? 'ed25519') || accountIdOf(privateKey) !== f.id) throw new KeystoreError('keystore.unreadable', {}, `account keystore ${where} is inconsistent: its id does not match its key`)
  return { id: f.id, label: f.label ?? '', kind: kindOfKey(privateKey), privateKey }
}

export async function loadAccount (dataDir: string, id: string, passphrase: string): Promise<Account> {
  const path = accountPath(dataDir, checkAccountId(id))
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new AccountError('account.unknown', { id }, `no account ${id} in this data directory`)
    throw err
  }
  return await unlock(parseAccountFile(text, path), passphrase, path)
}

/** The keystore file as it is on disk (still encrypted): what `oht account export` prints. */
export async function exportAccount (dataDir: string, id: string): Promise<string> {
  const path = accountPath(dataDir, checkAccountId(id))
  const text = await readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') throw new AccountError('account.unknown', { id }, `no account ${id} in this data directory`)
    throw err
  })
  parseAccountFile(text, path)
  return text
}

/**
 * Imports an exported keystore: it must unlock with `passphrase` (so a typo or a damaged copy is
 * caught now, not when the key is needed); stored re-encrypted under the same passphrase.
 */
export async function importAccount (dataDir: string, text: string, passphrase: string): Promise<AccountInfo> {
  // An Ethereum keystore given without --v3 is still recognized.
  if (/"version"\s*:\s*3\b/.test(text)) return await importV3Account(dataDir, text, passphrase)
  const f = parseAccountFile(text, 'to import')
  const account = await unlock(f, passphrase, 'to import')
  return await writeAccount(dataDir, account.privateKey, passphrase, f.label ?? '', f.createdAt ?? Date.now())
}

/**
 * An Ed25519 account signs label || message (base64url); a secp256k1 account signs the message as
 * EIP-191 `personal_sign` (0x + 65 bytes), which Ethereum tools verify against its address.
 */
export function signMessage (account: Account, message: Uint8Array): string {
  if (account.kind === 'secp256k1') return personalSign(rawSecret(account.privateKey), message)
  return sign(null, signable('accountMessage', message), account.privateKey).toString('base64url')
}

/** `who` is an account id, or the 0x address of a secp256k1 account. */
export function verifyMessage (who: string, message: Uint8Array, signature: string): boolean {
  if (isEthAddress(who)) return recoverPersonal(message, signature)?.toLowerCase() === who.trim().toLowerCase()
  const id = checkAccountId(who)
  if (kindOfId(id) === 'secp256k1') {
    const signer = recoverPersonal(message, signature)
    return signer != null && signer === addressOfId(id)
  }
  const sig = Buffer.from(signature.trim(), 'base64url')
  if (sig.length !== 64) return false
  return verify(null, signable('accountMessage', message), ed25519PublicKey(id), sig)
}

/** Seals bytes to an account id (`oht account encrypt`): account-box.ts, docs/FORMAT.md. */
export const encryptTo = (accountId: string, plaintext: Uint8Array): Buffer => sealToAccount(accountId, plaintext)

/** Opens a box sealed to this account; a box for another account or an edited one is one AccountError. */
export const decryptWith = (account: Account, box: Uint8Array): Buffer => openFromAccount(account.privateKey, box)

/**
 * Deletes an account's keystore: overwritten with random bytes and synced before the unlink, so
 * the encrypted key does not linger in the file's blocks (as far as the file system rewrites in place).
 */
export async function deleteAccount (dataDir: string, id: string): Promise<AccountInfo> {
  const path = accountPath(dataDir, checkAccountId(id))
  const text = await readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') throw new AccountError('account.unknown', { id }, `no account ${id} in this data directory`)
    throw err
  })
  const f = parseAccountFile(text, path)
  const handle = await openFile(path, 'r+')
  try {
    const size = (await handle.stat()).size
    await handle.write(randomBytes(size), 0, size, 0)
    await handle.sync()
  } finally {
    await handle.close()
  }
  await unlink(path)
  return infoOf(f.id, f.label ?? '', f.createdAt ?? 0, path)
}

/** A secp256k1 account as a Web3 Secret Storage v3 keystore (`oht account export --v3`), under `passphrase`. */
export async function exportV3Account (dataDir: string, id: string, passphrase: string, scrypt = V3_SCRYPT): Promise<string> {
  if (kindOfId(checkAccountId(id)) !== 'secp256k1') throw new AccountError('account.v3Kind', {}, 'only secp256k1 accounts have a v3 (Ethereum) keystore; this one is Ed25519')
  const account = await loadAccount(dataDir, id, passphrase)
  return JSON.stringify(await encryptV3(rawSecret(account.privateKey), passphrase, scrypt), null, 2) + '\n'
}

/** Imports a v3 keystore (ethers, geth, MetaMask) as a secp256k1 account, stored under the same passphrase. */
export async function importV3Account (dataDir: string, text: string, passphrase: string, label = ''): Promise<AccountInfo> {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (err) {
    throw new KeystoreError('keystore.unreadable', {}, `the v3 keystore is unreadable: ${(err as Error).message}`)
  }
  const secret = await decryptV3(json, passphrase)
  return await writeAccount(dataDir, secp256k1KeyFrom(secret), passphrase, label, Date.now())
}

function delegationBytes (c: Omit<DelegationCert, 'sig'>): Buffer {
  // Fixed field order: the signed bytes never depend on how a JSON encoder orders keys.
  return signable('delegation', Buffer.from(JSON.stringify([c.v, c.account, c.node, c.notBefore, c.expiresAt])))
}

/** Signs "node `nodeId` may act for this account until now + ttlMs". */
export function delegate (account: Account, nodeId: string, ttlMs: number, now = Date.now()): DelegationCert {
  if (!HEX64.test(nodeId)) throw new AccountError('account.badNodeId', { id: JSON.stringify(nodeId) }, `not a node id: ${JSON.stringify(nodeId)} (64 hex digits)`)
  if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw new AccountError('account.badLifetime', {}, 'a delegation certificate needs a finite, positive lifetime')
  const body = { v: 1 as const, account: account.id, node: nodeId, notBefore: now - 60_000, expiresAt: now + ttlMs }
  return { ...body, sig: signLabelled(account.privateKey, delegationBytes(body)) }
}

export const formatCert = (c: DelegationCert): string => CERT_PREFIX + Buffer.from(JSON.stringify(c)).toString('base64url')

export function parseCert (text: string): DelegationCert {
  const t = text.trim()
  if (t.length > MAX_CERT_CHARS || !t.startsWith(CERT_PREFIX)) throw new AccountError('account.badCert', { why: 'prefix' }, 'not a delegation certificate (oht-cert:...)')
  let c: DelegationCert
  try {
    c = JSON.parse(Buffer.from(t.slice(CERT_PREFIX.length), 'base64url').toString('utf8')) as DelegationCert
  } catch {
    throw new AccountError('account.badCert', { why: 'undecodable' }, 'not a delegation certificate: undecodable')
  }
  if (c?.v !== 1 || typeof c.account !== 'string' || !isAccountId(c.account) || typeof c.node !== 'string' || !HEX64.test(c.node) ||
    !Number.isSafeInteger(c.notBefore) || !Number.isSafeInteger(c.expiresAt) || typeof c.sig !== 'string') {
    throw new AccountError('account.badCert', { why: 'fields' }, 'not a delegation certificate: malformed fields')
  }
  return c
}

export type CertProblem = 'bad-signature' | 'wrong-node' | 'expired' | 'not-yet-valid'

/** Why `cert` does not let `nodeId` act for its account now, or undefined when it does. */
export function checkCert (cert: DelegationCert, nodeId: string, now = Date.now()): CertProblem | undefined {
  const { sig, ...body } = cert
  if (!verifyLabelled(cert.account, delegationBytes(body), sig)) return 'bad-signature'
  if (cert.node !== nodeId) return 'wrong-node'
  if (now >= cert.expiresAt) return 'expired'
  if (now < cert.notBefore) return 'not-yet-valid'
  return undefined
}

/** Every account keystore of the data directory (their paths), protected by a passphrase or not. */
export async function accountKeystorePaths (dataDir: string): Promise<string[]> {
  return (await listAccounts(dataDir)).map(a => a.path)
}

/** Re-encrypts every account keystore under `next` (each must unlock with `current`); how many. */
export async function changeAccountPassphrases (dataDir: string, current: string, next: string): Promise<number> {
  const all = await listAccounts(dataDir)
  // Unlock all first: a wrong passphrase changes nothing.
  const unlocked = await Promise.all(all.map(async a => ({ info: a, account: await loadAccount(dataDir, a.id, current) })))
  for (const { info, account } of unlocked) await writeAccount(dataDir, account.privateKey, next, info.label, info.createdAt)
  return unlocked.length
}

