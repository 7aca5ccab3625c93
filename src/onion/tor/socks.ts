// One SOCKS5 CONNECT through Tor with the `socks` package: the .onion name travels to Tor as a
// hostname (ATYP 3), so nothing is resolved locally, ever. Tor's ExtendedErrors reply codes
// (0xF0–0xF7, tor's socks-extensions.txt) are read from the wire and mapped to DialError codes,
// with a verdict on whether a retry can help.
import { connect, type Socket } from 'node:net'
import { SocksClient } from 'socks'
import { DialError, type DialFailure } from '../transport.ts'

export interface SocksTarget {
  /** Tor's SOCKS listener (IP literal). */
  proxy: { host: string, port: number }
  /** `<56 chars>.onion` */
  host: string
  port: number
  /** SOCKS username/password: Tor builds a separate circuit for each distinct pair (IsolateSOCKSAuth). */
  isolation: { username: string, password: string }
}

interface SocksFailureInfo {
  code: DialFailure
  /** Whether trying again (after a pause) may succeed. */
  retryable: boolean
  why: string
}

/** Standard SOCKS5 replies and Tor's extended ones. */
const REPLIES: Record<number, SocksFailureInfo> = {
  0x01: { code: 'failed', retryable: true, why: 'general SOCKS server failure' },
  0x02: { code: 'refused', retryable: false, why: 'connection not allowed by tor\'s SOCKS policy' },
  0x03: { code: 'unreachable', retryable: true, why: 'network unreachable' },
  0x04: { code: 'unreachable', retryable: true, why: 'host unreachable' },
  // Tor answers 0x05 when the onion service has no such virtual port.
  0x05: { code: 'refused', retryable: false, why: 'connection refused (the onion service does not listen on that port)' },
  0x06: { code: 'timeout', retryable: true, why: 'TTL expired (tor gave up on the circuit)' },
  0x07: { code: 'failed', retryable: false, why: 'command not supported' },
  0x08: { code: 'failed', retryable: false, why: 'address type not supported' },
  // Right after a service is published its descriptor may not be on every HSDir yet: retry.
  0xF0: { code: 'unreachable', retryable: true, why: 'onion service descriptor not found (not published, or not yet)' },
  0xF1: { code: 'failed', retryable: false, why: 'onion service descriptor is invalid' },
  // The service was there but its introduction points do not answer: it is most likely gone.
  0xF2: { code: 'unreachable', retryable: true, why: 'onion service introduction failed (the service is probably offline)' },
  0xF3: { code: 'unreachable', retryable: true, why: 'onion service rendezvous failed' },
  0xF4: { code: 'refused', retryable: false, why: 'onion service requires client authorization' },
  0xF5: { code: 'refused', retryable: false, why: 'onion service client authorization is wrong' },
  0xF6: { code: 'unreachable', retryable: false, why: 'bad onion address (checksum or version)' },
  0xF7: { code: 'timeout', retryable: true, why: 'onion service introduction timed out' }
}

/** Tor's reply when every introduction point of an onion service failed (it is most likely offline). */
export const SOCKS_REPLY_INTRODUCTION_FAILED = 0xF2

/** A SOCKS-level failure: the DialError, plus whether the dialer may retry and tor's reply code. */
export class SocksDialError extends DialError {
  readonly retryable: boolean
  /** The SOCKS5 reply code (0xF0 etc.), when tor sent one. */
  readonly reply: number | undefined
  constructor (address: string, info: SocksFailureInfo, reply: number | undefined, options?: ErrorOptions) {
    super(address, info.code, `cannot reach ${address} through tor: ${info.why}${reply === undefined ? '' : ` (SOCKS reply 0x${reply.toString(16).padStart(2, '0')})`}`, options)
    this.retryable = info.retryable
    this.reply = reply
  }
}

/**
 * Whether a dial may try again after `err`: only a retryable SOCKS failure, and after "introduction
 * failed" (the service is most likely offline) only `offlineRetries` times in all.
 */
export function mayRetryDial (err: unknown, offlineAnswers: number, offlineRetries: number): err is SocksDialError {
  if (!(err instanceof SocksDialError) || !err.retryable) return false
  return err.reply !== SOCKS_REPLY_INTRODUCTION_FAILED || offlineAnswers <= offlineRetries
}

/**
 * Opens one stream through Tor's SOCKS port. Aborting `signal` destroys the socket and rejects
 * with the signal's reason. Any bytes the service sent together with tor's reply are handed
 * back to the stream, never dropped.
 */
