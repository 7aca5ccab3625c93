// The `people` stream protocol (docs/FORMAT.md "People sessions"): after the oht handshake, the
// dialer sends its hello, the answerer its own (or one error frame and closes), then both send
// sealed boxes. Frames are length-prefixed JSON (onion/framing.ts), at most MAX_PEOPLE_FRAME_BYTES;
// anything else (an oversized length, a frame that is not JSON, a box that does not open) ends
// the session with one error frame naming the problem, when the stream is still writable.
import type { Duplex } from 'node:stream'
import { FrameReader, writeFrame } from '../../onion/index.ts'
import { PeopleError } from '../errors.ts'
import { isVia, type Via } from '../contacts/introductions.ts'
import { INVITE_TOKEN } from '../contacts/invite-tokens.ts'
import { checkHello, deriveSession, Ephemeral, makeHello, SessionError, type Hello, type Session, type SessionAccount } from './session.ts'

export const PEOPLE_PROTOCOL = 'people'
export const MAX_PEOPLE_FRAME_BYTES = 16 * 1024
/** A whisper's text, in UTF-8 bytes; longer text is refused before it is sealed. */
export const MAX_TEXT_BYTES = 8 * 1024
/** How long a peer may take to answer a frame before the session is given up. */
export const FRAME_TIMEOUT_MS = 60_000

/** What travels inside a box. */
export type Payload =
  /** `via`: an introduction by one of the receiver's contacts (contacts/introductions.ts); `invite`: a contact invite's token (contacts/invite-tokens.ts). */
  | { k: 'request', id: string, text: string, via?: Via, invite?: string }
  | { k: 'accept', id: string }
  | { k: 'whisper', id: string, text: string, at: number }
  | { k: 'ping', id: string }
  | { k: 'receipt', id: string }
  /** The sender's mailbox key for the other side to leave messages in (mailbox/record.ts), hex, as of `epoch`. */
  | { k: 'mailbox', id: string, epoch: number, key: string }
  /** "Your message `of` reached me through my mailbox": a receipt that travels like a message. */
  | { k: 'got', id: string, of: string }
  /** A file for the receiver: a share's link (`oht://…#key`), its name and size, and where the sender seeds it. */
  | { k: 'file', id: string, link: string, name: string, bytes: number, peers: string[] }
  /** "Meet `account`" from a contact, signed by it (`via`); `addr`/`node`: where it answered last. */
  | { k: 'intro', id: string, account: string, addr: string | null, node: string | null, via: Via }
  | { k: 'bye' }

export type RefusalCode = 'refused' | 'rate-limited' | 'not-a-contact' | 'bad-frame' | 'too-large' | 'unavailable' | SessionError['code']

/** The other side refused the session or a payload (an error frame), or broke the protocol. */
export class PeopleProtocolError extends PeopleError<RefusalCode> {
  override name = 'PeopleProtocolError'
}

const ID = /^[0-9A-Za-z_-]{1,64}$/

/** A payload's shape, or a PeopleProtocolError('bad-frame'). */
export function parsePayload (bytes: Uint8Array): Payload {
  let p: Payload
  try { p = JSON.parse(Buffer.from(bytes).toString('utf8')) as Payload } catch { throw new PeopleProtocolError('bad-frame', 'a box that holds no JSON') }
  const text = (s: unknown): boolean => typeof s === 'string' && Buffer.byteLength(s) <= MAX_TEXT_BYTES
  const id = (s: unknown): boolean => typeof s === 'string' && ID.test(s)
  const ok = p != null && typeof p === 'object' && (
    (p.k === 'request' && id(p.id) && text(p.text) && (p.via === undefined || isVia(p.via)) && (p.invite === undefined || (typeof p.invite === 'string' && INVITE_TOKEN.test(p.invite)))) ||
    (p.k === 'intro' && id(p.id) && typeof p.account === 'string' && p.account.length <= 66 && isVia(p.via) && (p.addr === null || (typeof p.addr === 'string' && p.addr.length <= 128)) && (p.node === null || (typeof p.node === 'string' && p.node.length <= 128))) ||
    (p.k === 'accept' && id(p.id)) ||
    (p.k === 'whisper' && id(p.id) && text(p.text) && Number.isSafeInteger(p.at)) ||
    ((p.k === 'ping' || p.k === 'receipt') && id(p.id)) ||
    (p.k === 'mailbox' && id(p.id) && Number.isSafeInteger(p.epoch) && p.epoch >= 0 && typeof p.key === 'string' && /^[0-9a-f]{64}$/.test(p.key)) ||
    (p.k === 'got' && id(p.id) && id(p.of)) ||
    (p.k === 'file' && id(p.id) && typeof p.link === 'string' && p.link.startsWith('oht://') && p.link.length <= 2048 && typeof p.name === 'string' && p.name.length > 0 && p.name.length <= 1024 &&
      Number.isSafeInteger(p.bytes) && p.bytes >= 0 && Array.isArray(p.peers) && p.peers.length <= 8 && p.peers.every(a => typeof a === 'string' && a.length <= 128)) ||
    p.k === 'bye')
  if (!ok) throw new PeopleProtocolError('bad-frame', 'a box of an unknown or malformed kind')
  return p
}

/** One open session over a stream: sealed payloads both ways. */
export class Channel {
  readonly stream: Duplex
  readonly peer: Hello
  readonly #reader: FrameReader
  readonly #session: Session

  constructor (stream: Duplex, reader: FrameReader, session: Session, peer: Hello) {
    this.stream = stream
    this.#reader = reader
    this.#session = session
    this.peer = peer
  }

