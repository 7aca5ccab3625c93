// A message session between two accounts, one per onion connection (docs/DECISIONS.md "Direct
// messages: a fresh X25519 session per connection, a hash chain per message"; wire in
// docs/FORMAT.md "People sessions"). Each side makes an ephemeral X25519 key for this connection
// and signs it with its account key together with both node ids (which the oht handshake proved),
// so neither account key nor node key ever encrypts anything: the session keys come from the
// ephemeral secret, which is wiped once both chains are derived. Each direction then runs a hash
// chain: message n is sealed under a key derived from chain n, and chain n is replaced by chain
// n+1 and wiped, so a key taken from a running daemon opens no message sent before it was taken.
// Messages carry their number; one that is not the next expected (a replay, a reorder) is refused.
import { createHmac, hkdfSync } from 'node:crypto'
import { x25519 } from '@noble/curves/ed25519.js'
import { seal, open } from '../../blocks/crypto/aead.ts'
import { signLabelled, verifyLabelled, isAccountId } from '../../node/identity/account-keys.ts'
import type { KeyObject } from 'node:crypto'
import { labelBytes } from '../caps.ts'
import { PeopleError } from '../errors.ts'

export type Role = 'initiator' | 'responder'
/** How far a hello's clock may be from ours: a recorded hello cannot be replayed later than this. */
export const HELLO_SKEW_MS = 10 * 60_000
const NONCE = Buffer.alloc(12)
const HEX32 = /^[0-9a-f]{64}$/
const MAX_ADDRESS_CHARS = 128

export type SessionErrorCode = 'bad-hello' | 'bad-signature' | 'stale-hello' | 'wrong-account' | 'wrong-node' | 'replay' | 'out-of-order' | 'tampered'

export class SessionError extends PeopleError<SessionErrorCode> {
  override name = 'SessionError'
}

/** One side's opening: who, to whom, its ephemeral key, where it answers, signed by its account. */
export interface Hello {
  t: 'hello'
  v: 1
  from: string
  to: string
  /** Ephemeral X25519 public key, hex. */
  eph: string
  /** The responder repeats the initiator's ephemeral key, so its signature covers both. */
  peerEph: string | null
  /** The sender's own onion address (where the other side can dial it back), or null. */
  addr: string | null
  at: number
  fromNode: string
  toNode: string
  sig: string
}

export interface SessionAccount { id: string, privateKey: KeyObject }

/** An ephemeral X25519 key pair for one session; `wipe()` zeroes the secret. */
export class Ephemeral {
  readonly secret: Uint8Array
  readonly publicKey: Uint8Array
  constructor (secret: Uint8Array = x25519.utils.randomSecretKey()) {
    this.secret = secret
    this.publicKey = x25519.getPublicKey(secret)
  }

  get hex (): string { return Buffer.from(this.publicKey).toString('hex') }
  wipe (): void { this.secret.fill(0) }
}

function helloBytes (h: Omit<Hello, 'sig'>): Buffer {
  const role = h.peerEph == null ? 'i' : 'r'
  // Fixed field order: the signed bytes never depend on how a JSON encoder orders keys.
  return Buffer.concat([labelBytes('hello'), Buffer.from(JSON.stringify([h.v, role, h.from, h.to, h.eph, h.peerEph ?? '', h.addr ?? '', h.at, h.fromNode, h.toNode]))])
}

export function makeHello (account: SessionAccount, fields: { to: string, eph: Ephemeral, peerEph?: string, addr: string | null, fromNode: string, toNode: string, now?: number }): Hello {
  const body: Omit<Hello, 'sig'> = {
    t: 'hello', v: 1, from: account.id, to: fields.to, eph: fields.eph.hex, peerEph: fields.peerEph ?? null, addr: fields.addr, at: fields.now ?? Date.now(), fromNode: fields.fromNode, toNode: fields.toNode
  }
  return { ...body, sig: signLabelled(account.privateKey, helloBytes(body)) }
}

/**
 * Checks a hello received over a connection whose node ids the oht handshake proved: its shape,
 * that it is meant for `expect.to` (when known), that the node ids match the connection, that its
 * time is near ours, and its account signature. Throws SessionError.
 */
