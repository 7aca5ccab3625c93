// The mailboxes of one account's contacts, kept in the node's sealed store: for each contact,
// the key of the mailbox this node reads (its inbox, given to that contact over a live session)
// and the key of the contact's mailbox this node writes to (given by it). Writing fills slots
// 0, 1, 2 ... of the current epoch; reading walks each epoch still alive from the slot after the
// last one read until an empty slot. Old epochs are read to their end once, then skipped.
import { randomBytes } from 'node:crypto'
import type { SealedDb } from '../../store/index.ts'
import type { PrivateValues } from '../contacts/locator.ts'
import { parsePayload, type Payload } from '../messages/channel.ts'
import type { Mailboxed, OutboxItem } from '../messages/log.ts'
import { epochOf, keyAt, MAILBOX_EPOCH_MS, MAILBOX_PAYLOAD_BYTES, MAILBOX_TTL_MS, MailboxError, openRecord, sealRecord, slotHandle, type EpochKey } from './record.ts'

/** The DHT as mailboxes need it: private values, and deleting one (src/dht DhtNode). */
export interface MailboxDht extends PrivateValues {
  deletePrivate?: (handle: Uint8Array) => Promise<unknown>
}

interface StoredKey { epoch: number, key: string }

interface MailboxState {
  account: string
  /** This node's inbox for the contact, at the oldest epoch still readable. */
  inbox: StoredKey
  /** The contact acknowledged the inbox key (a receipt for the offer). */
  offered: boolean
  /** Epochs before this one were read to their end. */
  done: number
  /** Epoch → the next slot to read there. */
  read: Record<string, number>
  /** The contact's inbox, where this node writes, at its last used epoch (null: not given yet). */
  outbox: StoredKey | null
  /** The next slot to write in `outbox.epoch`. */
  next: number
}

/** A slot read in an epoch that ended this long ago holds nothing new (a sender's clock may be off by this much). */
const CLOCK_GRACE_MS = 15 * 60_000
/** A payload left here is left again when it is this old and still has no receipt (its record expires soon). */
export const MAILBOX_RELEAVE_MS = MAILBOX_TTL_MS - 2 * MAILBOX_EPOCH_MS
/** Slots read per epoch and round at most (a hostile contact cannot keep the reader busy forever). */
const MAX_SLOTS_PER_READ = 256

/** Payload kinds that may travel through a mailbox: others need the live session (an offer, a request). */
export const MAILBOX_KINDS = new Set<Payload['k']>(['whisper', 'file', 'got', 'intro'])

const toKey = (s: StoredKey): EpochKey => ({ epoch: s.epoch, key: Buffer.from(s.key, 'hex') })
const fromKey = (k: EpochKey): StoredKey => ({ epoch: k.epoch, key: Buffer.from(k.key).toString('hex') })

export interface MailboxOptions {
  db: SealedDb
  dht: () => MailboxDht | undefined
  epochMs?: number
  now?: () => number
}

export class Mailboxes {
  readonly #states
  readonly #dht: () => MailboxDht | undefined
  readonly #epochMs: number
  readonly #now: () => number
  /** Every change to the states runs in turn, so a deposit and a collection never interleave. */
  #queue: Promise<unknown> = Promise.resolve()

  constructor (options: MailboxOptions) {
    this.#states = options.db.sublevel<string, MailboxState>('people-mailboxes', { valueEncoding: 'json' })
    this.#dht = options.dht
    this.#epochMs = options.epochMs ?? MAILBOX_EPOCH_MS
    this.#now = options.now ?? Date.now
  }

