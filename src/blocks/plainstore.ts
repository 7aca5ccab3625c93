import { createHash } from 'node:crypto'
import { mkdir, open, rename, rm, stat, type FileHandle } from 'node:fs/promises'
import { dirname, resolve, sep } from 'node:path'
import { decryptBlock, DecryptError, encryptBlock } from './cipher.ts'
import { blockCryptoInline, blockKeyObject, openInline, type InlineRead } from './inline.ts'
import { deriveBlockKey } from './caps.ts'
import { blockLength, ManifestError, validatePath, type FileEntry, type Manifest } from './manifest.ts'
import { releaseBlockMemory, sharedCryptoPool, tailOwnsBuffer, type BlockWrite, type SealPool } from './seal-pool.ts'
import { BlockTags, tagOf } from './tags.ts'
import { serveChecked } from './serve.ts'

export class RestoreError extends Error {
  override name = 'RestoreError'
}

interface OutFile {
  entry: FileEntry
  /** Offset of the file in the share's stream. */
  start: number
  final: string
  part: string
  selected: boolean
  handle?: FileHandle
  /** Blocks of this file still missing. */
  missing: number
  done: boolean
}

export interface PlaintextStoreOptions {
  /** Manifest paths (files or directories) to write; default all. */
  select?: readonly string[]
  overwrite?: boolean
  /**
   * Worker pool for verifyAndPut and get (hash, decrypt/encrypt and disk I/O off the main
   * thread), or `'inline'`: the same on this thread (src/blocks/inline.ts), pwrites and reads
   * on libuv's pool. Default: inline on one or two cores, else the process's shared pool
   * (blockCryptoInline). `false`: the plain reference path, everything on this thread.
   */
  pool?: SealPool | false | 'inline'
}

/** What verifyAndPut did with a block. */
export type VerifiedPut = 'stored' | 'duplicate' | 'mismatch'

/** Bytes before a piece's data in its wire message (length 4, id 1, index 4, offset 4). */
const PIECE_HEADER_BYTES = 13

/**
 * A fetch's destination: verified blocks are decrypted straight into `<name>.part` files at their
 * offsets (no ciphertext copy on disk); each file is synced and renamed when its last block
 * lands. It also serves what it holds, re-encrypting from the plaintext and checking the GCM tag
 * the block arrived with (or else the leaf hash), as an owner seeds from the original files.
 */
export class PlaintextStore {
  readonly manifest: Manifest
  readonly root: string
  readonly files: OutFile[]
  /** Blocks that hold any selected byte, ascending. */
  readonly wanted: number[]
  readonly #blockKey: Uint8Array
  readonly #leaves: (() => Uint8Array) | undefined
  readonly #have: Set<number> = new Set()
  /** Wanted blocks that also hold bytes of an unselected file: kept, never served. */
  readonly #straddling = new Set<number>()
  /** Files with bytes, in stream order, for the binary search of #filesOf. */
  readonly #nonEmpty: OutFile[]
  readonly #overwrite: boolean
  readonly #pool: (() => SealPool) | undefined
  /** Blocks being verified and written right now (a second copy of one is a duplicate). */
  readonly #writing = new Set<number>()
  /** Worker jobs that use this store's file descriptors: settled before any of them is closed. */
  readonly #jobs = new Set<Promise<unknown>>()
  /** Read-only handles on finished files, for serving (#readHandle). */
  readonly #readHandles = new Map<OutFile, Promise<FileHandle>>()
  /** Block crypto on this thread instead of the worker pool (blockCryptoInline). */
  readonly #inline: boolean
  /**
   * GCM tags of the blocks this store checked against their leaves (received, or re-checked on
   * resume): serving such a block again compares its tag instead of hashing it (tags.ts).
   */
  readonly #tags: BlockTags