export async function socksConnect (address: string, target: SocksTarget, signal: AbortSignal): Promise<Socket> {
  signal.throwIfAborted()
  const socket = await connectProxy(address, target.proxy, signal)
  // Everything tor sends during the SOCKS exchange, to read its reply code ourselves (the
  // `socks` package reports unknown codes such as 0xF0 only as "undefined").
  const handshake: Buffer[] = []
  const capture = (chunk: Buffer): void => { handshake.push(chunk) }
  socket.on('data', capture)
  const onAbort = (): void => { socket.destroy() }
  signal.addEventListener('abort', onAbort, { once: true })
  try {
    await SocksClient.createConnection({
      command: 'connect',
      proxy: { host: target.proxy.host, port: target.proxy.port, type: 5, userId: target.isolation.username, password: target.isolation.password },
      destination: { host: target.host, port: target.port },
      existing_socket: socket,
      // The overall deadline is the dialer's; this only bounds a tor that never answers.
      timeout: 10 * 60_000
    })
  } catch (err) {
    socket.off('data', capture)
    socket.destroy()
    if (signal.aborted) throw signal.reason
    const reply = replyCode(Buffer.concat(handshake))
    const info = reply === undefined
      ? { code: 'failed' as const, retryable: true, why: `SOCKS exchange failed (${(err as Error).message})` }
      : REPLIES[reply] ?? { code: 'failed' as const, retryable: false, why: 'unknown SOCKS reply' }
    throw new SocksDialError(address, info, reply, { cause: err })
  } finally {
    signal.removeEventListener('abort', onAbort)
  }
  // The package re-emits bytes that came along with the reply as a 'data' event and resumes
  // the socket one turn later, which loses them unless someone listens at that moment. Keep
  // capturing until then, put them back, and return the socket in the state of a fresh one
  // (readableFlowing null), so a reader may use 'data', 'readable', read() or pipe() as with
  // any socket: pause() alone would leave it explicitly paused, deaf to a later on('data').
  const early: Buffer[] = []
  socket.off('data', capture)
  const keep = (chunk: Buffer): void => { early.push(chunk) }
  socket.on('data', keep)
  await new Promise(resolve => setImmediate(resolve))
  socket.off('data', keep)
  socket.pause()
  if (early.length > 0) {
    // A service that wrote and hung up at once may already have ended the stream: then the
    // bytes cannot be put back, and the stream is useless anyway.
    try { socket.unshift(Buffer.concat(early)) } catch { socket.destroy() }
  }
  // Removing the last 'readable' listener with no 'data' listener resets readableFlowing to
  // null on the next tick (node's updateReadableListening).
  const noop = (): void => {}
  socket.on('readable', noop)
  socket.off('readable', noop)
  await new Promise(resolve => process.nextTick(resolve))
  if (signal.aborted) { socket.destroy(); throw signal.reason }
  return socket
}

/** The SOCKS5 reply code in what tor sent: method choice, then auth status (if user/pass), then reply. */
function replyCode (bytes: Buffer): number | undefined {
  if (bytes.length < 2) return undefined
  const offset = bytes[1] === 0x02 ? 4 : 2
  if (bytes.length < offset + 2 || bytes[offset] !== 0x05) return undefined
  return bytes[offset + 1]
}

async function connectProxy (address: string, proxy: { host: string, port: number }, signal: AbortSignal): Promise<Socket> {
  return await new Promise<Socket>((resolve, reject) => {
    // The proxy host is always an IP literal (from tor's own listener list): no lookup.
    const socket = connect({ host: proxy.host, port: proxy.port, noDelay: true, allowHalfOpen: false })
    const cleanup = (): void => {
      socket.off('connect', onConnect)
      socket.off('error', onError)
      signal.removeEventListener('abort', onAbort)
    }
    const onConnect = (): void => { cleanup(); resolve(socket) }
    const onError = (err: Error): void => {
      cleanup()
      socket.destroy()
      reject(new SocksDialError(address, { code: 'failed', retryable: false, why: `tor's SOCKS port ${proxy.host}:${proxy.port} is not reachable (${err.message}): is tor running?` }, undefined, { cause: err }))
    }
    const onAbort = (): void => { cleanup(); socket.destroy(); reject(signal.reason) }
    socket.once('connect', onConnect)
    socket.once('error', onError)
    signal.addEventListener('abort', onAbort, { once: true })
  })
}
