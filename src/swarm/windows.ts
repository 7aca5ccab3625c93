import type { PriorityWindow } from './types.ts'

/**
 * Streaming readers' priority windows (libtorrent's set_piece_deadline, one window per reader),
 * and the blocks requested for them. Lives from the swarm's start: a reader may set its window
 * before the metadata is known.
 */
export class PriorityWindows {
  readonly #windows = new Map<string, PriorityWindow>()
  /** Blocks requested for a window (cancelled when no window wants them any more). */
  readonly #requested = new Set<number>()

  /** Sets or (`null`) drops a reader's window, clamped to blocks 0..last; returns the window kept. */
  set (readerId: string, window: PriorityWindow | null, last: number): PriorityWindow | undefined {
    const next = window == null ? undefined : { from: Math.max(0, Math.floor(window.from)), to: Math.min(last, Math.floor(window.to)) }
    if (next == null || next.to < next.from) {
      this.#windows.delete(readerId)
      return undefined
    }
    this.#windows.set(readerId, next)
    return next
  }

  values (): IterableIterator<PriorityWindow> { return this.#windows.values() }

  /** The reader has a window now. */
  has (readerId: string): boolean { return this.#windows.has(readerId) }

  get size (): number { return this.#windows.size }

  /** Some window holds block `index`. */
  includes (index: number): boolean {
    for (const w of this.#windows.values()) if (index >= w.from && index <= w.to) return true
    return false
  }

  /** How far block `index` is from the start of the nearest window that holds it (Infinity: none). */
  distance (index: number): number {
    let best = Infinity
    for (const w of this.#windows.values()) if (index >= w.from && index <= w.to) best = Math.min(best, index - w.from)
    return best
  }

  /** Remembers that `index` was requested for a window. */
  requested (index: number): void { this.#requested.add(index) }

  /** Forgets that `index` was requested for a window (cancelled, or asked again later). */
  forget (index: number): void { this.#requested.delete(index) }

  /** Blocks requested for windows that no window holds any more; forgets them. */
  takeStale (): number[] {
    const stale: number[] = []
    for (const index of this.#requested) {
      if (this.includes(index)) continue
      this.#requested.delete(index)
      stale.push(index)
    }
    return stale
  }
}
