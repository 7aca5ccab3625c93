import { formatBytes, formatRate } from './units.ts'
import { t } from './i18n/index.ts'

/**
 * How long commands show progress (`--progress`): `bar` redraws one line on a terminal; `lines`
 * prints a plain line now and then (logs, pipes); `json` prints one JSON event per line; all on
 * stderr, so stdout keeps only the result. `auto`: a bar on a terminal, lines otherwise, nothing
 * under --json or --quiet (their stdout/stderr contract: the result only).
 */
export type ProgressMode = 'auto' | 'bar' | 'lines' | 'json' | 'none'
export const PROGRESS_MODES: readonly ProgressMode[] = ['auto', 'bar', 'lines', 'json', 'none']

export interface ProgressSink {
  update: (done: number, total: number) => void
  done: () => void
}

/** A one-line progress bar on a TTY's stderr, redrawn at most ten times a second. */
export class ProgressBar implements ProgressSink {
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

/** Plain lines for logs and pipes: at most one every 2 s (and the last), so a log stays short. */
export class ProgressLines implements ProgressSink {
  readonly #label: string
  readonly #write: (line: string) => void
  readonly #started = performance.now()
  readonly #everyMs: number
  #last = -Infinity
  #lastDone = -1

  constructor (label: string, write: (line: string) => void = l => { process.stderr.write(l) }, everyMs = 2000) {
    this.#label = label
    this.#write = write
    this.#everyMs = everyMs
  }

  update (done: number, total: number): void {
    const now = performance.now()
    if (now - this.#last < this.#everyMs && done < total) return
    if (done === this.#lastDone) return
    this.#last = now
    this.#lastDone = done
    const seconds = (now - this.#started) / 1000
    const percent = total === 0 ? 100 : Math.floor(Math.min(1, done / total) * 100)
    this.#write(t('progress.line', { label: this.#label, percent, done: formatBytes(done), total: formatBytes(total), rate: formatRate(seconds > 0 ? done / seconds : 0) }) + '\n')
  }

  done (): void {}
}

/** NDJSON progress events on stderr, at most four a second (and the last). */
export class ProgressJson implements ProgressSink {
  readonly #label: string
  readonly #write: (line: string) => void
  #last = -Infinity

  constructor (label: string, write: (line: string) => void = l => { process.stderr.write(l) }) {
    this.#label = label
    this.#write = write
  }

  update (done: number, total: number): void {
    const now = performance.now()
    if (now - this.#last < 250 && done < total) return
    this.#last = now
    this.#write(JSON.stringify({ type: 'progress', task: this.#label, bytesDone: done, bytesTotal: total }) + '\n')
  }

  done (): void {}
}

/** The sink a mode asks for, given whether stderr is a terminal and the output options. */
export function chooseProgress (mode: ProgressMode, label: string, context: { json: boolean, quiet: boolean, tty: boolean }): ProgressSink | undefined {
  const m = mode === 'auto' ? (context.json || context.quiet ? 'none' : context.tty ? 'bar' : 'lines') : mode
  switch (m) {
    case 'bar': return new ProgressBar(t(`progress.task.${label}`))
    case 'lines': return new ProgressLines(t(`progress.task.${label}`))
    case 'json': return new ProgressJson(label)
    default: return undefined
  }
}

/** A progress callback (or none) for a long task; `label` is a task name (sharing, fetching, exporting). */
export function progressFor (label: string, output: { json: boolean, quiet: boolean, progressMode: ProgressMode }): { onProgress?: (done: number, total: number) => void, finish: () => void } {
  const sink = chooseProgress(output.progressMode, label, { json: output.json, quiet: output.quiet, tty: process.stderr.isTTY === true })
  if (sink == null) return { finish: () => {} }
  return { onProgress: (d, total) => { sink.update(d, total) }, finish: () => { sink.done() } }
}
