// The two engines of the per-block crypto of fetching and seeding (block.ts does the crypto):
// `inline` runs it on the calling thread, its file I/O on libuv's pool; `workers` hands each
// block to the worker pool (pool.ts), which also does the file I/O. Same checks, same results.
import type { FileHandle } from 'node:fs/promises'
import { availableParallelism } from 'node:os'
import { blockKeyObject, openBlock, serveBlock, type OpenStatus, type ServeStatus } from './block.ts'
import { pieceBuffers, releaseBlockMemory, threadGarbage } from './memory.ts'
import { sharedCryptoPool, type SealPool } from './pool.ts'

/** Bytes [at, at + length) of a block's plaintext are bytes [position, position + length) of `handle`'s file. */
export interface FileSpan { handle: FileHandle, at: number, length: number, position: number }

export interface OpenRequest {
  key: Uint8Array
  index: number
  leaf: Uint8Array
  /** Ciphertext || tag. The engine's from now on: the caller must not read it (or what shares its memory) again. */
  sealed: Uint8Array
  /** The memory under `sealed` is a piece buffer nothing else uses: handed over or recycled, not copied. */
  handOver: boolean
  plainLength: number
  /** Where the plaintext goes (the handles stay open until the promise settles). */
  spans: readonly FileSpan[]
}

export interface ServeRequest {
  key: Uint8Array
  index: number
  leaf: Uint8Array
  plainLength: number
  /** Where the plaintext comes from (the handles stay open until the promise settles). */
  spans: readonly FileSpan[]
  /** Answer [ciphertext, tag] rather than the joined block (the wire sends parts as one piece). */
  split: boolean
  /** The GCM tag the block is known to end with (tags.ts): compared instead of hashing against the leaf. */
  tag?: Uint8Array
}

export type Served = { status: Exclude<ServeStatus, 'ok'> } | { status: 'ok', parts: Buffer[] }

export interface BlockCryptoEngine {
  readonly kind: 'inline' | 'workers'
  /** Checks a fetched block against its leaf and only when it matches decrypts it and writes its spans. */
  open (r: OpenRequest): Promise<OpenStatus>
  /** Reads a block's plaintext, re-encrypts it and checks it; the ciphertext only when it matches. */
  serve (r: ServeRequest): Promise<Served>
}

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

/**
 * A block source's or store's choice: a given pool, `'inline'`, or by default inline on one or
 * two cores and else the process's shared pool (blockCryptoInline). `false`: no engine (the
 * caller's plain reference path). A pool is resolved at each use: the shared one is made lazily.
 */
export function engineFor (pool: SealPool | false | 'inline' | undefined): (() => BlockCryptoEngine) | undefined {
  if (pool === false) return undefined
  if (pool === 'inline' || (pool === undefined && blockCryptoInline())) return () => inlineEngine
  return () => workerEngine(pool ?? sharedCryptoPool())
}

/** Blocks are 256 KiB: hashing and AES-GCM take a fraction of a millisecond, less than a worker round trip. */
export const inlineEngine: BlockCryptoEngine = {
  kind: 'inline',

  async open (r) {
    const opened = openBlock(blockKeyObject(r.key), r.index, r.sealed, r.leaf, r.plainLength)
    if (opened.status !== 'ok') return opened.status
    if (r.handOver) pieceBuffers.give(r.sealed.buffer as ArrayBuffer)
    // The socket chunks the piece was copied from are dead (the plaintext is freed once written).
    threadGarbage(r.sealed.length)
    const plain = opened.plain
    try {
      await writeSpans(plain, r.spans)
    } finally {
      releaseBlockMemory(plain) // written: nothing reads it again
    }
    return 'ok'
  },

  async serve (r) {
    const plain = pieceBuffers.take(r.plainLength)
    try {
      if (!(await readSpans(plain, r.spans))) return { status: 'short' }
      const served = serveBlock(blockKeyObject(r.key), r.index, plain, r.leaf, r.tag)
      if (served == null) return { status: 'mismatch' }
      if (r.split) return { status: 'ok', parts: [served.ciphertext, served.tag] }
      // Left to the GC once its caller is done.
      threadGarbage(served.ciphertext.length)
      return { status: 'ok', parts: [Buffer.concat([served.ciphertext, served.tag])] }
    } finally {
      pieceBuffers.give(plain.buffer as ArrayBuffer)
    }
  }
}

const workerEngines = new WeakMap<SealPool, BlockCryptoEngine>()

/** The engine that hands blocks to `pool`'s workers, with file descriptors instead of handles. */
export function workerEngine (pool: SealPool): BlockCryptoEngine {
  let engine = workerEngines.get(pool)
  if (engine == null) {
    engine = {
      kind: 'workers',
      async open (r) {
        const writes = r.spans.map(s => ({ fd: s.handle.fd, from: s.at, length: s.length, position: s.position }))
        return await pool.openBlock({ key: r.key, index: r.index, leaf: r.leaf, ciphertext: r.sealed, handOver: r.handOver, plainLength: r.plainLength, writes })
      },
      async serve (r) {
        const reads = r.spans.map(s => ({ fd: s.handle.fd, to: s.at, length: s.length, position: s.position }))
        const served = await pool.serveBlock({ key: r.key, index: r.index, leaf: r.leaf, plainLength: r.plainLength, reads, split: r.split, ...(r.tag != null ? { tag: r.tag } : {}) })
        const parts = served.parts ?? (served.ciphertext != null ? [served.ciphertext] : undefined)
        if (served.status !== 'ok' || parts == null) return { status: served.status === 'short' ? 'short' : 'mismatch' }
        return { status: 'ok', parts }
      }
    }
    workerEngines.set(pool, engine)
  }
  return engine
}

/** Writes each span's bytes of a block's plaintext to its file (concurrently). */
export async function writeSpans (plain: Uint8Array, spans: readonly FileSpan[]): Promise<void> {
  await Promise.all(spans.map(async s => {
    let done = 0
    while (done < s.length) {
      const { bytesWritten } = await s.handle.write(plain, s.at + done, s.length - done, s.position + done)
      done += bytesWritten
    }
  }))
}

/** Fills each span's bytes of a block's plaintext from its file; false when a file ends first. */
export async function readSpans (plain: Uint8Array, spans: readonly FileSpan[]): Promise<boolean> {
  for (const s of spans) {
    let done = 0
    while (done < s.length) {
      const { bytesRead } = await s.handle.read(plain, s.at + done, s.length - done, s.position + done)
      if (bytesRead === 0) return false
      done += bytesRead
    }
  }
  return true
}
