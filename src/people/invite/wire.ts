// What invites put on the wire: the rendezvous record in the DHT and the messages of one
// exchange on the invite's own endpoint, each a DAG-CBOR map in one frame of src/onion/framing.ts.
// docs/FORMAT.md "Invite codes" is the specification; every decoder here checks every field.
import * as dagCbor from '@ipld/dag-cbor'
import type { Duplex } from 'node:stream'
import { FrameReader, writeFrame } from '../../onion/index.ts'
import { PAKE_CONFIRM_BYTES, PAKE_POINT_BYTES } from './pake.ts'

export const INVITE_WIRE_VERSION = 1
/** No message of an exchange comes near this; a larger frame ends the exchange. */
export const MAX_INVITE_FRAME_BYTES = 8 * 1024
export const SID_BYTES = 16
const NONCE_BYTES = 12
const MAX_ADDRESS_CHARS = 128
const MAX_LINK_CHARS = 4096

/** Why a code no longer works; said in the DHT notice and in a refusal. */
export type ClosedReason = 'used' | 'wrong-code' | 'expired' | 'cancelled'
const CLOSED_REASONS: readonly string[] = ['used', 'wrong-code', 'expired', 'cancelled']

export class InviteWireError extends Error {
  override name = 'InviteWireError'
}

/** The record at a nameplate's handle: where to run the exchange, or why the code is closed. */
export type RendezvousRecord =
  | { kind: 'open', address: string, sid: Uint8Array, expiresAt: number }
  | { kind: 'closed', reason: ClosedReason }

export function encodeRendezvous (r: RendezvousRecord): Uint8Array {
  return dagCbor.encode(r.kind === 'open'
    ? { v: INVITE_WIRE_VERSION, a: r.address, s: r.sid, e: r.expiresAt }
    : { v: INVITE_WIRE_VERSION, r: r.reason })
}

export function decodeRendezvous (bytes: Uint8Array): RendezvousRecord {
  const m = decodeMap(bytes)
  if (typeof m.r === 'string') return { kind: 'closed', reason: reason(m.r) }
  return { kind: 'open', address: text(m.a, MAX_ADDRESS_CHARS, 'address'), sid: bytesOf(m.s, SID_BYTES, 'session id'), expiresAt: count(m.e, 'expiry') }
}

/** The messages of one exchange, in order: hello (R→S), pake or refuse (S→R), confirm (R→S), offer or refuse (S→R). */
export type InviteMessage =
  | { t: 'hello', y: Uint8Array }
  | { t: 'pake', y: Uint8Array, c: Uint8Array }
  | { t: 'confirm', c: Uint8Array }
  | { t: 'offer', n: Uint8Array, b: Uint8Array }
  | { t: 'refuse', r: ClosedReason | 'busy' }

export function encodeMessage (m: InviteMessage): Uint8Array {
  return dagCbor.encode({ v: INVITE_WIRE_VERSION, ...m })
}

export function decodeMessage (bytes: Uint8Array): InviteMessage {
  const m = decodeMap(bytes)
  switch (m.t) {
    case 'hello': return { t: 'hello', y: bytesOf(m.y, PAKE_POINT_BYTES, 'PAKE share') }
    case 'pake': return { t: 'pake', y: bytesOf(m.y, PAKE_POINT_BYTES, 'PAKE share'), c: bytesOf(m.c, PAKE_CONFIRM_BYTES, 'confirmation') }
    case 'confirm': return { t: 'confirm', c: bytesOf(m.c, PAKE_CONFIRM_BYTES, 'confirmation') }
    case 'offer': return { t: 'offer', n: bytesOf(m.n, NONCE_BYTES, 'nonce'), b: bytesOf(m.b, undefined, 'sealed offer') }
    case 'refuse': return { t: 'refuse', r: m.r === 'busy' ? 'busy' : reason(m.r) }
    default: throw new InviteWireError(`unknown invite message type ${JSON.stringify(m.t)}`)
  }
}

/** What the sender gives the receiver once the PAKE succeeded (sealed under the PAKE's key). */
export interface Offer {
  /** The share's link, `oht://<id>#<key>`. */
  link: string
  name: string
  bytes: number
  /** Where the sender's node serves the share (its onion address): the receiver fetches from it. */
  peers: string[]
}

export function encodeOffer (o: Offer): Uint8Array {
  return dagCbor.encode({ l: o.link, n: o.name, s: o.bytes, p: o.peers })
}

export function decodeOffer (bytes: Uint8Array): Offer {
  const m = decodeMap(bytes, false)
  if (!Array.isArray(m.p) || m.p.length > 8) throw new InviteWireError('the offer\'s peer list is malformed')
  return { link: text(m.l, MAX_LINK_CHARS, 'link'), name: text(m.n, 1024, 'name'), bytes: count(m.s, 'size'), peers: m.p.map(p => text(p, MAX_ADDRESS_CHARS, 'peer address')) }
}

/** One side of an exchange: frames in and out, with a deadline for the whole exchange. */
export class InviteChannel {
  readonly #stream: Duplex
  readonly #reader: FrameReader
  readonly #timer: NodeJS.Timeout

  constructor (stream: Duplex, timeoutMs: number) {
    this.#stream = stream
    stream.on('error', () => {})
    this.#reader = new FrameReader(stream, { maxFrameBytes: MAX_INVITE_FRAME_BYTES })
    this.#timer = setTimeout(() => { stream.destroy(new InviteWireError('the exchange took too long')) }, timeoutMs)
    this.#timer.unref()
  }

  async send (m: InviteMessage): Promise<void> {
    await writeFrame(this.#stream, encodeMessage(m), { maxFrameBytes: MAX_INVITE_FRAME_BYTES })
  }

  /** The next message; an InviteWireError when the other side closed or sent something malformed. */
  async receive (): Promise<InviteMessage> {
    const frame = await this.#reader.next().catch((err: Error) => { throw new InviteWireError(`the exchange broke off: ${err.message}`) })
    if (frame == null) throw new InviteWireError('the other side closed the exchange')
    return decodeMessage(frame)
  }

  close (): void {
    clearTimeout(this.#timer)
    this.#stream.end()
    setTimeout(() => { this.#stream.destroy() }, 5000).unref()
  }
}

function decodeMap (bytes: Uint8Array, versioned = true): Record<string, unknown> {
  let m: unknown
  try {
    m = dagCbor.decode(bytes)
  } catch {
    throw new InviteWireError('not DAG-CBOR')
  }
  if (m == null || typeof m !== 'object' || Array.isArray(m)) throw new InviteWireError('not a map')
  const map = m as Record<string, unknown>
  if (versioned && map.v !== INVITE_WIRE_VERSION) throw new InviteWireError(`unknown invite version ${JSON.stringify(map.v)}`)
  return map
}

function reason (v: unknown): ClosedReason {
  if (typeof v !== 'string' || !CLOSED_REASONS.includes(v)) throw new InviteWireError('unknown closing reason')
  return v as ClosedReason
}

function text (v: unknown, max: number, what: string): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > max) throw new InviteWireError(`malformed ${what}`)
  return v
}

function bytesOf (v: unknown, length: number | undefined, what: string): Uint8Array {
  if (!(v instanceof Uint8Array) || (length !== undefined && v.length !== length)) throw new InviteWireError(`malformed ${what}`)
  return v
}

function count (v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new InviteWireError(`malformed ${what}`)
  return v
}
