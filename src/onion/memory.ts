// In-process transport for simulations of thousands of nodes: a MemoryNetwork is the "internet"
// (a registry of nodes by name), a MemoryTransport is one node's network interface. Dials and
// chunks can be delayed by functions the simulator supplies, to draw Tor-like latencies. Delays
// and dial deadlines run on real timers unless the network is given a clock (a simulator's
// virtual clock, say), on which they then run instead.
import type { Duplex } from 'node:stream'
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises'
import { formatAddress, parseAddress, parseAddressFor } from './address.ts'
import { MEMORY_DIAL_TIMEOUT_MS, MEMORY_HIGH_WATER_MARK } from './constants.ts'
import { dialWithDeadline } from './deadline.ts'
import { MemoryStream } from './pair.ts'
import { AddressError, DialError, ListenError, type ConnectionHandler, type ConnectionInfo, type DialOptions, type Transport } from './transport.ts'

export interface MemoryLatency {
  /** Milliseconds a dial from `from` to `to` takes (a Tor circuit: seconds), also when it fails. */
  dial?: (from: string, to: string) => number
  /** One-way delay of one chunk of `bytes` bytes; chunks still arrive in order. */
  message?: (from: string, to: string, bytes: number) => number
}

/**
 * A clock the network's delays and dial deadlines can run on (src/dht/clock.ts's Clock fits):
 * milliseconds of that clock, as the latency functions return.
 */
export interface MemoryClock {
  now (): number
  setTimeout (fn: () => void, ms: number): unknown
  clearTimeout (handle: unknown): void
}

export interface MemoryNetworkOptions {
  latency?: MemoryLatency
  /** Runs delays and dial deadlines on this clock instead of real timers. */
  clock?: MemoryClock
  /** Receive buffer of every stream (bytes); default 64 KiB. */
  highWaterMark?: number
}

/** What the network knows of a node; private to this module. */
interface Node {
  accept: ((stream: Duplex, info: ConnectionInfo) => void) | null
  kill: () => void
}

const registries = new WeakMap<MemoryNetwork, Map<string, Node>>()

function registry (network: MemoryNetwork): Map<string, Node> {
  return registries.get(network)!
}

export class MemoryNetwork {
  readonly latency: MemoryLatency
  readonly highWaterMark: number
  readonly clock: MemoryClock | undefined
  #counter = 0

  constructor (options: MemoryNetworkOptions = {}) {
    this.latency = options.latency ?? {}
    this.clock = options.clock
    this.highWaterMark = options.highWaterMark ?? MEMORY_HIGH_WATER_MARK
    registries.set(this, new Map())
  }

  /** A new node on this network (a fresh name unless one is given). */
  transport (name?: string): MemoryTransport {
    return new MemoryTransport(this, name === undefined ? {} : { name })
  }

  /** A name no node on this network uses. */
  freshName (): string {
    let name: string
    do name = `node-${++this.#counter}`
    while (registry(this).has(name))
    return name
  }

  /** Number of nodes currently on the network (listening or not). */
  get size (): number { return registry(this).size }

  /** Whether a node of that name accepts connections. */
  isListening (name: string): boolean {
    return registry(this).get(name)?.accept != null
  }

  /**
   * Simulates the node `name` dying: it stops accepting, every stream it dialed or accepted is
   * destroyed (their peers read the end of the stream), and its transport is closed. A new
   * transport may then take the same name (the node coming back). False if no such node.
   */
  disconnect (name: string): boolean {
    const node = registry(this).get(name)
    if (node === undefined) return false
    node.kill()
    return true
  }
}

export interface MemoryTransportOptions {
  /** The node's name, its address being `mem:<name>`; unique on the network. */
  name?: string
  dialTimeoutMs?: number
}

export class MemoryTransport implements Transport {
  readonly kind = 'memory'
  /** Not anonymous in the sense the CLI cares about; it never leaves the process anyway. */
  readonly anonymous = false
  readonly name: string
  /** `mem:<name>`: where this node is dialed once it listens. */
  readonly address: string
  readonly #network: MemoryNetwork
  readonly #node: Node
  readonly #streams = new Set<Duplex>()
  readonly #dialTimeoutMs: number
  #handler: ConnectionHandler | null = null
  #closed = false

