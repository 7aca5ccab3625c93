// The on-disk form of an account keystore: <data dir>/accounts/<name>.json, mode 0600. Format 2
// names nothing in clear: the account id, kind, label and creation time are sealed with the key
// (scrypt + AES-256-GCM, keystore.ts) and the file's name is random, so a disk shows how many
// accounts there are, not which. Format 1 kept all of them in clear (the id was the file name);
// such a file is rewritten as format 2 when it is unlocked, and when the node opens
// (sealAccountKeystores). No curve library here: the node's opening loads this module.
import { randomBytes } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { shredFile } from '../../store/shred.ts'
import { KeystoreError, openSecret, sealSecret, writePrivateFile, type KeystoreCrypto } from './keystore.ts'
import type { AccountKind } from './account-keys.ts'

/** What a keystore holds once unlocked. */
export interface AccountSecret {
  id: string
  kind: AccountKind
  label: string
  createdAt: number
  /** The private key, PKCS#8 DER. */
  key: Buffer
}

interface LegacyFile { version: 1, kind?: AccountKind, id: string, label?: string, createdAt?: number, crypto: KeystoreCrypto }
interface SealedFile { version: 2, crypto: KeystoreCrypto }
export type AccountFile = LegacyFile | SealedFile

const ACCOUNT_AAD = 'oht account keystore 2'
const ID = /^(?:[0-9a-f]{64}|0[23][0-9a-f]{64})$/
/** Names of account keystores: random (format 2), or the account id (format 1). */
const ACCOUNT_FILE = /^(?:[0-9a-f]{32}|[0-9a-f]{64}|0[23][0-9a-f]{64})\.json$/

const kindOf = (id: string): AccountKind => id.length === 66 ? 'secp256k1' : 'ed25519'

export const accountsDir = (dataDir: string): string => join(dataDir, 'accounts')

/** The account keystores of a data directory (paths, sorted), without opening them. */
export async function accountFiles (dataDir: string): Promise<string[]> {
  try {
    return (await readdir(accountsDir(dataDir))).filter(n => ACCOUNT_FILE.test(n)).sort().map(n => join(accountsDir(dataDir), n))
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw err
  }
}

export function parseAccountFile (text: string, where: string): AccountFile {
  let f: AccountFile
  try {
    f = JSON.parse(text) as AccountFile
  } catch (err) {
    throw new KeystoreError('keystore.unreadable', {}, `account keystore ${where} is unreadable: ${(err as Error).message}`)
  }
  const legacyOk = f?.version === 1 && typeof f.id === 'string' && ID.test(f.id) && kindOf(f.id) === (f.kind ?? 'ed25519')
  if (!legacyOk && f?.version !== 2) throw new KeystoreError('keystore.unreadable', {}, `account keystore ${where} has an unsupported format`)
  return f
}

/** Unlocks a keystore of either format; a wrong passphrase or an edited byte is a KeystoreError. */
export async function openAccountFile (f: AccountFile, passphrase: string, where: string): Promise<AccountSecret> {
  const what = `account keystore ${where}`
  if (f.version === 1) {
    const key = await openSecret(f.crypto, passphrase, f.id, what)
    return { id: f.id, kind: f.kind ?? 'ed25519', label: f.label ?? '', createdAt: f.createdAt ?? 0, key }
  }
  const secret = await openSecret(f.crypto, passphrase, ACCOUNT_AAD, what)
  const s = JSON.parse(secret.toString('utf8')) as { id?: unknown, kind?: unknown, label?: unknown, createdAt?: unknown, key?: unknown }
  if (typeof s.id !== 'string' || !ID.test(s.id) || s.kind !== kindOf(s.id) || typeof s.label !== 'string' || !Number.isSafeInteger(s.createdAt) || typeof s.key !== 'string') {
    throw new KeystoreError('keystore.unreadable', {}, `${what} has an unsupported format`)
  }
  return { id: s.id, kind: kindOf(s.id), label: s.label, createdAt: s.createdAt as number, key: Buffer.from(s.key, 'base64') }
}

/** A format-2 keystore's text. */
export async function sealAccountFile (secret: AccountSecret, passphrase: string): Promise<string> {
  const inner = Buffer.from(JSON.stringify({ id: secret.id, kind: secret.kind, label: secret.label, createdAt: secret.createdAt, key: secret.key.toString('base64') }))
  const file: SealedFile = { version: 2, crypto: await sealSecret(inner, passphrase, ACCOUNT_AAD) }
  return JSON.stringify(file, null, 2) + '\n'
}

/** A fresh, random file name for an account keystore. */
export const newAccountPath = (dataDir: string): string => join(accountsDir(dataDir), `${randomBytes(16).toString('hex')}.json`)

/**
 * Writes `secret` as format 2 in place of the format-1 file at `path` (a new random name; the old
 * file overwritten, then unlinked); the new path.
 */
export async function resealLegacy (dataDir: string, path: string, secret: AccountSecret, passphrase: string): Promise<string> {
  const next = newAccountPath(dataDir)
  await writePrivateFile(next, await sealAccountFile(secret, passphrase))
  await shredFile(path)
  return next
}

/**
 * Once when the node opens: every format-1 account keystore that unlocks with the node's
 * passphrase becomes format 2 (the others wait until they are unlocked with theirs). How many.
 */
export async function sealAccountKeystores (dataDir: string, passphrase: string): Promise<number> {
  let sealed = 0
  for (const path of await accountFiles(dataDir)) {
    const text = await readFile(path, 'utf8')
    if (!/"version"\s*:\s*1\b/.test(text)) continue
    let secret: AccountSecret
    try {
      const f = parseAccountFile(text, path)
      if (f.version !== 1) continue
      secret = await openAccountFile(f, passphrase, path)
    } catch (err) {
      if (err instanceof KeystoreError) continue // under another passphrase, or damaged: reported when used
      throw err
    }
    await resealLegacy(dataDir, path, secret, passphrase)
    sealed++
  }
  return sealed
}
