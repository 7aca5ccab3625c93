// The oht connection handshake, run on every stream right after it connects and before anything
// else: both sides prove their node key (Ed25519, separate from the onion key, so onion
// addresses can rotate while identity stays), then the initiator names the protocol.
//
//   both       -> hello      magic "oht1" (4) || node public key (32) || random nonce (32)
//   both       -> signature  Ed25519 over  "oht/v2/handshake" 0x00 || initiator hello || responder hello || role byte
//   initiator  -> protocol   ASCII name, at most 32 bytes (sent right behind its signature)
//   responder  -> answer     0x00 accept | 0x01 || UTF-8 reason
//
// An initiator may send the protocol's first bytes right behind the protocol name, before the
// answer (optimistic.ts): at most MAX_OPTIMISTIC_BYTES, or the responder closes the connection.
// The responder hands those bytes to the protocol only after it accepted; a refusal drops them.
//
// Each frame is length-prefixed (framing.ts) with a 1 KiB cap, so a hostile peer cannot make us
// allocate. Fresh nonces on both sides make every signature unique to this connection; the
// role byte stops one side's signature from being reflected back as the other's. The handshake
// authenticates the two node keys, not the bytes that follow: Tor's onion-service circuit gives
// the stream its confidentiality and integrity (over plain TCP an active attacker could still
// tamper after the handshake, one more reason the TCP transport is for development only).
import { createHash, createPrivateKey, createPublicKey, randomBytes, sign, verify, type KeyObject } from 'node:crypto'
import type { Duplex } from 'node:stream'
import { onionLabel, ONION_LABELS } from './caps.ts'
import { HANDSHAKE_TIMEOUT_MS, MAX_HANDSHAKE_FRAME_BYTES, MAX_OPTIMISTIC_BYTES, REFUSAL_FLUSH_MS } from './constants.ts'
import { FrameReader, FrameTooLargeError, TruncatedFrameError, writeFrame } from './framing.ts'
import type { ConnectionHandler, ConnectionInfo, DialOptions, Transport } from './transport.ts'

/**
 * The constants the handshake sends besides its signed label (caps.ts ONION_LABELS.transcript,
 * which separates the transcript from anything else a node key signs): changing one is a new
 * protocol version.
 */
export const HANDSHAKE_LABELS = {
  /** Opens every hello: the protocol and its version. */
  magic: 'oht1',
  /** Ends the transcript: which side signed it. */
  initiatorRole: 0x01,
  responderRole: 0x02
} as const

const MAGIC = Buffer.from(HANDSHAKE_LABELS.magic, 'ascii')
const TRANSCRIPT_LABEL = onionLabel(ONION_LABELS.transcript)
const PUBLIC_KEY_BYTES = 32
const NONCE_BYTES = 32
const HELLO_BYTES = MAGIC.length + PUBLIC_KEY_BYTES + NONCE_BYTES
const SIGNATURE_BYTES = 64
export const MAX_PROTOCOL_BYTES = 32
const MAX_REASON_BYTES = 256
const PROTOCOL_NAME = /^[a-z0-9][a-z0-9._/-]*$/
const ACCEPT = 0x00
const REFUSE = 0x01
/** SubjectPublicKeyInfo header of a raw Ed25519 key (RFC 8410), to import it without JWK. */
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex')
const NODE_ID = /^[0-9a-f]{64}$/

/** A node's identity key pair; src/node's NodeKeys has this shape. */
export interface IdentityKeys {
  privateKey: KeyObject
  /** The raw 32-byte Ed25519 public key. */
  publicKeyRaw: Uint8Array
}

/** PKCS#8 header of a raw 32-byte Ed25519 seed (RFC 8410). */
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex')

/** The Ed25519 key pair of a 32-byte seed (network keys, seeded simulations). */
export function identityFromSeed (seed: Uint8Array): IdentityKeys {
  if (seed.length !== 32) throw new TypeError('an Ed25519 seed is 32 bytes')
  const privateKey = createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' })
  const jwk = createPublicKey(privateKey).export({ format: 'jwk' })
  return { privateKey, publicKeyRaw: new Uint8Array(Buffer.from(jwk.x!, 'base64url')) }
}