  constructor (network: MemoryNetwork, options: MemoryTransportOptions = {}) {
    this.#network = network
    this.name = options.name ?? network.freshName()
    this.address = formatAddress(parseAddress(`mem:${this.name}`))
    this.#dialTimeoutMs = options.dialTimeoutMs ?? MEMORY_DIAL_TIMEOUT_MS
    const nodes = registry(network)
    if (nodes.has(this.name)) throw new AddressError(this.address, `a node named "${this.name}" is already on this memory network`)
    this.#node = { accept: null, kill: () => { this.#shutdown() } }
    nodes.set(this.name, this.#node)
  }

  /** Streams this node dialed or accepted that are still open. */
  get connections (): number { return this.#streams.size }

  async listen (handler: ConnectionHandler): Promise<string> {
    if (this.#closed) throw new ListenError(`the memory transport ${this.address} is closed`)
    if (this.#handler !== null) throw new ListenError(`the memory transport ${this.address} is already listening`)
    this.#handler = handler
    this.#node.accept = (stream, info) => {
      this.#track(stream)
      // Asynchronously, as a socket's 'connection' event: the dialer gets its stream first.
      process.nextTick(() => {
        if (this.#handler === null) stream.destroy()
        else this.#handler(stream, info)
      })
    }
    return this.address
  }

  async dial (address: string, options: DialOptions = {}): Promise<Duplex> {
    if (this.#closed) throw new DialError(address, 'closed', `the memory transport ${this.address} is closed`)
    const to = parseAddressFor('memory', address).name
    const { latency, highWaterMark, clock } = this.#network
    const attempt = async (signal: AbortSignal): Promise<Duplex> => {
      // A dial is never synchronous, even without latency, as on a real network.
      const delay = latency.dial?.(this.name, to) ?? 0
      if (clock !== undefined) await clockSleep(clock, delay, signal)
      else if (delay > 0) await sleep(delay, undefined, { signal })
      else await nextTurn(undefined, { signal })
      if (this.#closed) throw new DialError(address, 'closed', `the memory transport ${this.address} closed during the dial`)
      const peer = registry(this.#network).get(to)
      if (peer?.accept == null) throw new DialError(address, 'refused', `nothing listens at ${address}`)
      const message = latency.message
      const latencyAB = message === undefined ? undefined : (bytes: number) => message(this.name, to, bytes)
      const latencyBA = message === undefined ? undefined : (bytes: number) => message(to, this.name, bytes)
      // One pair whose ends delay their chunks on the network's clock (real time without one).
      const [ours, theirs] = MemoryStream.pair({ highWaterMark, latencyAB, latencyBA, ...(clock === undefined ? {} : { clock }) })
      this.#track(ours)
      peer.accept(theirs, { remote: this.address })
      return ours
    }
    const discard = (stream: Duplex): void => { stream.destroy() }
    return await dialWithDeadline(address, options, this.#dialTimeoutMs, attempt, discard, clock)
  }

  async close (): Promise<void> {
    const open = [...this.#streams]
    this.#shutdown()
    await Promise.all(open.map(closed))
  }

  #track (stream: Duplex): void {
    if (this.#closed) { stream.destroy(); return }
    this.#streams.add(stream)
    // A peer that resets must never crash the node; consumers still get 'error' if they listen.
    stream.on('error', () => {})
    stream.once('close', () => { this.#streams.delete(stream) })
  }

  #shutdown (): void {
    if (!this.#closed) {
      this.#closed = true
      this.#handler = null
      this.#node.accept = null
      const nodes = registry(this.#network)
      if (nodes.get(this.name) === this.#node) nodes.delete(this.name)
    }
    for (const stream of this.#streams) stream.destroy()
  }
}

function closed (stream: Duplex): Promise<void> {
  if (stream.closed) return Promise.resolve()
  return new Promise(resolve => stream.once('close', () => { resolve() }))
}

/** Resolves after `ms` of `clock` time (on the next turn when 0), or rejects when `signal` aborts. */
function clockSleep (clock: MemoryClock, ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) { reject(signal.reason); return }
    const onAbort = (): void => { clock.clearTimeout(handle); reject(signal.reason) }
    const handle = clock.setTimeout(() => { signal.removeEventListener('abort', onAbort); resolve() }, Math.max(0, ms))
    signal.addEventListener('abort', onAbort, { once: true })
  })
}
