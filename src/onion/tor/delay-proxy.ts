// A TCP proxy on 127.0.0.1 that delays every byte by a one-way delay in each direction, for the
// WAN-like private Tor network (testnet.ts): kernel netem is not available where tests run, so
// each relay's advertised ORPort is one of these in front of the port tor really listens on.
//
// Order is kept (a chunk is never delivered before an earlier one, jitter included), so the link
// stays a loss-free TCP link that is merely far away. Memory is bounded: a direction holding
// `maxBufferedBytes` pauses its source, as a full TCP window would, and the proxy waits for the
// destination's 'drain' before delivering more. A half-close (FIN) travels with the same delay
// after the bytes before it; an error or reset on either side tears down both at once.
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net'

export interface DelayProxyOptions {
  /** Port to listen on at 127.0.0.1; 0 picks a free one. */
  port: number
  /** The port on 127.0.0.1 that connections are forwarded to. */
  targetPort: number
  /** One-way delay of a new connection, in ms, both directions; a function is asked once per connection (one link, one distance). */
  delayMs: number | (() => number)
  /** Each chunk waits a further 0..jitterMs ms (never overtaking an earlier chunk); default 0. */
  jitterMs?: number
  /** Source of randomness for the jitter in [0, 1); default Math.random (pass a seeded one for reproducible runs). */
  random?: () => number
  /** Bytes one direction of one connection holds before pausing its source; default 1 MiB (a TCP window's worth at WAN delays). */
  maxBufferedBytes?: number
}

const DEFAULT_MAX_BUFFERED = 1024 * 1024

/** One direction of one connection: reads `source`, writes each chunk to `sink` once it is due. */
class DelayedPipe {
  readonly #source: Socket
  readonly #sink: Socket
  readonly #delayMs: number
  readonly #jitter: () => number
  readonly #maxBuffered: number
  /** Chunks not yet delivered, oldest first; `null` is the source's FIN. */
  #queue: Array<{ due: number, chunk: Buffer | null }> = []
  #head = 0
  #buffered = 0
  #lastDue = 0
  #timer: NodeJS.Timeout | null = null
  #awaitingDrain = false
  #pausedSource = false
  #stopped = false
  /** The source sent its FIN (a clean end, not a reset). */
  sourceEnded = false

