import type { PeerSource } from '../network/discovery.ts'

/** Dials of a fetch's peers, started as their addresses arrive. */
export interface Dialing {
  /**
   * Resolves at the first peer connected; rejects when none could be: with the source's own
   * error (e.g. no providers in the DHT), else an AggregateError of the dials' errors.
   */
  readonly first: Promise<void>
  /** Resolves once the source has ended and every dial has settled. */
  readonly settled: Promise<void>
  /** Dials no address that arrives from now on (the fetch is over). */
  stop: () => void
}

/**
 * Dials every distinct address of `source` as soon as it arrives: a list at once, a DHT lookup's
 * providers while the lookup goes on, so the first block need not wait for the lookup's end.
 */
export function dialAsFound (source: PeerSource, dial: (address: string) => Promise<void>): Dialing {
  const first = Promise.withResolvers<void>()
  const settled = Promise.withResolvers<void>()
  first.promise.catch(() => {})
  const seen = new Set<string>()
  const failures: unknown[] = []
  let sourceError: unknown
  let pending = 0
  let ended = false
  let connected = false
  let stopped = false
  const check = (): void => {
    if (!ended || pending > 0) return
    settled.resolve()
    if (!connected) first.reject(sourceError ?? new AggregateError(failures, 'no peer could be reached'))
  }
  const start = (address: string): void => {
    if (stopped || seen.has(address)) return
    seen.add(address)
    pending++
    dial(address).then(() => { connected = true; first.resolve() }, (err: unknown) => { failures.push(err) })
      .finally(() => { pending--; check() })
  }
  void (async () => {
    try {
      for await (const address of source) {
        if (stopped) break
        start(address)
      }
    } catch (err) {
      sourceError = err
    } finally {
      ended = true
      check()
    }
  })()
  return { first: first.promise, settled: settled.promise, stop: () => { stopped = true } }
}
