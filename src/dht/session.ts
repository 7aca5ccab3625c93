// An outbound DHT session: one authenticated oht stream to one peer, on which this node sends
// requests and the peer answers them. Requests are pipelined (up to MAX_INFLIGHT_PER_SESSION,
// more wait their turn) and matched to answers by request id, so one Tor circuit serves many
// lookups; the dialed side only ever answers. Each request has its own deadline and abort signal.
import type { Duplex } from 'node:stream'
import { FrameReader, writeFrame } from '../onion/framing.ts'
import type { Clock, TimerHandle } from './clock.ts'
import { MAX_FRAME_BYTES, MAX_INFLIGHT_PER_SESSION } from './constants.ts'
import { decodeResponse, encodeRequest, WireError, type Request, type ResponseBody } from './wire.ts'

export type RpcFailure = 'timeout' | 'aborted' | 'closed' | 'dial' | 'remote-error' | 'malformed' | 'refused'

/**
 * A failed request. Lookups end by aborting their outstanding requests and every unreachable
 * peer fails one, so these are made by the thousand in a simulation: they carry no stack trace.
 */
export class RpcError extends Error {
  declare readonly code: RpcFailure
  constructor (code: RpcFailure, message: string, options?: ErrorOptions) {
    const limit = Error.stackTraceLimit
    Error.stackTraceLimit = 0
    super(message, options)
    Error.stackTraceLimit = limit
    this.name = 'RpcError'
    Object.defineProperty(this, 'code', { value: code, enumerable: true })
  }
}

interface Pending {
  resolve: (body: { body: ResponseBody, dropped: number }) => void
  reject: (err: RpcError) => void
  timer: TimerHandle
  /** Clock time the request was sent, for the round-trip estimate. */
  sent: number
  onAbort?: () => void
  signal?: AbortSignal
}

export interface OutboundSessionOptions {
  clock: Clock
  /** Announced in every request, so the peer can add us to its table; absent for undialable nodes. */
  from?: string
  maxInflight?: number
  maxFrameBytes?: number
}

export class OutboundSession {
  readonly peer: string
  readonly #stream: Duplex
  readonly #clock: Clock
  #from: string | undefined
  readonly #maxInflight: number
  readonly #maxFrameBytes: number
  readonly #pending = new Map<number, Pending>()
  readonly #waiting: Array<() => void> = []
  #nextId = 1
  #closed = false
  #srtt: number | undefined
  lastUsed: number

  constructor (peer: string, stream: Duplex, options: OutboundSessionOptions) {
    this.peer = peer
    this.#stream = stream
    this.#clock = options.clock
    this.#from = options.from
    this.#maxInflight = options.maxInflight ?? MAX_INFLIGHT_PER_SESSION
    this.#maxFrameBytes = options.maxFrameBytes ?? MAX_FRAME_BYTES
    this.lastUsed = this.#clock.now()
    stream.on('error', () => {})
    stream.once('close', () => { this.#fail(new RpcError('closed', 'the session closed')) })
    void this.#readLoop()
  }

  get closed (): boolean { return this.#closed }
  /** The address announced from the next request on (the node's onion address changed). */
  announce (address: string | undefined): void { this.#from = address }
  get inflight (): number { return this.#pending.size }
  get idle (): boolean { return this.#pending.size === 0 && this.#waiting.length === 0 }
  /** Smoothed round trip of the answered requests (TCP's SRTT, gain 1/8), or undefined before the first. */
  get srtt (): number | undefined { return this.#srtt }

  /** `announce` false: the request carries no `from` (a probe that must not make the peer probe us back). */
  async request (request: Request, timeoutMs: number, signal?: AbortSignal, announce = true): Promise<{ body: ResponseBody, dropped: number }> {
    if (this.#closed) throw new RpcError('closed', 'the session is closed')
    while (this.#pending.size >= this.#maxInflight) {
      await new Promise<void>(resolve => { this.#waiting.push(resolve) })
      if (this.#closed) throw new RpcError('closed', 'the session closed while the request waited')
    }
    if (signal?.aborted === true) throw new RpcError('aborted', 'request aborted')
    const id = this.#nextId
    this.#nextId = this.#nextId >= 0xffff_fff0 ? 1 : this.#nextId + 1
    this.lastUsed = this.#clock.now()
    const from = announce ? this.#from : undefined
    const frame = encodeRequest(from === undefined ? { id, request } : { id, from, request })
    return await new Promise((resolve, reject) => {
      const pending: Pending = {
        resolve,
        reject,
        sent: this.#clock.now(),
        timer: this.#clock.setTimeout(() => { this.#settle(id, new RpcError('timeout', `no answer to ${request.type} within ${timeoutMs} ms`)) }, timeoutMs)
      }
      if (signal !== undefined) {
        pending.signal = signal
        pending.onAbort = () => { this.#settle(id, new RpcError('aborted', 'request aborted')) }
        signal.addEventListener('abort', pending.onAbort, { once: true })
      }
      this.#pending.set(id, pending)
      writeFrame(this.#stream, frame, { maxFrameBytes: this.#maxFrameBytes }).catch((err: unknown) => {
        this.#settle(id, new RpcError('closed', `could not send ${request.type}: ${(err as Error).message}`))
      })
    })
  }

  close (): void {
    this.#fail(new RpcError('closed', 'the session was closed'))
  }

  async #readLoop (): Promise<void> {
    const reader = new FrameReader(this.#stream, { maxFrameBytes: this.#maxFrameBytes })
    try {
      for await (const bytes of reader) {
        const response = decodeResponse(bytes)
        const pending = this.#pending.get(response.id)
        // An answer to nothing we asked (or to a request that timed out): ignore it.
        if (pending === undefined) continue
        if (response.ok) this.#settle(response.id, null, { body: response.body, dropped: response.dropped })
        else this.#settle(response.id, new RpcError(response.error === 'refused' ? 'refused' : 'remote-error', `${response.error}: ${response.message}`))
      }
      this.#fail(new RpcError('closed', 'the peer closed the session'))
    } catch (err) {
      const code = err instanceof WireError ? 'malformed' : 'closed'
      this.#fail(new RpcError(code, `session failed: ${(err as Error).message}`, { cause: err }))
    }
  }

  #settle (id: number, error: RpcError | null, value?: { body: ResponseBody, dropped: number }): void {
    const pending = this.#pending.get(id)
    if (pending === undefined) return
    this.#pending.delete(id)
    this.#clock.clearTimeout(pending.timer)
    if (pending.onAbort !== undefined) pending.signal?.removeEventListener('abort', pending.onAbort)
    this.lastUsed = this.#clock.now()
    if (error === null || error.code === 'refused' || error.code === 'remote-error') {
      const sample = this.lastUsed - pending.sent
      this.#srtt = this.#srtt === undefined ? sample : this.#srtt + (sample - this.#srtt) / 8
    }
    if (error !== null) pending.reject(error)
    else pending.resolve(value!)
    this.#waiting.shift()?.()
  }

  #fail (error: RpcError): void {
    if (!this.#closed) {
      this.#closed = true
      this.#stream.destroy()
    }
    for (const id of [...this.#pending.keys()]) this.#settle(id, error)
    for (const wake of this.#waiting.splice(0)) wake()
  }
}
