// The sender's side: open invites, each on its own endpoint with a rendezvous record under its
// nameplate, answering one exchange at a time. A code is single use: the first exchange that
// passes key confirmation closes it ('used'); a failed one (a wrong guess, or a run broken off
// after the PAKE) counts against it and, at `maxFailures` (1, as Magic Wormhole), closes it
// ('wrong-code'); its expiry closes it ('expired'). A closed code's endpoint is removed and its
// record replaced by a notice saying why, so a late receiver gets a clear answer.
import { EventEmitter } from 'node:events'
import { createCipheriv, randomBytes, randomInt } from 'node:crypto'
import type { Duplex } from 'node:stream'
import { nameplateHandle } from './caps.ts'
import { formatCode, MAX_NAMEPLATE, MAX_WIDE_NAMEPLATE, randomCode, type InviteCode } from './code.ts'
import type { InviteBoard } from './board.ts'
import type { InviteEndpoint, Rendezvous } from './endpoint.ts'
import { InviteError } from './errors.ts'
import { Pake, tagsEqual } from './pake.ts'
import { encodeOffer, encodeRendezvous, InviteChannel, SID_BYTES, type ClosedReason, type Offer } from './wire.ts'

export const DEFAULT_INVITE_EXPIRY_MS = 60 * 60_000
/** The DHT refuses records asking for more than 48 h; a code is for a conversation, not a week. */
export const MAX_INVITE_EXPIRY_MS = 24 * 60 * 60_000
/** How long the notice of a closed code stays (its nameplate is not reused meanwhile). */
export const CLOSED_NOTICE_MS = 60 * 60_000
/** One exchange, hello to offer, over Tor circuits that take seconds. */
export const EXCHANGE_TIMEOUT_MS = 120_000
/** Nameplates tried before giving up: the first half from 1..999, then wider. */
const NAMEPLATE_TRIES = 8

export type InviteState = 'open' | ClosedReason

export interface InviteInfo {
  id: string
  code: string
  state: InviteState
  name: string
  bytes: number
  link: string
  createdAt: number
  expiresAt: number
  closedAt?: number
  /** Exchanges that failed key confirmation (wrong guesses) or broke off after the PAKE. */
  failures: number
}

export interface InviteHostOptions {
  board: InviteBoard
  rendezvous: Rendezvous
  now?: () => number
  maxFailures?: number
  exchangeTimeoutMs?: number
}

interface OpenInvite {
  info: InviteInfo
  code: InviteCode
  sid: Uint8Array
  offer: Offer
  endpoint?: InviteEndpoint
  busy: boolean
  closing: boolean
  timer?: NodeJS.Timeout
  closed: PromiseWithResolvers<InviteInfo>
}

export interface InviteHostEvents {
  opened: [InviteInfo]
  closed: [InviteInfo]
}

export class InviteHost extends EventEmitter<InviteHostEvents> {
  readonly #options: Required<Omit<InviteHostOptions, 'board' | 'rendezvous'>> & Pick<InviteHostOptions, 'board' | 'rendezvous'>
  readonly #invites = new Map<string, OpenInvite>()
  #stopped = false

  constructor (options: InviteHostOptions) {
    super()
    this.#options = { now: Date.now, maxFailures: 1, exchangeTimeoutMs: EXCHANGE_TIMEOUT_MS, ...options }
  }

