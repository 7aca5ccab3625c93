// Whispers sent and received, and the outbox of payloads still to deliver, in the node's sealed
// store (src/store): text, contact and times are encrypted, keys are keyed hashes. The log keeps
// the newest MAX_MESSAGES_PER_CONTACT of each contact.
import type { SealedDb } from '../../store/index.ts'
import type { Payload } from './channel.ts'

/** mailboxed: left in the contact's DHT mailbox (it was offline), no receipt yet. */
export type MessageState = 'queued' | 'mailboxed' | 'delivered' | 'received'

/** A file offered in a message (`oht send --to`): fetched once the receiver took it. */
export interface FileOffer { link: string, name: string, bytes: number, peers: string[], fetched?: boolean }

export interface StoredMessage {
  id: string
  /** The contact's account id (shown by its petname). */
  account: string
  direction: 'in' | 'out'
  text: string
  at: number
  state: MessageState
  /** A file message: `text` is its name. */
  file?: FileOffer
}

/** Where an item was left in the contact's DHT mailbox (mailbox/), and when. */
export interface Mailboxed { at: number, epoch: number, slot: number }

export interface OutboxItem { id: string, account: string, payload: Payload, queuedAt: number, mailboxed?: Mailboxed }

export const MAX_MESSAGES_PER_CONTACT = 1000
export const MAX_OUTBOX_PER_CONTACT = 100

const range = (account: string): { gte: string, lt: string } => ({ gte: account + '\0', lt: account + '\u0001' })

export class MessageLog {
  readonly #messages
  readonly #outbox

  constructor (db: SealedDb) {
    this.#messages = db.sublevel<string, StoredMessage>('people-messages', { valueEncoding: 'json' })
    this.#outbox = db.sublevel<string, OutboxItem>('people-outbox', { valueEncoding: 'json' })
  }

  async get (account: string, id: string): Promise<StoredMessage | undefined> { return await this.#messages.get(`${account}\0${id}`) }

  async put (m: StoredMessage): Promise<void> {
    await this.#messages.put(`${m.account}\0${m.id}`, m)
    const all = await this.list(m.account)
    for (const old of all.slice(0, Math.max(0, all.length - MAX_MESSAGES_PER_CONTACT))) await this.#messages.del(`${old.account}\0${old.id}`)
  }

  async setState (account: string, id: string, state: MessageState): Promise<StoredMessage | undefined> {
    const m = await this.get(account, id)
    if (m == null) return undefined
    m.state = state
    await this.#messages.put(`${account}\0${id}`, m)
    return m
  }

  /** A contact's messages, oldest first. */
  async list (account: string): Promise<StoredMessage[]> {
    return (await this.#messages.values(range(account)).all()).sort((a, b) => a.at - b.at || a.id.localeCompare(b.id))
  }

  async forget (account: string): Promise<void> {
    for (const k of await this.#messages.keys(range(account)).all()) await this.#messages.del(k)
    for (const k of await this.#outbox.keys(range(account)).all()) await this.#outbox.del(k)
  }

  async queue (item: OutboxItem): Promise<boolean> {
    if ((await this.outbox(item.account)).length >= MAX_OUTBOX_PER_CONTACT) return false
    await this.#outbox.put(`${item.account}\0${item.id}`, item)
    return true
  }

  async outbox (account: string): Promise<OutboxItem[]> {
    return (await this.#outbox.values(range(account)).all()).sort((a, b) => a.queuedAt - b.queuedAt)
  }

  async outboxItem (account: string, id: string): Promise<OutboxItem | undefined> { return await this.#outbox.get(`${account}\0${id}`) }

  async markMailboxed (account: string, id: string, where: Mailboxed): Promise<void> {
    const item = await this.outboxItem(account, id)
    if (item != null) await this.#outbox.put(`${account}\0${id}`, { ...item, mailboxed: where })
  }

  async delivered (account: string, id: string): Promise<void> { await this.#outbox.del(`${account}\0${id}`) }
}
