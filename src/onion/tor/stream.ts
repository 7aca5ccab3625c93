// Tor streams cannot be half-closed: when either end sends a TCP FIN, tor tears the whole stream
// down (connection_edge_reached_eof → RELAY_END), dropping whatever the other side was still
// sending. The Transport contract wants TCP's allowHalfOpen:false behaviour instead: when one
// side ends, the other receives everything written so far, then ends too. So every Tor stream
// carries a minimal framing: [u32 big-endian length][bytes], where length 0 is an in-band
// end-of-data marker. A side tears the socket down only once it has both sent and received that
// marker; a socket that closes without it is a reset, reported as an error.
import type { Socket } from 'node:net'
import { Duplex } from 'node:stream'

/** Largest frame accepted from a peer; writers split larger chunks. */
export const ONION_STREAM_MAX_FRAME = 256 * 1024
const END_FRAME = Buffer.alloc(4)

export class OnionStreamError extends Error {
  override name = 'OnionStreamError'
  readonly code: string
  constructor (code: string, message: string) {
    super(message)
    this.code = code
  }
}

export class OnionStream extends Duplex {
  readonly socket: Socket
  readonly #header = Buffer.alloc(4)
  #headerHave = 0
  /** Payload bytes still to come in the current frame. */
  #remaining = 0
  #endReceived = false
  #endSent = false

  constructor (socket: Socket) {
    super({ allowHalfOpen: false })
    this.socket = socket
    socket.on('data', (chunk: Buffer) => { this.#onData(chunk) })
    socket.on('error', err => { this.destroy(err) })
    socket.on('close', () => {
      if (this.#endReceived && this.#endSent) this.destroy()
      else this.destroy(new OnionStreamError('ECONNRESET', 'the onion stream was reset (closed without an end marker)'))
    })
    // The socket may already hold bytes (unshifted after the SOCKS reply) while paused.
    socket.resume()
  }

  #onData (chunk: Buffer): void {
    let offset = 0
    while (offset < chunk.length) {
      if (this.#endReceived) {
        this.destroy(new OnionStreamError('EPROTO', 'data after the end marker of an onion stream'))
        return
      }
      if (this.#remaining > 0) {
        const take = Math.min(this.#remaining, chunk.length - offset)
        this.#remaining -= take
        const more = this.push(chunk.subarray(offset, offset + take))
        offset += take
        if (!more) this.socket.pause()
        continue
      }
      this.#header[this.#headerHave++] = chunk[offset++]!
      if (this.#headerHave < 4) continue
      this.#headerHave = 0
      const length = this.#header.readUInt32BE(0)
      if (length === 0) {
        this.#endReceived = true
        this.push(null)
        this.#maybeFinish()
      } else if (length > ONION_STREAM_MAX_FRAME) {
        this.destroy(new OnionStreamError('EPROTO', `onion stream frame of ${length} bytes exceeds ${ONION_STREAM_MAX_FRAME}`))
        return
      } else {
        this.#remaining = length
      }
    }
  }

  override _read (): void {
    this.socket.resume()
  }

  override _write (chunk: Buffer, _encoding: BufferEncoding, callback: (err?: Error | null) => void): void {
    let ok = true
    this.socket.cork()
    for (let offset = 0; offset < chunk.length; offset += ONION_STREAM_MAX_FRAME) {
      const part = chunk.subarray(offset, offset + ONION_STREAM_MAX_FRAME)
      const header = Buffer.allocUnsafe(4)
      header.writeUInt32BE(part.length, 0)
      this.socket.write(header)
      ok = this.socket.write(part)
    }
    this.socket.uncork()
    if (ok) callback()
    else this.socket.once('drain', () => { callback() })
  }

  override _final (callback: (err?: Error | null) => void): void {
    // Resolve once the marker reached the kernel: a teardown right after must not drop it.
    this.socket.write(END_FRAME, err => {
      if (err != null) { callback(err); return }
      this.#endSent = true
      this.#maybeFinish()
      callback()
    })
  }

  /** Both markers exchanged: nothing more can flow, so the tor stream may go. */
  #maybeFinish (): void {
    if (this.#endReceived && this.#endSent) this.socket.end()
  }

  override _destroy (err: Error | null, callback: (err?: Error | null) => void): void {
    if (this.#endReceived && this.#endSent && err === null) {
      // Orderly: our FIN follows the data; tor closes the stream after flushing it.
      this.socket.end()
      this.socket.setTimeout(10_000, () => { this.socket.destroy() })
    } else {
      this.socket.destroy()
    }
    callback(err)
  }
}