export interface HandshakeOptions {
  keys: IdentityKeys
  /** Deadline of the whole handshake; default 20 s (sized for Tor). */
  timeoutMs?: number
  signal?: AbortSignal
}

export interface InitiateOptions extends HandshakeOptions {
  /** The protocol to speak after the handshake (`dht`, `swarm`). */
  protocol: string
  /** Refuse any peer but this one (hex node id), before signing anything for it. */
  expectedNodeId?: string
}

export interface RespondOptions extends HandshakeOptions {
  /** Protocols this node serves; any other is refused with a reason. */
  protocols: readonly string[]
}

export interface HandshakeResult {
  /** SHA-256 of the peer's node public key, hex. */
  remoteNodeId: string
  remotePublicKey: Uint8Array
  protocol: string
  /** The same stream, positioned right after the handshake: nothing the peer sent is lost. */
  stream: Duplex
}

export type HandshakeFailure =
  | 'timeout'
  | 'aborted'
  /** The peer closed or reset the connection between frames. */
  | 'closed'
  /** The stream ended inside a frame. */
  | 'truncated'
  | 'frame-too-large'
  /** A frame of the wrong size or content (wrong magic, bad protocol name, unknown answer). */
  | 'malformed'
  | 'bad-signature'
  /** The peer is not the node the initiator asked for. */
  | 'unexpected-peer'
  /** The peer presented our own key. */
  | 'self'
  /** Responder side: the initiator asked for a protocol this node does not serve. */
  | 'unsupported-protocol'
  /** Initiator side: the responder refused the protocol. */
  | 'rejected'
  /** Responder side: the initiator sent more than MAX_OPTIMISTIC_BYTES before the answer. */
  | 'optimistic-overflow'

export class HandshakeError extends Error {
  override name = 'HandshakeError'
  readonly code: HandshakeFailure
  /** Set once the peer's hello was read. */
  remoteNodeId?: string
  constructor (code: HandshakeFailure, message: string, options?: ErrorOptions) {
    super(message, options)
    this.code = code
  }
}

/** A node's id: SHA-256 of its raw Ed25519 public key, hex (as src/node/identity/keystore.ts). */
export function nodeIdOf (publicKeyRaw: Uint8Array): string {
  return createHash('sha256').update(publicKeyRaw).digest('hex')
}

export function isValidProtocolName (name: string): boolean {
  return typeof name === 'string' && name.length > 0 && name.length <= MAX_PROTOCOL_BYTES && PROTOCOL_NAME.test(name)
}

/** Runs the handshake as the side that dialed. On failure the stream is destroyed. */
export async function initiateHandshake (stream: Duplex, options: InitiateOptions): Promise<HandshakeResult> {
  return await runInitiator(stream, options)
}

/** The peer as its hello names it (its signature not checked yet). */
export interface ClaimedPeer {
  remoteNodeId: string
  remotePublicKey: Uint8Array
}

/**
 * The initiator's handshake; `onNamed` runs once its signature and the protocol name are sent,
 * before the answer is read (optimistic.ts starts the protocol there). Internal to src/onion.
 */
