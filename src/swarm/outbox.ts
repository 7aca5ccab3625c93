import type { Duplex } from 'node:stream'

export interface OutboxLimits {
  /** Bytes queued (plus answers being prepared) above which a new answer waits. */
  answerBytes: number
  /** Bytes queued at which the connection is dropped (`onOverflow`). */
  maxBytes: number
  /** An answer that waited this long drops the connection (`onOverflow`). */
  stallMs: number
  /** How often waiting answers look at the queue again, besides the socket's 'drain'. */
  pollMs: number
}

/**
 * What one connection has queued for its peer, and the gate its answers pass: a peer that stops
 * reading its socket while it keeps requesting makes answers wait here, before a block is read
 * or a leaf range copied, instead of piling them up in the wire's and the socket's buffers.
 * Answers go out in the order they asked (FIFO); the first one always may, so a block larger
 * than the bound still goes out once the queue is below it.
 */
export class Outbox {
  readonly #queued: () => number
  readonly #stream: Duplex
  readonly #limits: OutboxLimits
  readonly #onOverflow: (reason: string) => void
  readonly #waiters: Array<{ bytes: number, since: number, resolve: (ok: boolean) => void }> = []
  #reserved = 0
  #closed = false
  #timer: NodeJS.Timeout | undefined
  readonly #onDrain = (): void => { this.#pump() }

  /** `queued` counts the bytes written for the peer and not yet taken by the kernel. */
  constructor (queued: () => number, stream: Duplex, limits: OutboxLimits, onOverflow: (reason: string) => void) {
    this.#queued = queued
    this.#stream = stream
    this.#limits = limits
    this.#onOverflow = onOverflow
  }

  /** Bytes queued for the peer now. */
  get queued (): number { return this.#queued() }
  /** Bytes of answers admitted but not yet queued (being read, rate-limited). */
  get reserved (): number { return this.#reserved }
  /** Answers waiting for room. */
  get waiting (): number { return this.#waiters.length }

  /** Drops the connection when the hard bound is passed (called after each message queued). */
  check (): void {
    if (this.#closed) return
    const queued = this.#queued()
    if (queued > this.#limits.maxBytes) this.#onOverflow(`peer does not read: ${queued} bytes queued for it (limit ${this.#limits.maxBytes})`)
  }

  /**
   * Resolves true once an answer of `bytes` may be prepared (call `release(bytes)` when it is
   * queued or given up), false when the connection closed meanwhile.
   */
  async reserve (bytes: number): Promise<boolean> {
    if (this.#closed) return false
    if (this.#waiters.length === 0 && this.#fits(bytes)) { this.#reserved += bytes; return true }
    return await new Promise<boolean>(resolve => {
      this.#waiters.push({ bytes, since: performance.now(), resolve })
      if (this.#timer == null) {
        this.#timer = setInterval(() => { this.#pump() }, this.#limits.pollMs)
        this.#timer.unref()
        this.#stream.on('drain', this.#onDrain)
      }
    })
  }

  release (bytes: number): void {
    this.#reserved = Math.max(0, this.#reserved - bytes)
    this.#pump()
  }

  /** The connection closed: every waiting answer resolves false. */
  close (): void {
    if (this.#closed) return
    this.#closed = true
    this.#stopTimer()
    for (const w of this.#waiters.splice(0)) w.resolve(false)
  }

  #fits (bytes: number): boolean {
    const queued = this.#queued()
    if (queued >= this.#limits.answerBytes) return false
    return this.#reserved === 0 || queued + this.#reserved + bytes <= this.#limits.answerBytes
  }

  #pump (): void {
    while (!this.#closed && this.#waiters.length > 0) {
      const head = this.#waiters[0]!
      if (!this.#fits(head.bytes)) {
        if (performance.now() - head.since > this.#limits.stallMs) this.#onOverflow(`peer took nothing for ${Math.round(this.#limits.stallMs / 1000)} s while asking for more`)
        return
      }
      this.#waiters.shift()
      this.#reserved += head.bytes
      head.resolve(true)
    }
    if (this.#waiters.length === 0) this.#stopTimer()
  }

  #stopTimer (): void {
    if (this.#timer == null) return
    clearInterval(this.#timer)
    this.#timer = undefined
    this.#stream.off('drain', this.#onDrain)
  }
}