  async #serial<T> (fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn)
    this.#queue = run.catch(() => {})
    return await run
  }

  #epoch (): number { return epochOf(this.#now(), this.#epochMs) }

  async #state (account: string): Promise<MailboxState> {
    const s = await this.#states.get(account)
    if (s != null) return s
    return { account, inbox: { epoch: this.#epoch(), key: randomBytes(32).toString('hex') }, offered: false, done: this.#epoch(), read: {}, outbox: null, next: 0 }
  }

  /** The offer of this node's inbox to `account`, while it has not acknowledged one. */
  async offer (account: string): Promise<Extract<Payload, { k: 'mailbox' }> | undefined> {
    return await this.#serial(async () => {
      const s = await this.#state(account)
      if (s.offered) return undefined
      await this.#states.put(account, s)
      const now = keyAt(toKey(s.inbox), Math.max(s.inbox.epoch, this.#epoch()))
      return { k: 'mailbox', id: randomBytes(12).toString('base64url'), epoch: now.epoch, key: Buffer.from(now.key).toString('hex') }
    })
  }

  async offerDelivered (account: string): Promise<void> {
    await this.#serial(async () => {
      const s = await this.#states.get(account)
      if (s != null) await this.#states.put(account, { ...s, offered: true })
    })
  }

  /** Takes the contact's inbox key; true when it is new (messages to it can now wait in its mailbox). */
  async take (account: string, offer: { epoch: number, key: string }): Promise<boolean> {
    return await this.#serial(async () => {
      const s = await this.#state(account)
      if (s.outbox?.key === offer.key && s.outbox.epoch === offer.epoch) return false
      await this.#states.put(account, { ...s, outbox: { epoch: offer.epoch, key: offer.key }, next: 0 })
      return true
    })
  }

  async writable (account: string): Promise<boolean> { return (await this.#states.get(account))?.outbox != null }

  async forget (account: string): Promise<void> { await this.#serial(async () => { await this.#states.del(account) }) }

  /**
   * Leaves the items that may travel this way, and are not in the mailbox yet (or were left so
   * long ago that their record expires soon), in the contact's mailbox: where each one went.
   * Stops at the first that no DHT node stored (a node that has not joined yet).
   */
  async deposit (account: string, items: OutboxItem[]): Promise<Array<{ id: string, where: Mailboxed }>> {
    const dht = this.#dht()
    const due = items.filter(i => MAILBOX_KINDS.has(i.payload.k) && (i.mailboxed == null || this.#now() - i.mailboxed.at > MAILBOX_RELEAVE_MS))
    if (dht == null || due.length === 0) return []
    return await this.#serial(async () => {
      const s = await this.#states.get(account)
      if (s?.outbox == null) return []
      const left: Array<{ id: string, where: Mailboxed }> = []
      for (const item of due) {
        const payload = Buffer.from(JSON.stringify(item.payload))
        if (payload.length > MAILBOX_PAYLOAD_BYTES) continue // stays queued for a live session
        const epoch = this.#epoch()
        if (epoch > s.outbox.epoch) {
          s.outbox = fromKey(keyAt(toKey(s.outbox), epoch))
          s.next = 0
        }
        const k = toKey(s.outbox)
        const slot = s.next
        const now = this.#now()
        const r = await dht.putPrivate(slotHandle(k, slot), sealRecord(k, slot, payload, now + MAILBOX_TTL_MS), { ttlMs: MAILBOX_TTL_MS }).catch(() => ({ stored: 0 })) as { stored?: number }
        if ((r.stored ?? 0) === 0) break
        s.next = slot + 1
        await this.#states.put(account, s)
        left.push({ id: item.id, where: { at: now, epoch: k.epoch, slot } })
      }
      return left
    })
  }

  /** Empties a slot this node wrote (its payload got a receipt): the holders drop the record. */
  async clear (account: string, where: Mailboxed): Promise<void> {
    const dht = this.#dht()
    const s = await this.#states.get(account)
    if (dht?.deletePrivate == null || s?.outbox == null || where.epoch < s.outbox.epoch) return
    await dht.deletePrivate(slotHandle(keyAt(toKey(s.outbox), where.epoch), where.slot)).catch(() => {})
  }

  /**
   * Reads the contact's new records in this node's inbox for it: the payloads, oldest first.
   * A record that does not open (altered, moved, expired, not JSON) is skipped; the ratchet
   * steps past epochs whose records have all expired.
   */
  async collect (account: string): Promise<Payload[]> {
    const dht = this.#dht()
    if (dht == null) return []
    return await this.#serial(async () => {
      const s = await this.#states.get(account)
      if (s == null) return []
      const now = this.#now()
      const current = this.#epoch()
      const oldest = Math.max(s.inbox.epoch, epochOf(now - MAILBOX_TTL_MS, this.#epochMs))
      let k = keyAt(toKey(s.inbox), oldest)
      const out: Payload[] = []
      let done = Math.max(s.done, oldest)
      for (let epoch = oldest; epoch <= current; epoch++) {
        if (epoch > k.epoch) k = keyAt(k, epoch)
        if (epoch < done) continue
        let slot = s.read[epoch] ?? 0
        for (let n = 0; n < MAX_SLOTS_PER_READ; n++, slot++) {
          const { value } = await dht.getPrivate(slotHandle(k, slot)).catch(() => ({ value: null }))
          if (value == null) break
          try {
            out.push(parsePayload(openRecord(k, slot, value, now)))
          } catch (err) {
            if (!(err instanceof MailboxError) && (err as Error).name !== 'PeopleProtocolError') throw err
          }
        }
        s.read[epoch] = slot
        if (epoch === done && now > (epoch + 1) * this.#epochMs + CLOCK_GRACE_MS) done = epoch + 1
      }
      // Step the stored ratchet to the oldest epoch that can still hold a record: older keys are gone for good.
      const inbox = fromKey(keyAt(toKey(s.inbox), oldest))
      const read = Object.fromEntries(Object.entries(s.read).filter(([e]) => Number(e) >= oldest))
      await this.#states.put(account, { ...s, inbox, done, read })
      return out
    })
  }
}
