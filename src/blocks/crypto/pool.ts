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

interface Repost { job: SealJob | OpenJob | ServeJob, transfer: ArrayBuffer[] }

interface Pending {
  resolve: (value: SealResult) => void
  reject: (err: Error) => void
  /** The slot running it. */
  slot: Slot
  /** How to post it again if its worker dies: undefined for a job whose data is gone (handed over). */
  again?: () => Repost | Promise<Repost>
  attempts: number
}

interface Slot { worker: Worker, busy: number }

export interface SealPoolOptions {
  size?: number
  /** Let the process exit while no job is pending (a process-wide pool nobody closes). */
  unrefWhenIdle?: boolean
}

/** Times a job is posted again after its worker died, before it fails. */
const MAX_ATTEMPTS = 3

/**
 * A small pool of worker threads for the per-block crypto (worker.ts). A worker that dies (an
 * uncaught error, an abnormal exit) is replaced; its seal and serve jobs are posted again to the
 * pool, and its open jobs (whose ciphertext was handed over) fail with code EWORKER, so the
 * swarm fetches those blocks again.
 */
export class SealPool {
  readonly #workers: Slot[] = []
  readonly #pending = new Map<number, Pending>()
  readonly #unrefWhenIdle: boolean
  #nextId = 0
  #closed = false
  /** Workers replaced after dying, for tests and status. */
  restarts = 0

  constructor (sizeOrOptions: number | SealPoolOptions = {}) {
    const options = typeof sizeOrOptions === 'number' ? { size: sizeOrOptions } : sizeOrOptions
    const size = options.size ?? Math.max(1, Math.min(availableParallelism(), 4))
    this.#unrefWhenIdle = options.unrefWhenIdle === true
    for (let i = 0; i < size; i++) {
      const slot: Slot = { worker: undefined as unknown as Worker, busy: 0 }
      this.#spawn(slot)
      this.#workers.push(slot)
    }
  }

  #spawn (slot: Slot): void {
    const worker = new Worker(WORKER_URL)
    slot.worker = worker
    slot.busy = 0
    if (this.#unrefWhenIdle) worker.unref()
    worker.on('message', (result: SealResult) => {
      if (result.recycled != null) pieceBuffers.give(result.recycled)
      if (slot.worker !== worker) return
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
    worker.on('error', err => { this.#died(slot, worker, err) })
    worker.on('exit', code => { if (!this.#closed) this.#died(slot, worker, new Error(`crypto worker exited with code ${code}`)) })
  }

  /** A worker died: a new one takes its slot, and its jobs go again (or fail, when they cannot). */
  #died (slot: Slot, worker: Worker, err: Error): void {
    if (slot.worker !== worker || this.#closed) return
    void worker.terminate().catch(() => {})
    this.restarts++
    this.#spawn(slot)
    for (const [id, p] of [...this.#pending]) {
      if (p.slot !== slot) continue
      this.#pending.delete(id)
      if (p.again == null || p.attempts >= MAX_ATTEMPTS) {
        const fail = new Error(`block crypto failed: the worker died (${err.message})`) as NodeJS.ErrnoException
        fail.code = 'EWORKER'
        p.reject(fail)
        continue
      }
      const again = p.again
      Promise.resolve().then(again).then(({ job, transfer }) => {
        if (this.#closed) p.reject(new Error('seal pool closed'))
        else this.#post(job, transfer, { ...p, attempts: p.attempts + 1 })
      }, (reason: unknown) => { p.reject(reason instanceof Error ? reason : new Error(String(reason))) })
    }
  }

  get size (): number { return this.#workers.length }
  get closed (): boolean { return this.#closed }

  /**
   * Seals `data` (plaintext of consecutive blocks from `firstIndex`); `data` is transferred, do
   * not reuse it. If its worker dies the job goes again with the bytes `reread` gives (read from
   * the files once more), or else with a copy kept until the job is done.
   */
  async seal (key: Uint8Array, firstIndex: number, blockSize: number, data: Buffer, wantCiphertext: boolean, reread?: () => Promise<Buffer>): Promise<Sealed> {
    const owned = ownsBuffer(data) ? data : ownedCopy(data)
    const spare = reread == null ? ownedCopy(owned) : undefined
    const make = (bytes: Buffer): Repost => {
      const own = ownsBuffer(bytes) ? bytes : ownedCopy(bytes)
      const j: SealJob = { id: 0, key, firstIndex, blockSize, data: own.buffer as ArrayBuffer, length: own.byteLength, wantCiphertext }
      return { job: j, transfer: [j.data] }
    }
    const first = make(owned)
    const result = await this.#run(first.job, first.transfer, async () => make(spare != null ? ownedCopy(spare) : await reread!()))
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
    const result = await this.#run(job, [], () => ({ job: { ...job }, transfer: [] }))
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

  #run (job: SealJob | OpenJob | ServeJob, transfer: ArrayBuffer[], again?: Pending['again']): Promise<SealResult> {
    if (this.#closed) return Promise.reject(new Error('seal pool is closed'))
    return new Promise<SealResult>((resolve, reject) => {
      this.#post(job, transfer, { resolve, reject, attempts: 1, ...(again != null ? { again } : {}) })
    })
  }

  #post (job: SealJob | OpenJob | ServeJob, transfer: ArrayBuffer[], p: Omit<Pending, 'slot'>): void {
    const slot = this.#workers.reduce((a, b) => (b.busy < a.busy ? b : a))
    job.id = this.#nextId++
    this.#pending.set(job.id, { ...p, slot })
    if (slot.busy === 0 && this.#unrefWhenIdle) slot.worker.ref()
    slot.busy++
    slot.worker.postMessage(job, transfer)
  }

  /** Fault injection for tests: ends one worker abruptly, as a crash would. */
  async terminateWorker (index: number): Promise<void> {
    await this.#workers[index]?.worker.terminate()
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
