import { createHash } from 'node:crypto'
import { encryptBlock } from './cipher.ts'
import { blockCid } from './cid.ts'
import { blockLength, type ManifestHeader } from './manifest.ts'
import type { FileHandle } from 'node:fs/promises'
import { openSource, SourceChangedError } from './chunker.ts'
import type { SourceFile } from './walk.ts'
import type { CipherBlockstore } from './blockstore.ts'
import { sharedCryptoPool, type SealPool } from './seal-pool.ts'
import { blockCryptoInline, type InlineRead } from './inline.ts'
import { BlockTags } from './tags.ts'
import { serveChecked } from './serve.ts'

/** Where a share's ciphertext blocks come from. Every block returned matches its leaf hash. */
export interface BlockSource {
  readonly kind: 'file' | 'blockstore'
  has (index: number): Promise<boolean>
  /** Ciphertext of block `index`, already checked against its leaf hash. */
  get (index: number): Promise<Uint8Array>
  /**
   * The same bytes as `get`, in consecutive parts (the ciphertext, then its GCM tag), spared the
   * copy that joins them: for senders that write the parts one after the other (the swarm).
   * The caller owns the parts, and parts it passes to a socket are freed once sent
   * (seal-pool.ts `freeWhenSent`): a source never hands out memory it keeps.
   */
  getParts? (index: number): Promise<Uint8Array[]>
  close? (): Promise<void>
}

export class BlockUnavailableError extends Error {
  override name = 'BlockUnavailableError'
}

function leafAt (leaves: Uint8Array, index: number): Uint8Array {
  return leaves.subarray(index * 32, index * 32 + 32)
}

/**
 * Seeds from the owner's original files without copying them: a block is read, re-encrypted
 * (deterministic nonce) and compared with its GCM tag from sharing, or else its leaf hash
 * (tags.ts), so a file that changed on disk is detected and never served wrong. The read,
 * encryption and check run on the worker pool (the main thread only writes to the wire), or
 * inline on one or two cores; handles stay open here and are closed only once no job reads them.
 */
export class FileBlockSource implements BlockSource {
  readonly kind = 'file' as const
  readonly #files: readonly SourceFile[]
  readonly #offsets: number[]
  readonly #header: ManifestHeader
  readonly #blockKey: Uint8Array
  readonly #leaves: Uint8Array
  #stale: string | undefined
  readonly #handles = new Map<number, { handle: FileHandle, checkedAt: number }>()
  /** Checks and opens of a file's handle in flight (#handle). */
  readonly #opening = new Map<number, Promise<FileHandle>>()
  readonly #pool: (() => SealPool) | undefined
  /** Block crypto on this thread instead of the worker pool (blockCryptoInline). */
  readonly #inline: boolean
  /** Worker jobs reading our descriptors. */
  readonly #jobs = new Set<Promise<unknown>>()
  /** Known GCM tags: a served block is checked against its tag when known, else its leaf. */
  readonly #tags: BlockTags

