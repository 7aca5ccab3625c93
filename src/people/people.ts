// Contacts and direct messages of one account, served by one node (README "Contacts and
// whispers"). Every exchange is a `people` session over an onion connection (messages/channel.ts):
// a contact request, an acceptance, a whisper, a presence ping each travel sealed in a fresh
// forward-secret session and are answered by a delivery receipt. What the other side is not
// online for stays in the outbox (sealed) and is retried at the presence interval. Strangers may
// only knock (a request), within the per-account and total limits; a rejected or blocked account
// is refused at its hello.
import { EventEmitter } from 'node:events'
import { randomBytes, type KeyObject } from 'node:crypto'
import type { SealedDb } from '../store/index.ts'
import type { HandshakeResult } from '../onion/index.ts'
import { checkAccountId } from '../node/identity/account-keys.ts'
import { ContactBook, ContactError, type Contact, type ContactRequest } from './contacts/book.ts'
import { KnockLimiter, type KnockLimits } from './contacts/limits.ts'
import { IntroductionBook, signIntroduction, type Introduction } from './contacts/introductions.ts'
import { InviteTokens } from './contacts/invite-tokens.ts'
import { contactsWithVia, introductionsWithVia, requestsWithVia, type ViaName } from './contacts/overview.ts'
import { publishLocator, LOCATOR_REPUBLISH_MS } from './contacts/locator.ts'
import { Mailboxes, type MailboxDht } from './mailbox/mailbox.ts'
import { leaveOutbox, newMail } from './mailbox/postman.ts'
import { answer, MAX_TEXT_BYTES, PEOPLE_PROTOCOL, PeopleProtocolError, type Channel, type Payload, type SessionEnds } from './messages/channel.ts'
import { MessageLog, type FileOffer, type StoredMessage } from './messages/log.ts'
import { markFetched, pendingFiles, type PendingFile } from './messages/files.ts'
import { dialContact, type PeopleNetwork } from './messages/dial.ts'
import type { PeopleEvent } from './events.ts'
import { takePayload, type InboundContext } from './inbound.ts'

export type { PeopleNetwork } from './messages/dial.ts'

export type { PeopleEvent } from './events.ts'

export interface PeopleOptions {
  account: { id: string, privateKey: KeyObject }
  db: SealedDb
  network: PeopleNetwork
  /** The DHT's private values, once the node has joined (the locator record, the mailboxes). */
  dht?: () => MailboxDht | undefined
  /** Resolves once the DHT has joined: a mailbox read before that asks too few nodes. */
  dhtJoined?: () => Promise<unknown>
  limits?: KnockLimits
  /** Presence pings and outbox retries: every interval ± a third (jitter). Default 60 s. */
  presenceMs?: number
  /** How long one mailbox key lives (mailbox/record.ts MAILBOX_EPOCH_MS); tests shorten it. */
  mailboxEpochMs?: number
}

/** What a send did: delivered (a receipt came back), left in the contact's DHT mailbox, or queued for a later try. */
export interface SendResult { id: string, state: 'delivered' | 'mailboxed' | 'queued', reason?: string }

export const DEFAULT_PRESENCE_MS = 60_000
const MAX_REQUEST_TEXT_CHARS = 500
/** The mailboxes are read at the first DHT join, then every this many presence rounds (and on demand). */
const MAILBOX_POLL_ROUNDS = 5
const newId = (): string => randomBytes(12).toString('base64url')

export class People extends EventEmitter<{ event: [PeopleEvent] }> {
  readonly account: string
  readonly book: ContactBook
  readonly log: MessageLog
  readonly mailboxes: Mailboxes
  readonly intros: IntroductionBook
  /** Tokens of this node's open contact invites (`oht contact invite`). */
  readonly invites = new InviteTokens()
  readonly #options: PeopleOptions
  readonly #limiter: KnockLimiter
  readonly #online = new Set<string>()
  #timer: NodeJS.Timeout | undefined
  #republish: NodeJS.Timeout | undefined
  #closed = false
  #published = 0
  #rounds = 0
  #collecting: Promise<number> | undefined
  readonly #inbound: InboundContext

