// The GCM tag that ends each block's ciphertext, where this node knows it: what lets a seeder
// check a block it re-encrypted from plaintext by comparing 16 bytes instead of hashing 256 KiB.
//
// Encryption is deterministic (fixed key and per-block nonce), so unchanged plaintext gives the
// same ciphertext and the same tag, and changed plaintext gives another tag except with
// probability about 2^-114 per block (GHASH is keyed by a secret only the key holder knows). A
// seeder that compares tags therefore notices a changed file as the leaf hash would. The leaf
// stays the one check that matters to others: every fetcher hashes every block it receives.
// Tags come from sharing (the owner's node stores them with the leaves) or from a block this
// node itself checked against its leaf (received, resumed, or served once by hash).
// docs/DECISIONS.md "Serve-time check".
import { TAG_BYTES } from './crypto/aead.ts'

export class BlockTags {
  readonly #tags: Uint8Array
  readonly #known: Uint8Array

  /** `tags`: TAG_BYTES per block for all `blockCount` blocks (trusted: from this node's own sealing). */
  constructor (blockCount: number, tags?: Uint8Array) {
    this.#tags = new Uint8Array(blockCount * TAG_BYTES)
    this.#known = new Uint8Array(blockCount)
    if (tags != null && tags.byteLength === blockCount * TAG_BYTES) {
      this.#tags.set(tags)
      this.#known.fill(1)
    }
  }

  /** The block's tag (a view: copy it to keep it), or undefined when only its leaf can check it. */
  get (index: number): Uint8Array | undefined {
    if (this.#known[index] !== 1) return undefined
    return this.#tags.subarray(index * TAG_BYTES, (index + 1) * TAG_BYTES)
  }

  /** Records the tag of a block that was just checked against its leaf. */
  learn (index: number, tag: Uint8Array): void {
    if (index < 0 || index >= this.#known.length || tag.byteLength !== TAG_BYTES) return
    this.#tags.set(tag, index * TAG_BYTES)
    this.#known[index] = 1
  }
}

/** The last TAG_BYTES of a sealed block, copied (the block's memory may be reused or handed over). */
export function tagOf (sealed: Uint8Array): Uint8Array {
  // A copy, never Buffer#slice (a view on a Buffer).
  return new Uint8Array(sealed.subarray(sealed.byteLength - TAG_BYTES))
}
