// The three signed, expiring record kinds of the DHT, their wire form (a CBOR map with short
// keys) and their validation. Every record is validated when it is received, again when it is
// read from storage, and again by whoever receives it in an answer: a storing node is never
// trusted to have checked anything.
import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto'
import type { IdentityKeys } from '../onion/handshake.ts'
import { immutableKey, immutableSignable, mutableKey, mutableSignable, providerSignable } from './caps.ts'
import { CLOCK_SKEW_MS, ID_BYTES, MAX_ADDRESS_BYTES, MAX_RECORD_TTL_MS, MAX_SALT_BYTES, MAX_VALUE_BYTES } from './constants.ts'
import { isValidAddress } from './contact.ts'
import { equalIds, isId, nodeIdBytes, type Id } from './id.ts'

const PUBLIC_KEY_BYTES = 32
const SIGNATURE_BYTES = 64
/** SubjectPublicKeyInfo header of a raw Ed25519 key (RFC 8410). */
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex')
/** PKCS#8 header of a raw 32-byte Ed25519 seed (RFC 8410). */
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex')

/** "This node (public key) provides topic, reachable at address, until expires." */
export interface ProviderRecord {
  topic: Id
  publicKey: Uint8Array
  address: string
  /** Absolute expiry, ms since the Unix epoch. */
  expires: number
  signature: Uint8Array
}

/** A value stored under SHA-256(value); the publisher's signature bounds its lifetime. */
export interface ImmutableRecord {
  kind: 'immutable'
  value: Uint8Array
  publisher: Uint8Array
  expires: number
  signature: Uint8Array
}

/**
 * A value stored under SHA-256(label ‖ owner key ‖ salt), replaced by any record of the same
 * owner and salt with a higher `seq`. A tombstone is a mutable record with `deleted` set and an
 * empty value: it wins over every earlier version until it expires.
 */
export interface MutableRecord {
  kind: 'mutable'
  publicKey: Uint8Array
  salt: Uint8Array
  seq: number
  deleted: boolean
  value: Uint8Array
  expires: number
  signature: Uint8Array
}

export type ValueRecord = ImmutableRecord | MutableRecord

export type RecordFailure = 'malformed' | 'oversized' | 'bad-signature' | 'expired' | 'too-long-lived' | 'wrong-key'

export class RecordError extends Error {
  override name = 'RecordError'
  readonly code: RecordFailure
  constructor (code: RecordFailure, message: string) {
    super(message)
    this.code = code
  }
}

// --- keys ---------------------------------------------------------------------------------------

const publicKeyCache = new Map<string, KeyObject>()
const PUBLIC_KEY_CACHE_SIZE = 4096

/** An Ed25519 KeyObject for a raw public key (cached: the same keys sign many records). */
export function ed25519PublicKey (raw: Uint8Array): KeyObject {
  const hex = Buffer.from(raw).toString('hex')
  let key = publicKeyCache.get(hex)
  if (key === undefined) {
    key = createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, raw]), format: 'der', type: 'spki' })
    if (publicKeyCache.size >= PUBLIC_KEY_CACHE_SIZE) publicKeyCache.delete(publicKeyCache.keys().next().value!)
    publicKeyCache.set(hex, key)
  }
  return key
}

/** The Ed25519 key pair of a 32-byte seed (private values derive their owner key this way). */
export function keysFromSeed (seed: Uint8Array): IdentityKeys {
  if (seed.length !== 32) throw new TypeError('an Ed25519 seed is 32 bytes')
  const privateKey = createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' })
  const jwk = createPublicKey(privateKey).export({ format: 'jwk' })
  return { privateKey, publicKeyRaw: new Uint8Array(Buffer.from(jwk.x!, 'base64url')) }
}

function verifies (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (signature.length !== SIGNATURE_BYTES) return false
  try {
    return verify(null, message, ed25519PublicKey(publicKey), signature)
  } catch {
    return false
  }
}

// --- creation -----------------------------------------------------------------------------------

