import { Transform, type TransformCallback } from 'node:stream'

/** The BitTorrent handshake: pstrlen(1) "BitTorrent protocol"(19) reserved(8) info_hash(20) peer_id(20). */
const HANDSHAKE_BYTES = 68

export class WireMessageTooLargeError extends Error {
  override name = 'WireMessageTooLargeError'
}

/**
 * Sits in front of bittorrent-protocol's parser, which buffers whatever length a peer announces
 * (up to 2^32−1): refuses any message over `maxMessageBytes` before buffering it, and hands the
 * wire whole messages so it never re-concatenates partial ones (a copy per TCP chunk otherwise).
 */
export class WireGuard extends Transform {
  readonly #max: number
  #parts: Buffer[] = []
  #buffered = 0
  #need = HANDSHAKE_BYTES
  #inHandshake = true
  #pendingLength = true

  constructor (maxMessageBytes: number) {
    super()
    this.#max = maxMessageBytes
  }

  override _transform (chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.#parts.push(chunk)
    this.#buffered += chunk.length
    try {
      this.#drain()
      done()
    } catch (err) {
      done(err as Error)
    }
  }

  #drain (): void {
    while (true) {
      if (this.#inHandshake) {
        if (this.#buffered < HANDSHAKE_BYTES) break
        const head = this.#take(HANDSHAKE_BYTES)
        if (head[0] !== 19) throw new WireMessageTooLargeError('peer does not speak the BitTorrent wire protocol')
        this.push(head)
        this.#inHandshake = false
        this.#need = 4
        this.#pendingLength = true
        continue
      }
      if (this.#pendingLength) {
        if (this.#buffered < 4) break
        const length = this.#peekUint32()
        if (length > this.#max) throw new WireMessageTooLargeError(`peer announced a ${length}-byte message; the limit is ${this.#max}`)
        this.#need = 4 + length
        this.#pendingLength = false
      }
      if (this.#buffered < this.#need) break
      // One whole message per chunk: the wire parses it without copying it again.
      this.push(this.#take(this.#need))
      this.#pendingLength = true
    }
  }

  #peekUint32 (): number {
    const first = this.#parts[0]!
    if (first.length >= 4) return first.readUInt32BE(0)
    this.#parts = [Buffer.concat(this.#parts, this.#buffered)]
    return this.#parts[0]!.readUInt32BE(0)
  }

  #take (n: number): Buffer {
    const first = this.#parts[0]!
    if (first.length >= n) {
      this.#buffered -= n
      if (first.length === n) this.#parts.shift()
      else this.#parts[0] = first.subarray(n)
      return first.subarray(0, n)
    }
    const joined = Buffer.concat(this.#parts, this.#buffered)
    this.#buffered -= n
    this.#parts = this.#buffered > 0 ? [joined.subarray(n)] : []
    return joined.subarray(0, n)
  }
}
