// Finding the node that answers for an account (docs/DECISIONS.md "Contacts: an account's node
// found through a DHT private value"). A daemon that acts for an account publishes, as a DHT
// private value under a handle derived from the account id, a record naming its node id and
// onion address, with a delegation certificate (the account's signature: "this node may act for
// me until T", src/node/identity) and the account's signature over the address. Whoever knows
// the account id finds and reads it; DHT nodes see a random-looking key and ciphertext. The
// dialer then requires the oht handshake to prove that node id, so a forged or stale address
// leads nowhere. Anyone who knows the account id can also overwrite the value (a private value's
// handle is its write key): a denial of service, never an impersonation; records expire.
import { createHash, type KeyObject } from 'node:crypto'
import { checkCert, delegate, formatCert, parseCert } from '../../node/identity/accounts.ts'
import { kindOfKey, signLabelled, verifyLabelled } from '../../node/identity/account-keys.ts'
import { labelBytes } from '../caps.ts'

/** The DHT part the locator needs: private values (src/dht DhtNode.putPrivate/getPrivate). */
export interface PrivateValues {
  putPrivate: (handle: Uint8Array, plaintext: Uint8Array, options: { ttlMs?: number }) => Promise<unknown>
  getPrivate: (handle: Uint8Array, options?: { signal?: AbortSignal }) => Promise<{ value: Uint8Array | null }>
}

export interface Located { address: string, node: string }

interface LocatorRecord { v: 1, cert: string, address: string, sig: string }

/** How long a published record (and its certificate) lives; the daemon republishes well before. */
export const LOCATOR_TTL_MS = 6 * 3600_000
export const LOCATOR_REPUBLISH_MS = 2 * 3600_000
const MAX_ADDRESS_CHARS = 128

export function locatorHandle (accountId: string): Uint8Array {
  return createHash('sha256').update(labelBytes('locator')).update(accountId, 'utf8').digest()
}

const addressBytes = (cert: string, address: string): Buffer => Buffer.concat([labelBytes('locatorRecord'), Buffer.from(JSON.stringify([cert, address]))])

export function locatorRecord (account: { id: string, privateKey: KeyObject }, node: string, address: string, now = Date.now()): Uint8Array {
  const cert = formatCert(delegate({ id: account.id, label: '', kind: kindOfKey(account.privateKey), privateKey: account.privateKey }, node, LOCATOR_TTL_MS, now))
  const record: LocatorRecord = { v: 1, cert, address, sig: signLabelled(account.privateKey, addressBytes(cert, address)) }
  return Buffer.from(JSON.stringify(record))
}

/** The node and address a record names for `accountId`, or null when it is not a valid, current record of that account. */
export function readLocator (accountId: string, bytes: Uint8Array, now = Date.now()): Located | null {
  let r: LocatorRecord
  try { r = JSON.parse(Buffer.from(bytes).toString('utf8')) as LocatorRecord } catch { return null }
  if (r?.v !== 1 || typeof r.cert !== 'string' || typeof r.address !== 'string' || r.address.length > MAX_ADDRESS_CHARS || typeof r.sig !== 'string') return null
  try {
    const cert = parseCert(r.cert)
    if (cert.account !== accountId || checkCert(cert, cert.node, now) != null) return null
    if (!verifyLabelled(accountId, addressBytes(r.cert, r.address), r.sig)) return null
    return { address: r.address, node: cert.node }
  } catch {
    return null
  }
}

/** How many DHT nodes stored the record (0: none yet, a lone node; try again later). */
export async function publishLocator (dht: PrivateValues, account: { id: string, privateKey: KeyObject }, node: string, address: string): Promise<number> {
  const r = await dht.putPrivate(locatorHandle(account.id), locatorRecord(account, node, address), { ttlMs: LOCATOR_TTL_MS }) as { stored?: number }
  return r.stored ?? 0
}

export async function lookupLocator (dht: PrivateValues, accountId: string, signal?: AbortSignal): Promise<Located | null> {
  const { value } = await dht.getPrivate(locatorHandle(accountId), signal != null ? { signal } : {})
  return value == null ? null : readLocator(accountId, value)
}
