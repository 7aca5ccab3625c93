import createDebug from 'debug'
import { setTimeout as sleep } from 'node:timers/promises'
import { LANE_EARLY_MIN_BLOCKS, LANE_GAIN, LANE_POLL_MS, LANE_SETTLE_MS, LANE_WINDOW_MAX_MS, LANE_WINDOW_MIN_MS, LANE_WINDOW_RTTS, MAX_LANES } from './constants.ts'

/**
 * Striping over lanes: a fetching node opens up to MAX_LANES connections to one swarm peer, each
 * over its own Tor circuit (one circuit is held back by latency and Tor's flow control; several
 * carry more). The swarm spreads requests over a node's lanes (each lane has its own pipeline).
 * This unit decides how many lanes: a pure rule (nextLaneStep) and a controller that measures.
 */

const log = createDebug('oht:swarm:lanes')

/** A node's delivery rate (bytes per ms) measured while it had `lanes` lanes. */
export interface LaneSample {
  lanes: number
  rate: number
}

export type LaneStep = 'add' | 'stop'

/**
 * The lane rule. The first lane delivering is always followed by a second (`previous` absent);
 * after that another lane is added only while the last one raised the node's rate by at least
 * `gain`. A sample with no more lanes than the previous one (a lane died meanwhile) stops: no
 * evidence that more lanes help. Never beyond `maxLanes`.
 */
export function nextLaneStep (previous: LaneSample | undefined, current: LaneSample, maxLanes: number = MAX_LANES, gain: number = LANE_GAIN): LaneStep {
  if (current.lanes >= maxLanes) return 'stop'
  if (previous == null) return 'add'
  if (current.lanes <= previous.lanes) return 'stop'
  return current.rate >= previous.rate * gain ? 'add' : 'stop'
}

/** How long a rate is measured for: a few of the path's shortest round trips, within bounds. */
export function laneWindowMs (minRttMs: number): number {
  const rtt = Number.isFinite(minRttMs) ? minRttMs : 0
  return Math.min(LANE_WINDOW_MAX_MS, Math.max(LANE_WINDOW_MIN_MS, rtt * LANE_WINDOW_RTTS))
}

/** What the controller reads of a node in a swarm (Swarm.laneState). */
export interface LaneState {
  lanes: number
  /** Lanes that delivered at least one block (their pipelines are established). */
  delivering: number
  /** Verified bytes the node gave, over all its lanes. */
  received: number
  /** Shortest block round trip over its lanes (Infinity before any block). */
  minRttMs: number
  /** The node has blocks this fetch wants and does not hold. */
  useful: boolean
  /** Blocks this fetch still lacks (from any node). */
  missing: number
}

export interface LaneHost {
  /** Undefined once the node (or the swarm) is gone. */
  laneState (nodeId: string): LaneState | undefined
}

/** Opens lane number `lane` (1 for the second) to the node; rejects when it cannot. */
export type LaneDial = (lane: number) => Promise<void>

export interface LaneControllerOptions {
  signal?: AbortSignal
  /** Overrides laneWindowMs (tests). */
  windowMs?: (minRttMs: number) => number
}

/**
 * Adds lanes to one node while they pay: waits until the first lane delivers and the node has
 * something this fetch wants, measures the node's rate over a window, applies nextLaneStep, dials
 * the next lane, waits for it to deliver, measures again, and so on. It ends when the rule says
 * stop, a dial fails, the node has nothing more to give, or the node or swarm is gone. Lanes that
 * die later are the swarm's business (their requests go elsewhere); no lane is re-opened. A fetch
 * still missing LANE_EARLY_MIN_BLOCKS or more dials the second lane at once, beside the first
 * (the rule adds it anyway); its ladder of measurements then starts at two lanes.
 */
