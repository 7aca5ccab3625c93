import { Duplex } from 'node:stream'
/**
 * A token bucket shared by everything it limits (all swarms of a node for `--max-upload`).
 * `take` waits until the bytes fit; a burst of one second's worth is allowed. Its rate can change
 * while it runs (setRate: a daemon's `oht config set maxUpload`); Infinity means no limit, and
 * then `take` costs nothing.
 */
export class RateLimiter {
  #rate: number
  #tokens: number
  #last = performance.now()
  #queue: Promise<void> = Promise.resolve()
  /** Callers waiting in the queue (an unlimited bucket still serves them in order). */
  #waiting = 0

  constructor (bytesPerSecond: number) {
    if (!(bytesPerSecond > 0)) throw new RangeError('rate must be positive')
    this.#rate = bytesPerSecond
    this.#tokens = Number.isFinite(bytesPerSecond) ? bytesPerSecond : 0
  }

  get bytesPerSecond (): number { return this.#rate }
  get unlimited (): boolean { return this.#rate === Infinity }

  /** A new rate from now on (Infinity: none); what the bucket holds is capped to the new burst. */
  setRate (bytesPerSecond: number): void {
    if (!(bytesPerSecond > 0)) throw new RangeError('rate must be positive')
    this.#refill()
    this.#rate = bytesPerSecond
    this.#tokens = Number.isFinite(bytesPerSecond) ? Math.min(this.#tokens, bytesPerSecond) : 0
    this.#last = performance.now()
  }

  /**
   * Resolves when `bytes` may be sent; callers are served in order. When `stillWanted` says no at
   * the caller's turn (a request cancelled while it queued), nothing is spent and it resolves false.
   */
  async take (bytes: number, stillWanted?: () => boolean): Promise<boolean> {
    if (this.unlimited && this.#waiting === 0) return stillWanted == null || stillWanted()
    let granted = true
    this.#waiting++
    const turn = this.#queue.then(async () => {
      if (stillWanted != null && !stillWanted()) { granted = false; return }
      // A rate lowered while waiting is obeyed from the next wait on (the loop re-reads it).
      for (;;) {
        if (this.unlimited) return
        this.#refill()
        // A block larger than the burst is let through once the bucket is full, then owed.
        const need = Math.min(bytes, this.#rate)
        if (this.#tokens >= need) break
        await new Promise(resolve => setTimeout(resolve, Math.min(1000, Math.ceil(((need - this.#tokens) / this.#rate) * 1000))))
        if (stillWanted != null && !stillWanted()) { granted = false; return }
      }
      this.#tokens -= bytes
    }).finally(() => { this.#waiting-- })
    this.#queue = turn.catch(() => {})
    await turn
    return granted
  }

  #refill (): void {
    const now = performance.now()
    if (Number.isFinite(this.#rate)) this.#tokens = Math.min(this.#rate, this.#tokens + ((now - this.#last) / 1000) * this.#rate)
    this.#last = now
  }
}

/**
 * One rate for a bucket of each peer's own (`--max-upload-per-peer`, `--max-download-per-peer`):
 * `bucket(peer)` hands the same bucket to every connection (lane) of a peer while one holds it, and
 * setRate changes every bucket handed out as well as those to come (Infinity: none, which costs
 * nothing), so a limit set or lifted on a running daemon reaches the peers already connected.
 */
export class PerPeerRate {
  #rate: number
  readonly #buckets = new Map<string, { limiter: RateLimiter, holders: number }>()

  constructor (bytesPerSecond = Infinity) {
    if (!(bytesPerSecond > 0)) throw new RangeError('rate must be positive')
    this.#rate = bytesPerSecond
  }

  get bytesPerSecond (): number { return this.#rate }
  /** Peers holding a bucket now. */
  get peers (): number { return this.#buckets.size }

  setRate (bytesPerSecond: number): void {
    if (!(bytesPerSecond > 0)) throw new RangeError('rate must be positive')
    this.#rate = bytesPerSecond
    for (const { limiter } of this.#buckets.values()) limiter.setRate(bytesPerSecond)
  }

  /** `peer`'s bucket (shared by its connections); `release` once the connection is gone (idempotent). */
  bucket (peer: string): { limiter: RateLimiter, release: () => void } {
    let held = this.#buckets.get(peer)
    if (held == null) { held = { limiter: new RateLimiter(this.#rate), holders: 0 }; this.#buckets.set(peer, held) }
    held.holders++
    const entry = held
    let released = false
    return {
      limiter: entry.limiter,
      release: () => {
        if (released) return
        released = true
        if (--entry.holders === 0 && this.#buckets.get(peer) === entry) this.#buckets.delete(peer)
      }
    }
  }
}

/**
 * The same stream, with what it reads paced by `limiters` in turn (a peer's own bucket, then the
 * node's `--max-download`): reading stops while a bucket is empty, so TCP (or Tor) flow control
 * slows the sender; writes pass straight through.
 */
export function throttleReads (inner: Duplex, ...limiters: RateLimiter[]): Duplex {
  const unlimited = (): boolean => limiters.every(l => l.unlimited)
  let waiting = false
  let wantMore = true
  let chain: Promise<void> = Promise.resolve()
  const outer = new Duplex({
    read () {
      wantMore = true
      if (!waiting) inner.resume()
    },
    write (chunk: Buffer, _encoding, callback) { inner.write(chunk, callback) },
    final (callback) { inner.end(); callback() },
    destroy (err, callback) { inner.destroy(err ?? undefined); callback(err) }
  })
  inner.on('data', (chunk: Buffer) => {
    // No limit now and nothing queued: straight through, as if not throttled.
    if (!waiting && unlimited()) {
      wantMore = outer.push(chunk)
      if (!wantMore) inner.pause()
      return
    }
    inner.pause()
    waiting = true
    chain = chain.then(async () => {
      for (const limiter of limiters) await limiter.take(chunk.length)
      waiting = false
      wantMore = outer.push(chunk)
      if (wantMore && !outer.destroyed) inner.resume()
    })
  })
  let ended = false
  inner.once('end', () => { ended = true; void chain.then(() => { outer.push(null) }) })
  inner.once('error', err => { outer.destroy(err) })
  inner.once('close', () => { void chain.then(() => { if (!ended) outer.destroy() }) })
  return outer
}
