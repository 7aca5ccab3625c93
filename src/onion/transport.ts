// The contract every oht transport (TCP, memory, Tor) fulfils, and its typed errors. The layers
// above (DHT, swarm) see only this: a listener that hands over byte streams, a dialer that opens
// them, and a close that ends everything the transport opened.
import type { Duplex } from 'node:stream'
import type { HttpSocketHandler } from './sniff.ts'

export type TransportKind = 'tcp' | 'memory' | 'tor'

export interface ConnectionInfo {
  /**
   * Where the connection came from, for logs and tests only: `tcp:<ip>:<port>`, `mem:<name>`.
   * An onion service cannot know who dialed it (`onion:unknown`), so never use this as a peer's
   * contact address: peers announce their own address in the protocols above.
   */
  remote: string
}

/** Receives every accepted stream. It must attach its own 'error' listener if it wants errors. */
export type ConnectionHandler = (stream: Duplex, info: ConnectionInfo) => void

export interface DialOptions {
  /** Aborting cancels the dial; the dial then fails with a DialError of code 'aborted'. */
  signal?: AbortSignal
  /** Overrides the transport's default (Tor dials take seconds: size it for the transport). */
  timeoutMs?: number
  /**
   * Which lane to the same address this stream is (0 or absent: the first). The Tor transport
   * gives each lane its own circuit (striping: several circuits to one peer carry more than
   * one); TCP and memory ignore it (each dial is its own connection anyway).
   */
  lane?: number
}

export interface Transport {
  readonly kind: TransportKind
  /** False when peers learn this node's network location (its IP address) from a connection. */
  readonly anonymous: boolean
  /** Text a user interface must show before using a transport that is not anonymous. */
  readonly warning?: string
  /**
   * True when lanes to one address (DialOptions.lane) take separate paths that add capacity (Tor:
   * one circuit each). Where they share one path (loopback TCP, memory), striping adds only
   * buffers, so the node does not stripe.
   */
  readonly separateLanes?: boolean
  /**
   * Starts accepting connections; resolves to the address others dial (`tcp:127.0.0.1:40123`,
   * `mem:node-7`, `onion:<56 chars>.onion:<port>`), with the real port when asked for port 0.
   * A transport listens once.
   */
  listen (handler: ConnectionHandler): Promise<string>
  /**
   * Opens a stream to `address`. Streams are byte streams with TCP semantics: ordered, with
   * backpressure, and not half-open (when one side ends, the other ends too).
   */
  dial (address: string, options?: DialOptions): Promise<Duplex>
  /** Stops listening and destroys every stream this transport dialed or accepted; idempotent. */
  close (): Promise<void>
  /**
   * Hands accepted connections that start with an HTTP request to `handler` instead of the
   * listener (`--public-fetch`; sniff.ts); `null` stops it. Transports without raw sockets
   * (memory) have none.
   */
  serveHttp? (handler: HttpSocketHandler | null): void
}

export class TransportError extends Error {
  override name = 'TransportError'
}

/** A malformed address, or one this transport cannot or will not use (hostnames are refused). */
export class AddressError extends TransportError {
  override name = 'AddressError'
  readonly address: string
  constructor (address: string, message: string) {
    super(message)
    this.address = address
  }
}

export type DialFailure =
  /** Nothing listens there (TCP RST, unknown memory node). */
  | 'refused'
  /** No route to it (unreachable network or host, onion service not found). */
  | 'unreachable'
  | 'timeout'
  | 'aborted'
  /** This transport was closed, before or during the dial. */
  | 'closed'
  | 'failed'

export class DialError extends TransportError {
  override name = 'DialError'
  readonly code: DialFailure
  readonly address: string
  constructor (address: string, code: DialFailure, message: string, options?: ErrorOptions) {
    super(message, options)
    this.address = address
    this.code = code
  }
}

export class ListenError extends TransportError {
  override name = 'ListenError'
}