export function createProviderRecord (keys: IdentityKeys, topic: Id, address: string, expires: number): ProviderRecord {
  const signature = sign(null, providerSignable(topic, keys.publicKeyRaw, address, expires), keys.privateKey)
  const record: ProviderRecord = { topic: new Uint8Array(topic), publicKey: new Uint8Array(keys.publicKeyRaw), address, expires, signature: new Uint8Array(signature) }
  checkProviderShape(record)
  return record
}

export function createImmutableRecord (keys: IdentityKeys, value: Uint8Array, expires: number): ImmutableRecord {
  const signature = sign(null, immutableSignable(immutableKey(value), expires), keys.privateKey)
  const record: ImmutableRecord = { kind: 'immutable', value: new Uint8Array(value), publisher: new Uint8Array(keys.publicKeyRaw), expires, signature: new Uint8Array(signature) }
  checkValueShape(record)
  return record
}

export interface MutableInput {
  value: Uint8Array
  seq: number
  salt?: Uint8Array
  deleted?: boolean
  expires: number
}

export function createMutableRecord (owner: IdentityKeys, input: MutableInput): MutableRecord {
  const salt = new Uint8Array(input.salt ?? new Uint8Array(0))
  const deleted = input.deleted === true
  if (deleted && input.value.length > 0) throw new TypeError('a tombstone carries no value')
  const signature = sign(null, mutableSignable(salt, input.seq, deleted, input.expires, input.value), owner.privateKey)
  const record: MutableRecord = { kind: 'mutable', publicKey: new Uint8Array(owner.publicKeyRaw), salt, seq: input.seq, deleted, value: new Uint8Array(input.value), expires: input.expires, signature: new Uint8Array(signature) }
  checkValueShape(record)
  return record
}

// --- validation ---------------------------------------------------------------------------------

function isBytes (value: unknown, length?: number): value is Uint8Array {
  return value instanceof Uint8Array && (length === undefined || value.length === length)
}

function isTime (value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0
}

function checkProviderShape (r: ProviderRecord): void {
  if (!isId(r.topic) || !isBytes(r.publicKey, PUBLIC_KEY_BYTES) || !isBytes(r.signature) || !isTime(r.expires)) throw new RecordError('malformed', 'malformed provider record')
  if (typeof r.address !== 'string' || Buffer.byteLength(r.address) > MAX_ADDRESS_BYTES) throw new RecordError('oversized', 'provider address is too long')
  if (!isValidAddress(r.address)) throw new RecordError('malformed', 'provider record with an invalid address')
}

function checkValueShape (r: ValueRecord): void {
  if (!isBytes(r.value) || !isBytes(r.signature) || !isTime(r.expires)) throw new RecordError('malformed', 'malformed value record')
  if (r.value.length > MAX_VALUE_BYTES) throw new RecordError('oversized', `value of ${r.value.length} bytes is over the ${MAX_VALUE_BYTES}-byte limit`)
  if (r.kind === 'immutable') {
    if (!isBytes(r.publisher, PUBLIC_KEY_BYTES)) throw new RecordError('malformed', 'malformed immutable record')
    return
  }
  if (!isBytes(r.publicKey, PUBLIC_KEY_BYTES) || !isBytes(r.salt) || !Number.isSafeInteger(r.seq) || r.seq < 0 || typeof r.deleted !== 'boolean') {
    throw new RecordError('malformed', 'malformed mutable record')
  }
  if (r.salt.length > MAX_SALT_BYTES) throw new RecordError('oversized', `salt of ${r.salt.length} bytes is over the ${MAX_SALT_BYTES}-byte limit`)
  if (r.deleted && r.value.length > 0) throw new RecordError('malformed', 'a tombstone must carry an empty value')
}

function checkExpiry (expires: number, now: number): void {
  if (expires <= now) throw new RecordError('expired', 'the record has expired')
  if (expires > now + MAX_RECORD_TTL_MS + CLOCK_SKEW_MS) throw new RecordError('too-long-lived', 'the record asks to live longer than any node stores it')
}

