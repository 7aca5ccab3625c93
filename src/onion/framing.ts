// Length-prefixed messages for oht's control protocols (handshake, DHT): a uint32 big-endian
// length, then that many bytes. The reader enforces a hard maximum chosen by the caller and
// refuses an oversized length as soon as its 4 bytes arrive, before allocating anything, so a
// hostile peer cannot make us buffer 4 GiB by announcing it.
import type { Readable, Writable } from 'node:stream'
import { DEFAULT_MAX_FRAME_BYTES } from './constants.ts'

const PREFIX_BYTES = 4
const MAX_UINT32 = 0xffff_ffff
/** Payloads up to this size are sent in one write with their prefix (one packet with TCP_NODELAY). */
const COALESCE_BYTES = 64 * 1024

export class FramingError extends Error {
  override name = 'FramingError'
}

export class FrameTooLargeError extends FramingError {
  override name = 'FrameTooLargeError'
  readonly length: number
  readonly max: number
  constructor (length: number, max: number) {
    super(`a frame of ${length} bytes is over the limit of ${max} bytes`)
    this.length = length
    this.max = max
  }
}

/** The stream ended in the middle of a frame. */
export class TruncatedFrameError extends FramingError {
  override name = 'TruncatedFrameError'
}

/** Writing to a stream that is closed, or that closed before a frame could be flushed. */
export class StreamClosedError extends FramingError {
  override name = 'StreamClosedError'
}

export interface FrameOptions {
  /** Hard limit on a frame's payload; default 1 MiB. */
  maxFrameBytes?: number
}

function checkMax (max: number): number {
  if (!Number.isInteger(max) || max < 0 || max > MAX_UINT32) throw new RangeError(`maxFrameBytes must be an integer from 0 to 2^32-1, got ${max}`)
  return max
}

/** The frame of `payload`: its length as uint32 big-endian, then the payload. */
export function encodeFrame (payload: Uint8Array, options: FrameOptions = {}): Buffer {
  const max = checkMax(options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES)
  if (payload.length > max) throw new FrameTooLargeError(payload.length, max)
  const frame = Buffer.allocUnsafe(PREFIX_BYTES + payload.length)
  frame.writeUInt32BE(payload.length, 0)
  frame.set(payload, PREFIX_BYTES)
  return frame
}

/**
 * Writes one frame; resolves when the stream can take more (after 'drain' if it was full), so
 * a loop of `await writeFrame(...)` never buffers more than the stream's high-water mark.
 */
export async function writeFrame (stream: Writable, payload: Uint8Array, options: FrameOptions = {}): Promise<void> {
  const max = checkMax(options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES)
  if (payload.length > max) throw new FrameTooLargeError(payload.length, max)
  if (stream.destroyed || stream.writableEnded) throw new StreamClosedError('cannot write a frame: the stream is closed')
  let ready: boolean
  if (payload.length <= COALESCE_BYTES) ready = stream.write(encodeFrame(payload, { maxFrameBytes: max }))
  else {
    const prefix = Buffer.allocUnsafe(PREFIX_BYTES)
    prefix.writeUInt32BE(payload.length, 0)
    stream.write(prefix)
    ready = stream.write(payload)
  }
  if (!ready) await drained(stream)
}

function drained (stream: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (err?: Error): void => {
      stream.off('drain', onDrain)
      stream.off('close', onClose)
      stream.off('error', onError)
      if (err != null) reject(err)
      else resolve()
    }
    const onDrain = (): void => { done() }
    const onClose = (): void => { done(new StreamClosedError('the stream closed before the frame was sent')) }
    const onError = (err: Error): void => { done(err) }
    stream.on('drain', onDrain)
    stream.on('close', onClose)
    stream.on('error', onError)
  })
}

/**
 * Reads frames from a byte stream. It pulls only as many chunks as the frames it is asked for
 * need, keeps the rest, and `release()` puts that rest back into the stream, so a protocol can
 * read a few frames and then hand the very same stream, positioned right after them, to another
 * parser. Iterating yields frames until the stream ends on a frame boundary; a stream that ends
 * mid-frame throws TruncatedFrameError; an oversized length destroys the stream with
 * FrameTooLargeError. While the reader is attached it listens for the stream's errors (and
 * rethrows them from `next()`); after a failure it stays attached so a destroyed stream's
 * 'error' event never goes unhandled.
 */
export class FrameReader implements AsyncIterable<Buffer> {
  readonly #stream: Readable
  readonly #max: number
  #chunks: Buffer[] = []
  #buffered = 0
  #ended = false
  #closed = false
  #error: Error | null = null
  #failure: Error | null = null
  #wake: (() => void) | null = null
  #busy = false
  #released = false

