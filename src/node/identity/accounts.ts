// Accounts: keys a person holds apart from any node (Ed25519 by default, or secp256k1 for an
// Ethereum-compatible account: account-keys.ts), kept in encrypted keystore files (keystore.ts:
// scrypt + AES-256-GCM, mode 0600) under <data dir>/accounts/, which name no account in clear
// (account-file.ts): listing or finding an account unlocks them. An account signs
// messages and time-limited delegation certificates ("node X may act for account A until T"):
// a pinning node that trusts account A accepts a request from node X (the oht handshake proves
// X) only with such a certificate, so a stolen node key stops being useful when it expires.
// docs/PINNING.md draws the hierarchy.
import { createPrivateKey, randomBytes, sign, verify, type KeyObject } from 'node:crypto'
import { mkdir, open as openFile, readFile, unlink } from 'node:fs/promises'
import { KeystoreError, writePrivateFile } from './keystore.ts'
import {
  accountFiles, accountsDir, newAccountPath, openAccountFile, parseAccountFile, resealLegacy, sealAccountFile, type AccountSecret
} from './account-file.ts'
import { signable } from './caps.ts'
import {
  AccountError, accountIdOf, addressOfId, checkAccountId, ed25519PublicKey, generateAccountKey, isAccountId, isEthAddress,
  kindOfId, kindOfKey, personalSign, rawSecret, recoverPersonal, secp256k1KeyFrom, signLabelled, verifyLabelled, type AccountKind
} from './account-keys.ts'
import { decryptV3, encryptV3, V3_SCRYPT } from './account-v3.ts'
import { openFromAccount, sealToAccount } from './account-box.ts'

export { AccountError, checkAccountId, type AccountKind } from './account-keys.ts'
export { accountsDir } from './account-file.ts'

const CERT_PREFIX = 'oht-cert:'
/** A certificate is small; anything longer is refused before parsing. */
export const MAX_CERT_CHARS = 2048
const HEX64 = /^[0-9a-f]{64}$/

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

export async function createAccount (dataDir: string, passphrase: string, label = '', kind: AccountKind = 'ed25519'): Promise<AccountInfo> {
  return await writeAccount(dataDir, generateAccountKey(kind), passphrase, label, Date.now())
}

/** Writes the account's keystore: over its present file when it has one (found with `passphrase`), else under a new random name. */
async function writeAccount (dataDir: string, privateKey: KeyObject, passphrase: string, label: string, createdAt: number, path?: string): Promise<AccountInfo> {
  const id = accountIdOf(privateKey)
  await mkdir(accountsDir(dataDir), { recursive: true, mode: 0o700 })
  const secret: AccountSecret = { id, kind: kindOfKey(privateKey), label, createdAt, key: privateKey.export({ format: 'der', type: 'pkcs8' }) }
  const where = path ?? (await scan(dataDir, passphrase)).unlocked.find(u => u.info.id === id)?.info.path ?? newAccountPath(dataDir)
  await writePrivateFile(where, await sealAccountFile(secret, passphrase))
  return infoOf(id, label, createdAt, where)
}

interface Unlocked { info: AccountInfo, privateKey: KeyObject }

/** Unlocks the keystore at `path`; a format-1 file is rewritten as format 2 on the way (its new path is returned). */
async function unlockFile (dataDir: string, path: string, passphrase: string): Promise<Unlocked> {
  const f = parseAccountFile(await readFile(path, 'utf8'), path)
  const secret = await openAccountFile(f, passphrase, path)
  const privateKey = keyOf(secret, path)
  const at = f.version === 1 ? await resealLegacy(dataDir, path, secret, passphrase) : path
  return { info: infoOf(secret.id, secret.label, secret.createdAt, at), privateKey }
}

function keyOf (secret: AccountSecret, where: string): KeyObject {
  let privateKey: KeyObject
  try {
    privateKey = createPrivateKey({ key: secret.key, format: 'der', type: 'pkcs8' })
  } catch {
    throw new KeystoreError('keystore.unreadable', {}, `account keystore ${where} holds no readable key`)
  }
  if (kindOfKey(privateKey) !== secret.kind || accountIdOf(privateKey) !== secret.id) throw new KeystoreError('keystore.unreadable', {}, `account keystore ${where} is inconsistent: its id does not match its key`)
  return privateKey
}

/**
 * Every account keystore of the data directory, unlocked with `passphrase` (scrypt is paid once
 * per file and process: keystore.ts). `locked`: the files that did not unlock, with why.
 */
