// "Private values": a value only holders of a 32-byte secret handle can find, read, update or
// delete. Everything comes from the handle (src/dht/caps.ts derivePrivateValueSecrets): the
// value is AES-256-GCM-encrypted under a derived key and stored as a mutable record owned by a
// derived Ed25519 key under a derived salt. DHT nodes see a random-looking owner key, salt and
// ciphertext; without the handle they can neither link it to anything nor decrypt it.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import type { IdentityKeys } from '../onion/handshake.ts'
import { derivePrivateValueSecrets, mutableKey } from './caps.ts'
import { MAX_VALUE_BYTES } from './constants.ts'
import type { Id } from './id.ts'
import { keysFromSeed } from './records.ts'

const FORMAT_VERSION = 1
const NONCE_BYTES = 12
const TAG_BYTES = 16
/** Version byte, nonce and tag around the ciphertext. */
export const PRIVATE_VALUE_OVERHEAD = 1 + NONCE_BYTES + TAG_BYTES
export const MAX_PRIVATE_VALUE_BYTES = MAX_VALUE_BYTES - PRIVATE_VALUE_OVERHEAD

export interface PrivateValueLocation {
  /** Owner of the mutable record (derived; signs updates and tombstones). */
  owner: IdentityKeys
  salt: Uint8Array
  /** The DHT key the record is stored under. */
  key: Id
  encryptionKey: Uint8Array
}

export function privateValueLocation (handle: Uint8Array): PrivateValueLocation {
  const secrets = derivePrivateValueSecrets(handle)
  const owner = keysFromSeed(secrets.signingSeed)
  return { owner, salt: secrets.salt, key: mutableKey(owner.publicKeyRaw, secrets.salt), encryptionKey: secrets.encryptionKey }
}

/** version(1) ‖ nonce(12) ‖ ciphertext ‖ tag(16); the DHT key is authenticated data, so a blob cannot be moved to another handle. */
export function sealPrivateValue (location: PrivateValueLocation, plaintext: Uint8Array): Uint8Array {
  if (plaintext.length > MAX_PRIVATE_VALUE_BYTES) throw new RangeError(`a private value holds at most ${MAX_PRIVATE_VALUE_BYTES} bytes, got ${plaintext.length}`)
  const nonce = randomBytes(NONCE_BYTES)
  const cipher = createCipheriv('aes-256-gcm', location.encryptionKey, nonce)
  cipher.setAAD(location.key)
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()])
  return new Uint8Array(Buffer.concat([Uint8Array.of(FORMAT_VERSION), nonce, body, cipher.getAuthTag()]))
}

/** The plaintext, or null when the blob is not a private value sealed for this location. */
export function openPrivateValue (location: PrivateValueLocation, sealed: Uint8Array): Uint8Array | null {
  if (sealed.length < PRIVATE_VALUE_OVERHEAD || sealed[0] !== FORMAT_VERSION) return null
  try {
    const decipher = createDecipheriv('aes-256-gcm', location.encryptionKey, sealed.subarray(1, 1 + NONCE_BYTES))
    decipher.setAAD(location.key)
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES))
    return new Uint8Array(Buffer.concat([decipher.update(sealed.subarray(1 + NONCE_BYTES, sealed.length - TAG_BYTES)), decipher.final()]))
  } catch {
    return null
  }
}