export class LaneController {
  readonly #host: LaneHost
  readonly #nodeId: string
  readonly #dial: LaneDial
  readonly #abort = new AbortController()
  readonly #windowMs: (minRttMs: number) => number
  /** Lanes this controller opened (beyond the first), and the samples it decided on. */
  opened = 0
  readonly samples: LaneSample[] = []
  /** Settles when the controller has decided for good (never rejects). */
  readonly done: Promise<void>

  constructor (host: LaneHost, nodeId: string, dial: LaneDial, options: LaneControllerOptions = {}) {
    this.#host = host
    this.#nodeId = nodeId
    this.#dial = dial
    this.#windowMs = options.windowMs ?? laneWindowMs
    options.signal?.addEventListener('abort', () => { this.stop() }, { once: true })
    this.done = this.#run().catch(() => {})
  }

  stop (): void { this.#abort.abort() }

  async #run (): Promise<void> {
    const early = (s: LaneState): boolean => s.lanes === 1 && s.useful && s.missing >= LANE_EARLY_MIN_BLOCKS
    const first = await this.#until(s => (s.delivering >= 1 && s.useful) || early(s), Infinity)
    if (first == null) return
    // The second lane the rule would add anyway, dialed beside the first (LANE_EARLY_MIN_BLOCKS).
    if (early(first) && !await this.#openAndSettle(1)) return
    let previous: LaneSample | undefined
    while (!this.#abort.signal.aborted) {
      const sample = await this.#measure()
      if (sample == null) return
      this.samples.push(sample)
      const step = nextLaneStep(previous, sample)
      log('%s: %d lanes, %s KiB/s (before: %s) -> %s', this.#nodeId.slice(0, 12), sample.lanes, (sample.rate * 1000 / 1024).toFixed(0), previous == null ? '-' : (previous.rate * 1000 / 1024).toFixed(0), step)
      if (step === 'stop') return
      previous = sample
      if (!await this.#openAndSettle(sample.lanes)) return
    }
  }

  /**
   * Dials lane number `lane`, then waits until every lane delivers (its pipeline established) or
   * had LANE_SETTLE_MS to: the next measurement counts it. False when the controller should end
   * (the dial failed, the node is gone or has nothing more to give).
   */
  async #openAndSettle (lane: number): Promise<boolean> {
    if (!await this.#open(lane)) return false
    const settled = await this.#until(s => s.delivering >= s.lanes || !s.useful, LANE_SETTLE_MS)
    return settled != null && settled.useful
  }

  /** Dials lane number `lane`; false when the dial failed. */
  async #open (lane: number): Promise<boolean> {
    const dialStart = performance.now()
    try {
      await this.#dial(lane)
    } catch (err) {
      log('%s: lane %d not opened: %s', this.#nodeId.slice(0, 12), lane + 1, (err as Error).message)
      return false
    }
    this.opened++
    log('%s: lane %d open after %d ms', this.#nodeId.slice(0, 12), lane + 1, Math.round(performance.now() - dialStart))
    return true
  }

  /** The node's rate over one window; undefined when it is gone or has nothing more to give. */
  async #measure (): Promise<LaneSample | undefined> {
    const start = this.#host.laneState(this.#nodeId)
    if (start == null || !start.useful) return undefined
    const since = performance.now()
    await sleep(this.#windowMs(start.minRttMs), undefined, { ref: false, signal: this.#abort.signal })
    const end = this.#host.laneState(this.#nodeId)
    if (end == null) return undefined
    return { lanes: end.lanes, rate: (end.received - start.received) / (performance.now() - since) }
  }

  /** Polls the node until `ready` holds (its state), `timeoutMs` passes (the state), or it is gone. */
  async #until (ready: (s: LaneState) => boolean, timeoutMs: number): Promise<LaneState | undefined> {
    const deadline = performance.now() + timeoutMs
    while (true) {
      const s = this.#host.laneState(this.#nodeId)
      if (s == null) return undefined
      if (ready(s) || performance.now() >= deadline) return s
      await sleep(LANE_POLL_MS, undefined, { ref: false, signal: this.#abort.signal })
    }
  }
}