async function scan (dataDir: string, passphrase: string): Promise<{ unlocked: Unlocked[], locked: Array<{ path: string, error: Error }> }> {
  const unlocked: Unlocked[] = []
  const locked: Array<{ path: string, error: Error }> = []
  for (const path of await accountFiles(dataDir)) {
    try {
      unlocked.push(await unlockFile(dataDir, path, passphrase))
    } catch (err) {
      if (!(err instanceof KeystoreError) && (err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
      if (err instanceof KeystoreError) locked.push({ path, error: err })
    }
  }
  unlocked.sort((a, b) => a.info.createdAt - b.info.createdAt || a.info.id.localeCompare(b.info.id))
  return { unlocked, locked }
}

/**
 * The accounts of the data directory and the keystores that do not unlock with `passphrase`
 * (their paths): for a caller that goes on without them (the daemon).
 */
export async function scanAccounts (dataDir: string, passphrase = ''): Promise<{ accounts: AccountInfo[], locked: string[] }> {
  const { unlocked, locked } = await scan(dataDir, passphrase)
  return { accounts: unlocked.map(u => u.info), locked: locked.map(l => l.path) }
}

/** The accounts of the data directory; a keystore that does not unlock with `passphrase` is an error. */
export async function listAccounts (dataDir: string, passphrase = ''): Promise<AccountInfo[]> {
  const { unlocked, locked } = await scan(dataDir, passphrase)
  if (locked.length > 0) throw locked[0]!.error
  return unlocked.map(u => u.info)
}

/** The one account to use: the given id (or a unique prefix of it, its label or its 0x address), else the only account there is. */
export async function resolveAccountId (dataDir: string, wanted?: string, passphrase = ''): Promise<string> {
  const { unlocked, locked } = await scan(dataDir, passphrase)
  const all = unlocked.map(u => u.info)
  if (wanted == null || wanted === '') {
    if (locked.length > 0 && all.length === 0) throw locked[0]!.error
    if (all.length === 1 && locked.length === 0) return all[0]!.id
    throw all.length === 0 ? new AccountError('account.none', {}, 'no account yet') : new AccountError('account.several', {}, 'several accounts: say which one')
  }
  const w = wanted.toLowerCase()
  const hits = all.filter(a => a.id.startsWith(w) || a.label === wanted || (isEthAddress(wanted) && a.address?.toLowerCase() === w))
  if (hits.length === 1) return hits[0]!.id
  if (hits.length === 0 && locked.length > 0) throw locked[0]!.error
  throw hits.length === 0 ? new AccountError('account.unknown', { id: wanted }, `no account ${wanted} in this data directory`) : new AccountError('account.ambiguous', { id: wanted }, `account ${wanted} is ambiguous`)
}

/** The account's unlocked keystore: found among the data directory's, which `passphrase` must unlock. */
async function find (dataDir: string, id: string, passphrase: string): Promise<Unlocked> {
  const wanted = checkAccountId(id)
  const { unlocked, locked } = await scan(dataDir, passphrase)
  const hit = unlocked.find(u => u.info.id === wanted)
  if (hit != null) return hit
  if (locked.length > 0) throw locked[0]!.error
  throw new AccountError('account.unknown', { id }, `no account ${id} in this data directory`)
}

export async function loadAccount (dataDir: string, id: string, passphrase: string): Promise<Account> {
  const { info, privateKey } = await find(dataDir, id, passphrase)
  return { id: info.id, label: info.label, kind: info.kind, privateKey }
}

/** The keystore file as it is on disk (still encrypted): what `oht account export` prints. */
export async function exportAccount (dataDir: string, id: string, passphrase = ''): Promise<string> {
  return await readFile((await find(dataDir, id, passphrase)).info.path, 'utf8')
}

/**
 * Imports an exported keystore (either format): it must unlock with `passphrase` (so a typo or a
 * damaged copy is caught now, not when the key is needed); stored as format 2 under the same passphrase.
 */
export async function importAccount (dataDir: string, text: string, passphrase: string): Promise<AccountInfo> {
  // An Ethereum keystore given without --v3 is still recognized.
  if (/"version"\s*:\s*3\b/.test(text)) return await importV3Account(dataDir, text, passphrase)
  const secret = await openAccountFile(parseAccountFile(text, 'to import'), passphrase, 'to import')
  return await writeAccount(dataDir, keyOf(secret, 'to import'), passphrase, secret.label, secret.createdAt || Date.now())
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
export async function deleteAccount (dataDir: string, id: string, passphrase = ''): Promise<AccountInfo> {
  const { info } = await find(dataDir, id, passphrase)
  const path = info.path
  const handle = await openFile(path, 'r+')
  try {
    const size = (await handle.stat()).size
    await handle.write(randomBytes(size), 0, size, 0)
    await handle.sync()
  } finally {
    await handle.close()
  }
  await unlink(path)
  return info
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
  return await accountFiles(dataDir)
}

/** Re-encrypts every account keystore under `next` (each must unlock with `current`); how many. */
export async function changeAccountPassphrases (dataDir: string, current: string, next: string): Promise<number> {
  // Unlock all first: a wrong passphrase changes nothing.
  const { unlocked, locked } = await scan(dataDir, current)
  if (locked.length > 0) throw locked[0]!.error
  for (const { info, privateKey } of unlocked) await writeAccount(dataDir, privateKey, next, info.label, info.createdAt, info.path)
  return unlocked.length
}

