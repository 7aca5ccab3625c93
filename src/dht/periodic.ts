// Periodic work on the injected clock. Each task runs `ms` after its previous run ended (never two
// runs of one task at once), and only while its owner runs; a failed run is retried next period.
import type { Clock, TimerHandle } from './clock.ts'

export class PeriodicTasks {
  readonly #clock: Clock
  readonly #running: () => boolean
  readonly #timers = new Set<TimerHandle>()

  constructor (clock: Clock, running: () => boolean) {
    this.#clock = clock
    this.#running = running
  }

  every (ms: number, task: () => Promise<void>): void {
    const schedule = (): void => {
      const timer = this.#clock.setTimeout(() => {
        this.#timers.delete(timer)
        if (!this.#running()) return
        task().catch(() => {}).finally(() => { if (this.#running()) schedule() })
      }, ms)
      this.#timers.add(timer)
    }
    schedule()
  }

  /** Cancels every pending run (a run in progress finishes and is not rescheduled once stopped). */
  clear (): void {
    for (const timer of this.#timers) this.#clock.clearTimeout(timer)
    this.#timers.clear()
  }
}
