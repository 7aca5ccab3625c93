// AES-256-GCM as the share format uses it (docs/FORMAT.md §4, §6): one sealed message is the
// ciphertext followed by its 16-byte tag.
import { createCipheriv, createDecipheriv } from 'node:crypto'

export const CIPHER = 'aes-256-gcm'
export const TAG_BYTES = 16
export const NONCE_BYTES = 12

export class DecryptError extends Error {
  override name = 'DecryptError'
}

/**
 * 96-bit GCM nonce of block `index`: four zero bytes, then the index as uint64 big-endian.
 * Unique per block under one key; re-encrypting a block yields the same ciphertext, which is
 * what lets an owner seed from the original file.
 */
export function blockNonce (index: number): Buffer {
  return writeBlockNonce(Buffer.alloc(NONCE_BYTES), index)
}

/** Writes block `index`'s nonce into `nonce` (NONCE_BYTES, first four bytes zero) and returns it. */
export function writeBlockNonce (nonce: Buffer, index: number): Buffer {
  nonce.writeBigUInt64BE(BigInt(index), 4)
  return nonce
}

/** The manifest body has a key of its own, used once, so a constant nonce is safe. */
export const MANIFEST_NONCE = Buffer.alloc(NONCE_BYTES)

/** Ciphertext = AES-256-GCM(plaintext) || tag. */
export function seal (key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad?: Uint8Array): Buffer {
  const cipher = createCipheriv(CIPHER, key, nonce, { authTagLength: TAG_BYTES })
  if (aad != null) cipher.setAAD(aad)
  const head = cipher.update(plaintext)
  const tail = cipher.final()
  return Buffer.concat([head, tail, cipher.getAuthTag()])
}

export function open (key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, aad?: Uint8Array): Buffer {
  if (sealed.length < TAG_BYTES) throw new DecryptError('ciphertext shorter than its tag')
  const body = sealed.subarray(0, sealed.length - TAG_BYTES)
  const decipher = createDecipheriv(CIPHER, key, nonce, { authTagLength: TAG_BYTES })
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES))
  if (aad != null) decipher.setAAD(aad)
  const head = decipher.update(body)
  try {
    const tail = decipher.final()
    return tail.length === 0 ? head : Buffer.concat([head, tail])
  } catch {
    throw new DecryptError('authentication failed (wrong key or corrupted data)')
  }
}

export const encryptBlock = (blockKey: Uint8Array, index: number, plaintext: Uint8Array): Buffer =>
  seal(blockKey, blockNonce(index), plaintext)

export const decryptBlock = (blockKey: Uint8Array, index: number, ciphertext: Uint8Array): Buffer =>
  open(blockKey, blockNonce(index), ciphertext)