  /**
   * `pool`: a worker pool, or `'inline'` (the same work on this thread, src/blocks/inline.ts);
   * default inline on one or two cores, else the process's shared pool (blockCryptoInline).
   * `false`: the plain reference path on this thread (always hashes). `tags`: the blocks' GCM
   * tags from sharing (BuiltShare.tags); without them each block is hashed until served once.
   */
  constructor (files: readonly SourceFile[], header: ManifestHeader, blockKey: Uint8Array, leaves: Uint8Array, pool?: SealPool | false | 'inline', tags?: Uint8Array) {
    this.#inline = pool === 'inline' || (pool === undefined && blockCryptoInline())
    this.#pool = pool === false || this.#inline ? undefined : pool != null && pool !== 'inline' ? () => pool : sharedCryptoPool
    this.#files = files
    this.#header = header
    this.#blockKey = blockKey
    this.#leaves = leaves
    this.#tags = new BlockTags(header.blockCount, tags)
    this.#offsets = []
    let offset = 0
    for (const f of files) { this.#offsets.push(offset); offset += f.size }
  }

  /** Why this source stopped serving, if it did. */
  get stale (): string | undefined { return this.#stale }

  async has (index: number): Promise<boolean> {
    return this.#stale == null && index >= 0 && index < this.#header.blockCount
  }

  async get (index: number): Promise<Uint8Array> {
    if (this.#stale != null) throw new SourceChangedError(this.#stale)
    if (!Number.isSafeInteger(index) || index < 0 || index >= this.#header.blockCount) throw new BlockUnavailableError(`no block ${index}`)
    const pool = this.#inline ? undefined : this.#pool?.()
    if (pool != null || this.#inline) {
      const parts = await this.#serve(pool, index, false)
      return parts.length === 1 ? parts[0]! : Buffer.concat(parts)
    }
    const plain = await this.#readPlain(index)
    const sealed = encryptBlock(this.#blockKey, index, plain)
    const digest = createHash('sha256').update(sealed).digest()
    if (!digest.equals(leafAt(this.#leaves, index))) {
      this.#stale = `the shared files changed on disk: block ${index} no longer matches the share (re-share to publish the new content)`
      throw new SourceChangedError(this.#stale)
    }
    return sealed
  }

  async getParts (index: number): Promise<Uint8Array[]> {
    const pool = this.#inline ? undefined : this.#pool?.()
    if ((pool == null && !this.#inline) || this.#stale != null || !Number.isSafeInteger(index) || index < 0 || index >= this.#header.blockCount) return [await this.get(index)]
    return await this.#serve(pool, index, true)
  }

  /** Reads, encrypts and checks a block on the worker pool, or on this thread (blockCryptoInline). */
  async #serve (pool: SealPool | undefined, index: number, split: boolean): Promise<Uint8Array[]> {
    const start = index * this.#header.blockSize
    const length = blockLength(this.#header, index)
    // The lease keeps every descriptor of this block's plan open (an eviction while the plan is
    // built closes only after it) until the worker is done with them.
    let release!: () => void
    const lease = new Promise<void>(resolve => { release = resolve })
    this.#jobs.add(lease)
    let served: Awaited<ReturnType<typeof serveChecked>>
    try {
      const reads: InlineRead[] = []
      let planned = 0
      let i = this.#fileAt(start)
      while (planned < length) {
        const file = this.#files[i]
        if (file == null) throw new SourceChangedError('the shared files are shorter than the share')
        const fileStart = Math.max(0, start + planned - this.#offsets[i]!)
        const want = Math.min(length - planned, file.size - fileStart)
        if (want > 0) {
          const handle = await this.#handle(i, file)
          reads.push({ handle, to: planned, length: want, position: fileStart })
          planned += want
        }
        i++
      }
      served = await serveChecked(pool, { key: this.#blockKey, index, leaf: leafAt(this.#leaves, index), plainLength: length, reads, split }, this.#tags)
    } finally {
      this.#jobs.delete(lease)
      release()
    }
    if (served.status === 'ok') return served.parts
    this.#stale = served.status === 'short'
      ? 'the shared files became shorter on disk (re-share to publish the new content)'
      : `the shared files changed on disk: block ${index} no longer matches the share (re-share to publish the new content)`
    throw new SourceChangedError(this.#stale)
  }

  /** Closes a handle once no worker job (or plan being built) may read it any more. */
  async #closeHandle (handle: FileHandle): Promise<void> {
    if (this.#jobs.size > 0) await Promise.allSettled([...this.#jobs])
    await handle.close().catch(() => {})
  }

  async #readPlain (index: number): Promise<Buffer> {
    const start = index * this.#header.blockSize
    const length = blockLength(this.#header, index)
    const out = Buffer.alloc(length)
    let filled = 0
    let i = this.#fileAt(start)
    while (filled < length) {
      const file = this.#files[i]
      if (file == null) throw new SourceChangedError('the shared files are shorter than the share')
      const fileStart = Math.max(0, start + filled - this.#offsets[i]!)
      const want = Math.min(length - filled, file.size - fileStart)
      if (want > 0) {
        const handle = await this.#handle(i, file)
        const { bytesRead } = await handle.read(out, filled, want, fileStart)
        if (bytesRead !== want) {
          this.#stale = `${file.absPath} became shorter`
          throw new SourceChangedError(this.#stale)
        }
        filled += want
      }
      i++
    }
    return out
  }

  /**
   * Open handles are kept (a few, most recently used) and re-checked (size, mtime) at most once a
   * second: opening and stat-ing per 256 KiB block cost more than the read. The leaf-hash check
   * on every block is what guarantees nothing wrong is served.
   */
  async #handle (i: number, file: SourceFile): Promise<FileHandle> {
    const cached = this.#handles.get(i)
    if (cached != null && performance.now() - cached.checkedAt < 1000) return cached.handle
    // One check or open per file at a time: concurrent requests for blocks of the same file would
    // otherwise each open a handle, and all but the one kept would be left for the GC to close.
    const inflight = this.#opening.get(i)
    if (inflight != null) return await inflight
    const opening = this.#refreshHandle(i, file)
    this.#opening.set(i, opening)
    try {
      return await opening
    } finally {
      this.#opening.delete(i)
    }
  }

  async #refreshHandle (i: number, file: SourceFile): Promise<FileHandle> {
    const cached = this.#handles.get(i)
    const now = performance.now()
    if (cached != null) {
      this.#handles.delete(i)
      const info = await cached.handle.stat().catch(() => undefined)
      if (info != null && info.size === file.size && info.mtimeMs === file.mtimeMs) {
        this.#handles.set(i, { handle: cached.handle, checkedAt: now })
        return cached.handle
      }
      void this.#closeHandle(cached.handle) // not awaited: the lease of the caller's own plan may hold it
    }
    let handle: FileHandle
    try {
      handle = await openSource(file)
    } catch (err) {
      if (err instanceof SourceChangedError) this.#stale = err.message
      throw err
    }
    this.#handles.set(i, { handle, checkedAt: now })
    if (this.#handles.size > 8) {
      const [oldest, entry] = this.#handles.entries().next().value as [number, { handle: FileHandle }]
      this.#handles.delete(oldest)
      void this.#closeHandle(entry.handle) // not awaited: the lease of the caller's own plan may hold it
    }
    return handle
  }

  async close (): Promise<void> {
    await Promise.allSettled([...this.#opening.values()])
    const handles = [...this.#handles.values()]
    this.#handles.clear()
    for (const { handle } of handles) await this.#closeHandle(handle)
  }

  #fileAt (offset: number): number {
    // Binary search for the last file starting at or before offset that is not empty-before-it.
    let lo = 0
    let hi = this.#files.length - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1
      if (this.#offsets[mid]! <= offset) lo = mid
      else hi = mid - 1
    }
    // Skip back over empty files that start at the same offset: they contribute nothing.
    while (lo > 0 && this.#offsets[lo - 1] === this.#offsets[lo]) lo--
    return lo
  }
}

/** Serves ciphertext blocks kept in the node's blockstore (imports, pins, fetched shares). */
export class BlockstoreSource implements BlockSource {
  readonly kind = 'blockstore' as const
  readonly #store: CipherBlockstore
  readonly #leaves: Uint8Array
  readonly #count: number

  constructor (store: CipherBlockstore, leaves: Uint8Array) {
    this.#store = store
    this.#leaves = leaves
    this.#count = leaves.length / 32
  }

  async has (index: number): Promise<boolean> {
    if (!Number.isSafeInteger(index) || index < 0 || index >= this.#count) return false
    return await this.#store.has(blockCid(leafAt(this.#leaves, index)))
  }

  async get (index: number): Promise<Uint8Array> {
    if (!Number.isSafeInteger(index) || index < 0 || index >= this.#count) throw new BlockUnavailableError(`no block ${index}`)
    const cid = blockCid(leafAt(this.#leaves, index))
    if (!(await this.#store.has(cid))) throw new BlockUnavailableError(`block ${index} (${cid.toString()}) is not held locally`)
    return await this.#store.get(cid)
  }
}
