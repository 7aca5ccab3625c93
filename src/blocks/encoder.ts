import { readChunks } from './chunker.ts'
import { SealPool } from './crypto/pool.ts'
import { TAG_BYTES } from './crypto/aead.ts'
import type { SourceFile } from './walk.ts'

export interface SealedRun {
  firstIndex: number
  blocks: number
  digests: Buffer
  /** Each block's 16-byte GCM tag, back to back. */
  tags: Buffer
  /** Present when `wantCiphertext` was set: the run's ciphertext blocks back to back. */
  ciphertext?: Buffer
  plaintextBytes: number
}

export interface EncodeOptions {
  blockSize: number
  blockKey: Uint8Array
  wantCiphertext?: boolean
  /** Blocks per worker job: large enough to amortize messaging, small enough to bound memory. */
  blocksPerChunk?: number
  pool?: SealPool
  signal?: AbortSignal
}

/**
 * Encrypts and hashes the plaintext stream on the worker pool, yielding runs in block order.
 * Memory stays at about (2 × pool size) chunks whatever the share's size.
 */
export async function * encodeBlocks (files: readonly SourceFile[], options: EncodeOptions): AsyncGenerator<SealedRun> {
  const blocksPerChunk = options.blocksPerChunk ?? Math.max(1, Math.floor((1024 * 1024) / options.blockSize))
  const pool = options.pool ?? new SealPool()
  const inflightLimit = pool.size * 2
  const queue: Array<Promise<SealedRun>> = []
  const reader = readChunks(files, options.blockSize, blocksPerChunk)
  try {
    for await (const chunk of reader) {
      options.signal?.throwIfAborted()
      const plaintextBytes = chunk.data.byteLength
      const { firstIndex, blocks } = chunk
      const job = pool.seal(options.blockKey, firstIndex, options.blockSize, chunk.data, options.wantCiphertext === true, chunk.reread)
        .then(s => {
          const run: SealedRun = { firstIndex, blocks, digests: s.digests, tags: s.tags, plaintextBytes }
          if (s.ciphertext != null) run.ciphertext = s.ciphertext
          return run
        })
      job.catch(() => {}) // surfaced when awaited in order below
      queue.push(job)
      while (queue.length >= inflightLimit) yield await queue.shift()!
    }
    while (queue.length > 0) yield await queue.shift()!
  } finally {
    await reader.return(undefined)
    if (options.pool == null) await pool.close()
  }
}

/** Splits a run's ciphertext into its blocks (each plaintext block plus its tag). */
export function * splitCiphertext (run: SealedRun, blockSize: number): Generator<{ index: number, bytes: Buffer, digest: Buffer }> {
  if (run.ciphertext == null) throw new Error('run carries no ciphertext')
  let offset = 0
  let plainLeft = run.plaintextBytes
  for (let b = 0; b < run.blocks; b++) {
    const plain = Math.min(blockSize, plainLeft)
    plainLeft -= plain
    const len = plain + TAG_BYTES
    yield { index: run.firstIndex + b, bytes: run.ciphertext.subarray(offset, offset + len), digest: run.digests.subarray(b * 32, b * 32 + 32) }
    offset += len
  }
}
