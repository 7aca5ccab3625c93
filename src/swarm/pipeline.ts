import {
  DEPTH_SLACK_BLOCKS, DEPTH_SLACK_FACTOR, INITIAL_DEPTH, INITIAL_RTT_MS, MAX_DEPTH, MAX_WITHDRAWN, MIN_DEPTH, MIN_PROBE_WINDOW_MS,
  MIN_RATE_WINDOW_MS, DRAIN_SAMPLE_WEIGHT, PROBE_FLAT_WINDOWS, PROBE_FULL_MARGIN, PROBE_GAIN, PROBE_GROWTH, PROBE_MIN_RTT_MS, PROBE_REARM_WINDOWS,
  RATE_SAMPLE_WEIGHT, RTT_FLOOR_MS, RTT_SAMPLE_WEIGHT, TRANSIT_HORIZON_RTTS
} from './constants.ts'

/** State of the full-pipe probe (Pipeline.#probe). */
interface PipeProbe {
  /** The depth the probe asks for. */
  depth: number
  /** Best delivery rate seen, the depth it was first seen at, and probe windows since. */
  best: number
  bestDepth: number
  flat: number
  /** Bytes and start of the current window (a smoothed round trip long: fewer, steadier samples). */
  bytes: number
  since: number
}

/** A cancel this soon after its request goes out in the same write: the peer reads both at once and sends nothing. */
const SAME_WRITE_MS = 1

const freshProbe = (): PipeProbe => ({ depth: MIN_DEPTH, best: 0, bestDepth: MIN_DEPTH, flat: 0, bytes: 0, since: 0 })

interface InFlight {
  sentAt: number
  timer: NodeJS.Timeout
}

interface Withdrawn {
  sentAt: number
  /** The peer likely sent it: the cancel did not go out in the same write as the request. */
  sent: boolean
}

/**
 * The requests in flight on one connection and how many there should be (`depth`), sized from
 * what the connection measurably delivers: bandwidth × delay in blocks, plus slack, and a
 * full-pipe probe for paths (Tor) where that estimate falls short. One per connection: a peer
 * reached over several circuits would have one Pipeline per circuit, each sized by its own path.
 */
export class Pipeline {
  readonly #inflight = new Map<number, InFlight>()
  /**
   * Requests withdrawn from this connection (cancelled, timed out) whose answer may still come: a
   * cancel cannot recall bytes the peer already sent, and such an answer is used once rather than
   * asked for again. Bounded: the oldest is forgotten first.
   */
  readonly #withdrawn = new Map<number, Withdrawn>()
  /** When the latest request answered on this connection was sent (the peer answers in order). */
  #answeredSentAt = -Infinity
  /** When the latest block arrived (answer or late answer). */
  #lastArrivalAt = -Infinity
  /**
   * Smoothed time between two blocks arriving back to back (the second was asked before the first
   * came, so it was queued behind it): how fast this connection drains what it was sent, which
   * the delivery rate (`bytesPerMs`) does not say while the pipeline runs below its depth.
   */
  msPerQueuedBlock = 0
  /** Pipeline depth in blocks, grown from measured rate × round trip. */
  depth = INITIAL_DEPTH
  #probe = freshProbe()
  /** Smoothed round trip of a block request. */
  rttMs = INITIAL_RTT_MS
  /** Shortest round trip seen: the path's own delay, without our requests queued at the peer. */
  minRttMs = Infinity
  /** Delivery rate: bytes that arrived per ms, measured over windows of at least a round trip. */
  bytesPerMs = 0
  #rateBytes = 0
  #rateSince = 0