export async function runInitiator (stream: Duplex, options: InitiateOptions, onNamed?: (peer: ClaimedPeer) => void): Promise<HandshakeResult> {
  const { keys, protocol, expectedNodeId } = options
  if (!isValidProtocolName(protocol)) throw new TypeError(`invalid protocol name "${protocol}": 1–${MAX_PROTOCOL_BYTES} of a-z 0-9 . _ / -`)
  if (expectedNodeId !== undefined && !NODE_ID.test(expectedNodeId)) throw new TypeError(`expectedNodeId must be 64 lower-case hex characters, got "${expectedNodeId}"`)
  checkKeys(keys)
  return await guarded(stream, options, async (reader, progress) => {
    const { ourHello, theirHello, peer } = await exchangeHellos(stream, reader, keys, progress)
    if (expectedNodeId !== undefined && peer.nodeId !== expectedNodeId) {
      throw new HandshakeError('unexpected-peer', `the peer is node ${short(peer.nodeId)}, not the expected ${short(expectedNodeId)}`)
    }
    const transcript = [TRANSCRIPT_LABEL, ourHello, theirHello]
    await send(stream, signTranscript(keys.privateKey, transcript, HANDSHAKE_LABELS.initiatorRole))
    // Pipelined behind the signature: saves a round trip, which costs about a second over Tor.
    await send(stream, Buffer.from(protocol, 'ascii'))
    onNamed?.({ remoteNodeId: peer.nodeId, remotePublicKey: peer.publicKey })
    checkSignature(await receive(reader, 'signature'), peer, transcript, HANDSHAKE_LABELS.responderRole)
    const answer = await receive(reader, 'answer')
    if (answer.length === 1 && answer[0] === ACCEPT) return { remoteNodeId: peer.nodeId, remotePublicKey: peer.publicKey, protocol, stream }
    if (answer.length >= 1 && answer.length <= 1 + MAX_REASON_BYTES && answer[0] === REFUSE) {
      const reason = printable(answer.subarray(1).toString('utf8'))
      throw new HandshakeError('rejected', `node ${short(peer.nodeId)} refused protocol "${protocol}": ${reason}`)
    }
    throw new HandshakeError('malformed', `the peer sent a malformed answer (${answer.length} bytes)`)
  })
}

/** Runs the handshake as the side that accepted. On failure the stream is destroyed. */
export async function respondHandshake (stream: Duplex, options: RespondOptions): Promise<HandshakeResult> {
  const { keys, protocols } = options
  for (const p of protocols) if (!isValidProtocolName(p)) throw new TypeError(`invalid protocol name "${p}" in the allow-list`)
  checkKeys(keys)
  return await guarded(stream, options, async (reader, progress) => {
    const { ourHello, theirHello, peer } = await exchangeHellos(stream, reader, keys, progress)
    const transcript = [TRANSCRIPT_LABEL, theirHello, ourHello]
    await send(stream, signTranscript(keys.privateKey, transcript, HANDSHAKE_LABELS.responderRole))
    checkSignature(await receive(reader, 'signature'), peer, transcript, HANDSHAKE_LABELS.initiatorRole)
    const name = await receive(reader, 'protocol name')
    const protocol = name.toString('latin1')
    if (name.length > MAX_PROTOCOL_BYTES || !isValidProtocolName(protocol)) {
      throw new HandshakeError('malformed', `node ${short(peer.nodeId)} sent a malformed protocol name (${name.length} bytes)`)
    }
    // Optimistic bytes wait here unread, bounded: more than the cap is a peer to drop.
    const early = reader.buffered + stream.readableLength
    if (early > MAX_OPTIMISTIC_BYTES) {
      throw new HandshakeError('optimistic-overflow', `node ${short(peer.nodeId)} sent ${early} bytes before the answer (the limit is ${MAX_OPTIMISTIC_BYTES})`)
    }
    if (!protocols.includes(protocol)) {
      const reason = `unsupported protocol "${protocol}"; this node speaks ${protocols.length === 0 ? 'nothing' : protocols.join(', ')}`
      await refuse(stream, reason)
      throw new HandshakeError('unsupported-protocol', `node ${short(peer.nodeId)} asked for ${reason}`)
    }
    await send(stream, Uint8Array.of(ACCEPT))
    return { remoteNodeId: peer.nodeId, remotePublicKey: peer.publicKey, protocol, stream }
  })
}

/**
 * A listener handler that runs the responder handshake on every accepted stream and hands
 * the authenticated sessions to `onSession`; failures (already cleaned up) go to `onError`.
 */
export function acceptHandshakes (
  options: RespondOptions,
  onSession: (session: HandshakeResult, info: ConnectionInfo) => void,
  onError: (err: HandshakeError, info: ConnectionInfo) => void = () => {}
): ConnectionHandler {
  return (stream, info) => {
    respondHandshake(stream, options).then(
      session => { onSession(session, info) },
      (err: unknown) => { onError(toHandshakeError(err), info) }
    )
  }
}

