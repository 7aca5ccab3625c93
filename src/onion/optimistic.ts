// Optimistic protocol start: the initiator's handshake hands over its stream as soon as its
// signature and the protocol name are sent, so the protocol's first bytes travel in the same
// flight instead of one round trip later (about a second over Tor). The responder's signature
// and answer are still read and checked before anything the responder sent reaches the caller:
// the stream handed over delivers nothing until then, and is destroyed with the handshake's
// error (a refusal, a bad signature, the deadline) if it fails. Until the answer it lets at
// most MAX_OPTIMISTIC_BYTES through, the most a responder takes before it accepts.
import { Duplex } from 'node:stream'
import { MAX_OPTIMISTIC_BYTES } from './constants.ts'
import { runInitiator, type HandshakeResult, type InitiateOptions } from './handshake.ts'

export interface OptimisticSession extends HandshakeResult {
  /**
   * Resolves once the responder proved its node key and accepted the protocol; rejects with the
   * HandshakeError otherwise (the stream is then destroyed with it). Until it resolves,
   * `remoteNodeId` is only what the responder's hello claims.
   */
  readonly accepted: Promise<void>
}

/**
 * Runs the initiator handshake and returns once the protocol may write: see the file comment.
 * Fails like initiateHandshake when the handshake fails before that (hello, expected peer).
 */
export async function initiateOptimistic (stream: Duplex, options: InitiateOptions): Promise<OptimisticSession> {
  let gate: OptimisticStream | undefined
  let named: ((session: OptimisticSession) => void) | undefined
  const early = new Promise<OptimisticSession>(resolve => { named = resolve })
  const accepted = runInitiator(stream, options, peer => {
    gate = new OptimisticStream(stream, MAX_OPTIMISTIC_BYTES)
    named!({ ...peer, protocol: options.protocol, stream: gate, accepted })
  }).then(() => { gate!.open() }, (err: unknown) => {
    gate?.destroy(err as Error)
    throw err
  })
  accepted.catch(() => {}) // a caller that only reads the stream learns the failure from it
  // The handshake may fail before the protocol name is sent: `accepted` rejects first then.
  return await Promise.race([early, accepted.then(async () => await early)])
}

/**
 * The stream as the protocol sees it while the answer is outstanding: writes go through up to
 * `cap` bytes (then wait for the answer), reads wait for it. After it, a plain pass-through.
 */
class OptimisticStream extends Duplex {
  readonly #inner: Duplex
  readonly #cap: number
  #sent = 0
  #opened = false
  #held: Array<() => void> = []

  constructor (inner: Duplex, cap: number) {
    super()
    this.#inner = inner
    this.#cap = cap
  }

  /** The responder accepted: pass its bytes through, and the writes held back. */
  open (): void {
    if (this.destroyed) return
    const inner = this.#inner
    if (inner.destroyed) { this.destroy(); return }
    this.#opened = true
    inner.on('data', (chunk: Buffer) => { if (!this.push(chunk)) inner.pause() })
    inner.once('end', () => { this.push(null) })
    inner.once('error', err => { this.destroy(err) })
    inner.once('close', () => { if (!this.readableEnded) this.destroy() })
    const held = this.#held
    this.#held = []
    for (const write of held) write()
  }

  override _read (): void {
    if (this.#opened) this.#inner.resume()
  }

  override _write (chunk: Buffer, _encoding: BufferEncoding, callback: (err?: Error | null) => void): void {
    const write = (): void => { this.#inner.write(chunk, callback) }
    if (this.#opened || this.#sent + chunk.length <= this.#cap) {
      if (!this.#opened) this.#sent += chunk.length
      write()
    } else this.#held.push(write)
  }

  override _final (callback: (err?: Error | null) => void): void {
    this.#inner.end()
    callback()
  }

  override _destroy (err: Error | null, callback: (err?: Error | null) => void): void {
    this.#held = []
    this.#inner.destroy()
    callback(err)
  }
}