/** Throws a RecordError unless `r` is a well-formed, unexpired provider record for `topic`, signed by its provider. */
export function validateProviderRecord (r: ProviderRecord, now: number, topic?: Id): void {
  checkProviderShape(r)
  if (topic !== undefined && !equalIds(r.topic, topic)) throw new RecordError('wrong-key', 'provider record for another topic')
  checkExpiry(r.expires, now)
  if (!verifies(r.publicKey, providerSignable(r.topic, r.publicKey, r.address, r.expires), r.signature)) throw new RecordError('bad-signature', 'provider record with a bad signature')
}

/** The DHT key a value record is stored under. */
export function valueKey (r: ValueRecord): Id {
  return r.kind === 'immutable' ? immutableKey(r.value) : mutableKey(r.publicKey, r.salt)
}

/** Throws a RecordError unless `r` is a well-formed, unexpired, correctly signed value record (stored under `key`, if given). */
export function validateValueRecord (r: ValueRecord, now: number, key?: Id): void {
  if (r === null || typeof r !== 'object' || (r.kind !== 'immutable' && r.kind !== 'mutable')) throw new RecordError('malformed', 'not a value record')
  checkValueShape(r)
  const actualKey = valueKey(r)
  if (key !== undefined && !equalIds(actualKey, key)) throw new RecordError('wrong-key', 'value record for another key')
  checkExpiry(r.expires, now)
  const ok = r.kind === 'immutable'
    ? verifies(r.publisher, immutableSignable(actualKey, r.expires), r.signature)
    : verifies(r.publicKey, mutableSignable(r.salt, r.seq, r.deleted, r.expires, r.value), r.signature)
  if (!ok) throw new RecordError('bad-signature', `${r.kind} record with a bad signature`)
}

/** The node id of a provider (what its handshake will prove when dialed). */
export function providerNodeId (r: ProviderRecord): Id {
  return nodeIdBytes(r.publicKey)
}

/** Approximate stored size of a record, for storage accounting. */
export function recordBytes (r: ProviderRecord | ValueRecord): number {
  if ('topic' in r) return ID_BYTES + PUBLIC_KEY_BYTES + r.address.length + 8 + SIGNATURE_BYTES + 64
  return r.value.length + (r.kind === 'mutable' ? r.salt.length + 16 : 0) + PUBLIC_KEY_BYTES + 8 + SIGNATURE_BYTES + 64
}

// --- wire form ----------------------------------------------------------------------------------

type WireMap = Record<string, unknown>

export function providerToWire (r: ProviderRecord): WireMap {
  return { t: r.topic, k: r.publicKey, a: r.address, e: r.expires, s: r.signature }
}

/** Shape only; the caller validates. Throws RecordError('malformed') on anything unexpected. */
export function providerFromWire (w: unknown): ProviderRecord {
  if (w === null || typeof w !== 'object') throw new RecordError('malformed', 'a provider record is a map')
  const m = w as WireMap
  const r = { topic: m.t, publicKey: m.k, address: m.a, expires: m.e, signature: m.s } as ProviderRecord
  checkProviderShape(r)
  return r
}

export function valueToWire (r: ValueRecord): WireMap {
  if (r.kind === 'immutable') return { y: 'i', v: r.value, k: r.publisher, e: r.expires, s: r.signature }
  return { y: 'm', v: r.value, k: r.publicKey, x: r.salt, q: r.seq, d: r.deleted, e: r.expires, s: r.signature }
}

export function valueFromWire (w: unknown): ValueRecord {
  if (w === null || typeof w !== 'object') throw new RecordError('malformed', 'a value record is a map')
  const m = w as WireMap
  let r: ValueRecord
  if (m.y === 'i') r = { kind: 'immutable', value: m.v, publisher: m.k, expires: m.e, signature: m.s } as ImmutableRecord
  else if (m.y === 'm') r = { kind: 'mutable', value: m.v, publicKey: m.k, salt: m.x, seq: m.q, deleted: m.d, expires: m.e, signature: m.s } as MutableRecord
  else throw new RecordError('malformed', 'unknown value record kind')
  checkValueShape(r)
  return r
}
