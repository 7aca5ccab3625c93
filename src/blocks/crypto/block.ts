// The per-block crypto of the share format, written once for both engines (engine.ts: inline on
// the calling thread, or the worker pool's worker.ts). All of it is synchronous node:crypto on
// buffers; the engines only differ in how bytes reach files and threads.
//   open  = check a ciphertext block against its leaf, and only then decrypt it;
//   seal  = encrypt a plaintext block (and hash it into its leaf);
//   serve = re-encrypt a block from its plaintext and check it against its known GCM tag, or
//           else its leaf, before it may leave the node (docs/FORMAT.md §4).
import { createCipheriv, createDecipheriv, createHash, createSecretKey, type KeyObject } from 'node:crypto'
import { CIPHER, NONCE_BYTES, TAG_BYTES, writeBlockNonce } from './aead.ts'

/**
 * `ok`: hash matched and the block decrypted. `mismatch`: the hash differs from the leaf (the
 * sender lied; nothing may be written). `undecryptable`: the hash matched but GCM refused it
 * (wrong content key). `bad-length`: decrypted to the wrong size (a share that contradicts its
 * manifest).
 */
export type OpenStatus = 'ok' | 'mismatch' | 'undecryptable' | 'bad-length'
/** `short`: a file ended before the block did. `mismatch`: the bytes read no longer match the leaf. */
export type ServeStatus = 'ok' | 'mismatch' | 'short'

/** Block key bytes -> KeyObject, most recent last (a worker gets fresh copies of the bytes per job). */
const keyObjects = new Map<string, KeyObject>()
const MAX_KEY_OBJECTS = 32

/** A KeyObject per block key: building one per 256 KiB block costs more than its GHASH. */
export function blockKeyObject (key: Uint8Array): KeyObject {
  const id = Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('base64')
  let k = keyObjects.get(id)
  if (k == null) {
    if (keyObjects.size >= MAX_KEY_OBJECTS) keyObjects.delete(keyObjects.keys().next().value!)
    k = createSecretKey(key)
    keyObjects.set(id, k)
  }
  return k
}

/** Reused nonce: node:crypto copies the IV when a cipher is created. */
const nonce = Buffer.alloc(NONCE_BYTES)

/** SHA-256(ciphertext || tag), the block's leaf, hashed in two parts so the two are never joined. */
export function leafOf (ciphertext: Uint8Array, tag: Uint8Array): Buffer {
  return createHash('sha256').update(ciphertext).update(tag).digest()
}

/**
 * Checks a sealed block (ciphertext || tag, one buffer) against its leaf and only when it matches
 * decrypts it. The plaintext is fresh memory; `sealed` is not kept.
 */
export function openBlock (key: KeyObject, index: number, sealed: Uint8Array, leaf: Uint8Array, plainLength: number):
{ status: Exclude<OpenStatus, 'ok'> } | { status: 'ok', plain: Buffer } {
  if (!createHash('sha256').update(sealed).digest().equals(leaf)) return { status: 'mismatch' }
  if (sealed.length < TAG_BYTES) return { status: 'undecryptable' }
  const decipher = createDecipheriv(CIPHER, key, writeBlockNonce(nonce, index), { authTagLength: TAG_BYTES })
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES))
  const plain = decipher.update(sealed.subarray(0, sealed.length - TAG_BYTES))
  try {
    decipher.final()
  } catch {
    return { status: 'undecryptable' }
  }
  if (plain.length !== plainLength) return { status: 'bad-length' }
  return { status: 'ok', plain }
}

/** Encrypts block `index`: its ciphertext and GCM tag apart (no copy joins them). */
export function sealBlock (key: KeyObject, index: number, plain: Uint8Array): { ciphertext: Buffer, tag: Buffer } {
  const cipher = createCipheriv(CIPHER, key, writeBlockNonce(nonce, index), { authTagLength: TAG_BYTES })
  const ciphertext = cipher.update(plain)
  cipher.final()
  return { ciphertext, tag: cipher.getAuthTag() }
}

/**
 * Re-encrypts block `index` from its plaintext and checks the result against `knownTag`, the GCM
 * tag the block is known to end with (tags.ts: 16 bytes compared), or without one against its
 * leaf. The sealed block comes back only when it matches.
 */
export function serveBlock (key: KeyObject, index: number, plain: Uint8Array, leaf: Uint8Array, knownTag?: Uint8Array):
{ ciphertext: Buffer, tag: Buffer } | undefined {
  const sealed = sealBlock(key, index, plain)
  const matches = knownTag != null
    ? sealed.tag.equals(knownTag)
    : leafOf(sealed.ciphertext, sealed.tag).equals(leaf)
  return matches ? sealed : undefined
}
