// Counts message flights on real TCP connections without timing anything: a transport wrapper
// that gives every write a depth, one more than the deepest bytes its side had received when it
// wrote (the first bytes of a connection: depth 1). A reply to a reply is one deeper, so the
// depth of the bytes that carried something is the number of one-way flights it took since the
// connection opened (two per round trip). Bytes of a deeper flight that arrive in the same TCP
// read as shallower ones are handed over a turn of the event loop later, so a side has answered
// what it received before it sees the next flight, as over a network with latency.
import { Duplex } from 'node:stream'
import type { Socket } from 'node:net'
import type { ConnectionHandler, DialOptions, Transport } from '../../src/onion/index.ts'

interface Flight { bytes: number, depth: number }

/** One side of a connection: what it received (deepest so far) and what it sent. */
export class FlightSide extends Duplex {
  /** Depth of the deepest bytes handed to this side's reader. */
  received = 0
  readonly #inner: Socket
  readonly #outgoing: Flight[]
  readonly #incoming: Flight[]
  readonly #pending: Buffer[] = []
  #delivering = false

  constructor (inner: Socket, outgoing: Flight[], incoming: Flight[]) {
    super()
    this.#inner = inner
    this.#outgoing = outgoing
    this.#incoming = incoming
    inner.on('data', (chunk: Buffer) => { this.#pending.push(chunk); this.#deliver() })
    inner.once('end', () => { this.#pending.push(Buffer.alloc(0)); this.#deliver() })
    inner.once('error', err => { this.destroy(err) })
    inner.once('close', () => { if (!this.#delivering && this.#pending.length === 0 && !this.readableEnded) this.destroy() })
  }

  override _read (): void {}

  override _write (chunk: Buffer, _encoding: BufferEncoding, callback: (err?: Error | null) => void): void {
    this.#outgoing.push({ bytes: chunk.length, depth: this.received + 1 })
    this.#inner.write(chunk, callback)
  }

  override _final (callback: (err?: Error | null) => void): void { this.#inner.end(); callback() }

  override _destroy (err: Error | null, callback: (err?: Error | null) => void): void {
    this.#inner.destroy()
    callback(err)
  }

  /** Hands over pending bytes flight by flight; a deeper flight waits for a later turn. */
  #deliver (): void {
    if (this.#delivering) return
    let handed = false
    while (this.#pending.length > 0) {
      const chunk = this.#pending[0]!
      if (chunk.length === 0) { this.#pending.shift(); this.push(null); return }
      const flight = this.#incoming[0]!
      if (handed && flight.depth > this.received) {
        this.#delivering = true
        setImmediate(() => { this.#delivering = false; this.#deliver() })
        return
      }
      const n = Math.min(flight.bytes, chunk.length)
      flight.bytes -= n
      if (flight.bytes === 0) this.#incoming.shift()
      this.received = Math.max(this.received, flight.depth)
      handed = true
      if (n === chunk.length) this.#pending.shift()
      else this.#pending[0] = chunk.subarray(n)
      this.push(chunk.subarray(0, n))
    }
  }
}

/** The two sides of each connection a recorded transport opened, in the order dialed. */
export interface FlightLog { dialer: FlightSide, acceptor: FlightSide }

/**
 * Wraps two TCP transports (dialer's and listener's; one process) so that their connections
 * are recorded. Returns the log, filled as connections open.
 */
export function recordFlights (dialing: Transport, listening: Transport): { dialer: Transport, listener: Transport, log: FlightLog[] } {
  const log: FlightLog[] = []
  const byPort = new Map<number, { forward: Flight[], backward: Flight[], entry: Partial<FlightLog> }>()
  const channel = (port: number): { forward: Flight[], backward: Flight[], entry: Partial<FlightLog> } => {
    let c = byPort.get(port)
    if (c == null) {
      c = { forward: [], backward: [], entry: {} }
      byPort.set(port, c)
      log.push(c.entry as FlightLog)
    }
    return c
  }
  const dialer: Transport = {
    kind: dialing.kind,
    anonymous: dialing.anonymous,
    listen: async h => await dialing.listen(h),
    close: async () => { await dialing.close() },
    async dial (address: string, options?: DialOptions) {
      const socket = await dialing.dial(address, options) as Socket
      const c = channel(socket.localPort!)
      const side = new FlightSide(socket, c.forward, c.backward)
      c.entry.dialer = side
      return side
    }
  }
  const listener: Transport = {
    kind: listening.kind,
    anonymous: listening.anonymous,
    dial: async (a, o) => await listening.dial(a, o),
    close: async () => { await listening.close() },
    async listen (handler: ConnectionHandler) {
      return await listening.listen((stream, info) => {
        const socket = stream as Socket
        const c = channel(socket.remotePort!)
        const side = new FlightSide(socket, c.backward, c.forward)
        c.entry.acceptor = side
        handler(side, info)
      })
    }
  }
  return { dialer, listener, log }
}
