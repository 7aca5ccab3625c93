import { Worker } from 'node:worker_threads'
import { availableParallelism } from 'node:os'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'

/** Message to crypto-worker.js: encrypt and hash a run of plaintext blocks (the share encoder). */
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

/** Message to crypto-worker.js: verify a fetched ciphertext block against its leaf, then decrypt and write it. */
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

/** Message to crypto-worker.js: read a block's plaintext, encrypt it, check it against its leaf. */
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

/** Message from crypto-worker.js. */
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

export interface Sealed {
  /** 32-byte SHA-256 per block, back to back. */
  digests: Buffer
  /** 16-byte GCM tag per block (the last bytes of its ciphertext), back to back. */
  tags: Buffer
  /** Ciphertext blocks (each plaintext block + 16-byte tag) back to back, when asked for. */
  ciphertext?: Buffer
}

/**
 * `ok`: hash matched, decrypted and written. `mismatch`: the hash differs from the leaf (nothing
 * written; the sender lied). `undecryptable`: the hash matched but GCM refused it (wrong content
 * key). `bad-length`: decrypted to the wrong size (a share that contradicts its manifest).
 */
export type OpenStatus = 'ok' | 'mismatch' | 'undecryptable' | 'bad-length'
/** `short`: a file ended before the block did. `mismatch`: the bytes read no longer match the leaf. */
export type ServeStatus = 'ok' | 'mismatch' | 'short'

export interface OpenBlockRequest {
  key: Uint8Array
  index: number
  leaf: Uint8Array
  ciphertext: Uint8Array
  /**
   * Hand the whole ArrayBuffer under `ciphertext` to the worker (detached here, no copy): only
   * when nothing else uses any byte of it. Otherwise the block is copied.
   */
  handOver: boolean
  plainLength: number
  writes: BlockWrite[]
}

export interface ServeBlockRequest {
  key: Uint8Array
  index: number
  leaf: Uint8Array
  plainLength: number
  reads: BlockRead[]
  /**
   * Answer `parts` (ciphertext, then its 16-byte tag) instead of `ciphertext`: the sealed block
   * without the copy that puts the tag after the ciphertext (a wire can send both as one piece).
   */
  split?: boolean
  /** The GCM tag the block is known to end with (tags.ts): compared instead of the leaf hash. */
  tag?: Uint8Array
}

/** A served block: `ciphertext` (whole), or `parts` (ciphertext, tag) when asked to split. */
export interface ServedBlock {
  status: ServeStatus
  ciphertext?: Buffer
  parts?: [Buffer, Buffer]
}

interface Pending {
  resolve: (value: SealResult) => void
  reject: (err: Error) => void
}

export interface SealPoolOptions {
  size?: number
  /** Let the process exit while no job is pending (a process-wide pool nobody closes). */
  unrefWhenIdle?: boolean
}

/** A small pool of worker threads for the per-block crypto (crypto-worker.js). */
export class SealPool {
  readonly #workers: Array<{ worker: Worker, busy: number }> = []
  readonly #pending = new Map<number, Pending>()
  readonly #unrefWhenIdle: boolean
  #nextId = 0
  #closed = false

