import { EventEmitter } from 'node:events'
import { timingSafeEqual } from 'node:crypto'
import { Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import Wire from 'bittorrent-protocol'
import { swarmAuthMac } from '../blocks/caps.ts'
import { isFreedWhenSent, releaseIfSent } from '../blocks/index.ts'
import { WireGuard } from './guard.ts'
import { DEFAULT_AUTH_TIMEOUT_MS, LEAVE_FLUSH_MS, MAX_KNOWN_EXTENSION_BYTES, MAX_REFUSAL_CHARS, MAX_OTHER_MESSAGE_BYTES, MAX_PREAUTH_MESSAGE_BYTES, MAX_QUEUED_ANSWER_BYTES, MAX_QUEUED_BYTES, PIECE_HEADER_BYTES, QUEUE_POLL_MS, SEND_STALL_TIMEOUT_MS, WIRE_HEADER_SLACK_BYTES } from './constants.ts'
import { Outbox, type OutboxLimits } from './outbox.ts'
import { decodeMessage, encodeMessage, EXTENSION_ID, EXTENSION_NAME, MAX_EXTENSION_BYTES, MessageError, type ExtensionMessage } from './messages.ts'

export interface PeerWireOptions {
  /** An oht stream whose connection handshake is done (both node keys proven). */
  stream: Duplex
  initiator: boolean
  infoHash: Uint8Array
  swarmKey: Uint8Array
  localNodeId: Uint8Array
  remoteNodeId: Uint8Array
  /** Largest BitTorrent message accepted: a whole ciphertext block plus headers. */
  maxBlockBytes: number
  /** A peer that has not proven the swarm key by then is dropped. */
  authTimeoutMs?: number
  /** True while this node still needs the manifest (the only oht_v1 message over 513 KiB). */
  wantsManifest?: () => boolean
  /** Bounds of what is queued for the peer (default: constants.ts); tests shorten them. */
  outboxLimits?: Partial<OutboxLimits>
}

export class PeerStalledError extends Error {
  override name = 'PeerStalledError'
}

/**
 * Like `from.pipe(to)` (back-pressure, end), but what the wire emits within one tick reaches the
 * socket as one write: a piece's header and its block, a burst of requests, the `have`
 * after each stored block. One syscall (and one wake-up of the peer) instead of one per message.
 */
function sendCoalesced (from: NodeJS.ReadableStream, to: Duplex): void {
  let corked = false
  const uncork = (): void => { corked = false; to.uncork() }
  // A socket has copied a chunk into the kernel when its write completes, so served block memory
  // can be freed then (releaseIfSent); an in-memory stream hands the very chunk to its reader.
  const copiesOut = to instanceof Socket
  from.on('data', (chunk: Uint8Array) => {
    if (to.destroyed) return
    if (!corked) { corked = true; to.cork(); process.nextTick(uncork) }
    const ready = copiesOut && isFreedWhenSent(chunk) ? to.write(chunk, () => { releaseIfSent(chunk) }) : to.write(chunk)
    if (!ready) {
      from.pause()
      to.once('drain', () => { from.resume() })
    }
  })
  from.once('end', () => { if (!to.destroyed) to.end() })
}

/**
 * A block in consecutive parts (the ciphertext and its GCM tag, as a crypto worker returns
 * them), answered as one BitTorrent piece message: header, then each part, with no copy that
 * joins them. Give it to a request's respond callback in place of the block (`pieceParts`).
 */
class PieceParts {
  readonly parts: readonly Uint8Array[]
  readonly length: number
  constructor (parts: readonly Uint8Array[]) {
    this.parts = parts
    let length = 0
    for (const p of parts) length += p.length
    this.length = length
  }
}

/** Wraps parts for a respond callback of a PeerWire's wire (typed as the block it stands for). */
export function pieceParts (parts: readonly Uint8Array[]): Uint8Array {
  return new PieceParts(parts) as unknown as Uint8Array
}

/** The bits of bittorrent-protocol's Wire that sending a piece in parts needs (index.js). */
interface WireInternals {
  _push: (data: Uint8Array) => boolean
  uploadSpeed: (bytes: number) => void
  _extendedHandshakeSent: boolean
  _sendExtendedHandshake: () => void
}

/** Makes `wire.piece` accept PieceParts: "piece" = <len=9+X><id=7><index><begin><block>. */
function acceptPieceParts (wire: Wire): void {
  const piece = wire.piece.bind(wire)
  wire.piece = (index: number, offset: number, block: Uint8Array): void => {
    if (!((block as unknown) instanceof PieceParts)) { piece(index, offset, block); return }
    const parts = block as unknown as PieceParts
    const header = new Uint8Array(PIECE_HEADER_BYTES)
    const view = new DataView(header.buffer)
    view.setUint32(0, 9 + parts.length)
    header[4] = 7
    view.setUint32(5, index)
    view.setUint32(9, offset)
    const internals = wire as unknown as WireInternals
    internals._push(header)
    for (const p of parts.parts) internals._push(p)
    wire.uploaded += parts.length
    internals.uploadSpeed(parts.length)
    wire.emit('upload', parts.length)
  }
}

export class PeerAuthError extends Error {
  override name = 'PeerAuthError'
}

interface PeerWireEvents {
  ready: []
  message: [ExtensionMessage]
  close: [Error | undefined]
}

/**
 * One peer connection of a swarm: bittorrent-protocol behind a WireGuard, plus the oht_v1
 * extension. `ready` fires once both sides have proven the swarm key; nothing of the share is
 * sent before that.
 */
export class PeerWire extends EventEmitter<PeerWireEvents> {
  readonly wire: Wire
  readonly remoteNodeId: Uint8Array
  /** What is queued for the peer, and the gate its answers wait at (outbox.ts). */
  readonly outbox: Outbox
  #authenticated = false
  #sentAuth = false
  #closed = false
  #leaving = false
  /** The peer's last `refuse` reason (printable): why it left, when it says so before closing. */
  lastRefusal: string | undefined
  readonly #options: PeerWireOptions
  readonly #authTimer: NodeJS.Timeout

  constructor (options: PeerWireOptions) {
    super()
    this.#options = options
    this.remoteNodeId = options.remoteNodeId
    const wire = new Wire()
    this.wire = wire
    acceptPieceParts(wire)
    const internals = wire as unknown as WireInternals & { _readableState: { buffered: number } }
    const queued = (): number => internals._readableState.buffered + options.stream.writableLength
    this.outbox = new Outbox(queued, options.stream, {
      answerBytes: MAX_QUEUED_ANSWER_BYTES,
      maxBytes: MAX_QUEUED_BYTES,
      stallMs: SEND_STALL_TIMEOUT_MS,
      pollMs: QUEUE_POLL_MS,
      ...options.outboxLimits
    }, reason => { queueMicrotask(() => { this.close(new PeerStalledError(reason)) }) })
    // Every message queued for the peer passes here: one that does not read is dropped at the
    // hard bound, whatever the message (rejects, haves, answers).
    const push = internals._push.bind(wire)
    internals._push = (data: Uint8Array): boolean => {
      const ready = push(data)
      this.outbox.check()
      return ready
    }
    const self = this
    // BEP 10 extension class, as bittorrent-protocol expects one.
    function OhtExtension (this: { name: string }): void { /* state lives in PeerWire */ }
    OhtExtension.prototype.name = EXTENSION_NAME
    OhtExtension.prototype.onExtendedHandshake = function (): void { self.#sendAuth() }
    OhtExtension.prototype.onMessage = function (buf: Uint8Array): void { self.#onExtension(buf) }
    wire.use(OhtExtension as never)
    if (wire.extendedMapping[EXTENSION_ID] !== EXTENSION_NAME) throw new Error(`${EXTENSION_NAME} must be extension ${EXTENSION_ID} (messages.ts)`)

    const guard = new WireGuard(Math.max(options.maxBlockBytes, MAX_EXTENSION_BYTES) + WIRE_HEADER_SLACK_BYTES, { limitFor: id => this.#limitFor(id) })
    options.stream.pipe(guard).pipe(wire as unknown as NodeJS.WritableStream)
    sendCoalesced(wire as unknown as NodeJS.ReadableStream, options.stream)
    const fail = (err?: Error): void => { this.close(err) }
    guard.on('error', fail)
    options.stream.on('error', fail)
    options.stream.on('close', () => { this.close() })
    wire.on('error', fail)
    wire.on('close', () => { this.close() })

    wire.on('handshake', (infoHash: string) => {
      if (Buffer.from(infoHash, 'hex').compare(Buffer.from(options.infoHash)) !== 0) {
        this.close(new PeerAuthError('peer asked for another swarm'))
        return
      }
      if (!options.initiator) wire.handshake(options.infoHash, options.localNodeId.subarray(0, 20), { fast: true })
    })
    wire.on('extended', (name: string) => {
      // A peer without our extension cannot prove the swarm key.
      if (name === 'handshake' && wire.peerExtendedMapping[EXTENSION_NAME] == null) this.close(new PeerAuthError('peer does not speak oht_v1'))
    })
    this.#authTimer = setTimeout(() => { if (!this.#authenticated) this.close(new PeerAuthError('peer did not prove the swarm key in time')) }, options.authTimeoutMs ?? DEFAULT_AUTH_TIMEOUT_MS)
    this.#authTimer.unref()
    // BEP 6 (fast extension) for its reject message: a request that cannot be served is
    // answered at once instead of timing out.
    if (options.initiator) {
      wire.handshake(options.infoHash, options.localNodeId.subarray(0, 20), { fast: true })
      // The peer is an oht node (the oht handshake said `swarm`), so it speaks BEP 10: the
      // extension handshake and the swarm-key proof go in the same flight instead of waiting
      // for the peer's BitTorrent handshake (bittorrent-protocol's default), then its extension
      // handshake. The proof binds both node ids, which the oht handshake named.
      if (!internals._extendedHandshakeSent) internals._sendExtendedHandshake()
      this.#sendAuth()
    }
  }

  get authenticated (): boolean { return this.#authenticated }
  get closed (): boolean { return this.#closed }

  /** Sends an oht_v1 message; before the peer's extension handshake, under the fixed EXTENSION_ID. */
  send (message: ExtensionMessage): void {
    if (this.#closed) return
    this.wire.extended(this.wire.peerExtendedMapping[EXTENSION_NAME] ?? EXTENSION_ID, encodeMessage(message))
  }

  /**
   * Tells the peer why this node goes (an oht_v1 `refuse`), then closes once that is written (or
   * after LEAVE_FLUSH_MS): a fetcher learns why instead of seeing a connection drop.
   */
  leave (reason: string): void {
    if (this.#closed || this.#leaving) return
    this.#leaving = true
    if (!this.#authenticated) { this.close(); return }
    this.send({ t: 'refuse', reason: reason.slice(0, MAX_REFUSAL_CHARS) })
    const stream = this.#options.stream
    const timer = setTimeout(() => { this.close() }, LEAVE_FLUSH_MS)
    timer.unref()
    // The message reaches the stream on a later tick (the wire's readable side, sendCoalesced).
    setImmediate(() => {
      if (this.#closed || stream.destroyed) { clearTimeout(timer); this.close(); return }
      stream.end(() => { clearTimeout(timer); this.close() })
    })
  }

  close (err?: Error): void {
    if (this.#closed) return
    this.#closed = true
    clearTimeout(this.#authTimer)
    this.outbox.close()
    this.wire.destroy()
    this.#options.stream.destroy()
    this.emit('close', err)
  }

  /**
   * The largest message of type `id` accepted now: as small as the protocol allows, so a peer
   * cannot make this node hold a large unfinished message it has no reason to send.
   */
  #limitFor (id: number): number {
    const piece = 7
    const extended = 20
    if (id === extended) {
      if (!this.#authenticated) return MAX_PREAUTH_MESSAGE_BYTES
      return (this.#options.wantsManifest?.() ?? true) ? MAX_EXTENSION_BYTES + WIRE_HEADER_SLACK_BYTES : MAX_KNOWN_EXTENSION_BYTES
    }
    // Pieces are only ever asked for after the swarm key is proven.
    if (id === piece) return this.#authenticated ? this.#options.maxBlockBytes + WIRE_HEADER_SLACK_BYTES : MAX_PREAUTH_MESSAGE_BYTES
    return MAX_OTHER_MESSAGE_BYTES
  }

  #sendAuth (): void {
    if (this.#sentAuth) return
    this.#sentAuth = true
    const o = this.#options
    this.send({ t: 'auth', mac: swarmAuthMac(o.swarmKey, o.infoHash, o.localNodeId, o.remoteNodeId) })
  }

  #onExtension (buf: Uint8Array): void {
    let message: ExtensionMessage
    try {
      message = decodeMessage(buf)
    } catch (err) {
      this.close(err instanceof MessageError ? err : new MessageError(String(err)))
      return
    }
    if (!this.#authenticated) {
      if (message.t !== 'auth') { this.close(new PeerAuthError('peer sent swarm messages before proving the swarm key')); return }
      const o = this.#options
      const expected = swarmAuthMac(o.swarmKey, o.infoHash, o.remoteNodeId, o.localNodeId)
      if (!timingSafeEqual(expected, message.mac)) { this.close(new PeerAuthError('peer does not know the swarm key')); return }
      this.#authenticated = true
      clearTimeout(this.#authTimer)
      this.emit('ready')
      return
    }
    // eslint-disable-next-line no-control-regex
    if (message.t === 'refuse') this.lastRefusal = message.reason.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?')
    this.emit('message', message)
  }
}
