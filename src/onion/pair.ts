// Two connected in-process Duplex streams that behave like the two ends of a TCP connection:
// ordered bytes, backpressure (a writer waits while its peer's buffer is full), no half-open
// state, an optional one-way delay per chunk, and a peer that sees the end of the stream (then
// ECONNRESET on writes) when the other end is destroyed.
import { Duplex } from 'node:stream'
import { MEMORY_HIGH_WATER_MARK } from './constants.ts'

export class ConnectionResetError extends Error {
  override name = 'ConnectionResetError'
  readonly code = 'ECONNRESET'
  constructor () {
    super('connection reset by peer')
  }
}

/** One-way delay, in milliseconds, of a chunk of `bytes` bytes. */
export type ChunkLatency = (bytes: number) => number

/** Time the delays run on (a simulator's virtual clock); default: Date.now and real timers. */
export interface PairClock {
  now (): number
  setTimeout (fn: () => void, ms: number): unknown
  clearTimeout (handle: unknown): void
}

const realTime: PairClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: handle => { clearTimeout(handle as NodeJS.Timeout) }
}

export interface DuplexPairOptions {
  /** Bytes each end buffers for its reader before the other end's writes wait. */
  highWaterMark?: number
  /** Delay of chunks written by the first end (a → b). */
  latencyAB?: ChunkLatency
  /** Delay of chunks written by the second end (b → a). */
  latencyBA?: ChunkLatency
  /** What the delays are measured and waited on; default real time. */
  clock?: PairClock
}

interface InFlight {
  at: number
  /** null is the end of the stream. */
  chunk: Buffer | null
  onDelivered?: () => void
}

export class MemoryStream extends Duplex {
  #peer: MemoryStream | null = null
  readonly #latency: ChunkLatency | undefined
  /** Chunks on their way to the peer, in order of delivery time. */
  readonly #outbox: InFlight[] = []
  #inFlight = 0
  readonly #clock: PairClock
  #timer: unknown = null
  #lastAt = 0
  /** The callback of a write that waits for room in the peer's buffer. */
  #waitingWrite: ((err?: Error | null) => void) | null = null
  #endSent = false

  constructor (highWaterMark: number, latency: ChunkLatency | undefined, clock: PairClock = realTime) {
    super({ allowHalfOpen: false, highWaterMark, decodeStrings: true })
    this.#latency = latency
    this.#clock = clock
  }

  static pair (options: DuplexPairOptions = {}): [MemoryStream, MemoryStream] {
    const hwm = options.highWaterMark ?? MEMORY_HIGH_WATER_MARK
    const a = new MemoryStream(hwm, options.latencyAB, options.clock)
    const b = new MemoryStream(hwm, options.latencyBA, options.clock)
    a.#peer = b
    b.#peer = a
    return [a, b]
  }

  override _read (): void {
    // Our reader wants more: the peer may write again (Readable only asks when it has room).
    const peer = this.#peer
    if (peer !== null) peer.#releaseWrite(true)
  }

  override _write (chunk: Buffer, _encoding: BufferEncoding, callback: (err?: Error | null) => void): void {
    const peer = this.#peer
    if (peer === null || peer.destroyed) { callback(new ConnectionResetError()); return }
    if (chunk.length === 0) { callback(); return }
    // Set before sending: pushing may make the peer's reader ask for more at once.
    this.#waitingWrite = callback
    this.#send(chunk)
    this.#releaseWrite(false)
  }

  override _final (callback: (err?: Error | null) => void): void {
    // 'finish' means the end reached the peer, so a stream destroyed after 'finish' loses nothing.
    this.#sendEnd(() => { callback() })
  }

  override _destroy (err: Error | null, callback: (err?: Error | null) => void): void {
    const peer = this.#peer
    this.#waitingWrite = null
    // As a closed socket: what was already sent still arrives, then the peer reads the end.
    this.#sendEnd()
    if (peer !== null) {
      const waiting = peer.#waitingWrite
      peer.#waitingWrite = null
      waiting?.(new ConnectionResetError())
    }
    callback(err)
  }

  /** Calls the waiting write's callback when the peer has room (or unconditionally when asked by its reader). */
  #releaseWrite (force: boolean): void {
    const waiting = this.#waitingWrite
    if (waiting === null) return
    const peer = this.#peer
    if (!force && peer !== null && !peer.destroyed && this.#inFlight + peer.readableLength >= peer.readableHighWaterMark) return
    this.#waitingWrite = null
    waiting()
  }

  #sendEnd (onDelivered?: () => void): void {
    if (this.#endSent) { onDelivered?.(); return }
    this.#endSent = true
    this.#enqueue({ at: 0, chunk: null, onDelivered })
  }

  #send (chunk: Buffer): void {
    this.#enqueue({ at: 0, chunk })
  }

  #enqueue (item: InFlight): void {
    const delay = this.#latency?.(item.chunk?.length ?? 0) ?? 0
    if (delay <= 0 && this.#outbox.length === 0) { this.#deliver(item); return }
    // Never deliver before an earlier chunk: a later chunk with a shorter delay waits its turn.
    item.at = Math.max(this.#clock.now() + Math.max(0, delay), this.#lastAt)
    this.#lastAt = item.at
    this.#outbox.push(item)
    this.#inFlight += item.chunk?.length ?? 0
    this.#schedule()
  }

  #schedule (): void {
    if (this.#timer !== null) return
    const head = this.#outbox[0]
    if (head === undefined) return
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = null
      const now = this.#clock.now()
      while (this.#outbox.length > 0 && this.#outbox[0]!.at <= now) {
        const item = this.#outbox.shift()!
        this.#inFlight -= item.chunk?.length ?? 0
        this.#deliver(item)
      }
      this.#releaseWrite(false)
      this.#schedule()
    }, Math.max(0, head.at - this.#clock.now()))
  }

  #deliver (item: InFlight): void {
    const peer = this.#peer
    if (peer !== null && !peer.destroyed && !peer.readableEnded) peer.push(item.chunk)
    item.onDelivered?.()
  }
}

/** Two connected in-memory streams: what one writes, the other reads. */
export function memoryDuplexPair (options: DuplexPairOptions = {}): [MemoryStream, MemoryStream] {
  return MemoryStream.pair(options)
}
