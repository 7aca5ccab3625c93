// Files sent to contacts (`oht send --to`): the link travels as a `file` message; the receiver's
// daemon lists what was not fetched yet, fetches on request (`oht receive --from`) or, for a
// contact allowed to (`oht contact autofetch`), by itself (src/node/people-files.ts).
import { ContactError, type ContactBook } from '../contacts/book.ts'
import type { FileOffer, MessageLog, StoredMessage } from './log.ts'

export type PendingFile = StoredMessage & { file: FileOffer, contact: string }

/** Files contacts sent that were not fetched yet (of one contact, or all), oldest first. */
export async function pendingFiles (book: ContactBook, log: MessageLog, name?: string): Promise<PendingFile[]> {
  const contacts = name != null ? [await book.find(name)] : await book.list()
  const out: PendingFile[] = []
  for (const c of contacts) {
    for (const m of await log.list(c.account)) if (m.direction === 'in' && m.file != null && m.file.fetched !== true) out.push({ ...m, file: m.file, contact: c.petname })
  }
  return out
}

/** Marks a file message as fetched (it leaves pendingFiles). */
export async function markFetched (book: ContactBook, log: MessageLog, name: string, id: string): Promise<void> {
  const c = await book.find(name)
  const m = await log.get(c.account, id)
  if (m?.file == null) throw new ContactError('message.noFile', `no file ${JSON.stringify(id)} from ${c.petname}`)
  await log.put({ ...m, file: { ...m.file, fetched: true } })
}
