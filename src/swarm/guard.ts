import { Transform, type TransformCallback } from 'node:stream'
import { pieceBuffers } from '../blocks/index.ts'

/** The BitTorrent handshake: pstrlen(1) "BitTorrent protocol"(19) reserved(8) info_hash(20) peer_id(20). */
const HANDSHAKE_BYTES = 68

export class WireMessageTooLargeError extends Error {
  override name = 'WireMessageTooLargeError'
}

/**
 * Sits in front of bittorrent-protocol's parser, which buffers whatever length a peer announces
 * (up to 2^32−1): refuses any message over `maxMessageBytes` before buffering it, and hands the
 * wire whole messages so it never re-concatenates partial ones (a copy per TCP chunk otherwise).
 * A message that spans chunks is copied once, into memory of exactly its size: a piece's buffer
 * then holds nothing but its own message and can be handed to a worker thread without a copy.
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
    let value = 0
    let got = 0
    for (const part of this.#parts) {
      for (let k = 0; k < part.length && got < 4; k++, got++) value = value * 256 + part[k]!
      if (got === 4) break
    }
    return value
  }

  #take (n: number): Buffer {
    const first = this.#parts[0]!
    this.#buffered -= n
    if (first.length >= n) {
      if (first.length === n) this.#parts.shift()
      else this.#parts[0] = first.subarray(n)
      return first.subarray(0, n)
    }
    // Small messages may share Node's Buffer pool; big ones (pieces) get memory of their own,
    // recycled from pieces already verified and decrypted (by a crypto worker, or inline).
    const out = n >= 4096 ? pieceBuffers.take(n) : Buffer.allocUnsafe(n)
    let filled = 0
    while (filled < n) {
      const part = this.#parts[0]!
      const take = Math.min(part.length, n - filled)
      out.set(take === part.length ? part : part.subarray(0, take), filled)
      filled += take
      if (take === part.length) this.#parts.shift()
      else this.#parts[0] = part.subarray(take)
    }
    return out
  }
}
