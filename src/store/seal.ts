// The sealed record format (docs/FORMAT.md "Sealed state"): every value the node stores is
//   0x01 | nonce (12) | AES-256-GCM(plaintext) | tag (16)
// with plaintext = u32 BE length of the clear key | clear key (UTF-8) | encoded value, and the
// associated data = sublevel name | 0x00 | database key. The clear key rides inside so a listing
// can name what it lists, and the associated data ties a value to its place: a value copied or
// moved to another key or sublevel fails to open.
import { createCipheriv, createDecipheriv, createSecretKey, hash, hkdfSync, randomBytes, type KeyObject } from 'node:crypto'
import { STORE_LABELS } from './caps.ts'

export const SEALED_VERSION = 1
const NONCE = 12
const TAG = 16

export class SealedStoreError extends Error {
  override name = 'SealedStoreError'
  readonly code: 'store.tampered' | 'store.wrongKey' | 'store.format'
  constructor (code: SealedStoreError['code'], message: string) {
    super(message)
    this.code = code
  }
}

/**
 * The two keys a storage key gives (caps.ts), in the forms that are cheap per record: node:crypto
 * pays ~2x per cipher for a raw key over a KeyObject, and createHmac ~10x over two one-shot
 * hashes (OpenSSL 3 context set-up dominates for records of a few bytes; bench/RESULTS.md).
 */
export interface StoreKeys {
  values: KeyObject
  /** HMAC-SHA256 with the names key, as its inner and outer padded keys. */
  namesInner: Buffer
  namesOuter: Buffer
}

export function deriveStoreKeys (storageKey: Uint8Array): StoreKeys {
  if (storageKey.length !== 32) throw new RangeError('a storage key has 32 bytes')
  const derive = (label: string): Buffer => Buffer.from(hkdfSync('sha256', storageKey, Buffer.alloc(0), Buffer.from(label + '\u0000'), 32))
  const names = derive(STORE_LABELS.names)
  const namesInner = Buffer.alloc(64, 0x36)
  const namesOuter = Buffer.alloc(64, 0x5c)
  for (let i = 0; i < names.length; i++) { namesInner[i]! ^= names[i]!; namesOuter[i]! ^= names[i]! }
  return { values: createSecretKey(derive(STORE_LABELS.values)), namesInner, namesOuter }
}

/** HMAC-SHA256 (RFC 2104) under the names key: H(K ^ opad || H(K ^ ipad || message)). */
export function namesMac (keys: StoreKeys, ...parts: Array<string | Uint8Array>): Buffer {
  const inner = hash('sha256', Buffer.concat([keys.namesInner, ...parts.map(p => typeof p === 'string' ? Buffer.from(p) : p)]), 'buffer')
  return hash('sha256', Buffer.concat([keys.namesOuter, inner]), 'buffer')
}

/** A keyed name: HMAC-SHA256(names key, context | 0x00 | text), first 16 bytes, base64url. */
export function keyedName (keys: StoreKeys, context: string, text: string | Uint8Array): string {
  return namesMac(keys, context, ZERO, text).subarray(0, 16).toString('base64url')
}

const ZERO = Buffer.of(0)

/** A block file's keyed name (FORMAT.md §11): HMAC(names key, "blocks" | 0x00 | multihash), 16 bytes, hex. */
export function blockFileName (keys: StoreKeys, multihash: Uint8Array): string {
  return namesMac(keys, 'blocks', ZERO, multihash).subarray(0, 16).toString('hex')
}

/** Random nonces drawn from a pool: one randomBytes call per 256 records, not per record. */
let pool = Buffer.alloc(0)
function nonce (): Buffer {
  if (pool.length < NONCE) pool = randomBytes(NONCE * 256)
  const n = pool.subarray(0, NONCE)
  pool = pool.subarray(NONCE)
  return n
}

/**
 * Seals and opens a small file of the data directory whole (the onion service key): a sealed
 * record of context `files`, key `name` (so a file's bytes do not open under another name).
 */
export function fileSealer (storageKey: Uint8Array, name: string): { seal: (plain: Buffer) => Buffer, open: (sealed: Buffer) => Buffer } {
  const keys = deriveStoreKeys(storageKey)
  return {
    seal: plain => sealRecord(keys, 'files', name, '', plain),
    open: sealed => openRecord(keys, 'files', name, sealed).value
  }
}

function aadOf (sublevel: string, dbKey: string): Buffer { return Buffer.from(`${sublevel}\u0000${dbKey}`) }

export function sealRecord (keys: StoreKeys, sublevel: string, dbKey: string, clearKey: string, value: Uint8Array): Buffer {
  const keyBytes = Buffer.from(clearKey)
  const head = Buffer.allocUnsafe(4)
  head.writeUInt32BE(keyBytes.length)
  const iv = nonce()
  const c = createCipheriv('aes-256-gcm', keys.values, iv)
  c.setAAD(aadOf(sublevel, dbKey))
  const body = Buffer.concat([c.update(head), c.update(keyBytes), c.update(value), c.final()])
  return Buffer.concat([Buffer.of(SEALED_VERSION), iv, body, c.getAuthTag()])
}

export function openRecord (keys: StoreKeys, sublevel: string, dbKey: string, sealed: Uint8Array): { key: string, value: Buffer } {
  const buf = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength)
  if (buf.length < 1 + NONCE + 4 + TAG || buf[0] !== SEALED_VERSION) throw new SealedStoreError('store.format', `record ${sublevel}/${dbKey} is not a sealed record`)
  const d = createDecipheriv('aes-256-gcm', keys.values, buf.subarray(1, 1 + NONCE))
  d.setAAD(aadOf(sublevel, dbKey))
  d.setAuthTag(buf.subarray(buf.length - TAG))
  let plain: Buffer
  try {
    plain = Buffer.concat([d.update(buf.subarray(1 + NONCE, buf.length - TAG)), d.final()])
  } catch {
    throw new SealedStoreError('store.tampered', `record ${sublevel}/${dbKey} does not open: it was altered, moved, or sealed under another key`)
  }
  const n = plain.readUInt32BE(0)
  if (4 + n > plain.length) throw new SealedStoreError('store.format', `record ${sublevel}/${dbKey} is malformed`)
  return { key: plain.subarray(4, 4 + n).toString(), value: plain.subarray(4 + n) }
}