  /** `leaves` is needed only to serve (`get`); a plain restore passes none. */
  constructor (manifest: Manifest, contentKey: Uint8Array, outDir: string, leaves: (() => Uint8Array) | undefined, options: PlaintextStoreOptions = {}) {
    this.manifest = manifest
    this.root = resolve(outDir)
    this.#blockKey = deriveBlockKey(contentKey)
    this.#leaves = leaves
    this.#tags = new BlockTags(manifest.header.blockCount)
    this.#overwrite = options.overwrite === true
    const pool = options.pool
    this.#inline = pool === 'inline' || (pool === undefined && blockCryptoInline())
    this.#pool = pool === false || this.#inline ? undefined : pool != null && pool !== 'inline' ? () => pool : sharedCryptoPool
    let offset = 0
    const selectors = options.select ?? []
    this.files = manifest.body.files.map(entry => {
      validatePath(entry.path)
      const final = resolve(this.root, ...entry.path.split('/'))
      if (!final.startsWith(this.root + sep)) throw new ManifestError(`path ${JSON.stringify(entry.path)} escapes the output directory`)
      const selected = selectors.length === 0 || selectors.some(s => entry.path === s || entry.path.startsWith(`${s}/`))
      const f: OutFile = { entry, start: offset, final, part: '', selected, missing: 0, done: false }
      offset += entry.size
      return f
    })
    if (!this.files.some(f => f.selected)) throw new RestoreError(`no file in the share matches ${selectors.map(s => JSON.stringify(s)).join(', ')}`)
    const taken = new Set(this.files.map(f => f.final))
    for (const f of this.files) {
      let part = `${f.final}.part`
      for (let n = 1; taken.has(part); n++) part = `${f.final}.${n}.part`
      taken.add(part)
      f.part = part
    }
    this.#nonEmpty = this.files.filter(f => f.entry.size > 0)
    const wanted = new Set<number>()
    const bs = manifest.header.blockSize
    const blocksOf = (f: OutFile): [number, number] => [Math.floor(f.start / bs), Math.floor((f.start + f.entry.size - 1) / bs)]
    for (const f of this.#nonEmpty) {
      if (!f.selected) continue
      const [first, last] = blocksOf(f)
      f.missing = last - first + 1
      for (let i = first; i <= last; i++) wanted.add(i)
    }
    for (const f of this.#nonEmpty) {
      if (f.selected) continue
      const [first, last] = blocksOf(f)
      for (const i of [first, last]) if (wanted.has(i)) this.#straddling.add(i)
    }
    this.wanted = [...wanted].sort((a, b) => a - b)
  }

