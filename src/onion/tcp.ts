// Plain TCP transport (node:net) for development, tests and benchmarks. It is not anonymous:
// every peer sees this node's IP address, so it is never chosen silently and carries a warning
// the CLI prints. Hosts are IP literals only; no name is ever resolved (see address.ts).
import { connect, createServer, type AddressInfo, type LookupFunction, type Server, type Socket } from 'node:net'
import { formatAddress, parseAddressFor } from './address.ts'
import { TCP_DIAL_TIMEOUT_MS } from './constants.ts'
import { dialWithDeadline } from './deadline.ts'
import { AddressError, DialError, ListenError, type ConnectionHandler, type DialFailure, type DialOptions, type Transport } from './transport.ts'
import { sniffHttp, type HttpSocketHandler } from './sniff.ts'

export const TCP_WARNING = 'the TCP transport is not anonymous: peers see your IP address; use it for tests and development'

export interface TcpTransportOptions {
  /** `host:port` (or `tcp:host:port`, `[::1]:port`) to listen on; default 127.0.0.1:0 (loopback, a free port). */
  listen?: string
  dialTimeoutMs?: number
}

/**
 * Node only resolves names that are not IP literals, and parseAddress lets none through; this
 * is the belt to those braces: should a name ever reach net.connect, it fails instead of leaking.
 */
const refuseLookup: LookupFunction = (hostname, _options, callback) => {
  const err = Object.assign(new Error(`refusing to resolve "${hostname}": oht never makes DNS lookups`), { code: 'ENOTFOUND' })
  callback(err, '', 4)
}

export class TcpTransport implements Transport {
  readonly kind = 'tcp'
  readonly anonymous = false
  readonly warning = TCP_WARNING
  readonly #listenHost: string
  readonly #listenPort: number
  readonly #dialTimeoutMs: number
  readonly #sockets = new Set<Socket>()
  #server: Server | null = null
  #http: HttpSocketHandler | null = null
  #closed = false
  #closing: Promise<void> | null = null

  constructor (options: TcpTransportOptions = {}) {
    const at = parseAddressFor('tcp', options.listen ?? '127.0.0.1:0')
    this.#listenHost = at.host
    this.#listenPort = at.port
    this.#dialTimeoutMs = options.dialTimeoutMs ?? TCP_DIAL_TIMEOUT_MS
  }

  /**
   * Resolves to `tcp:<host>:<port>` with the real port. Listening on 0.0.0.0 or [::] returns
   * that unspecified address: only the user knows which of the machine's addresses peers reach.
   */
  async listen (handler: ConnectionHandler): Promise<string> {
    if (this.#closed) throw new ListenError('the TCP transport is closed')
    if (this.#server !== null) throw new ListenError('the TCP transport is already listening')
    const server = createServer({ allowHalfOpen: false, noDelay: true })
    this.#server = server
    server.on('connection', socket => {
      if (this.#closed) { socket.destroy(); return }
      this.#adopt(socket)
      const http = this.#http
      if (http == null) handler(socket, { remote: remoteOf(socket) })
      else sniffHttp(socket, http, s => { handler(s, { remote: remoteOf(s) }) })
    })
    const where = formatAddress({ transport: 'tcp', host: this.#listenHost, port: this.#listenPort })
    await new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException): void => {
        this.#server = null
        const why = err.code === 'EADDRINUSE'
          ? 'the address is in use'
          : err.code === 'EADDRNOTAVAIL' ? 'no interface of this machine has that address' : err.message
        reject(new ListenError(`cannot listen on ${where}: ${why}`, { cause: err }))
      }
      server.once('error', onError)
      server.listen({ host: this.#listenHost, port: this.#listenPort, exclusive: true }, () => {
        server.off('error', onError)
        resolve()
      })
    })
    // Accept errors (EMFILE and the like) must not crash the node; the server keeps listening.
    server.on('error', () => {})
    const bound = server.address() as AddressInfo
    return formatAddress({ transport: 'tcp', host: bound.address, port: bound.port })
  }

  serveHttp (handler: HttpSocketHandler | null): void { this.#http = handler }

  async dial (address: string, options: DialOptions = {}): Promise<Socket> {
    if (this.#closed) throw new DialError(address, 'closed', 'the TCP transport is closed')
    const target = parseAddressFor('tcp', address)
    if (target.port === 0) throw new AddressError(address, `port 0 cannot be dialed (${address})`)
    return await dialWithDeadline(address, options, this.#dialTimeoutMs, async signal => {
      return await new Promise<Socket>((resolve, reject) => {
        const socket = connect({ host: target.host, port: target.port, noDelay: true, allowHalfOpen: false, lookup: refuseLookup })
        this.#adopt(socket)
        const cleanup = (): void => {
          signal.removeEventListener('abort', onAbort)
          socket.off('connect', onConnect)
          socket.off('error', onError)
          socket.off('close', onClose)
        }
        const fail = (err: Error): void => { cleanup(); socket.destroy(); reject(err) }
        const onAbort = (): void => { fail(signal.reason as Error) }
        const onConnect = (): void => { cleanup(); resolve(socket) }
        const onError = (err: NodeJS.ErrnoException): void => {
          fail(new DialError(address, failureOf(err.code), `cannot connect to ${address}: ${err.message}`, { cause: err }))
        }
        const onClose = (): void => { fail(new DialError(address, 'closed', `the connection to ${address} closed while dialing (transport closed)`)) }
        signal.addEventListener('abort', onAbort, { once: true })
        socket.once('connect', onConnect)
        socket.once('error', onError)
        socket.once('close', onClose)
      })
    }, socket => { socket.destroy() })
  }

  async close (): Promise<void> {
    this.#closing ??= this.#shutdown()
    await this.#closing
  }

  async #shutdown (): Promise<void> {
    this.#closed = true
    const sockets = [...this.#sockets]
    for (const socket of sockets) socket.destroy()
    const server = this.#server
    await Promise.all([
      ...sockets.map(closed),
      server === null ? undefined : new Promise<void>(resolve => { server.close(() => { resolve() }) })
    ])
  }

  #adopt (socket: Socket): void {
    this.#sockets.add(socket)
    socket.setNoDelay(true)
    // A peer that resets must never crash the node; consumers still get 'error' if they listen.
    socket.on('error', () => {})
    socket.once('close', () => { this.#sockets.delete(socket) })
  }
}

function failureOf (code: string | undefined): DialFailure {
  switch (code) {
    case 'ECONNREFUSED': return 'refused'
    case 'EHOSTUNREACH': case 'ENETUNREACH': case 'EADDRNOTAVAIL': return 'unreachable'
    case 'ETIMEDOUT': return 'timeout'
    default: return 'failed'
  }
}

function remoteOf (socket: Socket): string {
  const host = socket.remoteAddress
  const port = socket.remotePort
  if (host === undefined || port === undefined) return 'tcp:unknown'
  return formatAddress({ transport: 'tcp', host, port })
}

function closed (socket: Socket): Promise<void> {
  if (socket.closed) return Promise.resolve()
  return new Promise(resolve => socket.once('close', () => { resolve() }))
}