  /** Requests in flight. */
  get size (): number { return this.#inflight.size }
  /** Room for another request. */
  get hasRoom (): boolean { return this.#inflight.size < this.depth }
  has (index: number): boolean { return this.#inflight.has(index) }
  indices (): IterableIterator<number> { return this.#inflight.keys() }

  /** Records a request for `index`; `onTimeout` runs if it is still in flight after `timeoutMs`. */
  track (index: number, timeoutMs: number, onTimeout: () => void): void {
    this.#withdrawn.delete(index) // asked again here: an answer is the new request's
    const timer = setTimeout(onTimeout, timeoutMs)
    timer.unref()
    this.#inflight.set(index, { sentAt: performance.now(), timer })
  }

  /** Forgets a request (answered, timed out, cancelled); returns when it was sent, if it was in flight. */
  untrack (index: number): { sentAt: number } | undefined {
    const entry = this.#inflight.get(index)
    if (entry == null) return undefined
    clearTimeout(entry.timer)
    this.#inflight.delete(index)
    return entry
  }

  /**
   * A request sent at `sentAt` was cancelled or timed out: an answer that still comes may be used
   * (takeWithdrawn), and until it or a later request's answer comes it counts in `backlog` (not
   * when `sentAt` is unknown).
   */
  withdrawn (index: number, sentAt = -Infinity): void {
    this.#withdrawn.delete(index)
    this.#withdrawn.set(index, { sentAt, sent: performance.now() - sentAt >= SAME_WRITE_MS })
    if (this.#withdrawn.size > MAX_WITHDRAWN) this.#withdrawn.delete(this.#withdrawn.keys().next().value!)
  }

  /** True once for a withdrawn request's late answer: the caller may use that block. */
  takeWithdrawn (index: number): boolean {
    const entry = this.#withdrawn.get(index)
    if (entry == null) return false
    this.#withdrawn.delete(index)
    this.answered(entry.sentAt)
    return true
  }

  /**
   * A request sent at `sentAt` was answered (`now`): whatever was withdrawn before it came or never
   * will; if it was asked before the previous block arrived, the gap between them is a drain sample.
   */
  answered (sentAt: number, now = performance.now()): void {
    this.#answeredSentAt = Math.max(this.#answeredSentAt, sentAt)
    if (sentAt < this.#lastArrivalAt) {
      const gap = now - this.#lastArrivalAt
      this.msPerQueuedBlock = this.msPerQueuedBlock === 0 ? gap : this.msPerQueuedBlock * (1 - DRAIN_SAMPLE_WEIGHT) + gap * DRAIN_SAMPLE_WEIGHT
    }
    this.#lastArrivalAt = Math.max(this.#lastArrivalAt, now)
  }

  /**
   * Blocks the peer will still send before a new request's: those in flight, and those withdrawn
   * that it likely sent before the cancel came and that have not arrived (nothing asked after
   * them was answered yet). A cancel does not recall bytes in a circuit, so this, not `size`, is
   * how long a new request waits on this connection.
   */
  get backlog (): number { return this.#inflight.size + this.#inTransit(-Infinity) }

  /**
   * Withdrawn blocks still on their way (as in `backlog`), counting only those asked within the
   * last TRANSIT_HORIZON_RTTS round trips: one the peer never sent is forgotten by then, so a lane
   * held back while these arrive (Downloader.fill) is not held for ever.
   */
  get recentlyWithdrawnInTransit (): number { return this.#inTransit(performance.now() - TRANSIT_HORIZON_RTTS * this.rttMs) }

  #inTransit (askedAfter: number): number {
    let pending = 0
    for (const w of this.#withdrawn.values()) if (w.sent && w.sentAt > this.#answeredSentAt && w.sentAt > askedAfter) pending++
    return pending
  }

  /**
   * About how long the answer to a request sent now would take: the backlog drains while the
   * request travels (a round trip at best), then the block itself. A connection that never
   * drained a queue is assumed to take a round trip per block.
   */
  get expectedWaitMs (): number {
    const delay = Number.isFinite(this.minRttMs) ? this.minRttMs : this.rttMs
    const perBlock = this.msPerQueuedBlock > 0 ? this.msPerQueuedBlock : this.rttMs
    return Math.max(delay, this.backlog * perBlock) + perBlock
  }

  /** A request timed out: the connection gets a short pipeline until it proves itself again. */
  stalled (): void {
    this.depth = MIN_DEPTH
    this.#probe = freshProbe()
  }

  /**
   * A block of `bytes` arrived `elapsedMs` after its request. Depth ≈ bandwidth × delay in blocks
   * of `blockBytes`, plus slack: deep pipes for Tor's long round trips. The bandwidth is the
   * measured delivery rate and the delay the shortest round trip seen: a block's round trip
   * includes the requests queued before it, so "in flight ÷ round trip" or the average round trip
   * grow with the depth itself. The slack keeps probing for more, so a slow start on Tor still
   * grows geometrically. The delay is at least RTT_FLOOR_MS shared among the `senders` (the
   * connections with requests in flight): see there.
   */
  adapt (bytes: number, elapsedMs: number, blockBytes: number, senders: number): void {
    this.rttMs = this.rttMs * (1 - RTT_SAMPLE_WEIGHT) + elapsedMs * RTT_SAMPLE_WEIGHT
    this.minRttMs = Math.min(this.minRttMs, elapsedMs)
    const now = performance.now()
    if (this.#rateSince === 0) this.#rateSince = now - elapsedMs
    this.#rateBytes += bytes
    const window = now - this.#rateSince
    if (window >= Math.max(MIN_RATE_WINDOW_MS, this.minRttMs)) {
      const rate = this.#rateBytes / window
      this.bytesPerMs = this.bytesPerMs === 0 ? rate : this.bytesPerMs * (1 - RATE_SAMPLE_WEIGHT) + rate * RATE_SAMPLE_WEIGHT
      this.#rateBytes = 0
      this.#rateSince = now
    }
    const probe = this.#probe
    if (probe.since === 0) probe.since = now - elapsedMs
    probe.bytes += bytes
    if (now - probe.since >= Math.max(MIN_PROBE_WINDOW_MS, this.rttMs)) {
      this.#probeWindow(probe.bytes / (now - probe.since))
      probe.bytes = 0
      probe.since = now
    }
    if (this.bytesPerMs === 0) { this.depth = Math.min(MAX_DEPTH, this.depth + 1); return }
    const delay = Math.max(this.minRttMs, RTT_FLOOR_MS / Math.max(1, senders))
    const bdp = Math.ceil((this.bytesPerMs * delay) / blockBytes)
    const wanted = Math.max(Math.ceil(bdp * DEPTH_SLACK_FACTOR) + DEPTH_SLACK_BLOCKS, probe.depth)
    this.depth = Math.max(MIN_DEPTH, Math.min(MAX_DEPTH, wanted, this.depth + 1))
  }

  /**
   * The full-pipe probe, as BBR's start-up: rate × shortest round trip underestimates what a Tor
   * path needs in flight (its round trips vary several-fold: cell scheduling, flow-control
   * windows), so the depth also grows while more of it still buys rate, and holds once it does
   * not. On loopback the rate is at its ceiling almost at once, so the probe stops within a few
   * windows at a shallow depth. Only a full pipeline tells anything: with fewer requests out than
   * the depth (nothing left to pick, the store behind, a reader's window) the rate says nothing.
   */
  #probeWindow (rate: number): void {
    const probe = this.#probe
    if (this.minRttMs < PROBE_MIN_RTT_MS) { probe.depth = MIN_DEPTH; return }
    if (this.#inflight.size < this.depth - 1) return
    if (rate >= probe.best * PROBE_GAIN) {
      probe.best = rate
      probe.bestDepth = this.depth
      probe.flat = 0
      probe.depth = Math.min(MAX_DEPTH, Math.ceil(this.depth * PROBE_GROWTH))
      return
    }
    probe.flat++
    if (probe.flat === PROBE_FLAT_WINDOWS) probe.depth = Math.min(MAX_DEPTH, Math.ceil(probe.bestDepth * PROBE_FULL_MARGIN))
    if (probe.flat >= PROBE_FLAT_WINDOWS + PROBE_REARM_WINDOWS) { probe.best = rate; probe.flat = 0 }
  }
}
