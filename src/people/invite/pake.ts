// CPace over ristretto255 with SHA-512 (draft-irtf-cfrg-cpace), plus explicit key confirmation.
// Both sides derive a generator from the password (the whole invite code), the session id and
// the channel; each sends a random multiple of it; a side that used another password arrives at
// an unrelated key, learns only that its one guess was wrong, and cannot test other passwords
// offline. Written after the draft's definitions (lv_cat, generator_string, ISK) and not checked
// against its test vectors; docs/FORMAT.md "Invite codes" specifies what oht computes.
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { ristretto255, ristretto255_hasher } from '@noble/curves/ed25519.js'
import { hmac } from '@noble/hashes/hmac.js'
import { sha256, sha512 } from '@noble/hashes/sha2.js'
import { deriveFromIsk, encodeLabel, INVITE_LABELS } from './caps.ts'

const Point = ristretto255.Point
export const PAKE_POINT_BYTES = 32
export const PAKE_CONFIRM_BYTES = 32
const DSI = new TextEncoder().encode('CPaceRistretto255')
const DSI_ISK = new TextEncoder().encode('CPaceRistretto255_ISK')
/** SHA-512's input block size: the generator string pads the password to one block. */
const S_IN_BYTES = 128

export type PakeRole = 'sender' | 'receiver'

export class PakeError extends Error {
  override name = 'PakeError'
}

/** LEB128 length, then the bytes (the draft's prepend_len). */
function prependLen (data: Uint8Array): Uint8Array {
  const len: number[] = []
  let n = data.length
  do { len.push((n & 0x7f) | (n > 0x7f ? 0x80 : 0)); n >>>= 7 } while (n > 0)
  return concat(Uint8Array.from(len), data)
}

function lvCat (...parts: Uint8Array[]): Uint8Array {
  return concat(...parts.map(prependLen))
}

function concat (...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) { out.set(p, at); at += p.length }
  return out
}

/** The password's generator: SHA-512 of the generator string, mapped onto ristretto255 (RFC 9496 §4.3.4). */
function generator (password: Uint8Array, sid: Uint8Array): InstanceType<typeof Point> {
  const prs = prependLen(password)
  const zpad = new Uint8Array(Math.max(0, S_IN_BYTES - 1 - prs.length - prependLen(DSI).length))
  const ci = encodeLabel(INVITE_LABELS.channel)
  const p = ristretto255_hasher.deriveToCurve!(sha512(concat(lvCat(DSI), prs, prependLen(zpad), lvCat(ci, sid))))
  return p as InstanceType<typeof Point>
}

function randomScalar (): bigint {
  // 64 random bytes reduced mod the group order: uniform enough (bias < 2^-250).
  const bytes = randomBytes(64)
  let n = 0n
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]!)
  const s = Point.Fn.create(n)
  return s === 0n ? 1n : s
}

/** The keys one finished run yields: a MAC key each way and the key of the sealed offer. */
export interface PakeKeys {
  /** The sender's confirmation tag: the receiver checks it. */
  senderConfirm: Uint8Array
  /** The receiver's confirmation tag: the sender checks it. */
  receiverConfirm: Uint8Array
  offerKey: Uint8Array
  /** SHA-256 of the transcript (both shares in order): the offer's associated data. */
  transcript: Uint8Array
}

/**
 * One side of a CPace run. `share` is what this side sends; `finish(theirs)` gives the keys, or
 * throws a PakeError on a share that is not a valid point or is the identity (an attacker's
 * attempt to force a known key).
 */
export class Pake {
  readonly role: PakeRole
  readonly share: Uint8Array
  readonly #scalar: bigint
  readonly #sid: Uint8Array

  constructor (role: PakeRole, password: Uint8Array, sid: Uint8Array) {
    this.role = role
    this.#sid = sid
    this.#scalar = randomScalar()
    this.share = generator(password, sid).multiply(this.#scalar).toBytes()
  }

  finish (theirs: Uint8Array): PakeKeys {
    if (theirs.length !== PAKE_POINT_BYTES) throw new PakeError('the other side\'s PAKE share has the wrong length')
    let point
    try {
      point = Point.fromBytes(theirs)
    } catch {
      throw new PakeError('the other side\'s PAKE share is not a ristretto255 point')
    }
    if (point.is0()) throw new PakeError('the other side\'s PAKE share is the identity')
    const k = point.multiply(this.#scalar)
    if (k.is0()) throw new PakeError('the PAKE ended in the identity')
    // Initiator-responder transcript: the receiver's share (with its role) first.
    const [ya, yb] = this.role === 'receiver' ? [this.share, theirs] : [theirs, this.share]
    const transcript = concat(lvCat(ya, new TextEncoder().encode('receiver')), lvCat(yb, new TextEncoder().encode('sender')))
    const isk = sha512(concat(lvCat(DSI_ISK, this.#sid, k.toBytes()), transcript))
    const tag = (label: string): Uint8Array => hmac(sha256, deriveFromIsk(isk, label), transcript)
    return {
      senderConfirm: tag(INVITE_LABELS.confirmSender),
      receiverConfirm: tag(INVITE_LABELS.confirmReceiver),
      offerKey: deriveFromIsk(isk, INVITE_LABELS.offerKey),
      transcript: sha256(transcript)
    }
  }
}

/** Constant-time comparison of two confirmation tags. */
export function tagsEqual (a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b)
}