  constructor (source: Socket, sink: Socket, delayMs: number, jitter: () => number, maxBuffered: number) {
    this.#source = source
    this.#sink = sink
    this.#delayMs = delayMs
    this.#jitter = jitter
    this.#maxBuffered = maxBuffered
    source.on('data', (chunk: Buffer) => { this.#push(chunk) })
    source.once('end', () => { this.sourceEnded = true; this.#push(null) })
  }

  /** Bytes held, not yet handed to the sink. */
  get buffered (): number { return this.#buffered }

  /** Bytes or a FIN still on their way. */
  get pending (): boolean { return this.#head < this.#queue.length }

  /** Drops whatever is queued and cancels the timer (on teardown). */
  stop (): void {
    this.#stopped = true
    if (this.#timer !== null) clearTimeout(this.#timer)
    this.#timer = null
    this.#queue = []
    this.#head = 0
    this.#buffered = 0
  }

  #push (chunk: Buffer | null): void {
    if (this.#stopped) return
    // Never earlier than the chunk before: jitter delays, it does not reorder.
    const due = Math.max(this.#lastDue, performance.now() + this.#delayMs + this.#jitter())
    this.#lastDue = due
    this.#queue.push({ due, chunk })
    if (chunk !== null) {
      this.#buffered += chunk.length
      if (this.#buffered >= this.#maxBuffered && !this.#pausedSource) {
        this.#pausedSource = true
        this.#source.pause()
      }
    }
    this.#schedule()
  }

  #schedule (): void {
    if (this.#stopped || this.#timer !== null || this.#awaitingDrain || !this.pending) return
    const wait = this.#queue[this.#head]!.due - performance.now()
    if (wait <= 0) this.#deliver()
    else this.#timer = setTimeout(() => { this.#timer = null; this.#deliver() }, Math.ceil(wait))
  }

  #deliver (): void {
    const now = performance.now()
    while (!this.#stopped && this.pending && this.#queue[this.#head]!.due <= now) {
      const { chunk } = this.#queue[this.#head++]!
      if (chunk === null) { this.#sink.end(); continue }
      this.#buffered -= chunk.length
      const more = this.#sink.write(chunk)
      if (this.#pausedSource && this.#buffered < this.#maxBuffered / 2) {
        this.#pausedSource = false
        this.#source.resume()
      }
      if (!more) {
        this.#awaitingDrain = true
        this.#sink.once('drain', () => { this.#awaitingDrain = false; this.#deliver() })
        break
      }
    }
    // Compact now and then, so a long-lived link does not keep an ever-growing array.
    if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head)
      this.#head = 0
    }
    this.#schedule()
  }
}

export class DelayProxy {
  readonly #server: Server
  readonly #options: DelayProxyOptions
  /** Every open connection: its two directions and its teardown. */
  readonly #open = new Set<{ pipes: [DelayedPipe, DelayedPipe], teardown: () => void }>()
  #closing: Promise<void> | null = null

  private constructor (server: Server, options: DelayProxyOptions) {
    this.#server = server
    this.#options = options
  }

  static async listen (options: DelayProxyOptions): Promise<DelayProxy> {
    const server = createServer({ allowHalfOpen: true, noDelay: true })
    const proxy = new DelayProxy(server, options)
    server.on('connection', socket => { proxy.#accept(socket) })
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(options.port, '127.0.0.1', () => { server.off('error', reject); resolve() })
    })
    return proxy
  }

  get port (): number { return (this.#server.address() as AddressInfo).port }

  /** Connections open right now. */
  get connections (): number { return this.#open.size }

  /** Bytes held in the proxy right now, all connections and directions (bounded by maxBufferedBytes each, plus one chunk). */
  get bufferedBytes (): number {
    let sum = 0
    for (const { pipes } of this.#open) sum += pipes[0].buffered + pipes[1].buffered
    return sum
  }

  /** Stops listening and tears down every connection (no timer stays behind). Idempotent. */
  async close (): Promise<void> {
    this.#closing ??= (async () => {
      const closed = new Promise<void>(resolve => { this.#server.close(() => { resolve() }) })
      for (const { teardown } of [...this.#open]) teardown()
      await closed
    })()
    await this.#closing
  }

  #accept (client: Socket): void {
    if (this.#closing !== null) { client.destroy(); return }
    const { delayMs, jitterMs = 0, random = Math.random, maxBufferedBytes = DEFAULT_MAX_BUFFERED } = this.#options
    const delay = typeof delayMs === 'number' ? delayMs : delayMs()
    const jitter = jitterMs > 0 ? (): number => random() * jitterMs : (): number => 0
    const target = connect({ host: '127.0.0.1', port: this.#options.targetPort, allowHalfOpen: true, noDelay: true })
    const up = new DelayedPipe(client, target, delay, jitter, maxBufferedBytes)
    const down = new DelayedPipe(target, client, delay, jitter, maxBufferedBytes)
    let done = false
    const teardown = (): void => {
      if (done) return
      done = true
      up.stop()
      down.stop()
      client.destroy()
      target.destroy()
      this.#open.delete(entry)
    }
    const entry = { pipes: [up, down] as [DelayedPipe, DelayedPipe], teardown }
    this.#open.add(entry)
    client.on('error', teardown)
    target.on('error', teardown)
    // A socket closes once it has both read and sent a FIN. Then its own direction may still
    // carry delayed bytes to the other side, which closes in turn when they are delivered;
    // a close without a FIN read (reset, destroy) ends everything at once.
    let closed = 0
    const onClose = (pipe: DelayedPipe) => (): void => {
      if (!pipe.sourceEnded) teardown()
      else if (++closed === 2) teardown()
    }
    client.once('close', onClose(up))
    target.once('close', onClose(down))
  }
}
