import { open, type FileHandle } from 'node:fs/promises'
import { guessMime, type PlaintextStore } from '../blocks/index.ts'
import type { PriorityWindow, Swarm } from '../swarm/index.ts'

/** One file of a share, as the streaming server names and serves it. */
export interface StreamFile {
  /** '/'-separated path in the share (starts with the share's top-level name). */
  path: string
  size: number
  /** Offset of the file's first byte in the share's block stream. */
  offset: number
  mime: string
}

/**
 * What the streaming server needs of a share being fetched: which blocks are held, a way to wait
 * for one, priority windows for readers, and plaintext reads of held bytes.
 */
export interface StreamableShare {
  readonly id: string
  readonly blockSize: number
  readonly blockCount: number
  readonly files: readonly StreamFile[]
  isHeld (block: number): boolean
  whenHeld (block: number, signal: AbortSignal): Promise<void>
  /** A reader's blocks of interest (inclusive), or null when it goes away. */
  setWindow (readerId: string, window: PriorityWindow | null): void
  /** Plaintext of `file` at `position`; every block under it must be held. */
  read (file: StreamFile, position: number, length: number): Promise<Buffer>
  /** Verified download rate, bytes per second (smoothed): sizes the read-ahead. */
  downloadRate (): number
  close (): Promise<void>
}

/** Blocks a media file's head and tail prefetch cover at least (index and moov live there). */
const TAIL_MIN_BYTES = 512 * 1024
/** At most this much of the tail is fetched early (a long film's MP4 index is a few MiB). */
const TAIL_MAX_BYTES = 4 * 1024 * 1024
const RATE_SAMPLE_MS = 500

/**
 * A share being fetched into a PlaintextStore (.part files): bytes are read from the plaintext
 * on disk once the swarm has verified and written their blocks.
 */
export class FetchedShare implements StreamableShare {
  readonly id: string
  readonly blockSize: number
  readonly blockCount: number
  readonly files: StreamFile[]
  readonly #store: PlaintextStore
  readonly #swarm: Swarm
  readonly #handles = new Map<string, Promise<FileHandle>>()
  readonly #closing = new AbortController()
  #rate = 0
  #lastBytes = 0
  #lastAt = performance.now()
  readonly #sampler: NodeJS.Timeout
  readonly #releaseSwarm: () => void

  constructor (store: PlaintextStore, swarm: Swarm) {
    this.#store = store
    this.#swarm = swarm
    this.#releaseSwarm = swarm.holdForStreaming()
    this.id = store.manifest.cid.toString()
    this.blockSize = store.manifest.header.blockSize
    this.blockCount = store.manifest.header.blockCount
    this.files = store.files.filter(f => f.selected).map(f => ({
      path: f.entry.path,
      size: f.entry.size,
      offset: f.start,
      mime: f.entry.mime ?? guessMime(f.entry.path) ?? 'application/octet-stream'
    }))
    this.#lastBytes = swarm.stats().downloaded
    this.#sampler = setInterval(() => { this.#sample() }, RATE_SAMPLE_MS)
    this.#sampler.unref()
  }

  isHeld (block: number): boolean { return this.#swarm.isHeld(block) }

  async whenHeld (block: number, signal: AbortSignal): Promise<void> {
    await this.#swarm.whenHeld(block, AbortSignal.any([signal, this.#closing.signal]))
  }

  setWindow (readerId: string, window: PriorityWindow | null): void { this.#swarm.setPriorityWindow(readerId, window) }

  downloadRate (): number { return this.#rate }

  /**
   * Fetches the first block and the tail of a media file before anything else: players read the
   * container's header, then its index (MP4 `moov` without faststart, Matroska cues) at the end.
   */
  prefetchEnds (file: StreamFile): void {
    if (file.size === 0) return
    const first = Math.floor(file.offset / this.blockSize)
    const last = Math.floor((file.offset + file.size - 1) / this.blockSize)
    const tailBytes = Math.min(TAIL_MAX_BYTES, Math.max(TAIL_MIN_BYTES, Math.ceil(file.size / 100)))
    const tailFrom = Math.max(first, last - Math.ceil(tailBytes / this.blockSize) + 1)
    const windows: Array<[string, PriorityWindow]> = [[`ends:head:${file.path}`, { from: first, to: first }], [`ends:tail:${file.path}`, { from: tailFrom, to: last }]]
    for (const [id, w] of windows) {
      this.setWindow(id, w)
      const blocks = Array.from({ length: w.to - w.from + 1 }, (_, k) => w.from + k)
      Promise.all(blocks.map(async b => { await this.whenHeld(b, this.#closing.signal) }))
        .then(() => { this.setWindow(id, null) }, () => { this.setWindow(id, null) })
    }
  }

  async read (file: StreamFile, position: number, length: number): Promise<Buffer> {
    const out = Buffer.allocUnsafe(length)
    const handle = await this.#handle(file)
    let done = 0
    while (done < length) {
      const { bytesRead } = await handle.read(out, done, length - done, position + done)
      if (bytesRead === 0) throw new Error(`${file.path} is shorter than the share says`)
      done += bytesRead
    }
    return out
  }

  async close (): Promise<void> {
    this.#closing.abort(new Error('the stream was closed'))
    clearInterval(this.#sampler)
    this.#releaseSwarm()
    for (const h of this.#handles.values()) await h.then(async fh => { await fh.close() }, () => {})
    this.#handles.clear()
  }

  /**
   * A read-only handle of the file's .part (or of the final file, once renamed; a handle opened
   * on the .part stays valid across the rename).
   */
  async #handle (file: StreamFile): Promise<FileHandle> {
    let h = this.#handles.get(file.path)
    if (h == null) {
      const out = this.#store.files.find(f => f.entry.path === file.path)!
      h = open(out.part, 'r').catch(async () => await open(out.final, 'r'))
      this.#handles.set(file.path, h)
      h.catch(() => { this.#handles.delete(file.path) })
    }
    return await h
  }

  #sample (): void {
    const now = performance.now()
    const bytes = this.#swarm.stats().downloaded
    const rate = (bytes - this.#lastBytes) / Math.max(0.001, (now - this.#lastAt) / 1000)
    this.#lastBytes = bytes
    this.#lastAt = now
    this.#rate = this.#rate === 0 ? rate : this.#rate * 0.7 + rate * 0.3
  }
}
