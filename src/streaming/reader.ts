import { Readable } from 'node:stream'
import { randomUUID } from 'node:crypto'
import type { ByteRange } from './range.ts'
import type { StreamableShare, StreamFile } from './share.ts'

/** Read-ahead is this many seconds of the measured download rate... */
const READ_AHEAD_SECONDS = 8
/** ...within these bounds, in blocks. */
const MIN_READ_AHEAD_BLOCKS = 4
const MAX_READ_AHEAD_BLOCKS = 96
/** Bytes handed to HTTP at once (a block at 256 KiB; smaller blocks are read whole). */
const MAX_CHUNK = 256 * 1024
/** How long the window of a reader that reached the end of its range outlives it. */
const FINISHED_WINDOW_GRACE_MS = 3000

/** How many blocks after the reader's position should be fetched first. */
export function readAheadBlocks (share: StreamableShare): number {
  const wanted = Math.ceil((share.downloadRate() * READ_AHEAD_SECONDS) / share.blockSize)
  return Math.max(MIN_READ_AHEAD_BLOCKS, Math.min(MAX_READ_AHEAD_BLOCKS, wanted))
}

/**
 * A byte range of one file as a pull stream: each read waits for the block under the position
 * (whose priority window it sets first, so the swarm fetches it next), then reads the plaintext
 * from disk. Nothing is read before HTTP asks for it (backpressure: a slow player keeps oht from
 * buffering the file). Destroying it (the client went away) drops its window.
 */
export class RangeReader extends Readable {
  readonly id = randomUUID()
  readonly #share: StreamableShare
  readonly #file: StreamFile
  readonly #end: number
  readonly #abort = new AbortController()
  #position: number
  #lastWindowFrom = -1

  constructor (share: StreamableShare, file: StreamFile, range: ByteRange) {
    super({ highWaterMark: MAX_CHUNK })
    this.#share = share
    this.#file = file
    this.#position = range.start
    this.#end = range.end
  }

  get position (): number { return this.#position }

  override _read (): void {
    this.#next().then(chunk => { this.push(chunk) }, err => { this.destroy(err as Error) })
  }

  override _destroy (err: Error | null, callback: (error?: Error | null) => void): void {
    this.#abort.abort(err ?? new Error('reader closed'))
    if (this.#position > this.#end && err == null) {
      // Served to the end: players ask for the next range at once, so the read-ahead stays
      // wanted a moment. A reader cut short (a seek, a closed player) lets go at once.
      setTimeout(() => { this.#share.setWindow(this.id, null) }, FINISHED_WINDOW_GRACE_MS).unref()
    } else {
      this.#share.setWindow(this.id, null)
    }
    callback(err)
  }

  async #next (): Promise<Buffer | null> {
    if (this.#position > this.#end) return null
    const bs = this.#share.blockSize
    const absolute = this.#file.offset + this.#position
    const block = Math.floor(absolute / bs)
    this.#target(block)
    if (!this.#share.isHeld(block)) await this.#share.whenHeld(block, this.#abort.signal)
    const blockEnd = (block + 1) * bs
    const length = Math.min(this.#end + 1 - this.#position, blockEnd - absolute, MAX_CHUNK)
    const chunk = await this.#share.read(this.#file, this.#position, length)
    this.#position += length
    return chunk
  }

  /** The window starts at the reader's block and ends with its file (or the read-ahead). */
  #target (block: number): void {
    if (block === this.#lastWindowFrom) return
    this.#lastWindowFrom = block
    const fileLast = Math.floor((this.#file.offset + this.#file.size - 1) / this.#share.blockSize)
    // Beyond the requested range too (players ask for the next range from there), not past the file.
    const to = Math.min(fileLast, block + readAheadBlocks(this.#share) - 1)
    this.#share.setWindow(this.id, { from: block, to })
  }
}
