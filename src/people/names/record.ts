// Names an account publishes (docs/DECISIONS.md "Names: an account's signed record in a DHT
// private value"). A name record says "account A names <target> as <name>, version seq, until T",
// signed by A's key (Ed25519 or secp256k1, the same labelled signatures as the locator). It is
// stored as a DHT private value under a handle hashed from the account id and the name, so the
// DHT nodes holding it see a random-looking key and ciphertext: only someone who knows both the
// account and the name can find and read it. Whoever knows both could also overwrite it (a
// private value's handle is its write key): a denial of service, never a forgery, because a
// reader checks the account's signature over the name and target.
import { createHash, type KeyObject } from 'node:crypto'
import { signLabelled, verifyLabelled } from '../../node/identity/account-keys.ts'
import { labelBytes } from '../caps.ts'
import { PeopleError } from '../errors.ts'

export class NameError extends PeopleError<'name.bad' | 'name.badTarget' | 'name.unknown' | 'name.notFound' | 'name.noDht' | 'name.noAccount'> {
  override name = 'NameError'
}

export interface NameRecord {
  account: string
  name: string
  /** An oht link or node address the name stands for. */
  target: string
  /** Increases with every publish of this name (the publish time in ms), so a reader can tell the newer of two. */
  seq: number
  /** Epoch ms after which a reader refuses the record; the daemon republishes well before. */
  expires: number
}

interface Wire extends NameRecord { v: 1, sig: string }

export const MAX_NAME_CHARS = 63
export const MAX_TARGET_CHARS = 1024
const NAME = /^[a-z0-9](?:[a-z0-9._-]{0,61}[a-z0-9])?$/
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\s]/

/** A name: 1 to 63 of a-z 0-9 . _ -, starting and ending with a letter or digit (it sits in a URL path). */
export function checkName (name: string): string {
  if (typeof name !== 'string' || !NAME.test(name)) {
    const shown = typeof name === 'string' ? JSON.stringify(name.slice(0, 80)) : typeof name
    throw new NameError('name.bad', `a name is 1 to ${MAX_NAME_CHARS} characters of a-z 0-9 . _ -, starting and ending with a letter or digit: ${shown}`)
  }
  return name
}

/** A target: 1 to 1024 printable characters without spaces (the caller checks that it parses as a link or address). */
export function checkTarget (target: string): string {
  if (typeof target !== 'string' || target === '' || target.length > MAX_TARGET_CHARS || CONTROL.test(target)) {
    throw new NameError('name.badTarget', `a name's target is an oht link or node address of at most ${MAX_TARGET_CHARS} printable characters`)
  }
  return target
}

export function nameHandle (accountId: string, name: string): Uint8Array {
  return createHash('sha256').update(labelBytes('name')).update(accountId, 'utf8').update(Buffer.of(0)).update(name, 'utf8').digest()
}

const signedBytes = (r: NameRecord): Buffer =>
  Buffer.concat([labelBytes('nameRecord'), Buffer.from(JSON.stringify([r.account, r.name, r.target, r.seq, r.expires]))])

export function signNameRecord (account: { id: string, privateKey: KeyObject }, record: Omit<NameRecord, 'account'>): Uint8Array {
  const r: NameRecord = { account: account.id, name: checkName(record.name), target: checkTarget(record.target), seq: record.seq, expires: record.expires }
  const wire: Wire = { v: 1, ...r, sig: signLabelled(account.privateKey, signedBytes(r)) }
  return Buffer.from(JSON.stringify(wire))
}

/** The record, or null unless it is a valid, unexpired record of `accountId` for `name`. */
export function readNameRecord (accountId: string, name: string, bytes: Uint8Array, now = Date.now()): NameRecord | null {
  let w: Wire
  try { w = JSON.parse(Buffer.from(bytes).toString('utf8')) as Wire } catch { return null }
  if (w?.v !== 1 || w.account !== accountId || w.name !== name || typeof w.sig !== 'string') return null
  if (typeof w.target !== 'string' || w.target === '' || w.target.length > MAX_TARGET_CHARS || CONTROL.test(w.target)) return null
  if (!Number.isSafeInteger(w.seq) || w.seq < 0 || !Number.isSafeInteger(w.expires) || w.expires <= now) return null
  const r: NameRecord = { account: w.account, name: w.name, target: w.target, seq: w.seq, expires: w.expires }
  return verifyLabelled(accountId, signedBytes(r), w.sig) ? r : null
}
