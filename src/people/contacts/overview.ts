// What `oht contact list` shows: contacts, waiting requests and introductions, each with the
// petname of the contact that introduced it ("via"), never a name anyone else chose.
import type { Contact, ContactBook, ContactRequest } from './book.ts'
import type { Introduction, IntroductionBook } from './introductions.ts'

export interface ViaName { viaName: string | null }

const nameIn = (contacts: Contact[], account: string | undefined): string | null =>
  account == null ? null : contacts.find(c => c.account === account && c.state === 'approved')?.petname ?? null

export async function contactsWithVia<T extends object> (book: ContactBook, extra: (c: Contact) => Promise<T>): Promise<Array<Contact & T & ViaName>> {
  const all = await book.list()
  return await Promise.all(all.map(async c => ({ ...c, ...await extra(c), viaName: nameIn(all, c.via) })))
}

export async function requestsWithVia (book: ContactBook): Promise<Array<ContactRequest & ViaName>> {
  const all = await book.list()
  return (await book.requests()).map(r => ({ ...r, viaName: nameIn(all, r.via) }))
}

export async function introductionsWithVia (book: ContactBook, intros: IntroductionBook): Promise<Array<Introduction & ViaName>> {
  const all = await book.list()
  return (await intros.list()).map(i => ({ ...i, viaName: nameIn(all, i.via.account) }))
}