export function checkHello (value: unknown, expect: { role: Role, to?: string, from?: string, fromNode: string, toNode: string, peerEph?: string, now?: number }): Hello {
  const h = value as Hello
  const ok = h != null && typeof h === 'object' && h.t === 'hello' && h.v === 1 &&
    typeof h.from === 'string' && isAccountId(h.from) && typeof h.to === 'string' && isAccountId(h.to) &&
    typeof h.eph === 'string' && HEX32.test(h.eph) && (h.peerEph === null || (typeof h.peerEph === 'string' && HEX32.test(h.peerEph))) &&
    (h.addr === null || (typeof h.addr === 'string' && h.addr.length <= MAX_ADDRESS_CHARS)) &&
    Number.isSafeInteger(h.at) && typeof h.fromNode === 'string' && HEX32.test(h.fromNode) && typeof h.toNode === 'string' && HEX32.test(h.toNode) && typeof h.sig === 'string'
  if (!ok) throw new SessionError('bad-hello', 'malformed hello')
  if ((expect.role === 'initiator') !== (h.peerEph === null)) throw new SessionError('bad-hello', 'a hello of the wrong role')
  if (expect.peerEph != null && h.peerEph !== expect.peerEph) throw new SessionError('bad-hello', 'the hello answers another session')
  if (expect.to != null && h.to !== expect.to) throw new SessionError('wrong-account', 'the hello is meant for another account')
  if (expect.from != null && h.from !== expect.from) throw new SessionError('wrong-account', 'the hello comes from another account than the one dialled')
  if (h.fromNode !== expect.fromNode || h.toNode !== expect.toNode) throw new SessionError('wrong-node', 'the hello names other nodes than this connection\'s')
  if (Math.abs(h.at - (expect.now ?? Date.now())) > HELLO_SKEW_MS) throw new SessionError('stale-hello', 'the hello is too old (or the clocks differ by more than 10 minutes)')
  const { sig, ...body } = h
  if (!verifyLabelled(h.from, helloBytes(body), sig)) throw new SessionError('bad-signature', 'the hello\'s account signature does not verify')
  return h
}

/** chain n → (message key n, chain n+1): two HMACs with distinct one-byte inputs. */
export function stepChain (chain: Uint8Array): { messageKey: Buffer, next: Buffer } {
  return { messageKey: createHmac('sha256', chain).update(Buffer.of(1)).digest(), next: createHmac('sha256', chain).update(Buffer.of(2)).digest() }
}

const aadOf = (direction: number, n: number): Buffer => {
  const b = Buffer.alloc(9)
  b[0] = direction
  b.writeBigUInt64BE(BigInt(n), 1)
  return b
}

/** A sealed message on the wire: its number in the direction's chain and the AES-256-GCM box. */
export interface SealedMessage { n: number, c: Uint8Array }

/** The two hash chains of one session; `seal`/`open` advance them and wipe what they replace. */
export class Session {
  #send: Buffer
  #recv: Buffer
  #sent = 0
  #received = 0
  readonly #sendDir: number

  constructor (send: Buffer, recv: Buffer, role: Role) {
    this.#send = send
    this.#recv = recv
    this.#sendDir = role === 'initiator' ? 0 : 1
  }

  seal (plaintext: Uint8Array): SealedMessage {
    const n = this.#sent++
    const { messageKey, next } = stepChain(this.#send)
    this.#send.fill(0)
    this.#send = next
    const c = seal(messageKey, NONCE, plaintext, aadOf(this.#sendDir, n))
    messageKey.fill(0)
    return { n, c }
  }

  open (m: SealedMessage): Buffer {
    if (!Number.isSafeInteger(m.n) || m.n < this.#received) throw new SessionError('replay', `message ${m.n} was already received`)
    if (m.n > this.#received) throw new SessionError('out-of-order', `message ${m.n} arrived before message ${this.#received}`)
    const { messageKey, next } = stepChain(this.#recv)
    let plain: Buffer
    try {
      plain = open(messageKey, NONCE, m.c, aadOf(1 - this.#sendDir, m.n))
    } catch {
      next.fill(0)
      throw new SessionError('tampered', `message ${m.n} was altered (or sealed under another session)`)
    } finally {
      messageKey.fill(0)
    }
    this.#recv.fill(0)
    this.#recv = next
    this.#received++
    return plain
  }

  /** The chain keys as they are now (what an attacker who takes the daemon's memory would get). */
  snapshot (): { send: Buffer, recv: Buffer, sent: number, received: number } {
    return { send: Buffer.from(this.#send), recv: Buffer.from(this.#recv), sent: this.#sent, received: this.#received }
  }

  /** Ends the session: both chains are zeroed. */
  close (): void {
    this.#send.fill(0)
    this.#recv.fill(0)
  }
}

/**
 * The session both hellos agree on: X25519(mine, theirs) through HKDF-SHA256, salted with the
 * hash of both signed hellos, into the initiator's and the responder's chains. Wipes `mine`.
 */
export function deriveSession (role: Role, mine: Ephemeral, initiatorHello: Hello, responderHello: Hello): Session {
  const theirs = role === 'initiator' ? responderHello.eph : initiatorHello.eph
  let shared: Uint8Array
  try {
    shared = x25519.getSharedSecret(mine.secret, Buffer.from(theirs, 'hex'))
  } catch {
    mine.wipe()
    throw new SessionError('bad-hello', 'the other side\'s ephemeral key is not usable (a low-order point)')
  }
  mine.wipe()
  const { sig: s1, ...i } = initiatorHello
  const { sig: s2, ...r } = responderHello
  const salt = Buffer.concat([helloBytes(i), Buffer.from(s1), helloBytes(r), Buffer.from(s2)])
  const okm = Buffer.from(hkdfSync('sha256', shared, salt, labelBytes('sessionKeys'), 64))
  shared.fill(0)
  const toResponder = Buffer.from(okm.subarray(0, 32))
  const toInitiator = Buffer.from(okm.subarray(32))
  okm.fill(0)
  return role === 'initiator' ? new Session(toResponder, toInitiator, role) : new Session(toInitiator, toResponder, role)
}