export interface DialPeerOptions extends InitiateOptions {
  /** Dial timeout, separate from the handshake's `timeoutMs`; the transport's default if unset. */
  dialTimeoutMs?: number
}

/** Dials `address` and runs the initiator handshake: an authenticated session, or a typed error. */
export async function dialPeer (transport: Transport, address: string, options: DialPeerOptions): Promise<HandshakeResult> {
  const dialOptions: DialOptions = {}
  if (options.signal !== undefined) dialOptions.signal = options.signal
  if (options.dialTimeoutMs !== undefined) dialOptions.timeoutMs = options.dialTimeoutMs
  const stream = await transport.dial(address, dialOptions)
  return await initiateHandshake(stream, options)
}

// ---------------------------------------------------------------------------------------------

interface Peer {
  publicKey: Uint8Array
  key: KeyObject
  nodeId: string
}

/** Step 1, the same on both sides: send our hello, read and check theirs. */
async function exchangeHellos (stream: Duplex, reader: FrameReader, keys: IdentityKeys, progress: { remoteNodeId?: string }): Promise<{ ourHello: Buffer, theirHello: Buffer, peer: Peer }> {
  const ourHello = makeHello(keys.publicKeyRaw)
  await send(stream, ourHello)
  const theirHello = await receive(reader, 'hello')
  const peer = readHello(theirHello, keys)
  progress.remoteNodeId = peer.nodeId
  return { ourHello, theirHello, peer }
}

/**
 * Runs a handshake body under the deadline and the abort signal. Whatever goes wrong becomes a
 * HandshakeError and the stream is destroyed; on success the frame reader hands back any bytes
 * it read beyond the handshake.
 */
async function guarded (
  stream: Duplex,
  options: HandshakeOptions,
  body: (reader: FrameReader, progress: { remoteNodeId?: string }) => Promise<HandshakeResult>
): Promise<HandshakeResult> {
  const timeoutMs = options.timeoutMs ?? HANDSHAKE_TIMEOUT_MS
  if (!(timeoutMs > 0)) throw new RangeError(`handshake timeout must be positive, got ${timeoutMs}`)
  const { signal } = options
  const reader = new FrameReader(stream, { maxFrameBytes: MAX_HANDSHAKE_FRAME_BYTES })
  const progress: { remoteNodeId?: string } = {}
  let failure: HandshakeError | null = null
  // Stopping destroys the stream, which wakes the pending read; the recorded failure then wins.
  const stop = (err: HandshakeError): void => {
    failure ??= err
    stream.destroy()
  }
  const timer = setTimeout(() => { stop(new HandshakeError('timeout', `no handshake within ${timeoutMs} ms`)) }, timeoutMs)
  const onAbort = (): void => { stop(new HandshakeError('aborted', 'handshake aborted', { cause: signal?.reason })) }
  if (signal?.aborted === true) onAbort()
  else signal?.addEventListener('abort', onAbort, { once: true })
  try {
    if (failure !== null) throw failure
    const result = await body(reader, progress)
    if (failure !== null) throw failure
    reader.release()
    return result
  } catch (err) {
    const error = failure ?? toHandshakeError(err)
    if (progress.remoteNodeId !== undefined) error.remoteNodeId ??= progress.remoteNodeId
    stream.destroy()
    throw error
  } finally {
    clearTimeout(timer)
    signal?.removeEventListener('abort', onAbort)
  }
}

function toHandshakeError (err: unknown): HandshakeError {
  if (err instanceof HandshakeError) return err
  if (err instanceof FrameTooLargeError) return new HandshakeError('frame-too-large', `the peer announced a ${err.length}-byte handshake frame (the limit is ${err.max})`, { cause: err })
  if (err instanceof TruncatedFrameError) return new HandshakeError('truncated', `the peer closed the connection inside a handshake frame: ${err.message}`, { cause: err })
  const message = err instanceof Error ? err.message : String(err)
  return new HandshakeError('closed', `the connection failed during the handshake: ${message}`, { cause: err })
}