  async send (p: Payload): Promise<void> {
    const { n, c } = this.#session.seal(Buffer.from(JSON.stringify(p)))
    await writeFrame(this.stream, Buffer.from(JSON.stringify({ t: 'box', n, c: Buffer.from(c).toString('base64') })), { maxFrameBytes: MAX_PEOPLE_FRAME_BYTES })
  }

  /** The next payload; null when the other side closed. A refusal or a broken frame throws. */
  async receive (): Promise<Payload | null> {
    const frame = await readFrame(this.#reader, this.stream)
    if (frame == null) return null
    const f = frame as { t?: unknown, n?: unknown, c?: unknown }
    if (f.t !== 'box' || typeof f.n !== 'number' || typeof f.c !== 'string') throw new PeopleProtocolError('bad-frame', 'expected a sealed box')
    return parsePayload(this.#session.open({ n: f.n, c: Buffer.from(f.c, 'base64') }))
  }

  /** Refuses the rest of the session with one error frame, then closes. */
  async refuse (code: RefusalCode, reason: string): Promise<void> { await refuse(this.stream, code, reason) }

  close (): void {
    this.#session.close()
    this.stream.end()
  }
}

/** Writes one error frame (when the stream still takes it) and ends the stream. */
export async function refuse (stream: Duplex, code: RefusalCode, reason: string): Promise<void> {
  try {
    if (!stream.destroyed && !stream.writableEnded) await writeFrame(stream, Buffer.from(JSON.stringify({ t: 'error', code, reason })), { maxFrameBytes: MAX_PEOPLE_FRAME_BYTES })
  } catch { /* the peer is gone: nothing to tell */ }
  stream.end()
}

/** One JSON frame; an error frame from the other side becomes a PeopleProtocolError. */
async function readFrame (reader: FrameReader, stream: Duplex): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_resolve, reject) => { timer = setTimeout(() => { stream.destroy(); reject(new PeopleProtocolError('unavailable', 'the other side stopped answering')) }, FRAME_TIMEOUT_MS) })
  let bytes: Buffer | null
  try {
    bytes = await Promise.race([reader.next(), timeout])
  } catch (err) {
    if (err instanceof PeopleProtocolError) throw err
    if ((err as Error).name === 'FrameTooLargeError') throw new PeopleProtocolError('too-large', (err as Error).message)
    throw new PeopleProtocolError('unavailable', `the connection broke: ${(err as Error).message}`)
  } finally {
    clearTimeout(timer)
  }
  if (bytes == null) return null
  let value: unknown
  try { value = JSON.parse(bytes.toString('utf8')) } catch { throw new PeopleProtocolError('bad-frame', 'a frame that is not JSON') }
  const e = value as { t?: unknown, code?: unknown, reason?: unknown }
  if (e?.t === 'error') throw new PeopleProtocolError(typeof e.code === 'string' ? e.code as RefusalCode : 'refused', typeof e.reason === 'string' ? e.reason.slice(0, 200) : 'refused')
  return value
}

export interface SessionEnds {
  account: SessionAccount
  /** This node's id and the other's (proved by the oht handshake). */
  localNode: string
  remoteNode: string
  /** This node's own address, sent so the other side can dial back. */
  address: string | null
}

/** The dialer's side: hello, the answer, the session. Throws PeopleProtocolError or SessionError. */
export async function initiate (stream: Duplex, ends: SessionEnds, to: string): Promise<Channel> {
  const reader = new FrameReader(stream, { maxFrameBytes: MAX_PEOPLE_FRAME_BYTES })
  const eph = new Ephemeral()
  const mine = makeHello(ends.account, { to, eph, addr: ends.address, fromNode: ends.localNode, toNode: ends.remoteNode })
  await writeFrame(stream, Buffer.from(JSON.stringify(mine)), { maxFrameBytes: MAX_PEOPLE_FRAME_BYTES })
  const answer = await readFrame(reader, stream)
  if (answer == null) throw new PeopleProtocolError('unavailable', 'the other side closed without answering')
  const theirs = checkHello(answer, { role: 'responder', to: ends.account.id, from: to, fromNode: ends.remoteNode, toNode: ends.localNode, peerEph: eph.hex })
  return new Channel(stream, reader, deriveSession('initiator', eph, mine, theirs), theirs)
}

/**
 * The answerer's side: reads and checks the hello, asks `admit` (which throws a
 * PeopleProtocolError to refuse: blocked, rate-limited), answers, and returns the session.
 * A refusal or a broken hello is sent back as one error frame before it is thrown.
 */
export async function answer (stream: Duplex, ends: SessionEnds, admit: (hello: Hello) => Promise<void>): Promise<Channel> {
  const reader = new FrameReader(stream, { maxFrameBytes: MAX_PEOPLE_FRAME_BYTES })
  let theirs: Hello
  try {
    const first = await readFrame(reader, stream)
    if (first == null) throw new PeopleProtocolError('unavailable', 'closed before its hello')
    theirs = checkHello(first, { role: 'initiator', to: ends.account.id, fromNode: ends.remoteNode, toNode: ends.localNode })
    await admit(theirs)
  } catch (err) {
    const e = err as PeopleProtocolError | SessionError
    await refuse(stream, e.code ?? 'bad-frame', e.message)
    throw err
  }
  const eph = new Ephemeral()
  const mine = makeHello(ends.account, { to: theirs.from, eph, peerEph: theirs.eph, addr: ends.address, fromNode: ends.localNode, toNode: ends.remoteNode })
  await writeFrame(stream, Buffer.from(JSON.stringify(mine)), { maxFrameBytes: MAX_PEOPLE_FRAME_BYTES })
  return new Channel(stream, reader, deriveSession('responder', eph, theirs, mine), theirs)
}
