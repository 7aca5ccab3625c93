// The per-block crypto of fetching and seeding on the calling thread (the alternative to the
// worker pool, crypto-worker.js): same checks, same results. Blocks are 256 KiB: hashing and
// AES-GCM take a fraction of a millisecond each, less than handing the block to a worker and
// back (two messages, two thread wake-ups, the worker's own heap of ~18 MiB).
import { createCipheriv, createDecipheriv, createHash, createSecretKey, type KeyObject } from 'node:crypto'
import type { FileHandle } from 'node:fs/promises'
import { availableParallelism } from 'node:os'
import { blockNonce, TAG_BYTES } from './cipher.ts'
import { mainThreadGarbage, pieceBuffers, type OpenStatus, type ServeStatus } from './seal-pool.ts'

/**
 * Whether fetches and seeding do their block crypto on the main thread instead of the worker
 * pool. On one or two cores the pool's worker has no core of its own (the wire, and on a shared
 * machine other processes, keep them busy) and only adds the cost of passing every block
 * across threads; with more cores the pool runs the crypto beside the wire. `OHT_BLOCK_CRYPTO`
 * (`inline` or `workers`) overrides.
 */
export function blockCryptoInline (): boolean {
  const forced = process.env.OHT_BLOCK_CRYPTO
  if (forced === 'inline') return true
  if (forced === 'workers') return false
  return availableParallelism() <= 2
}

const keyObjects = new WeakMap<Uint8Array, KeyObject>()

/** A KeyObject per key (building one per 256 KiB block costs more than its GHASH). */
export function blockKeyObject (key: Uint8Array): KeyObject {
  let k = keyObjects.get(key)
  if (k == null) {
    k = createSecretKey(key)
    keyObjects.set(key, k)
  }
  return k
}

/**
 * Checks a fetched ciphertext block against its leaf and, only when it matches, decrypts it.
 * `release`: the block's memory is a piece buffer nothing else uses; it goes back for the next
 * piece off the wire once decrypted.
 */
export function openInline (key: KeyObject, index: number, ciphertext: Uint8Array, leaf: Uint8Array, plainLength: number, release: boolean):
{ status: Exclude<OpenStatus, 'ok'> } | { status: 'ok', plain: Buffer } {
  if (!createHash('sha256').update(ciphertext).digest().equals(leaf)) return { status: 'mismatch' }
  if (ciphertext.length < TAG_BYTES) return { status: 'undecryptable' }
  const decipher = createDecipheriv('aes-256-gcm', key, blockNonce(index), { authTagLength: TAG_BYTES })
  decipher.setAuthTag(ciphertext.subarray(ciphertext.length - TAG_BYTES))
  const plain = decipher.update(ciphertext.subarray(0, ciphertext.length - TAG_BYTES))
  try {
    decipher.final()
  } catch {
    return { status: 'undecryptable' }
  }
  if (plain.length !== plainLength) return { status: 'bad-length' }
  if (release) pieceBuffers.give(ciphertext.buffer as ArrayBuffer)
  // The socket chunks the piece was copied from are dead (the plaintext is freed once written).
  mainThreadGarbage(ciphertext.length)
  return { status: 'ok', plain }
}

/** One read of a block's plaintext: `length` bytes of `handle` at `position` go to offset `to`. */
export interface InlineRead { handle: FileHandle, to: number, length: number, position: number }

/**
 * Reads a block's plaintext, encrypts it and checks the result: against `tag`, the GCM tag the
 * block is known to end with (src/blocks/tags.ts), or without one against its leaf hash. The
 * sealed block comes back as [ciphertext, tag] (no copy joins them) only when it matches.
 */
export async function serveInline (key: KeyObject, index: number, leaf: Uint8Array, plainLength: number, reads: readonly InlineRead[], tag?: Uint8Array):
Promise<{ status: Exclude<ServeStatus, 'ok'> } | { status: 'ok', parts: [Buffer, Buffer] }> {
  const plain = pieceBuffers.take(plainLength)
  try {
    for (const r of reads) {
      let done = 0
      while (done < r.length) {
        const { bytesRead } = await r.handle.read(plain, r.to + done, r.length - done, r.position + done)
        if (bytesRead === 0) return { status: 'short' }
        done += bytesRead
      }
    }
    const cipher = createCipheriv('aes-256-gcm', key, blockNonce(index), { authTagLength: TAG_BYTES })
    const ciphertext = cipher.update(plain)
    cipher.final()
    const sealedTag = cipher.getAuthTag()
    if (tag != null) {
      if (!sealedTag.equals(tag)) return { status: 'mismatch' }
    } else if (!createHash('sha256').update(ciphertext).update(sealedTag).digest().equals(leaf)) {
      // The leaf is SHA-256(ciphertext || tag), hashed in two parts.
      return { status: 'mismatch' }
    }
    return { status: 'ok', parts: [ciphertext, sealedTag] }
  } finally {
    pieceBuffers.give(plain.buffer as ArrayBuffer)
  }
}
