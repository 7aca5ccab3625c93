import type { FileHandle } from 'node:fs/promises'
import type { CipherBlockstore } from './blockstore.ts'
import { openSource, SourceChangedError } from './chunker.ts'
import { blockCid } from './cid.ts'
import { blockKeyObject, serveBlock } from './crypto/block.ts'
import { engineFor, readSpans, type BlockCryptoEngine, type FileSpan } from './crypto/engine.ts'
import type { SealPool } from './crypto/pool.ts'
import { spannedBytes, StreamLayout } from './layout.ts'
import { blockLength, type ManifestHeader } from './manifest.ts'
import { serveChecked } from './serve.ts'
import { BlockTags } from './tags.ts'
import type { SourceFile } from './walk.ts'

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
   * (crypto/memory.ts `freeWhenSent`): a source never hands out memory it keeps.
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
  readonly #layout: StreamLayout
  readonly #header: ManifestHeader
  readonly #blockKey: Uint8Array
  readonly #leaves: Uint8Array
  #stale: string | undefined
  readonly #staleNotice = Promise.withResolvers<string>()
  readonly #handles = new Map<number, { handle: FileHandle, checkedAt: number }>()
  /** Checks and opens of a file's handle in flight (#handle). */
  readonly #opening = new Map<number, Promise<FileHandle>>()
  /** The block crypto engine; none on the plain reference path. */
  readonly #engine: (() => BlockCryptoEngine) | undefined
  /** Worker jobs reading our descriptors. */
  readonly #jobs = new Set<Promise<unknown>>()
  /** Known GCM tags: a served block is checked against its tag when known, else its leaf. */
  readonly #tags: BlockTags

  /**
   * `pool`: a worker pool, or `'inline'` (the same work on this thread, crypto/engine.ts);
   * default inline on one or two cores, else the process's shared pool (blockCryptoInline).
   * `false`: the plain reference path on this thread (always hashes). `tags`: the blocks' GCM
   * tags from sharing (BuiltShare.tags); without them each block is hashed until served once.
   */
  constructor (files: readonly SourceFile[], header: ManifestHeader, blockKey: Uint8Array, leaves: Uint8Array, pool?: SealPool | false | 'inline', tags?: Uint8Array) {
    this.#engine = engineFor(pool)
    this.#files = files
    this.#header = header
    this.#blockKey = blockKey
    this.#leaves = leaves
    this.#tags = new BlockTags(header.blockCount, tags)
    this.#layout = new StreamLayout(files.map(f => f.size), header.blockSize)
  }

  /** Why this source stopped serving, if it did. */
  get stale (): string | undefined { return this.#stale }

  /** Resolves with the reason once this source stops serving (its files changed on disk). */
  whenStale (): Promise<string> { return this.#staleNotice.promise }

  #markStale (reason: string): void {
    if (this.#stale != null) return
    this.#stale = reason
    this.#staleNotice.resolve(reason)
  }

  async has (index: number): Promise<boolean> {
    return this.#stale == null && index >= 0 && index < this.#header.blockCount
  }

  async get (index: number): Promise<Uint8Array> {
    if (this.#stale != null) throw new SourceChangedError(this.#stale)
    if (!Number.isSafeInteger(index) || index < 0 || index >= this.#header.blockCount) throw new BlockUnavailableError(`no block ${index}`)
    const engine = this.#engine?.()
    if (engine != null) {
      const parts = await this.#serve(engine, index, false)
      return parts.length === 1 ? parts[0]! : Buffer.concat(parts)
    }
    const plain = Buffer.alloc(blockLength(this.#header, index))
    const read = await this.#withSpans(index, async spans => await readSpans(plain, spans))
    if (!read) this.#staleFrom('short', index)
    const served = serveBlock(blockKeyObject(this.#blockKey), index, plain, leafAt(this.#leaves, index))
    if (served == null) this.#staleFrom('mismatch', index)
    return Buffer.concat([served.ciphertext, served.tag])
  }

  async getParts (index: number): Promise<Uint8Array[]> {
    const engine = this.#engine?.()
    if (engine == null || this.#stale != null || !Number.isSafeInteger(index) || index < 0 || index >= this.#header.blockCount) return [await this.get(index)]
    return await this.#serve(engine, index, true)
  }

  /** Reads, encrypts and checks a block on the engine. */
  async #serve (engine: BlockCryptoEngine, index: number, split: boolean): Promise<Uint8Array[]> {
    const plainLength = blockLength(this.#header, index)
    const leaf = leafAt(this.#leaves, index)
    const served = await this.#withSpans(index, async spans => await serveChecked(engine, { key: this.#blockKey, index, leaf, plainLength, spans, split }, this.#tags))
    if (served.status !== 'ok') this.#staleFrom(served.status, index)
    return served.parts
  }

  /** Stops serving: the files changed on disk. */
  #staleFrom (status: 'short' | 'mismatch', index: number): never {
    this.#markStale(status === 'short'
      ? 'the shared files became shorter on disk (re-share to publish the new content)'
      : `the shared files changed on disk: block ${index} no longer matches the share (re-share to publish the new content)`)
    throw new SourceChangedError(this.#stale)
  }

  /**
   * Runs `use` on the spans of block `index` in the source files, opened. A lease keeps every
   * descriptor of the block open (an eviction while the spans are gathered closes only after
   * it) until `use` is done with them.
   */
  async #withSpans<T> (index: number, use: (spans: FileSpan[]) => Promise<T>): Promise<T> {
    const plainLength = blockLength(this.#header, index)
    let release!: () => void
    const lease = new Promise<void>(resolve => { release = resolve })
    this.#jobs.add(lease)
    try {
      const spans: FileSpan[] = []
      for (const s of this.#layout.spansOf(index, plainLength)) spans.push({ ...s, handle: await this.#handle(s.file, this.#files[s.file]!) })
      if (spannedBytes(spans) < plainLength) throw new SourceChangedError('the shared files are shorter than the share')
      return await use(spans)
    } finally {
      this.#jobs.delete(lease)
      release()
    }
  }

  /** Closes a handle once no worker job (or plan being built) may read it any more. */
  async #closeHandle (handle: FileHandle): Promise<void> {
    if (this.#jobs.size > 0) await Promise.allSettled([...this.#jobs])
    await handle.close().catch(() => {})
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
      if (err instanceof SourceChangedError) this.#markStale(err.message)
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
