import { DialError, type DialOptions } from './transport.ts'

/** Where the deadline's timer runs: real timers by default, a simulator's clock in simulations. */
export interface DeadlineTimers {
  setTimeout (fn: () => void, ms: number): unknown
  clearTimeout (handle: unknown): void
}

const realTimers: DeadlineTimers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: handle => { clearTimeout(handle as NodeJS.Timeout) }
}

/**
 * Runs one dial attempt under a timeout and the caller's abort signal, so every transport
 * times out and aborts the same way. The attempt gets a signal that fires on either, and must
 * release what it holds when it does; a stream that still arrives after the deadline is handed
 * to `discard` (a late dial must not leak a connection).
 */
export async function dialWithDeadline<T> (
  address: string,
  options: DialOptions,
  defaultTimeoutMs: number,
  attempt: (signal: AbortSignal) => Promise<T>,
  discard: (late: T) => void,
  timers: DeadlineTimers = realTimers
): Promise<T> {
  const { signal } = options
  const timeoutMs = options.timeoutMs ?? defaultTimeoutMs
  if (!(timeoutMs > 0)) throw new RangeError(`dial timeout must be positive, got ${timeoutMs}`)
  if (signal?.aborted === true) throw new DialError(address, 'aborted', `dial to ${address} aborted`, { cause: signal.reason })

  const controller = new AbortController()
  let timer: unknown
  let onAbort: (() => void) | undefined
  try {
    return await new Promise<T>((resolve, reject) => {
      let done = false
      const stop = (err: DialError): void => {
        if (done) return
        done = true
        controller.abort(err)
        reject(err)
      }
      timer = timers.setTimeout(() => { stop(new DialError(address, 'timeout', `no connection to ${address} within ${timeoutMs} ms`)) }, timeoutMs)
      onAbort = () => { stop(new DialError(address, 'aborted', `dial to ${address} aborted`, { cause: signal?.reason })) }
      signal?.addEventListener('abort', onAbort, { once: true })
      attempt(controller.signal).then(stream => {
        if (done) discard(stream)
        else { done = true; resolve(stream) }
      }, (err: unknown) => {
        if (!done) { done = true; reject(err) }
      })
    })
  } finally {
    if (timer !== undefined) timers.clearTimeout(timer)
    if (onAbort != null) signal?.removeEventListener('abort', onAbort)
  }
}
