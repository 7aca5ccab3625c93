// Time as the DHT sees it, injected so tests and the simulator can control it: the simulator runs
// a scaled clock (one real millisecond counts as many Tor milliseconds), tests may run a fast one.
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
