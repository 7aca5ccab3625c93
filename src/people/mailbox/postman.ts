// Between the outbox and the mailboxes: what a contact that is offline gets left in its mailbox,
// and what this node's mailboxes hold that it has not taken yet.
import { MAILBOX_KINDS, type Mailboxes } from './mailbox.ts'
import type { Payload } from '../messages/channel.ts'
import type { MessageLog } from '../messages/log.ts'

/** Leaves the contact's outbox in its DHT mailbox (what may travel that way); the ids left there. */
export async function leaveOutbox (log: MessageLog, mailboxes: Mailboxes, account: string): Promise<string[]> {
  const items = await log.outbox(account)
  const left = await mailboxes.deposit(account, items)
  for (const { id, where } of left) {
    const item = items.find(i => i.id === id)
    // A mailbox receipt gets no receipt of its own: once left, it is done.
    if (item?.payload.k === 'got') await log.delivered(account, id)
    else await log.markMailboxed(account, id, where)
    if (item?.payload.k === 'whisper' || item?.payload.k === 'file') await log.setState(account, id, 'mailboxed')
  }
  return left.map(l => l.id)
}

/** The contact's new payloads in this node's mailbox for it; a message already received directly is left out. */
export async function newMail (log: MessageLog, mailboxes: Mailboxes, account: string): Promise<Array<Payload & { id: string }>> {
  const out: Array<Payload & { id: string }> = []
  for (const p of await mailboxes.collect(account)) {
    if (!MAILBOX_KINDS.has(p.k) || !('id' in p)) continue
    if ((p.k === 'whisper' || p.k === 'file') && await log.get(account, p.id) != null) continue
    out.push(p)
  }
  return out
}
