// The sessions this node opens to its contacts. Every DHT exchange runs on an oht stream
// authenticated by the handshake; outbound streams come from the injected Dialer and carry one
// OutboundSession each (session.ts). Sessions are kept per peer and reused (a Tor connect costs
// seconds) up to maxOutboundSessions, idle ones closed past sessionIdleMs, except the warm ones
// (warm-sessions.ts chooses them): those stay open while warm. What the requests teach
// about a contact (alive, failed) goes back to the owner through onAlive and onFailure.
import type { HandshakeResult } from '../onion/handshake.ts'
import type { Clock } from './clock.ts'
import type { DhtConfig } from './config.ts'
import type { Contact } from './contact.ts'
import { Deadline, abortable } from './deadline.ts'
import { idToHex, nodeIdBytes } from './id.ts'
import { OutboundSession, RpcError } from './session.ts'
import type { DhtCounters } from './stats.ts'
import type { Request, ResponseBody } from './wire.ts'

/** Where to dial: an address, and the node id the handshake must prove when it is known. */
export interface DialTarget {
  address: string
  nodeId?: string
}

/**
 * Opens an authenticated `dht` stream: e.g.
 * `(t, signal) => dialPeer(transport, t.address, { keys, protocol: 'dht', expectedNodeId: t.nodeId, signal })`.
 */
export type Dialer = (target: DialTarget, signal: AbortSignal) => Promise<HandshakeResult>

export interface SessionManagerOptions {
  /** This node's id, never dialed. */
  selfHex: string
  /** The address announced in every request; absent for a client. */
  address: string | undefined
  dial: Dialer
  clock: Clock
  config: Pick<DhtConfig, 'dialTimeoutMs' | 'rpcTimeoutMs' | 'sessionIdleMs' | 'maxOutboundSessions' | 'maxInflightPerSession' | 'maxFrameBytes'>
  counters: DhtCounters
  /** The contact answered (or refused, which only a live peer does). */
  onAlive: (contact: Contact) => void
  /** A dial to, or a request on a session with, this node id failed. */
  onFailure: (nodeIdHex: string) => void
}

export class SessionManager {
  readonly #options: SessionManagerOptions
  readonly #outbound = new Map<string, OutboundSession>()
  readonly #dialing = new Map<string, Promise<OutboundSession>>()
  readonly #contacts = new WeakMap<OutboundSession, Contact>()
  /** Node ids whose sessions are kept open (never reaped as idle) while they stay warm. */
  #warm: ReadonlySet<string> = new Set()
  #running = false
  #lifetime = new AbortController()
  #address: string | undefined

  constructor (options: SessionManagerOptions) {
    this.#options = options
    this.#address = options.address
  }

