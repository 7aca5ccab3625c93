// contactcast: one whisper to every approved contact. Each goes through People.whisper, the one
// send path (direct over onion, else queued, and whatever offline delivery that path has), so a
// contactcast is exactly N whispers: no broadcast record, nothing a stranger or a DHT node sees
// as one message to many. A few contacts are dialled at once (bounded), not all.
import { ContactError, type Contact } from '../contacts/book.ts'
import type { People, SendResult } from '../people.ts'
import { MAX_TEXT_BYTES } from './channel.ts'

/** What became of the whisper to one contact: a send result, or `failed` with the reason it was not even queued. */
export interface ContactcastResult { contact: string, account: string, id?: string, state: SendResult['state'] | 'failed', reason?: string }

const AT_ONCE = 4

/** What contactcast needs of People: its contacts, and its one send path. */
export interface ContactcastSender {
  contacts: () => Promise<Array<Pick<Contact, 'account' | 'petname' | 'state'>>>
  whisper: People['whisper']
}

export async function contactcast (people: ContactcastSender, text: string): Promise<ContactcastResult[]> {
  // Checked once here rather than failing N times alike in whisper().
  if (text === '' || Buffer.byteLength(text) > MAX_TEXT_BYTES) throw new ContactError('message.badText', `a whisper is 1 to ${MAX_TEXT_BYTES} bytes of text`)
  const approved = (await people.contacts()).filter(c => c.state === 'approved')
  if (approved.length === 0) throw new ContactError('contact.none', 'no approved contacts to send to (oht contact list)')
  const results: ContactcastResult[] = new Array(approved.length)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < approved.length) {
      const i = next++
      const c = approved[i]!
      try {
        const r = await people.whisper(c.account, text)
        results[i] = { contact: c.petname, account: c.account, ...r }
      } catch (err) {
        results[i] = { contact: c.petname, account: c.account, state: 'failed', reason: (err as Error).message }
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(AT_ONCE, approved.length) }, worker))
  return results
}
