import { Duplex } from 'node:stream'
/**
 * A token bucket shared by everything it limits (all swarms of a node for `--max-upload`).
 * `take` waits until the bytes fit; a burst of one second's worth is allowed.
 */
export class RateLimiter {
  readonly bytesPerSecond: number
  #tokens: number
  #last = performance.now()
  #queue: Promise<void> = Promise.resolve()

  constructor (bytesPerSecond: number) {
    if (!(bytesPerSecond > 0)) throw new RangeError('rate must be positive')
    this.bytesPerSecond = bytesPerSecond
    this.#tokens = bytesPerSecond
  }

  /**
   * Resolves when `bytes` may be sent; callers are served in order. When `stillWanted` says no at
   * the caller's turn (a request cancelled while it queued), nothing is spent and it resolves false.
   */
  async take (bytes: number, stillWanted?: () => boolean): Promise<boolean> {
    let granted = true
    const turn = this.#queue.then(async () => {
      if (stillWanted != null && !stillWanted()) { granted = false; return }
      this.#refill()
      // A block larger than the burst is let through once the bucket is full, then owed.
      const need = Math.min(bytes, this.bytesPerSecond)
      if (this.#tokens < need) {
        await new Promise(resolve => setTimeout(resolve, Math.ceil(((need - this.#tokens) / this.bytesPerSecond) * 1000)))
        this.#refill()
        if (stillWanted != null && !stillWanted()) { granted = false; return }
      }
      this.#tokens -= bytes
    })
    this.#queue = turn.catch(() => {})
    await turn
    return granted
  }

  #refill (): void {
    const now = performance.now()
    this.#tokens = Math.min(this.bytesPerSecond, this.#tokens + ((now - this.#last) / 1000) * this.bytesPerSecond)
    this.#last = now
  }
}

/**
 * The same stream, with what it reads paced by `limiter` (`--max-download`): reading stops while
 * the bucket is empty, so TCP (or Tor) flow control slows the sender; writes pass straight through.
 */
export function throttleReads (inner: Duplex, limiter: RateLimiter): Duplex {
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
    inner.pause()
    waiting = true
    chain = chain.then(async () => {
      await limiter.take(chunk.length)
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
