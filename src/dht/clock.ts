// Time as the DHT sees it, injected so tests and the simulator can control it: the simulator runs
// a virtual clock (discrete-event time that jumps from timer to timer whenever the process has
// nothing else to do, so simulated seconds cost no real time and results do not depend on the
// machine's load); a scaled clock (one real millisecond counts as many Tor milliseconds) is kept
// for runs that want real concurrency.
import { setImmediate as turn } from 'node:timers/promises'

/** setTimeout's longest delay (about 24.8 days); longer ones are clamped instead of firing at once. */
const MAX_TIMER_MS = 2 ** 31 - 1

export interface TimerHandle { readonly __timer: unknown }

export interface Clock {
  /** Milliseconds since the Unix epoch (record expiries are absolute). */
  now (): number
  /** Calls `fn` after `ms` of this clock's milliseconds; timers never keep the process alive. */
  setTimeout (fn: () => void, ms: number): TimerHandle
  clearTimeout (handle: TimerHandle): void
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const timer = setTimeout(fn, Math.min(Math.max(0, ms), MAX_TIMER_MS))
    timer.unref()
    return timer as unknown as TimerHandle
  },
  clearTimeout: handle => { clearTimeout(handle as unknown as NodeJS.Timeout) }
}

/**
 * A clock on which `scale` of its milliseconds pass per real millisecond, starting at `epoch`:
 * with scale 100 a 2-second Tor connect is simulated by a 20 ms real delay. Durations measured
 * with it are simulated time (real time × scale), which includes CPU time × scale: keep the host
 * unloaded when measuring.
 */
export function scaledClock (scale: number, epoch: number = Date.now()): Clock {
  if (!(scale > 0)) throw new RangeError(`clock scale must be positive, got ${scale}`)
  const start = performance.now()
  return {
    now: () => Math.floor(epoch + (performance.now() - start) * scale),
    setTimeout: (fn, ms) => {
      const timer = setTimeout(fn, Math.min(Math.max(0, ms / scale), MAX_TIMER_MS))
      timer.unref()
      return timer as unknown as TimerHandle
    },
    clearTimeout: handle => { clearTimeout(handle as unknown as NodeJS.Timeout) }
  }
}

/** Resolves after `ms` of `clock` time, or rejects when `signal` aborts. */
export function sleep (clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) { reject(signal.reason); return }
    const onAbort = (): void => { clock.clearTimeout(handle); reject(signal?.reason) }
    const handle = clock.setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve() }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

interface VirtualTimer {
  at: number
  /** Order of creation: timers due at the same time fire in the order they were set. */
  seq: number
  fn: (() => void) | null
}

export interface VirtualClockOptions {
  /** Time at creation, ms since the Unix epoch (record expiries are absolute); default Date.now(). */
  epoch?: number
  /**
   * Event-loop turns (setImmediate) to let settle before time may move: the I/O a timer starts
   * (stream writes, nextTicks, promise chains, an immediate or two) runs first. Turns go on while
   * the last one touched the clock, so this is only the minimum.
   */
  settleTurns?: number
}

/**
 * Discrete-event time for simulations. `now()` stands still while anything runs; a driver loop
 * runs every timer due at `now`, lets the work they start settle (microtasks, nextTicks,
 * setImmediate callbacks, until an event-loop turn passes in which nobody touched the clock),
 * then jumps `now` to the next timer. Simulated seconds thus cost no real time, and CPU stalls
 * never turn into timeouts. Timers due at the same time fire in the order they were set.
 *
 * The driver runs between start() and stop(): while it runs, the process stays alive as long as
 * a timer is pending (unlike systemClock's unref'd timers), so stop it when the simulation ends.
 * Everything awaited while it runs must be driven by this clock: a real timer or real I/O
 * awaited meanwhile would see virtual time race ahead of it.
 */
export class VirtualClock implements Clock {
  readonly epoch: number
  readonly #settleTurns: number
  #now: number
  #seq = 0
  /** Binary min-heap by (at, seq); cleared timers stay in it with fn = null until they surface. */
  #heap: VirtualTimer[] = []
  #live = 0
  /** Bumped by every call, to tell when the work in flight has settled. */
  #activity = 0
  #running = false
  #driving = false
  #firing = false
  #steps = 0

  constructor (options: VirtualClockOptions = {}) {
    this.epoch = options.epoch ?? Date.now()
    this.#now = this.epoch
    this.#settleTurns = Math.max(1, options.settleTurns ?? 2)
  }

  now (): number {
    this.#activity++
    return this.#now
  }