  /** Opens a code for `offer`: picks a free nameplate, opens the endpoint, publishes the record. */
  async open (offer: Offer, expiresInMs = DEFAULT_INVITE_EXPIRY_MS): Promise<InviteInfo> {
    if (!(expiresInMs >= 1000 && expiresInMs <= MAX_INVITE_EXPIRY_MS)) throw new InviteError('invite.badExpiry', 'an invite expires after 1 s to 24 h', {})
    const { board, rendezvous, now } = this.#options
    const code = randomCode(await this.#freeNameplate())
    const createdAt = now()
    const invite: OpenInvite = {
      info: { id: randomBytes(8).toString('hex'), code: formatCode(code), state: 'open', name: offer.name, bytes: offer.bytes, link: offer.link, createdAt, expiresAt: createdAt + expiresInMs, failures: 0 },
      code,
      sid: randomBytes(SID_BYTES),
      offer,
      busy: false,
      closing: false,
      closed: Promise.withResolvers<InviteInfo>()
    }
    invite.closed.promise.catch(() => {})
    this.#invites.set(invite.info.id, invite)
    try {
      invite.endpoint = await rendezvous.open(stream => { void this.#exchange(invite, stream) })
      await board.put(nameplateHandle(code.nameplate), encodeRendezvous({ kind: 'open', address: invite.endpoint.address, sid: invite.sid, expiresAt: invite.info.expiresAt }), expiresInMs)
    } catch (err) {
      this.#invites.delete(invite.info.id)
      await invite.endpoint?.close().catch(() => {})
      throw err
    }
    invite.timer = setTimeout(() => { void this.#close(invite, 'expired') }, Math.max(0, invite.info.expiresAt - now()))
    invite.timer.unref()
    this.emit('opened', { ...invite.info })
    return { ...invite.info }
  }

  list (): InviteInfo[] { return [...this.#invites.values()].map(i => ({ ...i.info })) }

  get (id: string): InviteInfo {
    return { ...this.#find(id).info }
  }

  /** Resolves with the invite once its code is closed (used, wrong code, expired, cancelled). */
  async waitClosed (id: string, signal?: AbortSignal): Promise<InviteInfo> {
    const invite = this.#find(id)
    if (signal == null) return await invite.closed.promise
    signal.throwIfAborted()
    return await Promise.race([invite.closed.promise, new Promise<never>((_resolve, reject) => { signal.addEventListener('abort', () => { reject(signal.reason) }, { once: true }) })])
  }

  async cancel (id: string): Promise<InviteInfo> {
    const invite = this.#find(id)
    await this.#close(invite, 'cancelled')
    return { ...invite.info }
  }

  /** Closes every endpoint (the node stops): the records expire by themselves. */
  async stop (): Promise<void> {
    this.#stopped = true
    for (const invite of this.#invites.values()) {
      clearTimeout(invite.timer)
      if (invite.info.state === 'open') { invite.info.state = 'cancelled'; invite.closed.resolve({ ...invite.info }) }
      await invite.endpoint?.close().catch(() => {})
    }
  }

  #find (id: string): OpenInvite {
    const invite = this.#invites.get(id) ?? [...this.#invites.values()].find(i => i.info.code === id)
    if (invite == null) throw new InviteError('invite.unknown', `no invite ${id} on this node`, { id })
    return invite
  }

  async #freeNameplate (): Promise<number> {
    const taken = new Set([...this.#invites.values()].filter(i => i.info.state === 'open').map(i => i.code.nameplate))
    for (let i = 0; i < NAMEPLATE_TRIES; i++) {
      const plate = i < NAMEPLATE_TRIES / 2 ? randomInt(1, MAX_NAMEPLATE + 1) : randomInt(MAX_NAMEPLATE + 1, MAX_WIDE_NAMEPLATE + 1)
      if (taken.has(plate)) continue
      // Any record there, open or a closed code's notice, keeps the nameplate taken.
      if (await this.#options.board.get(nameplateHandle(plate)) == null) return plate
    }
    throw new InviteError('invite.noNameplate', 'found no free nameplate in the DHT; try again', {})
  }

  /** One exchange on the invite's endpoint (the receiver speaks first). */
  async #exchange (invite: OpenInvite, stream: Duplex): Promise<void> {
    const channel = new InviteChannel(stream, this.#options.exchangeTimeoutMs)
    if (invite.info.state === 'open' && this.#options.now() >= invite.info.expiresAt) await this.#close(invite, 'expired')
    if (invite.info.state !== 'open' || invite.busy) {
      await channel.send({ t: 'refuse', r: invite.info.state === 'open' ? 'busy' : invite.info.state }).catch(() => {})
      channel.close()
      return
    }
    let hello
    try {
      hello = await channel.receive()
    } catch {
      channel.close()
      return // nothing was tried: no attempt counted
    }
    if (hello.t !== 'hello' || invite.busy || invite.info.state !== 'open') {
      await channel.send({ t: 'refuse', r: invite.info.state === 'open' ? 'busy' : invite.info.state }).catch(() => {})
      channel.close()
      return
    }
    invite.busy = true
    let keys
    try {
      const pake = new Pake('sender', new TextEncoder().encode(invite.info.code), invite.sid)
      keys = pake.finish(hello.y)
      await channel.send({ t: 'pake', y: pake.share, c: keys.senderConfirm })
    } catch {
      invite.busy = false
      channel.close()
      return // an invalid share: the password was never used
    }
    // From here on the password took part: anything but a valid confirmation counts as a guess.
    let confirmed = false
    try {
      const confirm = await channel.receive()
      confirmed = confirm.t === 'confirm' && tagsEqual(confirm.c, keys.receiverConfirm)
    } catch {}
    if (!confirmed || invite.info.state !== 'open') {
      invite.info.failures++
      invite.busy = false
      const closes = invite.info.failures >= this.#options.maxFailures
      await channel.send({ t: 'refuse', r: 'wrong-code' }).catch(() => {})
      channel.close()
      if (closes && invite.info.state === 'open') await this.#close(invite, 'wrong-code')
      return
    }
    invite.info.state = 'used' // single use: decided before a byte of the offer leaves
    try {
      const nonce = randomBytes(12)
      const cipher = createCipheriv('aes-256-gcm', keys.offerKey, nonce)
      cipher.setAAD(keys.transcript)
      const sealed = Buffer.concat([cipher.update(encodeOffer(invite.offer)), cipher.final(), cipher.getAuthTag()])
      await channel.send({ t: 'offer', n: nonce, b: sealed })
    } catch {}
    channel.close()
    await this.#close(invite, 'used')
  }

  /** Closes a code: the notice replaces its record, then its endpoint goes. Once. */
  async #close (invite: OpenInvite, reason: ClosedReason): Promise<void> {
    if (invite.closing) return
    invite.closing = true
    invite.info.state = reason
    invite.info.closedAt = this.#options.now()
    clearTimeout(invite.timer)
    if (!this.#stopped) {
      await this.#options.board.put(nameplateHandle(invite.code.nameplate), encodeRendezvous({ kind: 'closed', reason }), CLOSED_NOTICE_MS).catch(() => {})
    }
    await invite.endpoint?.close().catch(() => {})
    invite.closed.resolve({ ...invite.info })
    this.emit('closed', { ...invite.info })
  }
}
