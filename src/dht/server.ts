// The sessions other nodes open to this one. The network layer hands every inbound `dht` stream to
// DhtNode.handleStream, which lands here: the dialer sends pipelined requests, this side answers
// each (handlers.ts, through the node's overridable `answer`). At most maxInboundSessions are
// served at once (the least recently active is closed for a newcomer), each closed after
// inboundIdleMs of silence.
import type { Duplex } from 'node:stream'
import { FrameReader, writeFrame } from '../onion/framing.ts'
import type { HandshakeResult } from '../onion/handshake.ts'
import type { Clock, TimerHandle } from './clock.ts'
import type { DhtConfig } from './config.ts'
import { DHT_PROTOCOL } from './constants.ts'
import { contactFrom, type Contact } from './contact.ts'
import { idToHex } from './id.ts'
import type { DhtCounters } from './stats.ts'
import { WireError, decodeRequest, encodeResponse, type Request, type ResponseFrame } from './wire.ts'

interface InboundSession {
  stream: Duplex
  lastActive: number
}

export interface InboundServerOptions {
  clock: Clock
  config: Pick<DhtConfig, 'maxInboundSessions' | 'inboundIdleMs' | 'maxFrameBytes' | 'maxPendingAnswers'>
  counters: DhtCounters
  running: () => boolean
  /** A relayed answer (relay.ts) takes round trips: answers go out as they are ready, matched by request id. */
  answer: (request: Request, id: number, peerHex: string) => ResponseFrame | Promise<ResponseFrame>
  /** A caller proved its key in the handshake and announces its own address: a contact we may add. */
  onCaller: (contact: Contact) => void
}

export class InboundServer {
  readonly #options: InboundServerOptions
  readonly #sessions = new Set<InboundSession>()

  constructor (options: InboundServerOptions) {
    this.#options = options
  }

  get size (): number { return this.#sessions.size }

  /**
   * Serves an authenticated inbound stream: reads requests, answers each. Owns the stream. A
   * malformed frame or message ends the session; an unknown request type is answered with an
   * error and the session goes on.
   */
  accept (session: HandshakeResult): void {
    const { stream } = session
    stream.on('error', () => {})
    if (!this.#options.running() || session.protocol !== DHT_PROTOCOL) { stream.destroy(); return }
    if (this.#sessions.size >= this.#options.config.maxInboundSessions) {
      let oldest: InboundSession | null = null
      for (const s of this.#sessions) if (oldest === null || s.lastActive < oldest.lastActive) oldest = s
      oldest?.stream.destroy()
      if (oldest !== null) this.#sessions.delete(oldest)
    }
    const inbound: InboundSession = { stream, lastActive: this.#options.clock.now() }
    this.#sessions.add(inbound)
    void this.#serve(session, inbound).finally(() => {
      this.#sessions.delete(inbound)
      stream.destroy()
    })
  }

  /** Closes the sessions silent for inboundIdleMs. */
  reapIdle (): void {
    const { clock, config } = this.#options
    for (const inbound of [...this.#sessions]) {
      if (clock.now() - inbound.lastActive >= config.inboundIdleMs) inbound.stream.destroy()
    }
  }

  closeAll (): void {
    for (const session of this.#sessions) session.stream.destroy()
    this.#sessions.clear()
  }

  async #serve (session: HandshakeResult, inbound: InboundSession): Promise<void> {
    const { clock, config, counters } = this.#options
    const { stream } = session
    const peerHex = session.remoteNodeId
    const reader = new FrameReader(stream, { maxFrameBytes: config.maxFrameBytes })
    let idle: TimerHandle | null = null
    const armIdle = (): void => {
      if (idle !== null) clock.clearTimeout(idle)
      idle = clock.setTimeout(() => { stream.destroy() }, config.inboundIdleMs)
    }
    armIdle()
    // Answers pending (relayed ones take round trips); at most maxPendingAnswers, then reading waits.
    const pending = new Set<Promise<void>>()
    let writing: Promise<void> = Promise.resolve()
    const send = async (response: ResponseFrame | Promise<ResponseFrame>): Promise<void> => {
      const ready = await response
      counters.requestsServed++
      // One writer at a time: a frame's bytes never interleave with another's.
      writing = writing.then(async () => { await writeFrame(stream, encodeResponse(ready), { maxFrameBytes: config.maxFrameBytes }) })
      await writing
    }
    try {
      for await (const frame of reader) {
        inbound.lastActive = clock.now()
        armIdle()
        let response: ResponseFrame | Promise<ResponseFrame>
        try {
          const { id, from, request } = decodeRequest(frame)
          if (from !== undefined) this.#learnCaller(session, from)
          response = this.#options.answer(request, id, peerHex)
        } catch (err) {
          if (!(err instanceof WireError)) throw err
          counters.malformedRequests++
          if (err.code === 'malformed' || err.requestId === undefined) return
          response = { id: err.requestId, ok: false, error: err.code, message: err.message }
        }
        if (!(response instanceof Promise)) { await send(response); continue }
        const sent = send(response).catch(() => { stream.destroy() }).finally(() => { pending.delete(sent) })
        pending.add(sent)
        if (pending.size >= config.maxPendingAnswers) await Promise.race(pending)
      }
      await Promise.all(pending)
    } catch {
      // Truncated or oversized frame, reset stream: the session ends, the node goes on.
      counters.malformedRequests++
    } finally {
      if (idle !== null) clock.clearTimeout(idle)
    }
  }

  #learnCaller (session: HandshakeResult, address: string): void {
    try {
      const contact = contactFrom(session.remotePublicKey, address)
      if (idToHex(contact.nodeId) === session.remoteNodeId) this.#options.onCaller(contact)
    } catch {}
  }
}
