// The address book: contacts under the petnames this node's user gave them, requests waiting for
// an answer, and accounts refused for good. Kept in the node's sealed store (src/store): every
// value is encrypted and every key (an account id) is a keyed hash, so nothing in the state
// directory says who the contacts are. A contact is only ever shown by its petname; the name a
// requester puts in its message is shown as part of that message, never as the contact's name.
import type { SealedDb } from '../../store/index.ts'
import { PeopleError } from '../errors.ts'
import { isAccountId } from '../../node/identity/account-keys.ts'

export type ContactState = 'approved' | 'requested'

export interface Contact {
  account: string
  petname: string
  /** approved: both sides agreed; requested: we asked, no answer yet. */
  state: ContactState
  /** Where its node answered last (its hello's address), and that node's id. */
  address: string | null
  node: string | null
  addedAt: number
  /** When a session with it last succeeded (presence). */
  lastSeen: number | null
  /** The contact's account that introduced it, if it came through an introduction. */
  via?: string
  /** Files it sends are fetched without asking (`oht contact autofetch`). */
  autoFetch?: boolean
}

export interface ContactRequest {
  account: string
  text: string
  at: number
  address: string | null
  node: string
  /** The contact that introduced the requester (its signature checked), if any. */
  via?: string
}

export interface Refused { account: string, at: number, why: 'rejected' | 'blocked' }

export class ContactError extends PeopleError {
  override name = 'ContactError'
}

/** At most this many requests wait at once; more are refused as rate-limited, not stored. */
export const MAX_PENDING_REQUESTS = 100
export const MAX_PETNAME_CHARS = 64
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/

/** A petname: 1 to 64 printable characters, not an account id (so a name never reads as someone's key). */
export function checkPetname (name: string): string {
  const n = name.trim()
  if (n === '' || n.length > MAX_PETNAME_CHARS || CONTROL.test(n) || isAccountId(n.toLowerCase())) {
    throw new ContactError('contact.badPetname', `a petname is 1 to ${MAX_PETNAME_CHARS} printable characters, and not an account id: ${JSON.stringify(name)}`)
  }
  return n
}

/** The name shown for an account with no petname yet: a short form of its id, never a name it chose. */
export const defaultPetname = (account: string): string => `account-${account.slice(0, 8)}`

export class ContactBook {
  readonly #contacts
  readonly #requests
  readonly #refused
  /** Writes of contacts, one at a time: a session noting a contact must not bring back one just removed. */
  #writes: Promise<unknown> = Promise.resolve()

  constructor (db: SealedDb) {
    this.#contacts = db.sublevel<string, Contact>('people-contacts', { valueEncoding: 'json' })
    this.#requests = db.sublevel<string, ContactRequest>('people-requests', { valueEncoding: 'json' })
    this.#refused = db.sublevel<string, Refused>('people-refused', { valueEncoding: 'json' })
  }

  async list (): Promise<Contact[]> { return (await this.#contacts.values().all()).sort((a, b) => a.petname.localeCompare(b.petname)) }
  async get (account: string): Promise<Contact | undefined> { return await this.#contacts.get(account) }
  async requests (): Promise<ContactRequest[]> { return (await this.#requests.values().all()).sort((a, b) => a.at - b.at) }
  async request (account: string): Promise<ContactRequest | undefined> { return await this.#requests.get(account) }
  async refused (account: string): Promise<Refused | undefined> { return await this.#refused.get(account) }

  /** The contact named `name`: its petname, else its account id or a prefix of at least 8 digits. */
  async find (name: string): Promise<Contact> {
    const all = await this.list()
    const byName = all.find(c => c.petname === name.trim())
    if (byName != null) return byName
    const w = name.trim().toLowerCase()
    const hits = /^[0-9a-f]{8,66}$/.test(w) ? all.filter(c => c.account.startsWith(w)) : []
    if (hits.length === 1) return hits[0]!
    throw new ContactError('contact.unknown', `no contact ${JSON.stringify(name)} (see oht contact list)`)
  }

  /** Saves a contact; its petname must not name another contact. */
  async put (contact: Contact): Promise<Contact> {
    return await this.#serial(async () => {
      const clash = (await this.list()).find(c => c.petname === contact.petname && c.account !== contact.account)
      if (clash != null) throw new ContactError('contact.petnameTaken', `the petname ${JSON.stringify(contact.petname)} already names another contact`)
      await this.#contacts.put(contact.account, contact)
      return contact
    })
  }

  /** Changes a stored contact in place (nothing when it is gone); the changed contact, or undefined. */
  async update (account: string, change: (c: Contact) => void): Promise<Contact | undefined> {
    return await this.#serial(async () => {
      const c = await this.#contacts.get(account)
      if (c == null) return undefined
      change(c)
      await this.#contacts.put(account, c)
      return c
    })
  }

  async remove (account: string): Promise<boolean> {
    return await this.#serial(async () => {
      const had = await this.#contacts.get(account) != null
      await this.#contacts.del(account)
      return had
    })
  }

  async #serial<T> (fn: () => Promise<T>): Promise<T> {
    const run = this.#writes.then(fn, fn)
    this.#writes = run.catch(() => {})
    return await run
  }

  /** A unique default petname for an account (account-1a2b3c4d, then -2, -3 ...). */
  async freePetname (account: string, wanted?: string): Promise<string> {
    if (wanted != null) return checkPetname(wanted)
    const taken = new Set((await this.list()).filter(c => c.account !== account).map(c => c.petname))
    const base = defaultPetname(account)
    let name = base
    for (let i = 2; taken.has(name); i++) name = `${base}-${i}`
    return name
  }

  async addRequest (r: ContactRequest): Promise<boolean> {
    if (await this.#requests.get(r.account) == null && (await this.#requests.keys().all()).length >= MAX_PENDING_REQUESTS) return false
    await this.#requests.put(r.account, r)
    return true
  }

  async dropRequest (account: string): Promise<void> { await this.#requests.del(account) }

  /** Refuses an account for good: its requests are dropped and it cannot ask again. */
  async refuse (account: string, why: Refused['why']): Promise<void> {
    await this.#refused.put(account, { account, at: Date.now(), why })
    await this.#requests.del(account)
  }

  /** Lets a refused account ask again (`oht contact add` of it does this too). */
  async unrefuse (account: string): Promise<void> { await this.#refused.del(account) }
}