  constructor (stream: Readable, options: FrameOptions = {}) {
    this.#stream = stream
    this.#max = checkMax(options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES)
    if (stream.readableObjectMode) throw new TypeError('FrameReader reads byte streams, not object-mode streams')
    this.#ended = stream.readableEnded
    this.#closed = stream.destroyed
    this.#error = stream.errored
    stream.on('readable', this.#onEvent)
    stream.on('end', this.#onEnd)
    stream.on('close', this.#onClose)
    stream.on('error', this.#onError)
  }

  /** Bytes read from the stream but not yet returned as frames. */
  get buffered (): number { return this.#buffered }

  readonly #signal = (): void => {
    const wake = this.#wake
    this.#wake = null
    wake?.()
  }

  readonly #onEvent = (): void => { this.#signal() }
  readonly #onEnd = (): void => { this.#ended = true; this.#signal() }
  readonly #onClose = (): void => { this.#closed = true; this.#signal() }
  readonly #onError = (err: Error): void => { this.#error ??= err; this.#signal() }

  /** The next frame's payload, or null when the stream ended (or closed) between frames. */
  async next (): Promise<Buffer | null> {
    if (this.#released) throw new TypeError('this FrameReader was released')
    if (this.#failure != null) throw this.#failure
    if (this.#busy) throw new TypeError('FrameReader.next() called while a previous call is pending')
    this.#busy = true
    try {
      if (!await this.#fill(PREFIX_BYTES, true)) return null
      const length = this.#take(PREFIX_BYTES).readUInt32BE(0)
      if (length > this.#max) {
        const err = new FrameTooLargeError(length, this.#max)
        this.#stream.destroy(err)
        throw err
      }
      await this.#fill(length, false)
      return this.#take(length)
    } catch (err) {
      this.#failure = err as Error
      throw err
    } finally {
      this.#busy = false
    }
  }

  async * [Symbol.asyncIterator] (): AsyncIterator<Buffer> {
    while (true) {
      const frame = await this.next()
      if (frame === null) return
      yield frame
    }
  }

  /**
   * Detaches from the stream and puts the bytes read past the last frame back at its front
   * (`unshift`), so whoever reads the stream next sees exactly what follows that frame.
   */
  release (): void {
    if (this.#released) return
    if (this.#busy) throw new TypeError('cannot release a FrameReader while next() is pending')
    this.#released = true
    const stream = this.#stream
    stream.off('readable', this.#onEvent)
    stream.off('end', this.#onEnd)
    stream.off('close', this.#onClose)
    if (this.#failure == null) stream.off('error', this.#onError)
    if (this.#buffered > 0 && !stream.destroyed) {
      stream.unshift(this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks, this.#buffered))
    }
    this.#chunks = []
    this.#buffered = 0
  }

  /** Reads until `n` bytes are buffered; false only at a clean end with nothing buffered. */
  async #fill (n: number, atBoundary: boolean): Promise<boolean> {
    while (this.#buffered < n) {
      if (this.#error != null) throw this.#error
      // Pull one chunk at a time: reading past what is needed would consume the stream's end
      // (and emit 'end') while there may still be a frame to return.
      const chunk = this.#closed ? null : this.#stream.read() as Buffer | string | null
      if (chunk !== null) {
        if (typeof chunk === 'string') throw new TypeError('FrameReader needs a byte stream; the stream has an encoding set')
        this.#chunks.push(chunk)
        this.#buffered += chunk.length
        continue
      }
      if (this.#ended || this.#closed) {
        if (atBoundary && this.#buffered === 0) return false
        throw new TruncatedFrameError(`the stream ended inside a frame (${this.#buffered} of ${n} bytes${atBoundary ? ' of the length prefix' : ''})`)
      }
      await new Promise<void>(resolve => { this.#wake = resolve })
    }
    return true
  }

  #take (n: number): Buffer {
    const first = this.#chunks[0]
    if (n === 0) return Buffer.alloc(0)
    this.#buffered -= n
    if (first !== undefined && first.length >= n) {
      if (first.length === n) this.#chunks.shift()
      else this.#chunks[0] = first.subarray(n)
      return first.subarray(0, n)
    }
    const out = Buffer.allocUnsafe(n)
    let offset = 0
    while (offset < n) {
      const chunk = this.#chunks[0]!
      const want = Math.min(n - offset, chunk.length)
      chunk.copy(out, offset, 0, want)
      offset += want
      if (want === chunk.length) this.#chunks.shift()
      else this.#chunks[0] = chunk.subarray(want)
    }
    return out
  }
}

/** Iterates the frames of `stream` (see FrameReader). */
export function readFrames (stream: Readable, options: FrameOptions = {}): AsyncIterable<Buffer> {
  return new FrameReader(stream, options)
}
