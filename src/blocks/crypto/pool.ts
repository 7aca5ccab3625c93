// The worker pool of the per-block crypto (worker.ts): share encoding always runs here, fetches
// and seeding when the worker engine is chosen (engine.ts).
import { Worker } from 'node:worker_threads'
import { availableParallelism } from 'node:os'
import type { OpenStatus, ServeStatus } from './block.ts'
import type { BlockWrite, OpenJob, SealJob, SealResult, ServeJob } from './jobs.ts'
import { pieceBuffers, threadGarbage } from './memory.ts'

/**
 * The worker's entry: worker.ts beside the sources (run with type stripping), worker.js in a
 * build (dist/, compiled by tsc like this file).
 */
const WORKER_URL = new URL(import.meta.url.endsWith('.ts') ? './worker.ts' : './worker.js', import.meta.url)

export interface Sealed {
  /** 32-byte SHA-256 per block, back to back. */
  digests: Buffer
  /** 16-byte GCM tag per block (the last bytes of its ciphertext), back to back. */
  tags: Buffer
  /** Ciphertext blocks (each plaintext block + 16-byte tag) back to back, when asked for. */
  ciphertext?: Buffer
}

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

/** A block to serve: a serve job without its message fields (`split` answers ciphertext and tag apart). */
export type ServeBlockRequest = Omit<ServeJob, 'kind' | 'id'>

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

/** A small pool of worker threads for the per-block crypto (worker.ts). */
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
      const worker = new Worker(WORKER_URL)
      const slot = { worker, busy: 0 }
      if (this.#unrefWhenIdle) worker.unref()
      worker.on('message', (result: SealResult) => {
        if (result.recycled != null) pieceBuffers.give(result.recycled)
        slot.busy--
        if (slot.busy === 0 && this.#unrefWhenIdle) worker.unref()
        if (result.ciphertext != null) threadGarbage(result.ciphertext.byteLength)
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
    threadGarbage(data.byteLength)
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

/** A copy in memory of its own (never a slab of Node's Buffer pool, which must not be transferred). */
function ownedCopy (b: Uint8Array): Buffer {
  const copy = Buffer.allocUnsafeSlow(b.byteLength)
  copy.set(b)
  return copy
}

let shared: SealPool | undefined

/**
 * The process's crypto pool for fetching and serving (created on first use, never closed; its
 * workers do not keep the process alive while idle). One worker fewer than the cores: the main
 * thread keeps one for the wire, and each worker has a heap of its own (docs/DECISIONS.md).
 */
export function sharedCryptoPool (): SealPool {
  if (shared == null || shared.closed) shared = new SealPool({ unrefWhenIdle: true, size: Math.max(1, Math.min(availableParallelism() - 1, 4)) })
  return shared
}