  /** Top-level output path (the file, or the share's directory). */
  get path (): string { return resolve(this.root, this.manifest.body.files[0]!.path.split('/')[0]!) }
  get bytesWanted (): number { return this.files.filter(f => f.selected).reduce((n, f) => n + f.entry.size, 0) }
  get complete (): boolean { return this.files.every(f => !f.selected || f.done) }
  heldBlocks (): number[] { return [...this.#have] }

  /**
   * Opens the .part files. `resumeBlocks` are blocks an earlier run recorded as written: each is
   * re-checked (re-encrypted, hashed) and kept only if it still matches its leaf.
   */
  async open (resumeBlocks: readonly number[] = []): Promise<number[]> {
    const resuming = resumeBlocks.length > 0
    for (const f of this.files) {
      if (!f.selected || !(await exists(f.final))) continue
      // A file an earlier run of this fetch completed: its blocks are re-checked below.
      if (resuming && !this.#overwrite) { f.done = true; continue }
      if (!this.#overwrite) throw new RestoreError(`${f.final} already exists (use --force to replace it)`)
    }
    try {
      await mkdir(this.root, { recursive: true })
    } catch (err) {
      throw new RestoreError(`cannot create the output directory ${this.root}: ${(err as Error).message}`)
    }
    for (const f of this.files) {
      if (!f.selected || f.done) continue
      await mkdir(dirname(f.final), { recursive: true })
      const partExists = await exists(f.part)
      // Read-write: the fetch serves what it has written to other peers.
      f.handle = await open(f.part, partExists && resuming ? 'r+' : 'w+', f.entry.executable === true ? 0o755 : 0o644)
      await f.handle.truncate(f.entry.size)
      if (f.entry.size === 0) await this.#finishFile(f)
    }
    const kept: number[] = []
    const wanted = new Set(this.wanted)
    for (const index of resumeBlocks) {
      if (!wanted.has(index) || this.#have.has(index)) continue
      try {
        await this.get(index, true)
        this.#have.add(index)
        for (const f of this.#filesOf(index)) f.missing--
        kept.push(index)
      } catch { /* not written or damaged: fetched again */ }
    }
    for (const f of this.files) {
      if (!f.selected || f.entry.size === 0) continue
      if (f.done && f.handle == null && f.missing > 0) throw new RestoreError(`${f.final} exists but does not match the share (use --force to replace it)`)
      if (!f.done && f.missing === 0) await this.#finishFile(f)
    }
    return kept
  }

  has (index: number): boolean {
    // Only blocks whose every byte this fetch writes can be served (a block may straddle an
    // unselected file).
    return this.#have.has(index) && !this.#straddling.has(index)
  }

  /** Decrypts a verified ciphertext block into the .part files; returns the bytes written. */
  async put (index: number, ciphertext: Uint8Array): Promise<number> {
    if (this.#have.has(index)) return 0
    let plain: Buffer
    try {
      plain = decryptBlock(this.#blockKey, index, ciphertext)
    } catch (err) {
      if (err instanceof DecryptError) throw new RestoreError(`block ${index} does not decrypt: wrong key in the link, or the share is corrupted`)
      throw err
    }
    if (plain.length !== blockLength(this.manifest.header, index)) throw new RestoreError(`block ${index} has the wrong length`)
    const tag = tagOf(ciphertext)
    const blockStart = index * this.manifest.header.blockSize
    const files = this.#filesOf(index)
    let written = 0
    for (const f of files) {
      const from = Math.max(blockStart, f.start)
      const to = Math.min(blockStart + plain.length, f.start + f.entry.size)
      await writeAll(f.handle!, plain.subarray(from - blockStart, to - blockStart), from - f.start)
      written += to - from
    }
    await this.#stored(index, tag, files)
    return written
  }

  /**
   * A block fresh off the wire: hashed and compared with `leaf` (from the verified leaf list), and
   * only when it matches decrypted and written, all on the worker pool. `mismatch`: nothing was
   * written (the sender lied). `ciphertext` is the store's: the caller must not read it (or what
   * shares its memory) again; a piece's own buffer is handed to the worker without a copy.
   */
  async verifyAndPut (index: number, ciphertext: Uint8Array, leaf: Uint8Array): Promise<VerifiedPut> {
    if (this.#inline) return await this.#verifyAndPutInline(index, ciphertext, leaf)
    const pool = this.#pool?.()
    if (pool == null) {
      if (!createHash('sha256').update(ciphertext).digest().equals(leaf)) return 'mismatch'
      if (this.#have.has(index)) return 'duplicate'
      await this.put(index, ciphertext)
      return 'stored'
    }
    if (this.#have.has(index) || this.#writing.has(index)) return 'duplicate'
    const length = blockLength(this.manifest.header, index)
    const blockStart = index * this.manifest.header.blockSize
    const files = this.#filesOf(index)
    const writes: BlockWrite[] = files.map(f => {
      const from = Math.max(blockStart, f.start)
      const to = Math.min(blockStart + length, f.start + f.entry.size)
      if (f.handle == null) throw new RestoreError(`block ${index}: ${f.final} is not open for writing`)
      return { fd: f.handle.fd, from: from - blockStart, length: to - from, position: from - f.start }
    })
    const tag = tagOf(ciphertext) // the worker takes the block's memory
    this.#writing.add(index)
    try {
      const status = await this.#track(pool.openBlock({
        key: this.#blockKey, index, leaf, ciphertext, plainLength: length, writes, handOver: tailOwnsBuffer(ciphertext, PIECE_HEADER_BYTES)
      }))
      if (status === 'mismatch') return 'mismatch'
      if (status === 'undecryptable') throw new RestoreError(`block ${index} does not decrypt: wrong key in the link, or the share is corrupted`)
      if (status !== 'ok') throw new RestoreError(`block ${index} has the wrong length`)
    } finally {
      this.#writing.delete(index)
    }
    await this.#stored(index, tag, files)
    return 'stored'
  }

  /** verifyAndPut with the crypto on this thread (blockCryptoInline); the pwrites go to libuv's pool. */
  /** Block `index` is written and checked: record it (and its tag), and finish files it completes. */
  async #stored (index: number, tag: Uint8Array, files: readonly OutFile[]): Promise<void> {
    this.#have.add(index)
    this.#tags.learn(index, tag)
    for (const f of files) {
      f.missing--
      if (f.missing === 0) await this.#finishFile(f)
    }
  }

  async #verifyAndPutInline (index: number, ciphertext: Uint8Array, leaf: Uint8Array): Promise<VerifiedPut> {
    if (this.#have.has(index) || this.#writing.has(index)) return 'duplicate'
    const length = blockLength(this.manifest.header, index)
    const tag = tagOf(ciphertext) // the block's memory is reused once decrypted
    const opened = openInline(blockKeyObject(this.#blockKey), index, ciphertext, leaf, length, tailOwnsBuffer(ciphertext, PIECE_HEADER_BYTES))
    if (opened.status === 'mismatch') return 'mismatch'
    if (opened.status === 'undecryptable') throw new RestoreError(`block ${index} does not decrypt: wrong key in the link, or the share is corrupted`)
    if (opened.status !== 'ok') throw new RestoreError(`block ${index} has the wrong length`)
    const plain = opened.plain
    const blockStart = index * this.manifest.header.blockSize
    const files = this.#filesOf(index)
    this.#writing.add(index)
    try {
      await this.#track(Promise.all(files.map(async f => {
        const from = Math.max(blockStart, f.start)
        const to = Math.min(blockStart + length, f.start + f.entry.size)
        if (f.handle == null) throw new RestoreError(`block ${index}: ${f.final} is not open for writing`)
        await writeAll(f.handle, plain.subarray(from - blockStart, to - blockStart), from - f.start)
      })))
    } finally {
      this.#writing.delete(index)
      releaseBlockMemory(plain) // written: nothing reads it again
    }
    await this.#stored(index, tag, files)
    return 'stored'
  }

  /** Ciphertext of a held block, re-encrypted from the plaintext and checked against its leaf. */
  async get (index: number, skipHaveCheck = false): Promise<Uint8Array> {
    if (!skipHaveCheck && !this.has(index)) throw new RestoreError(`block ${index} is not held`)
    const pool = this.#inline ? undefined : this.#pool?.()
    if (pool != null || this.#inline) {
      const parts = await this.#serve(pool, index, false)
      return parts.length === 1 ? parts[0]! : Buffer.concat(parts)
    }
    const length = blockLength(this.manifest.header, index)
    const plain = Buffer.alloc(length)
    const blockStart = index * this.manifest.header.blockSize
    for (const f of this.#filesOf(index, true)) {
      const from = Math.max(blockStart, f.start)
      const to = Math.min(blockStart + length, f.start + f.entry.size)
      const handle = f.handle ?? await open(f.done ? f.final : f.part, 'r')
      try {
        const { bytesRead } = await handle.read(plain, from - blockStart, to - from, from - f.start)
        if (bytesRead !== to - from) throw new RestoreError(`block ${index}: ${f.final} is shorter than expected`)
      } finally {
        if (f.handle == null) await handle.close()
      }
    }
    if (this.#leaves == null) throw new RestoreError('this store was opened without leaf hashes and cannot serve')
    const sealed = encryptBlock(this.#blockKey, index, plain)
    const leaf = this.#leaves().subarray(index * 32, index * 32 + 32)
    if (!createHash('sha256').update(sealed).digest().equals(leaf)) throw new RestoreError(`block ${index} on disk no longer matches the share`)
    return sealed
  }

  /** get() in parts (ciphertext, tag) when a worker or this thread serves it: no copy joins them. */
  async getParts (index: number): Promise<Uint8Array[]> {
    const pool = this.#inline ? undefined : this.#pool?.()
    if ((pool == null && !this.#inline) || !this.has(index)) return [await this.get(index)]
    return await this.#serve(pool, index, true)
  }

  /**
   * get() on the worker pool (the worker reads, encrypts and checks the block), or on this
   * thread (blockCryptoInline).
   */
  async #serve (pool: SealPool | undefined, index: number, split: boolean): Promise<Uint8Array[]> {
    if (this.#leaves == null) throw new RestoreError('this store was opened without leaf hashes and cannot serve')
    const length = blockLength(this.manifest.header, index)
    const blockStart = index * this.manifest.header.blockSize
    const reads: InlineRead[] = []
    for (const f of this.#filesOf(index, true)) {
      const from = Math.max(blockStart, f.start)
      const to = Math.min(blockStart + length, f.start + f.entry.size)
      reads.push({ handle: f.handle ?? await this.#readHandle(f), to: from - blockStart, length: to - from, position: from - f.start })
    }
    const leaf = this.#leaves().subarray(index * 32, index * 32 + 32)
    const served = await this.#track(serveChecked(pool, { key: this.#blockKey, index, leaf, plainLength: length, reads, split }, this.#tags))
    if (served.status === 'short') throw new RestoreError(`block ${index}: a file is shorter than expected`)
    if (served.status !== 'ok') throw new RestoreError(`block ${index} on disk no longer matches the share`)
    return served.parts
  }

  /**
   * A read-only handle on a finished file, opened once and kept until close(): opening and
   * closing it for every 256 KiB block served cost more than the read. What is served is still
   * checked against its leaf, so a file changed on disk is never served wrong.
   */
  async #readHandle (f: OutFile): Promise<FileHandle> {
    const cached = this.#readHandles.get(f)
    if (cached != null) return await cached
    const opening = open(f.done ? f.final : f.part, 'r')
    this.#readHandles.set(f, opening)
    opening.catch(() => { if (this.#readHandles.get(f) === opening) this.#readHandles.delete(f) })
    return await opening
  }

  /** Keeps a worker job in #jobs until it settles. */
  #track<T> (job: Promise<T>): Promise<T> {
    this.#jobs.add(job)
    const forget = (): void => { this.#jobs.delete(job) }
    job.then(forget, forget)
    return job
  }

  /** Waits for the worker jobs running now (they may use file descriptors about to be closed). */
  async #settleJobs (): Promise<void> {
    if (this.#jobs.size > 0) await Promise.allSettled([...this.#jobs])
  }

  /** Makes written data durable (call before recording held blocks). */
  async sync (): Promise<void> {
    for (const f of this.files) await f.handle?.datasync()
  }

  /** Closes open .part files; with `discard`, removes them (a cancelled fetch). */
  async close (discard = false): Promise<void> {
    await this.#settleJobs()
    const readHandles = [...this.#readHandles.values()]
    this.#readHandles.clear()
    for (const h of readHandles) await (await h.catch(() => undefined))?.close().catch(() => {})
    for (const f of this.files) {
      if (f.handle == null) continue
      await f.handle.close().catch(() => {})
      f.handle = undefined
      if (discard) await rm(f.part, { force: true })
    }
  }

  async #finishFile (f: OutFile): Promise<void> {
    const handle = f.handle!
    // Serve jobs started from now on open the file by name; those running may still read this
    // descriptor, so it is closed only after they settle.
    f.handle = undefined
    await this.#settleJobs()
    await handle.sync()
    await handle.close()
    await rename(f.part, f.final)
    f.done = true
  }

  /** Files that hold bytes of block `index` (selected ones unless `all`), by binary search. */
  #filesOf (index: number, all = false): OutFile[] {
    const start = index * this.manifest.header.blockSize
    const end = start + blockLength(this.manifest.header, index)
    const files = this.#nonEmpty
    let lo = 0
    let hi = files.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      const f = files[mid]!
      if (f.start + f.entry.size <= start) lo = mid + 1
      else hi = mid
    }
    const out: OutFile[] = []
    for (let k = lo; k < files.length && files[k]!.start < end; k++) if (all || files[k]!.selected) out.push(files[k]!)
    return out
  }
}

async function writeAll (handle: FileHandle, bytes: Uint8Array, position: number): Promise<void> {
  let off = 0
  while (off < bytes.length) {
    const { bytesWritten } = await handle.write(bytes, off, bytes.length - off, position + off)
    off += bytesWritten
  }
}

async function exists (path: string): Promise<boolean> {
  try { await stat(path); return true } catch { return false }
}
