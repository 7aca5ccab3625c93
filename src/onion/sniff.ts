// One listener for two protocols: a node started with --public-fetch answers plain HTTP on its
// own address (its onion service, or its TCP port) beside the oht handshake. The first bytes tell
// them apart: an oht dialer starts with the handshake's magic "oht1" (TCP) or an onion stream
// frame's length (00 00 00 44), an HTTP client with a method. Without an HTTP handler nothing is
// looked at (the handshake refuses anything else), so a node without the option speaks no HTTP.
import type { Socket } from 'node:net'

/** Takes over a raw socket whose first bytes are an HTTP request line (it was not read from: the bytes are unshifted). */
export type HttpSocketHandler = (socket: Socket) => void

const SNIFF_BYTES = 4
const HTTP_START = /^(GET |HEAD)/
/** A dialer that sends fewer than 4 bytes is cut off: nothing else times it out before the handshake. */
const SNIFF_TIMEOUT_MS = 30_000

/**
 * Waits for the socket's first 4 bytes, puts them back, and hands the socket to `http` when they
 * start an HTTP GET or HEAD, else to `other`. A socket that closes first, or sends less than 4
 * bytes in 30 s, goes nowhere.
 */
export function sniffHttp (socket: Socket, http: HttpSocketHandler, other: (socket: Socket) => void): void {
  const parts: Buffer[] = []
  let have = 0
  const onReadable = (): void => {
    let chunk: Buffer | null
    while (have < SNIFF_BYTES && (chunk = socket.read() as Buffer | null) != null) { parts.push(chunk); have += chunk.length }
    if (have < SNIFF_BYTES) return
    cleanup()
    const first = Buffer.concat(parts)
    socket.unshift(first)
    if (HTTP_START.test(first.subarray(0, SNIFF_BYTES).toString('latin1'))) http(socket)
    else other(socket)
  }
  const onGone = (): void => { cleanup(); socket.destroy() }
  const timer = setTimeout(onGone, SNIFF_TIMEOUT_MS)
  timer.unref()
  const cleanup = (): void => { clearTimeout(timer); socket.off('readable', onReadable); socket.off('end', onGone); socket.off('close', onGone) }
  socket.on('readable', onReadable)
  socket.once('end', onGone)
  socket.once('close', onGone)
}
