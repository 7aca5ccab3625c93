import { createHash } from 'node:crypto'
import { homedir } from 'node:os'
import { mkdir, open, rename, rm, stat, type FileHandle } from 'node:fs/promises'
import { basename, dirname, join, resolve, sep } from 'node:path'
import { decryptBlock, DecryptError } from './crypto/aead.ts'
import { blockKeyObject, openBlock, serveBlock, type OpenStatus } from './crypto/block.ts'
import { engineFor, readSpans, writeSpans, type BlockCryptoEngine, type FileSpan } from './crypto/engine.ts'
import { tailOwnsBuffer } from './crypto/memory.ts'
import type { SealPool } from './crypto/pool.ts'
import { spannedBytes, StreamLayout, type BlockSpan } from './layout.ts'
import { blockLength, ManifestError, validatePath, type FileEntry, type Manifest } from './manifest.ts'
import { isSelected, resolveSelection } from './select.ts'
import { localSegments } from './names.ts'
import { serveChecked } from './serve.ts'
import { BlockTags, tagOf } from './tags.ts'

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
  /** Write into a folder of the share's name that already exists (`--merge`); existing files are still never replaced without `overwrite`. */
  merge?: boolean
  /**
   * Worker pool for verifyAndPut and get (hash, decrypt/encrypt and disk I/O off the main
   * thread), or `'inline'`: the same on this thread, pwrites and reads on libuv's pool
   * (crypto/engine.ts). Default: inline on one or two cores, else the process's shared pool
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
  readonly #layout: StreamLayout
  readonly #blockKey: Uint8Array
  readonly #leaves: (() => Uint8Array) | undefined
  readonly #have: Set<number> = new Set()
  /** Wanted blocks that also hold bytes of an unselected file: kept, never served. */
  readonly #straddling = new Set<number>()
  readonly #overwrite: boolean
  readonly #merge: boolean
  /** The block crypto engine; none on the plain reference path. */
  readonly #engine: (() => BlockCryptoEngine) | undefined
  /** Blocks being verified and written right now (a second copy of one is a duplicate). */
  readonly #writing = new Set<number>()
  /** Worker jobs that use this store's file descriptors: settled before any of them is closed. */
  readonly #jobs = new Set<Promise<unknown>>()
  /** Read-only handles on finished files, for serving (#readHandle). */
  readonly #readHandles = new Map<OutFile, Promise<FileHandle>>()
  /**
   * GCM tags of the blocks this store checked against their leaves (received, or re-checked on
   * resume): serving such a block again compares its tag instead of hashing it (tags.ts).
   */
  readonly #tags: BlockTags

  /** `blockKey`: blockKeyOf(cap). `leaves` is needed only to serve (`get`); a plain restore passes none. */
  constructor (manifest: Manifest, blockKey: Uint8Array, outDir: string, leaves: (() => Uint8Array) | undefined, options: PlaintextStoreOptions = {}) {
    this.manifest = manifest
    this.root = resolve(outDir)
    this.#blockKey = blockKey
    this.#leaves = leaves
    this.#tags = new BlockTags(manifest.header.blockCount)
    this.#overwrite = options.overwrite === true
    this.#merge = options.merge === true
    this.#engine = engineFor(options.pool)
    this.#layout = new StreamLayout(manifest.body.files.map(entry => entry.size), manifest.header.blockSize)
    const selection = resolveSelection(manifest.body.files.map(f => f.path), options.select ?? [])
    const finals = new Set<string>()
    this.files = manifest.body.files.map((entry, k) => {
      validatePath(entry.path)
      // Two names with one portable form (Windows: "a:b" and "a_b") are told apart by a number.
      const segments = localSegments(entry.path)
      let final = resolve(this.root, ...segments)
      for (let n = 1; finals.has(final); n++) final = resolve(this.root, ...segments.slice(0, -1), numbered(segments.at(-1)!, n))
      finals.add(final)
      if (!final.startsWith(this.root + sep)) throw new ManifestError(`path ${JSON.stringify(entry.path)} escapes the output directory`)
      const selected = isSelected(selection, entry.path)
      return { entry, start: this.#layout.starts[k]!, final, part: '', selected, missing: 0, done: false }
    })
    const taken = new Set(this.files.map(f => f.final))
    for (const f of this.files) {
      const part = partName(f.final, taken)
      taken.add(part)
      f.part = part
    }
    const wanted = new Set<number>()
    this.files.forEach((f, k) => {
      const blocks = this.#layout.blocksOf(k)
      if (!f.selected || blocks == null) return
      f.missing = blocks[1] - blocks[0] + 1
      for (let i = blocks[0]; i <= blocks[1]; i++) wanted.add(i)
    })
    this.files.forEach((f, k) => {
      const blocks = this.#layout.blocksOf(k)
      if (f.selected || blocks == null) return
      for (const i of blocks) if (wanted.has(i)) this.#straddling.add(i)
    })
    this.wanted = [...wanted].sort((a, b) => a - b)
  }

  /** Top-level output path (the file, or the share's directory). */
  get path (): string { return resolve(this.root, localSegments(this.manifest.body.files[0]!.path)[0]!) }
  get bytesWanted (): number { return this.files.filter(f => f.selected).reduce((n, f) => n + f.entry.size, 0) }
  get complete (): boolean { return this.files.every(f => !f.selected || f.done) }
  heldBlocks (): number[] { return [...this.#have] }

  /**
   * Refuses an output that would replace or merge into what is there (a hidden top folder, an
   * existing folder of the share's name, existing files) unless asked; `resuming`: an earlier run
   * of this fetch made what is there.
   */
  async checkOutput (resuming: boolean): Promise<void> {
    // A hidden top folder (a share named `.ssh`) never lands in a home folder, nor merges into a
    // folder of that name already there, unless asked (--force).
    const top = localSegments(this.manifest.body.name)[0]!
    if (top.startsWith('.') && !resuming && !this.#overwrite) {
      const there = await exists(join(this.root, top))
      if (there || this.root === resolve(homedir())) {
        throw new RestoreError(`the share's top ${this.manifest.body.kind === 'dir' ? 'folder' : 'file'} ${JSON.stringify(top)} is hidden and would ${there ? 'merge into the one already in' : 'go into your home folder'} ${this.root}: fetch into another folder (-o), or use --force`)
      }
    }
    // Nor does any share's folder merge into a folder of that name already there, unless asked.
    if (this.manifest.body.kind === 'dir' && !resuming && !this.#overwrite && !this.#merge && await isDirectory(join(this.root, top))) {
      throw new RestoreError(`the folder ${join(this.root, top)} already exists: fetch into another folder (-o), or use --merge to add the share's files to it (no file is replaced without --force)`)
    }
    if (resuming || this.#overwrite) return
    for (const f of this.files) {
      if (f.selected && await exists(f.final)) throw new RestoreError(`${f.final} already exists (use --force to replace it)`)
    }
  }

  /**
   * Opens the .part files. `resumeBlocks` are blocks an earlier run recorded as written: each is
   * re-checked (re-encrypted, hashed) and kept only if it still matches its leaf. `resuming`: an
   * earlier run of this fetch exists (it may have recorded no block yet).
   */
  async open (resumeBlocks: readonly number[] = [], resuming = resumeBlocks.length > 0): Promise<number[]> {
    await this.checkOutput(resuming)
    const recheck = new Set(resumeBlocks)
    for (const [k, f] of this.files.entries()) {
      // A file an earlier run of this fetch completed: all its blocks are re-checked below, as it
      // may have been renamed just before a crash, its last blocks not yet recorded.
      if (!f.selected || !resuming || this.#overwrite || !(await exists(f.final))) continue
      f.done = true
      const blocks = this.#layout.blocksOf(k)
      if (blocks != null) for (let i = blocks[0]; i <= blocks[1]; i++) recheck.add(i)
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
    for (const index of [...recheck].sort((a, b) => a - b)) {
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
      if (err instanceof DecryptError) throw openError(index, 'undecryptable')
      throw err
    }
    if (plain.length !== blockLength(this.manifest.header, index)) throw openError(index, 'bad-length')
    return await this.#write(index, plain, tagOf(ciphertext))
  }

  /**
   * A block fresh off the wire: hashed and compared with `leaf` (from the verified leaf list), and
   * only when it matches decrypted and written, by the block crypto engine. `mismatch`: nothing
   * was written (the sender lied). `ciphertext` is the store's: the caller must not read it (or
   * what shares its memory) again; a piece's own buffer is handed over without a copy.
   */
  async verifyAndPut (index: number, ciphertext: Uint8Array, leaf: Uint8Array): Promise<VerifiedPut> {
    const engine = this.#engine?.()
    const plainLength = blockLength(this.manifest.header, index)
    if (engine == null) {
      const opened = openBlock(blockKeyObject(this.#blockKey), index, ciphertext, leaf, plainLength)
      if (opened.status === 'mismatch') return 'mismatch'
      if (this.#have.has(index)) return 'duplicate'
      if (opened.status !== 'ok') throw openError(index, opened.status)
      await this.#write(index, opened.plain, tagOf(ciphertext))
      return 'stored'
    }
    if (this.#have.has(index) || this.#writing.has(index)) return 'duplicate'
    const { files, spans } = this.#writeSpans(index)
    const tag = tagOf(ciphertext) // the engine takes the block's memory
    this.#writing.add(index)
    try {
      const status = await this.#track(engine.open({
        key: this.#blockKey, index, leaf, sealed: ciphertext, handOver: tailOwnsBuffer(ciphertext, PIECE_HEADER_BYTES), plainLength, spans
      }))
      if (status === 'mismatch') return 'mismatch'
      if (status !== 'ok') throw openError(index, status)
    } finally {
      this.#writing.delete(index)
    }
    await this.#stored(index, tag, files)
    return 'stored'
  }

  /** Writes a decrypted block to the .part files and records it; returns the bytes written. */
  async #write (index: number, plain: Uint8Array, tag: Uint8Array): Promise<number> {
    const { files, spans } = this.#writeSpans(index)
    await writeSpans(plain, spans)
    await this.#stored(index, tag, files)
    return spannedBytes(spans)
  }

  /** Block `index` is written and checked: record it (and its tag), and finish files it completes. */
  async #stored (index: number, tag: Uint8Array, files: readonly OutFile[]): Promise<void> {
    this.#have.add(index)
    this.#tags.learn(index, tag)
    for (const f of files) {
      f.missing--
      if (f.missing === 0) await this.#finishFile(f)
    }
  }

  /** Ciphertext of a held block, re-encrypted from the plaintext and checked against its leaf. */
  async get (index: number, skipHaveCheck = false): Promise<Uint8Array> {
    if (!skipHaveCheck && !this.has(index)) throw new RestoreError(`block ${index} is not held`)
    const engine = this.#engine?.()
    if (engine != null) {
      const parts = await this.#serve(engine, index, false)
      return parts.length === 1 ? parts[0]! : Buffer.concat(parts)
    }
    const leaf = this.#leaf(index)
    const plain = Buffer.alloc(blockLength(this.manifest.header, index))
    if (!(await readSpans(plain, await this.#readSpans(index)))) throw new RestoreError(`block ${index}: a file is shorter than expected`)
    const served = serveBlock(blockKeyObject(this.#blockKey), index, plain, leaf)
    if (served == null) throw new RestoreError(`block ${index} on disk no longer matches the share`)
    return Buffer.concat([served.ciphertext, served.tag])
  }

  /** get() in parts (ciphertext, tag) when an engine serves it: no copy joins them. */
  async getParts (index: number): Promise<Uint8Array[]> {
    const engine = this.#engine?.()
    if (engine == null || !this.has(index)) return [await this.get(index)]
    return await this.#serve(engine, index, true)
  }

  /** get() on the block crypto engine, checked against the block's known tag or else its leaf. */
  async #serve (engine: BlockCryptoEngine, index: number, split: boolean): Promise<Uint8Array[]> {
    const leaf = this.#leaf(index)
    const plainLength = blockLength(this.manifest.header, index)
    const spans = await this.#readSpans(index)
    const served = await this.#track(serveChecked(engine, { key: this.#blockKey, index, leaf, plainLength, spans, split }, this.#tags))
    if (served.status === 'short') throw new RestoreError(`block ${index}: a file is shorter than expected`)
    if (served.status !== 'ok') throw new RestoreError(`block ${index} on disk no longer matches the share`)
    return served.parts
  }

  #leaf (index: number): Uint8Array {
    if (this.#leaves == null) throw new RestoreError('this store was opened without leaf hashes and cannot serve')
    return this.#leaves().subarray(index * 32, index * 32 + 32)
  }

  /** Block `index`'s spans in the share's files. */
  #spansOf (index: number): BlockSpan[] {
    return this.#layout.spansOf(index, blockLength(this.manifest.header, index))
  }

  /** The selected files block `index` writes to. */
  #filesOf (index: number): OutFile[] {
    return this.#spansOf(index).map(s => this.files[s.file]!).filter(f => f.selected)
  }

  /** Where block `index`'s selected bytes go: the .part files, open for writing. */
  #writeSpans (index: number): { files: OutFile[], spans: FileSpan[] } {
    const files: OutFile[] = []
    const spans: FileSpan[] = []
    for (const s of this.#spansOf(index)) {
      const f = this.files[s.file]!
      if (!f.selected) continue
      if (f.handle == null) throw new RestoreError(`block ${index}: ${f.final} is not open for writing`)
      files.push(f)
      spans.push({ ...s, handle: f.handle })
    }
    return { files, spans }
  }

  /** Where block `index`'s bytes are read from to serve it: every file it spans. */
  async #readSpans (index: number): Promise<FileSpan[]> {
    const spans: FileSpan[] = []
    for (const s of this.#spansOf(index)) {
      const f = this.files[s.file]!
      spans.push({ ...s, handle: f.handle ?? await this.#readHandle(f) })
    }
    return spans
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
}

/** Why a fetched block could not be stored (a mismatch is the sender's fault and is reported, not thrown). */
function openError (index: number, status: Exclude<OpenStatus, 'ok' | 'mismatch'>): RestoreError {
  return new RestoreError(status === 'undecryptable'
    ? `block ${index} does not decrypt: wrong key in the link, or the share is corrupted`
    : `block ${index} has the wrong length`)
}

async function exists (path: string): Promise<boolean> {
  try { await stat(path); return true } catch { return false }
}

/** `name` with ` (n)` before its extension: "a.txt" → "a (2).txt". */
function numbered (name: string, n: number): string {
  const dot = name.lastIndexOf('.')
  return dot > 0 ? `${name.slice(0, dot)} (${n + 1})${name.slice(dot)}` : `${name} (${n + 1})`
}

async function isDirectory (path: string): Promise<boolean> {
  try { return (await stat(path)).isDirectory() } catch { return false }
}

/** Longest file name most file systems take (NAME_MAX, in bytes). */
const NAME_MAX_BYTES = 255

/**
 * Where `final` is written until complete: `<name>.part` (then `<name>.<n>.part` if taken), or,
 * when that could pass NAME_MAX (names over 246 bytes), `.oht-<hash of the name>.part` in the
 * same folder: a name that can be shared can be fetched. Deterministic, so a resume finds it.
 */
export function partName (final: string, taken: ReadonlySet<string>): string {
  const dir = dirname(final)
  const name = basename(final)
  const short = `.oht-${createHash('sha256').update(name).digest('hex').slice(0, 24)}`
  const stem = Buffer.byteLength(`${name}.999.part`) > NAME_MAX_BYTES ? join(dir, short) : final
  let part = `${stem}.part`
  for (let n = 1; taken.has(part); n++) part = `${stem}.${n}.part`
  return part
}
