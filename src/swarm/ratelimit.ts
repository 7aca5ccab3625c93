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
