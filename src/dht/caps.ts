// Every domain-separated label, signable and derivation of the DHT in one small file (as
// hypercore's lib/caps.js). A signature made for one record kind can never verify as another:
// each signable starts with its own label, and each derivation has its own HKDF info. Labels are
// written `oht/v2/dht/...` without a terminator; encodeLabel appends the one NUL byte, for
// signature prefixes and HKDF info alike. Changing a label changes the wire format version.
import { hkdf } from '@noble/hashes/hkdf.js'
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js'
import { ID_BYTES } from './constants.ts'
import { sha256, type Id } from './id.ts'

export const DHT_LABELS = {
  provider: 'oht/v2/dht/provider-record',
  immutable: 'oht/v2/dht/immutable-record',
  mutable: 'oht/v2/dht/mutable-record',
  mutableKey: 'oht/v2/dht/mutable-key',
  privateSigningSeed: 'oht/v2/dht/private-value-signing-seed',
  privateValueKey: 'oht/v2/dht/private-value-key',
  privateSalt: 'oht/v2/dht/private-value-salt'
} as const

const encoder = new TextEncoder()
const EMPTY = new Uint8Array(0)

/** A label's bytes: its UTF-8 then one NUL, so no label is a prefix of another's signable or info. */
function encodeLabel (name: string): Uint8Array {
  const text = encoder.encode(name)
  const out = new Uint8Array(text.length + 1)
  out.set(text)
  return out
}

function u64 (value: number): Uint8Array {
  const out = Buffer.alloc(8)
  out.writeBigUInt64BE(BigInt(value))
  return out
}

function u32 (value: number): Uint8Array {
  const out = Buffer.alloc(4)
  out.writeUInt32BE(value)
  return out
}

function lengthPrefixed (bytes: Uint8Array): Uint8Array {
  return Buffer.concat([u32(bytes.length), bytes])
}

/** Bytes a provider signs: label ‖ topic(32) ‖ provider key(32) ‖ len ‖ address ‖ expires(u64 ms). */
export function providerSignable (topic: Id, publicKey: Uint8Array, address: string, expires: number): Uint8Array {
  return Buffer.concat([encodeLabel(DHT_LABELS.provider), topic, publicKey, lengthPrefixed(encoder.encode(address)), u64(expires)])
}

/** Bytes a publisher signs for an immutable value: label ‖ key = SHA-256(value) ‖ expires. */
export function immutableSignable (key: Id, expires: number): Uint8Array {
  return Buffer.concat([encodeLabel(DHT_LABELS.immutable), key, u64(expires)])
}

/**
 * Bytes an owner signs for a mutable value (BEP 44 style): label ‖ len ‖ salt ‖ seq(u64) ‖
 * deleted(u8) ‖ expires(u64) ‖ len ‖ value. The owner key is not inside: the record key is.
 */
export function mutableSignable (salt: Uint8Array, seq: number, deleted: boolean, expires: number, value: Uint8Array): Uint8Array {
  return Buffer.concat([encodeLabel(DHT_LABELS.mutable), lengthPrefixed(salt), u64(seq), Uint8Array.of(deleted ? 1 : 0), u64(expires), lengthPrefixed(value)])
}

/** DHT key of a mutable value: SHA-256(label ‖ owner public key ‖ salt). */
export function mutableKey (ownerPublicKey: Uint8Array, salt: Uint8Array = EMPTY): Id {
  return sha256(encodeLabel(DHT_LABELS.mutableKey), ownerPublicKey, salt)
}

/** DHT key of an immutable value: plain SHA-256 of the value, so anyone can check it. */
export function immutableKey (value: Uint8Array): Id {
  return sha256(value)
}

function derive (handle: Uint8Array, name: string): Uint8Array {
  if (!(handle instanceof Uint8Array) || handle.length !== ID_BYTES) throw new TypeError(`a private-value handle is ${ID_BYTES} bytes`)
  return hkdf(nobleSha256, handle, EMPTY, encodeLabel(name), ID_BYTES)
}

/**
 * A private value's secrets, all from one 32-byte handle: the Ed25519 seed of the key that owns
 * (signs) the mutable record, the salt under which it is stored, and the AES-256-GCM key that
 * encrypts it. DHT nodes see the derived owner key and the ciphertext, neither of which leads
 * back to the handle; only holders of the handle can read, update or delete the value.
 */
export interface PrivateValueSecrets {
  signingSeed: Uint8Array
  salt: Uint8Array
  encryptionKey: Uint8Array
}

export function derivePrivateValueSecrets (handle: Uint8Array): PrivateValueSecrets {
  return {
    signingSeed: derive(handle, DHT_LABELS.privateSigningSeed),
    salt: derive(handle, DHT_LABELS.privateSalt),
    encryptionKey: derive(handle, DHT_LABELS.privateValueKey)
  }
}
