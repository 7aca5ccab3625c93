// Contacts and whispers over a running daemon's API (routes-people.ts), for the CLI and the console.
import type { Contact, ContactcastResult, ContactRequest, Introduction, SendResult, StoredMessage } from '../../people/index.ts'
import type { ApiCaller } from './protocol.ts'

type ViaName = { viaName: string | null }
export interface PeopleOverview { account: string, contacts: Array<Contact & ViaName & { online: boolean, mailbox: boolean }>, requests: Array<ContactRequest & ViaName>, introductions: Array<Introduction & ViaName> }

export class PeopleApiClient {
  readonly #api: ApiCaller
  constructor (api: ApiCaller) { this.#api = api }

  async overview (): Promise<PeopleOverview> { return await this.#api.call('GET', '/people') as PeopleOverview }
  async request (account: string, message: string, options: { petname?: string, address?: string } = {}): Promise<{ contact: Contact, delivered: boolean }> {
    return await this.#post('request', { account, message, ...options }) as { contact: Contact, delivered: boolean }
  }

  async accept (account: string, petname?: string): Promise<{ contact: Contact, delivered: boolean }> { return await this.#post('accept', { account, ...(petname != null ? { petname } : {}) }) as { contact: Contact, delivered: boolean } }
  async reject (account: string): Promise<{ account: string }> { return await this.#post('reject', { account }) as { account: string } }
  async add (account: string, petname: string, address?: string): Promise<{ contact: Contact }> { return await this.#post('add', { account, petname, ...(address != null ? { address } : {}) }) as { contact: Contact } }
  async remove (contact: string, block = false): Promise<{ account: string, petname: string }> { return await this.#post('rm', { contact, block }) as { account: string, petname: string } }
  async whisper (contact: string, text: string): Promise<SendResult> { return await this.#post('whisper', { contact, text }) as SendResult }
  /** One whisper to every approved contact (the same send path as whisper). */
  async contactcast (text: string): Promise<{ results: ContactcastResult[] }> { return await this.#post('contactcast', { text }) as { results: ContactcastResult[] } }
  async messages (contact: string): Promise<{ contact: string, account: string, messages: StoredMessage[] }> {
    return await this.#api.call('GET', `/people/messages?contact=${encodeURIComponent(contact)}`) as { contact: string, account: string, messages: StoredMessage[] }
  }

  async introduce (contact: string, to: string): Promise<{ introduced: string, to: string, results: SendResult[] }> { return await this.#post('introduce', { contact, to }) as { introduced: string, to: string, results: SendResult[] } }

  /** Opens a contact invite code (its info: code, expiresAt, ...). */
  async openInvite (options: { petname?: string, expiresMs?: number } = {}): Promise<{ id: string, code: string, expiresAt: number }> {
    return await this.#post('invite', options) as { id: string, code: string, expiresAt: number }
  }

  /** Uses someone's contact invite code: its account becomes a contact on both sides. */
  async acceptInvite (code: string, petname?: string): Promise<{ contact: Contact }> {
    return await this.#post('invite/accept', { code, ...(petname != null ? { petname } : {}) }) as { contact: Contact }
  }

  async setAutoFetch (contact: string, on: boolean): Promise<{ contact: Contact }> { return await this.#post('autofetch', { contact, on }) as { contact: Contact } }

  /** Reads the DHT mailboxes now: how many messages were new. */
  async checkMailbox (): Promise<{ received: number }> { return await this.#post('mailbox', {}) as { received: number } }

  async #post (name: string, body: object): Promise<unknown> { return await this.#api.call('POST', `/people/${name}`, body) }
}