  /** Milliseconds of virtual time since the clock was created. */
  get elapsed (): number { return this.#now - this.epoch }

  /** Driver steps so far (each: settle, then fire the timers due at one instant). */
  get steps (): number { return this.#steps }

  /** Timers set and not yet fired or cleared. */
  get pending (): number { return this.#live }

  setTimeout (fn: () => void, ms: number): TimerHandle {
    this.#activity++
    // Whole milliseconds, as Date.now(): record expiries derived from now() must stay integers.
    const delay = Number.isFinite(ms) ? Math.max(0, Math.ceil(ms)) : 0
    const timer: VirtualTimer = { at: this.#now + delay, seq: this.#seq++, fn }
    this.#push(timer)
    this.#live++
    this.#kick()
    return timer as unknown as TimerHandle
  }

  clearTimeout (handle: TimerHandle): void {
    this.#activity++
    const timer = handle as unknown as VirtualTimer
    if (timer?.fn == null) return
    timer.fn = null
    this.#live--
    // Cleared timers are dropped lazily; rebuild when they are most of the heap.
    if (this.#heap.length > 1024 && this.#live < this.#heap.length / 4) {
      this.#heap = this.#heap.filter(t => t.fn !== null)
      for (let i = (this.#heap.length >> 1) - 1; i >= 0; i--) this.#down(i)
    }
  }

  /** Lets time flow: the driver runs whenever timers are pending. */
  start (): this {
    this.#running = true
    this.#kick()
    return this
  }

  /** Freezes time (pending timers stay set); the driver ends after its current step. */
  stop (): void {
    this.#running = false
  }

  get running (): boolean { return this.#running }

  /**
   * Fires, in order, every timer due up to `now + ms` (letting the work each step starts settle),
   * then sets the time to `now + ms`. For tests that step time by hand on a stopped clock.
   */
  async advance (ms: number): Promise<void> {
    const end = this.#now + Math.max(0, ms)
    while (true) {
      await this.#settle()
      const next = this.#peek()
      if (next === undefined || next.at > end) break
      this.#fireDue(next.at)
    }
    this.#now = Math.max(this.#now, end)
  }

  #kick (): void {
    if (!this.#running || this.#driving || this.#firing) return
    this.#driving = true
    void this.#drive()
  }

  async #drive (): Promise<void> {
    try {
      while (this.#running) {
        await this.#settle()
        if (!this.#running) break
        const next = this.#peek()
        if (next === undefined) break
        this.#fireDue(next.at)
      }
    } finally {
      this.#driving = false
    }
    // A timer set after the last check but before the loop ended would otherwise wait for the next one.
    if (this.#running && this.#peek() !== undefined) this.#kick()
  }

  /** Awaits event-loop turns until one passes in which nobody touched the clock. */
  async #settle (): Promise<void> {
    for (let i = 0; i < this.#settleTurns; i++) await turn()
    for (let i = 0; i < 10_000; i++) {
      const before = this.#activity
      await turn()
      if (this.#activity === before) return
    }
  }

  /**
   * Moves time to `at` and runs every timer due by then that was set before this step; those
   * they set for `now` run at the next step, after the work they started has settled (as a real
   * zero-delay timer runs after the microtasks of the callback that set it).
   */
  #fireDue (at: number): void {
    if (at > this.#now) this.#now = at
    this.#steps++
    const before = this.#seq
    this.#firing = true
    try {
      while (true) {
        const next = this.#peek()
        if (next === undefined || next.at > this.#now || next.seq >= before) break
        this.#pop()
        const fn = next.fn!
        next.fn = null
        this.#live--
        try {
          fn()
        } catch (err) {
          // As a throwing real timer callback: an uncaught exception, not a stuck clock.
          process.nextTick(() => { throw err })
        }
      }
    } finally {
      this.#firing = false
    }
  }

  /** The earliest live timer (cleared ones at the top are discarded). */
  #peek (): VirtualTimer | undefined {
    while (this.#heap.length > 0 && this.#heap[0]!.fn === null) this.#pop()
    return this.#heap[0]
  }

  #less (a: VirtualTimer, b: VirtualTimer): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq)
  }

  #push (timer: VirtualTimer): void {
    const heap = this.#heap
    heap.push(timer)
    let i = heap.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!this.#less(heap[i]!, heap[parent]!)) break
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!]
      i = parent
    }
  }

  #pop (): void {
    const heap = this.#heap
    const last = heap.pop()!
    if (heap.length > 0) {
      heap[0] = last
      this.#down(0)
    }
  }

  #down (start: number): void {
    const heap = this.#heap
    let i = start
    while (true) {
      const l = 2 * i + 1
      const r = l + 1
      let min = i
      if (l < heap.length && this.#less(heap[l]!, heap[min]!)) min = l
      if (r < heap.length && this.#less(heap[r]!, heap[min]!)) min = r
      if (min === i) return
      [heap[i], heap[min]] = [heap[min]!, heap[i]!]
      i = min
    }
  }
}