  constructor (sizeOrOptions: number | SealPoolOptions = {}) {
    const options = typeof sizeOrOptions === 'number' ? { size: sizeOrOptions } : sizeOrOptions
    const size = options.size ?? Math.max(1, Math.min(availableParallelism(), 4))
    this.#unrefWhenIdle = options.unrefWhenIdle === true
    for (let i = 0; i < size; i++) {
      const worker = new Worker(new URL('./crypto-worker.js', import.meta.url))
      const slot = { worker, busy: 0 }
      if (this.#unrefWhenIdle) worker.unref()
      worker.on('message', (result: SealResult) => {
        if (result.recycled != null) pieceBuffers.give(result.recycled)
        slot.busy--
        if (slot.busy === 0 && this.#unrefWhenIdle) worker.unref()
        if (result.ciphertext != null) mainThreadGarbage(result.ciphertext.byteLength)
        const pending = this.#pending.get(result.id)
        if (pending == null) return
        this.#pending.delete(result.id)
        if (result.error != null) {
          const err = new Error(`block crypto failed: ${result.error}`) as NodeJS.ErrnoException
          if (result.code != null) err.code = result.code
          pending.reject(err)
        } else pending.resolve(result)
      })
      worker.on('error', err => { this.#failAll(err) })
      this.#workers.push(slot)
    }
  }

  get size (): number { return this.#workers.length }
  get closed (): boolean { return this.#closed }

  /** Seals `data` (plaintext of consecutive blocks from `firstIndex`); `data` is transferred, do not reuse it. */
  async seal (key: Uint8Array, firstIndex: number, blockSize: number, data: Buffer, wantCiphertext: boolean): Promise<Sealed> {
    const owned = ownsBuffer(data) ? data : ownedCopy(data)
    const job: SealJob = { id: 0, key, firstIndex, blockSize, data: owned.buffer as ArrayBuffer, length: owned.byteLength, wantCiphertext }
    const result = await this.#run(job, [job.data])
    const sealed: Sealed = { digests: Buffer.from(result.digests!), tags: Buffer.from(result.tags!) }
    if (result.ciphertext != null) sealed.ciphertext = Buffer.from(result.ciphertext)
    return sealed
  }

  /**
   * Hashes a fetched ciphertext block and, only when it matches `leaf`, decrypts it and writes
   * the plaintext with the given pwrites (the caller keeps those fds open until this settles).
   */
  async openBlock (r: OpenBlockRequest): Promise<OpenStatus> {
    const bytes = r.handOver ? r.ciphertext : ownedCopy(r.ciphertext)
    const data = bytes.buffer as ArrayBuffer
    mainThreadGarbage(data.byteLength)
    // Small copies of key and leaf: a view would make postMessage clone its whole ArrayBuffer
    // (the leaf list: 128 KiB per block of a 1 GiB share).
    const job: OpenJob = { kind: 'open', id: 0, key: new Uint8Array(r.key), index: r.index, leaf: new Uint8Array(r.leaf), data, offset: bytes.byteOffset, length: bytes.byteLength, plainLength: r.plainLength, writes: r.writes }
    return (await this.#run(job, [data])).status as OpenStatus
  }

  /** Reads, encrypts and checks one block; the ciphertext only when it matches `tag`, or else `leaf`. */
  async serveBlock (r: ServeBlockRequest): Promise<ServedBlock> {
    const job: ServeJob = { kind: 'serve', id: 0, ...r, key: new Uint8Array(r.key), leaf: new Uint8Array(r.leaf), ...(r.tag != null ? { tag: new Uint8Array(r.tag) } : {}) }
    const result = await this.#run(job, [])
    const status = result.status as ServeStatus
    if (result.ciphertext == null) return { status }
    const ciphertext = Buffer.from(result.ciphertext)
    if (result.tag == null) return r.split === true ? { status, parts: [ciphertext.subarray(0, -16), ciphertext.subarray(-16)] } : { status, ciphertext }
    const tag = Buffer.from(result.tag.buffer, result.tag.byteOffset, result.tag.byteLength)
    return r.split === true ? { status, parts: [ciphertext, tag] } : { status, ciphertext: Buffer.concat([ciphertext, tag]) }
  }

  async close (): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#failAll(new Error('seal pool closed'))
    await Promise.all(this.#workers.map(async s => await s.worker.terminate()))
  }

  #run (job: SealJob | OpenJob | ServeJob, transfer: ArrayBuffer[]): Promise<SealResult> {
    if (this.#closed) return Promise.reject(new Error('seal pool is closed'))
    const slot = this.#workers.reduce((a, b) => (b.busy < a.busy ? b : a))
    job.id = this.#nextId++
    return new Promise<SealResult>((resolve, reject) => {
      this.#pending.set(job.id, { resolve, reject })
      if (slot.busy === 0 && this.#unrefWhenIdle) slot.worker.ref()
      slot.busy++
      slot.worker.postMessage(job, transfer)
    })
  }

  #failAll (err: Error): void {
    for (const p of this.#pending.values()) p.reject(err)
    this.#pending.clear()
  }
}

/** True when `b` spans its whole ArrayBuffer, so handing that memory to a worker detaches nothing else. */
function ownsBuffer (b: Uint8Array): boolean {
  return b.byteOffset === 0 && b.byteLength === b.buffer.byteLength && !(b.buffer instanceof SharedArrayBuffer)
}

/**
 * Most bytes of piece memory kept for reuse (16 blocks of 256 KiB): as many as can be in use at
 * once (the blocks being stored, MAX_STORING in the swarm, plus a piece being received per peer).
 */
const MAX_RECYCLED_BYTES = 4 * 1024 * 1024

/**
 * Piece-sized memory that open jobs hand back, reused for the next pieces off the wire: a fresh
 * 256 KiB buffer per block cost its page faults (and the kernel zeroing them) every time, more
 * than the copy into it.
 */
export class BufferRecycler {
  readonly #free = new Map<number, ArrayBuffer[]>()
  #bytes = 0

  /** A buffer of exactly `size` bytes, in memory of its own; contents are garbage. */
  take (size: number): Buffer {
    const list = this.#free.get(size)
    const ab = list?.pop()
    if (ab == null) return Buffer.allocUnsafeSlow(size)
    if (list!.length === 0) this.#free.delete(size)
    this.#bytes -= size
    return Buffer.from(ab)
  }

  give (ab: ArrayBuffer): void {
    const size = ab.byteLength
    if (size < 4096 || this.#bytes + size > MAX_RECYCLED_BYTES) return
    let list = this.#free.get(size)
    if (list == null) this.#free.set(size, list = [])
    list.push(ab)
    this.#bytes += size
  }
}

/**
 * Used by the swarm's wire guard for pieces, refilled by the pool's open jobs and by inline
 * opens (inline.ts); inline serving borrows its plaintext scratch from it too.
 */
export const pieceBuffers = new BufferRecycler()

/** A copy in memory of its own (never a slab of Node's Buffer pool, which must not be transferred). */
function ownedCopy (b: Uint8Array): Buffer {
  const copy = Buffer.allocUnsafeSlow(b.byteLength)
  copy.set(b)
  return copy
}

/**
 * True when `b` may be handed over although it does not start at its ArrayBuffer's start: it
 * ends there, at most `prefix` bytes precede it (a wire message's own header), and it is too big
 * to live in Node's shared Buffer pool slab.
 */
export function tailOwnsBuffer (b: Uint8Array, prefix: number): boolean {
  return b.byteLength >= 4096 && b.byteOffset <= prefix && b.byteOffset + b.byteLength === b.buffer.byteLength && !(b.buffer instanceof SharedArrayBuffer)
}

/**
 * Frees a block's memory now, when the view covers an ArrayBuffer of its own: what V8 would free
 * only once it collects the buffer. A buffer that lived across two minor GCs (a block waiting
 * for the disk or in a socket's queue) is promoted, and then only a full GC frees it. V8 counts
 * such memory towards the heap's limit, so a seeder that left it to V8 ran a full mark-compact
 * every few hundred milliseconds (docs/DECISIONS.md "Swarm hot path").
 */
export function releaseBlockMemory (b: Uint8Array): void {
  if (b.byteOffset === 0 && b.byteLength === b.buffer.byteLength && b.buffer instanceof ArrayBuffer) b.buffer.transfer(0)
}

/** Blocks to free as soon as a socket has sent them (freeWhenSent, releaseIfSent). */
const freedWhenSent = new WeakSet<Uint8Array>()

/**
 * Marks served block memory that nothing else holds or will read: a sender that copies it into
 * the kernel (a socket) frees it once the write completes (releaseIfSent). Anything else that
 * gets it just leaves it to the GC.
 */
export function freeWhenSent (b: Uint8Array): void {
  if (b.byteLength >= 4096) freedWhenSent.add(b)
}

/** After a completed socket write of `b`: frees it when it was marked by freeWhenSent. */
export function releaseIfSent (b: Uint8Array): void {
  if (freedWhenSent.delete(b)) releaseBlockMemory(b)
}

/** Whether `b` was marked by freeWhenSent (and not yet released). */
export function isFreedWhenSent (b: Uint8Array): boolean {
  return freedWhenSent.has(b)
}

/**
 * Bytes of block traffic after which this thread runs a minor GC. Every block fetched leaves
 * dead ArrayBuffers here (the socket's 64 KiB read chunks a piece was copied from), and so does
 * every whole block served by `get` (ciphertext sent in parts and plaintext written are freed
 * at once: releaseBlockMemory); V8 counts them as external memory and let ~50 MiB of them pile
 * up in a fetch before collecting. A scavenge of a young generation of dead buffers takes well
 * under a millisecond; every 4 MiB keeps a fetch's dead buffers (peak RSS) at a few MiB. Same
 * mechanism as the workers' (`--expose-gc` set at run time).
 */
const MAIN_COLLECT_EVERY_BYTES = 4 * 1024 * 1024
let mainGarbage = 0
let mainCollect: ((options: { type: 'minor' }) => void) | null | undefined

/**
 * Counts dead block-sized memory left on this thread (ArrayBuffers V8 only sees as external
 * memory) and runs a minor GC every MAIN_COLLECT_EVERY_BYTES of it.
 */
export function mainThreadGarbage (bytes: number): void {
  mainGarbage += bytes
  if (mainGarbage < MAIN_COLLECT_EVERY_BYTES) return
  mainGarbage = 0
  if (mainCollect === undefined) {
    try {
      setFlagsFromString('--expose-gc')
      mainCollect = runInNewContext('gc') as (options: { type: 'minor' }) => void
    } catch {
      mainCollect = null // fine without: only memory is at stake
    }
  }
  mainCollect?.({ type: 'minor' })
}

let shared: SealPool | undefined

/**
 * The process's crypto pool for fetching and serving (created on first use, never closed; its
 * workers do not keep the process alive while idle). One worker fewer than the cores: the main
 * thread keeps one for the wire, and each worker costs ~10 MiB of RSS.
 */
export function sharedCryptoPool (): SealPool {
  if (shared == null || shared.closed) shared = new SealPool({ unrefWhenIdle: true, size: Math.max(1, Math.min(availableParallelism() - 1, 4)) })
  return shared
}
