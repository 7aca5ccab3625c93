import { formatBytes, formatRate } from './units.ts'

/** A one-line progress bar on a TTY's stderr, redrawn at most ten times a second. */
export class ProgressBar {
  readonly #label: string
  readonly #stream: NodeJS.WriteStream
  readonly #started = performance.now()
  #last = 0
  #drawn = false

  constructor (label: string, stream: NodeJS.WriteStream = process.stderr) {
    this.#label = label
    this.#stream = stream
  }

  update (done: number, total: number): void {
    const now = performance.now()
    if (now - this.#last < 100 && done < total) return
    this.#last = now
    const width = Math.max(10, Math.min(40, (this.#stream.columns ?? 80) - 60))
    const frac = total === 0 ? 1 : Math.min(1, done / total)
    const filled = Math.round(frac * width)
    const seconds = (now - this.#started) / 1000
    const rate = seconds > 0 ? done / seconds : 0
    const line = `${this.#label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${(frac * 100).toFixed(0).padStart(3)}% ${formatBytes(done)}/${formatBytes(total)} ${formatRate(rate)}`
    this.#stream.write(`\r\x1b[2K${line}`)
    this.#drawn = true
  }

  done (): void {
    if (this.#drawn) this.#stream.write('\r\x1b[2K')
    this.#drawn = false
  }
}

/** A progress callback when stderr is a terminal and output is for people; otherwise nothing. */
export function progressFor (label: string, enabled: boolean): { onProgress?: (done: number, total: number) => void, finish: () => void } {
  if (!enabled || process.stderr.isTTY !== true) return { finish: () => {} }
  const bar = new ProgressBar(label)
  return { onProgress: (d, t) => { bar.update(d, t) }, finish: () => { bar.done() } }
}