  /** Registers the `people` protocol on the network: call before it listens. */
  constructor (options: PeopleOptions) {
    super()
    this.#options = options
    this.account = options.account.id
    this.book = new ContactBook(options.db)
    this.log = new MessageLog(options.db)
    this.#limiter = new KnockLimiter(options.limits)
    this.intros = new IntroductionBook(options.db)
    this.mailboxes = new Mailboxes({ db: options.db, dht: () => options.dht?.(), ...(options.mailboxEpochMs != null ? { epochMs: options.mailboxEpochMs } : {}) })
    this.#inbound = {
      account: this.account, book: this.book, log: this.log, intros: this.intros, invites: this.invites, mailboxes: this.mailboxes,
      emit: event => { this.emit('event', event) },
      sendAccept: contact => { void this.#send(contact, { k: 'accept', id: newId() }).catch(() => {}) }
    }
    options.network.registerProtocol(PEOPLE_PROTOCOL, session => { void this.#serve(session) })
  }

  /** Starts presence and outbox retries, and republishes the locator record (publish() is called once the DHT has joined). */
  start (): void {
    this.#schedule()
    this.#republish = setInterval(() => { void this.publish().catch(() => {}) }, LOCATOR_REPUBLISH_MS).unref()
  }

  /**
   * Publishes the locator record (account → this node and its address); how many DHT nodes
   * stored it. A node that found no one yet tries again at each presence round.
   */
  async publish (): Promise<number> {
    const dht = this.#options.dht?.()
    const address = this.#options.network.address
    if (dht == null || address == null) return 0
    const first = this.#published === 0
    this.#published = await publishLocator(dht, this.#options.account, this.#options.network.keys.nodeId, address)
    if (first && this.#published > 0) void this.collect().catch(() => 0)
    return this.#published
  }

  close (): void {
    this.#closed = true
    clearTimeout(this.#timer)
    clearInterval(this.#republish)
  }

  isOnline (account: string): boolean { return this.#online.has(account) }

  /** The contacts; `mailbox`: it gave its mailbox key; `viaName`: the petname of its introducer. */
  async contacts (): Promise<Array<Contact & ViaName & { online: boolean, mailbox: boolean }>> {
    return await contactsWithVia(this.book, async c => ({ online: this.#online.has(c.account), mailbox: await this.mailboxes.writable(c.account) }))
  }

  async requests (): Promise<Array<ContactRequest & ViaName>> { return await requestsWithVia(this.book) }

  /** Introductions received from contacts, of accounts that are not contacts yet, with the introducer's petname. */
  async introductions (): Promise<Array<Introduction & ViaName>> { return await introductionsWithVia(this.book, this.intros) }

  /** Introduces two contacts to each other: each gets the other's account, signed by this account ("via" this one). */
  async introduce (name: string, toName: string): Promise<{ introduced: string, to: string, results: SendResult[] }> {
    const a = await this.#approved(name)
    const b = await this.#approved(toName)
    if (a.account === b.account) throw new ContactError('contact.introduceSelf', 'introduce a contact to another contact')
    const intro = (to: Contact, of: Contact): Payload & { id: string } => ({ k: 'intro', id: newId(), account: of.account, addr: of.address, node: of.node, via: signIntroduction(this.#options.account, of.account, to.account) })
    const results = [await this.#send(b, intro(b, a)), await this.#send(a, intro(a, b))]
    return { introduced: a.petname, to: b.petname, results }
  }

  /** Asks `account` to become a contact; it is known here by `petname` (or a default one) from now on. */
  async request (account: string, text = '', options: { petname?: string, address?: string, invite?: string } = {}): Promise<{ contact: Contact, delivered: true }> {
    const id = checkAccountId(account)
    if (id === this.account) throw new ContactError('contact.self', 'that is this node\'s own account')
    if (text.length > MAX_REQUEST_TEXT_CHARS) throw new ContactError('contact.textTooLong', `a request's message is at most ${MAX_REQUEST_TEXT_CHARS} characters`)
    const existing = await this.book.get(id)
    if (existing?.state === 'approved') throw new ContactError('contact.already', `${existing.petname} is already a contact`)
    const intro = await this.intros.get(id)
    const petname = options.petname != null ? await this.book.freePetname(id, options.petname) : existing?.petname ?? await this.book.freePetname(id)
    const contact: Contact = existing ?? { account: id, petname, state: 'requested', address: options.address ?? intro?.address ?? null, node: intro?.node ?? null, addedAt: Date.now(), lastSeen: null, ...(intro != null ? { via: intro.via.account } : {}) }
    contact.petname = petname
    if (options.address != null) contact.address = options.address
    await this.book.unrefuse(id)
    await this.book.put(contact)
    try {
      await this.#deliver(contact, [{ k: 'request', id: newId(), text, ...(intro != null ? { via: intro.via } : {}), ...(options.invite != null ? { invite: options.invite } : {}) }])
    } catch (err) {
      if (existing == null) await this.book.remove(id)
      throw err
    }
    return { contact: await this.book.get(id) ?? contact, delivered: true }
  }

  /** Accepts a waiting request: the account becomes a contact named `petname`; the requester is told. */
  async accept (account: string, petname?: string): Promise<{ contact: Contact, delivered: boolean }> {
    const r = await this.#findRequest(account)
    const contact: Contact = { account: r.account, petname: await this.book.freePetname(r.account, petname), state: 'approved', address: r.address, node: r.node, addedAt: Date.now(), lastSeen: null, ...(r.via != null ? { via: r.via } : {}) }
    await this.book.put(contact)
    await this.book.dropRequest(r.account)
    await this.intros.drop(r.account)
    const sent = await this.#send(contact, { k: 'accept', id: newId() })
    return { contact, delivered: sent.state === 'delivered' }
  }

  /** Rejects a request for good: that account cannot ask again (until added by hand). Says nothing to it. */
  async reject (account: string): Promise<{ account: string }> {
    const r = await this.#findRequest(account)
    await this.book.refuse(r.account, 'rejected')
    return { account: r.account }
  }

  /** Adds a contact known out of band (both sides add each other); `address` speeds up the first contact. */
  async add (account: string, petname: string, address?: string): Promise<Contact> {
    const id = checkAccountId(account)
    if (id === this.account) throw new ContactError('contact.self', 'that is this node\'s own account')
    const old = await this.book.get(id)
    const contact: Contact = { account: id, petname: await this.book.freePetname(id, petname), state: 'approved', address: address ?? old?.address ?? null, node: old?.node ?? null, addedAt: old?.addedAt ?? Date.now(), lastSeen: old?.lastSeen ?? null }
    await this.book.unrefuse(id)
    await this.book.dropRequest(id)
    await this.intros.drop(id)
    return await this.book.put(contact)
  }

  /** Removes a contact and its messages; `block`: it cannot ask again either. */
  async remove (name: string, block = false): Promise<{ account: string, petname: string }> {
    const c = await this.book.find(name)
    await this.book.remove(c.account)
    await this.log.forget(c.account)
    await this.mailboxes.forget(c.account)
    this.#online.delete(c.account)
    if (block) await this.book.refuse(c.account, 'blocked')
    return { account: c.account, petname: c.petname }
  }

  /** Sends a whisper to an approved contact: delivered now when it is online, else queued. */
  async whisper (name: string, text: string): Promise<SendResult> {
    const c = await this.#approved(name)
    if (text === '' || Buffer.byteLength(text) > MAX_TEXT_BYTES) throw new ContactError('message.badText', `a whisper is 1 to ${MAX_TEXT_BYTES} bytes of text`)
    const m: StoredMessage = { id: newId(), account: c.account, direction: 'out', text, at: Date.now(), state: 'queued' }
    await this.log.put(m)
    return await this.#send(c, { k: 'whisper', id: m.id, text, at: m.at })
  }

  /** Sends a file's link (already shared and seeded by this node) to an approved contact, as a message. */
  async sendFile (name: string, file: FileOffer): Promise<SendResult> {
    const c = await this.#approved(name)
    const m: StoredMessage = { id: newId(), account: c.account, direction: 'out', text: file.name, at: Date.now(), state: 'queued', file }
    await this.log.put(m)
    return await this.#send(c, { k: 'file', id: m.id, link: file.link, name: file.name, bytes: file.bytes, peers: file.peers })
  }

  async pendingFiles (name?: string): Promise<PendingFile[]> { return await pendingFiles(this.book, this.log, name) }
  async fileFetched (name: string, id: string): Promise<void> { await markFetched(this.book, this.log, name, id) }
  /** Lets a contact's files be fetched without asking (or not). */
  async setAutoFetch (name: string, on: boolean): Promise<Contact> { return await this.book.put({ ...await this.book.find(name), autoFetch: on }) }

  /** A contact's messages, oldest first, with its petname. */
  async messages (name: string): Promise<{ contact: string, account: string, messages: StoredMessage[] }> {
    const c = await this.book.find(name)
    return { contact: c.petname, account: c.account, messages: await this.log.list(c.account) }
  }

  async #approved (name: string): Promise<Contact> {
    const c = await this.book.find(name)
    if (c.state !== 'approved') throw new ContactError('contact.notApproved', `${c.petname} has not accepted the contact request yet`)
    return c
  }

  async #findRequest (account: string): Promise<ContactRequest> {
    const all = await this.book.requests()
    const w = account.trim().toLowerCase()
    const hits = all.filter(r => r.account === w || (w.length >= 8 && r.account.startsWith(w)))
    if (hits.length !== 1) throw new ContactError('contact.noRequest', `no waiting request from ${JSON.stringify(account)} (see oht contact list --requests)`)
    return hits[0]!
  }

  /**
   * Queues the payloads, then tries the contact's outbox now: over a live session, else (the
   * contact is offline) into its DHT mailbox. Every sender of messages goes through here.
   */
  async #send (c: Contact, ...payloads: Array<Payload & { id: string }>): Promise<SendResult> {
    const id = payloads[0]!.id
    for (const payload of payloads) {
      if (!await this.log.queue({ id: payload.id, account: c.account, payload, queuedAt: Date.now() })) {
        throw new ContactError('message.outboxFull', `${c.petname} has too many undelivered messages waiting; try again when it is online`)
      }
    }
    try {
      const delivered = await this.#flush(c)
      return delivered.includes(id) ? { id, state: 'delivered' } : { id, state: 'queued' }
    } catch (err) {
      const left = c.state === 'approved' ? await leaveOutbox(this.log, this.mailboxes, c.account) : []
      return left.includes(id) ? { id, state: 'mailboxed' } : { id, state: 'queued', reason: (err as Error).message }
    }
  }

  /** Delivers the contact's outbox (or a presence ping when it is empty), and this node's mailbox key while the contact lacks it; the ids delivered. */
  async #flush (c: Contact): Promise<string[]> {
    const items = await this.log.outbox(c.account)
    const payloads: Payload[] = items.length > 0 ? items.map(i => i.payload) : [{ k: 'ping', id: newId() }]
    const offer = c.state === 'approved' ? await this.mailboxes.offer(c.account) : undefined
    if (offer != null) payloads.push(offer)
    return await this.#deliver(c, payloads)
  }

  /**
   * Reads every contact's new records in this node's DHT mailboxes and takes them as if they had
   * come over a live session; each whisper found there is answered by a `got` receipt. How many
   * payloads were new. Runs once at a time (a second call waits for the first, then reads again).
   */
  async collect (): Promise<number> {
    const previous = this.#collecting
    const run = (async () => {
      await previous?.catch(() => 0)
      await this.#options.dhtJoined?.().catch(() => {})
      let n = 0
      for (const c of await this.book.list()) {
        if (c.state !== 'approved' || this.#closed) continue
        const receipts: Array<Payload & { id: string, k: 'got' }> = []
        for (const p of await newMail(this.log, this.mailboxes, c.account)) {
          if (await takePayload(this.#inbound, c.account, p, null) != null) continue
          n++
          if (p.k !== 'got') receipts.push({ k: 'got', id: newId(), of: p.id })
        }
        if (receipts.length > 0) await this.#send(c, ...receipts).catch(() => {})
      }
      return n
    })()
    this.#collecting = run
    return await run
  }

  /** One session with the contact: every payload sent and its receipt awaited. Throws when it cannot. */
  async #deliver (c: Contact, payloads: Payload[]): Promise<string[]> {
    const channel = await dialContact({ network: this.#options.network, dht: this.#options.dht?.(), ends: s => this.#ends(s) }, c)
    const delivered: string[] = []
    try {
      for (const p of payloads) {
        await channel.send(p)
        const r = await channel.receive()
        if (r?.k !== 'receipt' || !('id' in p) || r.id !== p.id) throw new PeopleProtocolError('bad-frame', 'expected a delivery receipt')
        delivered.push(p.id)
        if (p.k !== 'ping' && p.k !== 'request') await this.log.delivered(c.account, p.id)
        if (p.k === 'mailbox') await this.mailboxes.offerDelivered(c.account)
        if (p.k === 'whisper' || p.k === 'file') {
          await this.log.setState(c.account, p.id, 'delivered')
          this.emit('event', { type: 'receipt', id: p.id, contact: c.petname })
        }
      }
      await channel.send({ k: 'bye' }).catch(() => {})
    } finally {
      channel.close()
    }
    await this.#seen(c.account, channel.peer.addr, channel.peer.fromNode)
    return delivered
  }

  #ends (session: HandshakeResult): SessionEnds {
    return { account: this.#options.account, localNode: this.#options.network.keys.nodeId, remoteNode: session.remoteNodeId, address: this.#options.network.address ?? null }
  }

  /** A session with an approved contact succeeded: note where it answers, and that it is online. */
  async #seen (account: string, address: string | null, node: string): Promise<void> {
    const c = await this.book.update(account, c => {
      c.lastSeen = Date.now()
      if (address != null) c.address = address
      c.node = node
    })
    if (c?.state === 'approved') this.#setOnline(c, true)
  }

  #setOnline (c: Contact, online: boolean): void {
    if (this.#online.has(c.account) === online) return
    if (online) this.#online.add(c.account)
    else this.#online.delete(c.account)
    this.emit('event', { type: online ? 'contact-online' : 'contact-offline', contact: c.petname, account: c.account })
  }

  /** An inbound session: admitted (or refused at its hello), then payloads until `bye`. */
  async #serve (session: HandshakeResult): Promise<void> {
    const stream = session.stream
    stream.on('error', () => {})
    let channel: Channel
    try {
      channel = await answer(stream, this.#ends(session), async hello => {
        if (await this.book.refused(hello.from) != null) throw new PeopleProtocolError('refused', 'this account does not take requests from you')
        if (await this.book.get(hello.from) == null && await this.intros.get(hello.from) == null && this.#limiter.take(hello.from) != null) throw new PeopleProtocolError('rate-limited', 'too many requests: try again later')
      })
    } catch {
      stream.destroy()
      return
    }
    try {
      for (;;) {
        const p = await channel.receive()
        if (p == null || p.k === 'bye') break
        const reply = await takePayload(this.#inbound, channel.peer.from, p, channel.peer)
        if (reply != null) { await channel.refuse(reply.code, reply.reason); return }
        if ('id' in p) await channel.send({ k: 'receipt', id: p.id })
      }
      const c = await this.book.get(channel.peer.from)
      if (c?.state === 'approved') await this.#seen(c.account, channel.peer.addr, channel.peer.fromNode)
    } catch (err) {
      if (err instanceof PeopleProtocolError && err.code !== 'unavailable') await channel.refuse(err.code, err.message)
    } finally {
      channel.close()
    }
  }

  /** Presence and retries: each approved contact in turn, then again after a jittered interval. */
  #schedule (): void {
    if (this.#closed) return
    const base = this.#options.presenceMs ?? DEFAULT_PRESENCE_MS
    const delay = base * (2 / 3 + Math.random() * 2 / 3)
    this.#timer = setTimeout(() => { void this.#round().finally(() => { this.#schedule() }) }, delay)
    this.#timer.unref()
  }

  async #round (): Promise<void> {
    if (this.#published === 0) await this.publish().catch(() => 0)
    for (const c of await this.book.list().catch(() => [])) {
      if (this.#closed) return
      if (c.state !== 'approved' && (await this.log.outbox(c.account)).length === 0) continue
      try {
        await this.#flush(c)
      } catch {
        if (c.state !== 'approved') continue
        this.#setOnline(c, false)
        await leaveOutbox(this.log, this.mailboxes, c.account).catch(() => [])
      }
    }
    if (++this.#rounds % MAILBOX_POLL_ROUNDS === 0 && !this.#closed) await this.collect().catch(() => 0)
  }
}