async function send (stream: Duplex, payload: Uint8Array): Promise<void> {
  await writeFrame(stream, payload, { maxFrameBytes: MAX_HANDSHAKE_FRAME_BYTES })
}

async function receive (reader: FrameReader, what: string): Promise<Buffer> {
  const frame = await reader.next()
  if (frame === null) throw new HandshakeError('closed', `the peer closed the connection before sending its ${what}`)
  return frame
}

/** Sends the refusal and waits (briefly) until it is flushed, so the peer learns why. */
async function refuse (stream: Duplex, reason: string): Promise<void> {
  let bytes = Buffer.from(reason, 'utf8')
  if (bytes.length > MAX_REASON_BYTES) bytes = bytes.subarray(0, MAX_REASON_BYTES)
  await new Promise<void>(resolve => {
    const timer = setTimeout(done, REFUSAL_FLUSH_MS)
    function done (): void {
      clearTimeout(timer)
      resolve()
    }
    stream.once('close', done)
    stream.end(encodeRefusal(bytes), done)
  })
}

function encodeRefusal (reason: Buffer): Buffer {
  const payload = Buffer.concat([Uint8Array.of(REFUSE), reason])
  const frame = Buffer.allocUnsafe(4 + payload.length)
  frame.writeUInt32BE(payload.length, 0)
  payload.copy(frame, 4)
  return frame
}

function makeHello (publicKeyRaw: Uint8Array): Buffer {
  return Buffer.concat([MAGIC, publicKeyRaw, randomBytes(NONCE_BYTES)])
}

function readHello (hello: Buffer, ours: IdentityKeys): Peer {
  if (hello.length !== HELLO_BYTES) throw new HandshakeError('malformed', `the peer's hello is ${hello.length} bytes, expected ${HELLO_BYTES}`)
  if (!hello.subarray(0, MAGIC.length).equals(MAGIC)) throw new HandshakeError('malformed', 'the peer does not speak the oht handshake (wrong magic)')
  const publicKey = new Uint8Array(hello.subarray(MAGIC.length, MAGIC.length + PUBLIC_KEY_BYTES))
  const nodeId = nodeIdOf(publicKey)
  if (Buffer.from(publicKey).equals(Buffer.from(ours.publicKeyRaw))) throw new HandshakeError('self', 'the peer presented our own node key (a connection to ourselves, or a reflection)')
  let key: KeyObject
  try {
    key = createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, publicKey]), format: 'der', type: 'spki' })
  } catch (err) {
    throw new HandshakeError('malformed', `the peer's node key is not a valid Ed25519 key`, { cause: err })
  }
  return { publicKey, key, nodeId }
}

function transcriptFor (parts: readonly Uint8Array[], role: number): Buffer {
  return Buffer.concat([...parts, Uint8Array.of(role)])
}

function signTranscript (privateKey: KeyObject, parts: readonly Uint8Array[], role: number): Buffer {
  return sign(null, transcriptFor(parts, role), privateKey)
}

function checkSignature (signature: Buffer, peer: Peer, parts: readonly Uint8Array[], role: number): void {
  let valid = false
  if (signature.length === SIGNATURE_BYTES) {
    try {
      valid = verify(null, transcriptFor(parts, role), peer.key, signature)
    } catch {
      valid = false
    }
  }
  if (!valid) throw new HandshakeError('bad-signature', `node ${short(peer.nodeId)} failed to prove its node key (bad handshake signature)`)
}

function checkKeys (keys: IdentityKeys): void {
  if (keys?.privateKey?.type !== 'private' || keys.privateKey.asymmetricKeyType !== 'ed25519') throw new TypeError('handshake keys must hold an Ed25519 private key')
  if (keys.publicKeyRaw?.length !== PUBLIC_KEY_BYTES) throw new TypeError(`handshake keys must hold a ${PUBLIC_KEY_BYTES}-byte raw public key`)
}

function short (nodeId: string): string {
  return nodeId.slice(0, 12)
}

/** A peer-supplied reason, safe to print: control characters removed. */
function printable (text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?')
}
