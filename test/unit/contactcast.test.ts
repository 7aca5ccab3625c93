// contactcast (src/people/messages/contactcast.ts) over a stand-in of People: one whisper per
// approved contact through whisper(), never to a contact still asked; a contact whose whisper
// throws is reported, the others still sent; a few at once, not all; bad text and no contacts
// are one clear error each, before anything is sent.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { contactcast, ContactError, MAX_TEXT_BYTES, type Contact, type SendResult } from '../../src/people/index.ts'

type Listed = Contact & { online: boolean, mailbox: boolean, viaName: string | null }
const contact = (n: number, state: Contact['state'] = 'approved'): Listed =>
  ({ account: n.toString(16).padStart(64, '0'), petname: `p${n}`, state, address: null, node: null, addedAt: 0, lastSeen: null, online: false, mailbox: false, viaName: null })

function people (list: Listed[], send: (account: string) => Promise<SendResult>): { contacts: () => Promise<typeof list>, whisper: (name: string, text: string) => Promise<SendResult>, sent: Array<[string, string]>, peak: number } {
  let running = 0
  const p = {
    sent: [] as Array<[string, string]>,
    peak: 0,
    contacts: async () => list,
    whisper: async (name: string, text: string): Promise<SendResult> => {
      p.sent.push([name, text])
      running++
      p.peak = Math.max(p.peak, running)
      try { await new Promise(resolve => setImmediate(resolve)); return await send(name) } finally { running-- }
    }
  }
  return p
}

test('one whisper per approved contact, reported in the contacts\' order', async () => {
  const list = [contact(1), contact(2, 'requested'), contact(3), contact(4)]
  const p = people(list, async account => account === contact(3).account ? { id: 'c', state: 'queued', reason: 'offline' } : { id: account.slice(-1), state: 'delivered' })
  const r = await contactcast(p, 'hello all')
  assert.deepEqual(r.map(x => [x.contact, x.state]), [['p1', 'delivered'], ['p3', 'queued'], ['p4', 'delivered']])
  assert.equal(r[1]!.reason, 'offline')
  assert.deepEqual(p.sent.map(s => s[0]).sort(), [contact(1).account, contact(3).account, contact(4).account].sort(), 'never to a contact that has not accepted')
  assert.ok(p.sent.every(s => s[1] === 'hello all'))
})

test('a whisper that throws is reported as failed; the others are still sent; at most 4 at once', async () => {
  const list = Array.from({ length: 10 }, (_, i) => contact(i + 1))
  const p = people(list, async account => {
    if (account === contact(5).account) throw new ContactError('message.outboxFull', 'p5 has too many undelivered messages waiting')
    return { id: 'x', state: 'delivered' }
  })
  const r = await contactcast(p, 'hi')
  assert.equal(r.length, 10)
  assert.deepEqual(r[4], { contact: 'p5', account: contact(5).account, state: 'failed', reason: 'p5 has too many undelivered messages waiting' })
  assert.equal(r.filter(x => x.state === 'delivered').length, 9)
  assert.ok(p.peak > 1 && p.peak <= 4, `peak ${p.peak}`)
})

test('empty or oversized text, or no approved contact: one clear error, nothing sent', async () => {
  const p = people([contact(1)], async () => ({ id: 'x', state: 'delivered' }))
  await assert.rejects(contactcast(p, ''), (e: ContactError) => e.code === 'message.badText')
  await assert.rejects(contactcast(p, 'x'.repeat(MAX_TEXT_BYTES + 1)), (e: ContactError) => e.code === 'message.badText')
  assert.equal(p.sent.length, 0)
  const none = people([contact(1, 'requested')], async () => ({ id: 'x', state: 'delivered' }))
  await assert.rejects(contactcast(none, 'hi'), (e: ContactError) => e.code === 'contact.none' && /no approved contacts/.test(e.message))
  assert.equal(none.sent.length, 0)
})