  /** The node's address changed: the open sessions announce the new one with their next request. */
  setAddress (address: string): void {
    this.#address = address
    for (const session of this.#outbound.values()) session.announce(address)
  }

  /** Open outbound sessions. */
  get size (): number { return this.#outbound.size }

  /** Whether a session to this node id is open (a request to it costs a round trip, not a circuit). */
  isOpen (nodeIdHex: string): boolean {
    const session = this.#outbound.get(nodeIdHex)
    return session !== undefined && !session.closed
  }

  /** Clock time of the last request to or answer from this node id's open session. */
  lastUsed (nodeIdHex: string): number | undefined {
    return this.#outbound.get(nodeIdHex)?.lastUsed
  }

  /** Smoothed round trip of this node id's open session, once it has answered. */
  srtt (nodeIdHex: string): number | undefined {
    return this.#outbound.get(nodeIdHex)?.srtt
  }

  /** Sets the warm node ids (bounded by the caller): their sessions are exempt from idle reaping. */
  setWarm (nodeIdHexes: Iterable<string>): void {
    this.#warm = new Set(nodeIdHexes)
  }

  get warmCount (): number {
    let open = 0
    for (const hex of this.#warm) if (this.isOpen(hex)) open++
    return open
  }

  /** Aborted by stop(): ends dials in progress, and requests the node makes on its own behalf. */
  get lifetime (): AbortSignal { return this.#lifetime.signal }

  start (): void {
    this.#running = true
    this.#lifetime = new AbortController()
  }

  /** Ends dials in progress and closes every session. */
  stop (): void {
    this.#running = false
    this.#lifetime.abort(new RpcError('closed', 'the DHT node stopped'))
    for (const session of this.#outbound.values()) session.close()
    this.#outbound.clear()
  }

  /**
   * Sends one request to a peer over its (reused or new) session. `silent`: without our address
   * (OutboundSession.request's `announce` false), for liveness probes.
   */
  async request (target: DialTarget, request: Request, signal?: AbortSignal, silent = false): Promise<{ body: ResponseBody, contact: Contact }> {
    const { config, counters } = this.#options
    // A failed dial is counted against the contact by #open.
    const session = await this.#session(target, signal)
    counters.requestsSent++
    try {
      const { body, dropped } = await session.request(request, config.rpcTimeoutMs, signal, !silent)
      counters.rejectedContacts += dropped
      const contact = this.#contacts.get(session)!
      this.#options.onAlive(contact)
      return { body, contact }
    } catch (err) {
      counters.requestsFailed++
      // An answer that refuses (a full store, a stale seq) comes from a live peer; an abort is ours.
      const code = err instanceof RpcError ? err.code : 'closed'
      if (code !== 'aborted' && code !== 'remote-error' && code !== 'refused') {
        this.#options.onFailure(session.peer)
        this.#drop(session)
      } else if (code !== 'aborted') {
        this.#options.onAlive(this.#contacts.get(session)!)
      }
      throw err
    } finally {
      this.reap(false)
    }
  }

  /** Sends one request only over a session already open to the peer; null (nothing sent) when none is. */
  async requestIfOpen (target: DialTarget & { nodeId: string }, request: Request, signal?: AbortSignal): Promise<{ body: ResponseBody, contact: Contact } | null> {
    if (!this.isOpen(target.nodeId)) return null
    return await this.request(target, request, signal)
  }

  /**
   * Closes idle sessions: those idle past sessionIdleMs when `byAge` (warm ones excepted), and
   * beyond maxOutboundSessions the least recently used idle ones, cold before warm.
   */
  reap (byAge: boolean): void {
    const { clock, config } = this.#options
    const now = clock.now()
    for (const [peer, session] of this.#outbound) if (session.closed) this.#outbound.delete(peer)
    if (byAge) {
      for (const session of [...this.#outbound.values()]) {
        if (session.idle && !this.#warm.has(session.peer) && now - session.lastUsed >= config.sessionIdleMs) this.#drop(session)
      }
    }
    if (this.#outbound.size <= config.maxOutboundSessions) return
    const idle = [...this.#outbound.values()].filter(s => s.idle)
    const warm = (s: OutboundSession): number => (this.#warm.has(s.peer) ? 1 : 0)
    idle.sort((a, b) => warm(a) - warm(b) || a.lastUsed - b.lastUsed)
    for (const session of idle) {
      if (this.#outbound.size <= config.maxOutboundSessions) break
      this.#drop(session)
    }
  }

  /**
   * The open session to the target, or a new one. A dial is shared by every request that needs
   * the same peer and is not cancelled when the request that started it gives up: a circuit
   * that took seconds to build is worth keeping for the next request (only stop() ends it).
   */
  async #session (target: DialTarget, signal?: AbortSignal): Promise<OutboundSession> {
    if (target.nodeId === this.#options.selfHex) throw new RpcError('dial', 'refusing to dial ourselves')
    if (signal?.aborted === true) throw new RpcError('aborted', 'request aborted')
    let dialing: Promise<OutboundSession> | undefined
    if (target.nodeId !== undefined) {
      const open = this.#outbound.get(target.nodeId)
      // Only at the address asked for: a node that announces a new one (it moved) must answer
      // there, not over the session to its old address.
      if (open !== undefined && !open.closed && this.#contacts.get(open)?.address === target.address) return open
      dialing = this.#dialing.get(`${target.nodeId}@${target.address}`)
    }
    if (dialing === undefined) {
      dialing = this.#open(target, this.#lifetime.signal)
      if (target.nodeId !== undefined) {
        const key = `${target.nodeId}@${target.address}`
        this.#dialing.set(key, dialing)
        dialing.then(() => { this.#dialing.delete(key) }, () => { this.#dialing.delete(key) })
      }
    }
    return await abortable(dialing, signal)
  }

  async #open (target: DialTarget, signal?: AbortSignal): Promise<OutboundSession> {
    const { clock, config, counters } = this.#options
    if (!this.#running) throw new RpcError('closed', 'the DHT node is stopped')
    counters.dials++
    const deadline = new Deadline(clock, config.dialTimeoutMs, `dialing ${target.address}`, signal)
    let result: HandshakeResult
    try {
      result = await this.#options.dial(target, deadline.signal)
    } catch (err) {
      counters.dialFailures++
      if (target.nodeId !== undefined && this.#running) this.#options.onFailure(target.nodeId)
      const code = signal?.aborted === true ? 'aborted' : 'dial'
      throw new RpcError(code, `could not reach ${target.address}: ${(err as Error).message}`, { cause: err })
    } finally {
      deadline.clear()
    }
    // The handshake proved the peer's key; it must be the node we meant to reach.
    if ((target.nodeId !== undefined && result.remoteNodeId !== target.nodeId) || result.remoteNodeId !== idToHex(nodeIdBytes(result.remotePublicKey))) {
      result.stream.destroy()
      counters.dialFailures++
      if (target.nodeId !== undefined) this.#options.onFailure(target.nodeId)
      throw new RpcError('dial', `${target.address} is not node ${target.nodeId ?? '?'}`)
    }
    if (!this.#running) { result.stream.destroy(); throw new RpcError('closed', 'the DHT node stopped during the dial') }
    const address = this.#address
    const session = new OutboundSession(result.remoteNodeId, result.stream, {
      clock,
      ...(address === undefined ? {} : { from: address }),
      maxInflight: config.maxInflightPerSession,
      maxFrameBytes: config.maxFrameBytes
    })
    this.#contacts.set(session, { nodeId: nodeIdBytes(result.remotePublicKey), publicKey: result.remotePublicKey, address: target.address })
    const previous = this.#outbound.get(result.remoteNodeId)
    if (previous !== undefined && previous !== session) previous.close()
    this.#outbound.set(result.remoteNodeId, session)
    this.reap(false)
    return session
  }

  #drop (session: OutboundSession): void {
    session.close()
    if (this.#outbound.get(session.peer) === session) this.#outbound.delete(session.peer)
  }
}
