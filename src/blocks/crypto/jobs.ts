// The messages between SealPool (pool.ts) and its workers (worker.ts).
import type { OpenStatus, ServeStatus } from './block.ts'

/** Message to worker.ts: encrypt and hash a run of plaintext blocks (the share encoder). */
export interface SealJob {
  kind?: 'seal'
  id: number
  key: Uint8Array
  firstIndex: number
  blockSize: number
  data: ArrayBuffer
  length: number
  wantCiphertext: boolean
}

/** One pwrite of an open job: plaintext bytes [from, from + length) go to `fd` at `position`. */
export interface BlockWrite { fd: number, from: number, length: number, position: number }
/** One pread of a serve job: `length` bytes of `fd` at `position` go to plaintext offset `to`. */
export interface BlockRead { fd: number, to: number, length: number, position: number }

/** Message to worker.ts: verify a fetched ciphertext block against its leaf, then decrypt and write it. */
export interface OpenJob {
  kind: 'open'
  id: number
  key: Uint8Array
  index: number
  leaf: Uint8Array
  data: ArrayBuffer
  offset: number
  length: number
  plainLength: number
  writes: BlockWrite[]
}

/** Message to worker.ts: read a block's plaintext, encrypt it, check it against its leaf. */
export interface ServeJob {
  kind: 'serve'
  id: number
  key: Uint8Array
  index: number
  leaf: Uint8Array
  plainLength: number
  reads: BlockRead[]
  /** Answer with the ciphertext and its tag apart (no copy of the block next to its tag). */
  split?: boolean
  /** The GCM tag the block is known to end with (tags.ts): checked instead of hashing against the leaf. */
  tag?: Uint8Array
}

/** Message from worker.ts. */
export interface SealResult {
  id: number
  digests?: ArrayBuffer
  /** Seal jobs: each block's 16-byte GCM tag, back to back. */
  tags?: ArrayBuffer
  ciphertext?: ArrayBuffer
  /** Serve jobs with `split`: the GCM tag that follows `ciphertext`. */
  tag?: Uint8Array
  /** Open jobs: the piece's memory, back for the next piece. */
  recycled?: ArrayBuffer
  /** Open and serve jobs: what became of the block. */
  status?: OpenStatus | ServeStatus
  error?: string
  code?: string
}
