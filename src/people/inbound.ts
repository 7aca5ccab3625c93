// What a node does with one payload from another account, over a live `people` session or read
// from its DHT mailbox: contact requests (plain, by invite code, or introduced), acceptances,
// whispers, file offers, presence pings, introductions, mailbox keys and mailbox receipts.
import type { Contact, ContactBook, ContactRequest } from './contacts/book.ts'
import { checkIntroduction, type IntroductionBook } from './contacts/introductions.ts'
import type { InviteTokens } from './contacts/invite-tokens.ts'
import type { Mailboxes } from './mailbox/mailbox.ts'
import type { Payload } from './messages/channel.ts'
import type { Hello } from './messages/session.ts'
import type { FileOffer, MessageLog } from './messages/log.ts'
import type { PeopleEvent } from './events.ts'

/** What the payload handlers reach of the account's people-side state. */
export interface InboundContext {
  account: string
  book: ContactBook
  log: MessageLog
  intros: IntroductionBook
  invites: InviteTokens
  mailboxes: Mailboxes
  emit: (event: PeopleEvent) => void
  /** Tells a contact made by invite code that it is one (an `accept`, on a session of its own). */
  sendAccept: (contact: Contact) => void
}

/** Why a payload is refused: sent back to the other side. */
export interface Refusal { code: 'not-a-contact' | 'rate-limited' | 'refused', reason: string }

/**
 * One payload from the other side (over a live session: `peer` is its hello; from a mailbox:
 * null); a refusal to send back, or undefined when it is taken.
 */
export async function takePayload (ctx: InboundContext, from: string, p: Payload, peer: Hello | null): Promise<Refusal | undefined> {
  const c = await ctx.book.get(from)
  const notContact = { code: 'not-a-contact' as const, reason: 'only contacts may send this' }
  switch (p.k) {
    case 'request': {
      if (c?.state === 'approved') return undefined // already contacts (it lost its state): nothing to ask
      if (peer == null) return notContact
      if (c?.state === 'requested') { await approve(ctx, c, peer); return undefined } // both asked: agreed
      const ticket = p.invite != null ? ctx.invites.take(p.invite) : undefined
      if (ticket != null) { await welcome(ctx, from, peer, ticket.petname); return undefined } // it came with this node's invite code
      // "via": the introducer's signature checks and it is a contact here, or this node was introduced to the requester too.
      const introducer = p.via != null && checkIntroduction(p.via, ctx.account, from) ? await ctx.book.get(p.via.account) : undefined
      const via = introducer?.state === 'approved' ? introducer.account : (await ctx.intros.get(from))?.via.account
      const r: ContactRequest = { account: from, text: p.text, at: Date.now(), address: peer.addr, node: peer.fromNode, ...(via != null ? { via } : {}) }
      if (!await ctx.book.addRequest(r)) return { code: 'rate-limited', reason: 'too many requests are waiting here: try again later' }
      ctx.emit({ type: 'contact-request', account: from, text: p.text, at: r.at })
      return undefined
    }
    case 'accept':
      if (c == null || peer == null) return notContact
      if (c.state === 'requested') await approve(ctx, c, peer)
      return undefined
    case 'whisper': {
      if (c?.state !== 'approved') return notContact
      if (await ctx.log.get(from, p.id) != null) return undefined // a retry whose receipt was lost: received once
      await ctx.log.put({ id: p.id, account: from, direction: 'in', text: p.text, at: p.at, state: 'received' })
      ctx.emit({ type: 'message', id: p.id, contact: c.petname, account: from, text: p.text, at: p.at })
      return undefined
    }
    case 'file': {
      if (c?.state !== 'approved') return notContact
      if (await ctx.log.get(from, p.id) != null) return undefined
      const file: FileOffer = { link: p.link, name: p.name, bytes: p.bytes, peers: p.peers }
      await ctx.log.put({ id: p.id, account: from, direction: 'in', text: p.name, at: Date.now(), state: 'received', file })
      ctx.emit({ type: 'file-offered', id: p.id, contact: c.petname, account: from, name: p.name, bytes: p.bytes, auto: c.autoFetch === true })
      return undefined
    }
    case 'ping':
      return c?.state === 'approved' ? undefined : notContact
    case 'intro': {
      if (c?.state !== 'approved') return notContact
      if (p.via.account !== from || p.account === ctx.account || !checkIntroduction(p.via, p.account, ctx.account)) return undefined // not a valid statement of this contact: dropped
      if ((await ctx.book.get(p.account))?.state === 'approved') return undefined
      await ctx.intros.add({ account: p.account, via: p.via, address: p.addr, node: p.node })
      ctx.emit({ type: 'introduction', account: p.account, via: c.petname })
      return undefined
    }
    case 'mailbox':
      if (c?.state !== 'approved') return notContact
      if (await ctx.mailboxes.take(from, p)) ctx.emit({ type: 'mailbox-ready', contact: c.petname, account: from })
      return undefined
    case 'got': {
      if (c?.state !== 'approved') return notContact
      const item = await ctx.log.outboxItem(from, p.of)
      if (item == null) return undefined // delivered live already, or a replay
      await ctx.log.delivered(from, p.of)
      if (item.mailboxed != null) void ctx.mailboxes.clear(from, item.mailboxed)
      if (item.payload.k === 'whisper' || item.payload.k === 'file') {
        await ctx.log.setState(from, p.of, 'delivered')
        ctx.emit({ type: 'receipt', id: p.of, contact: c.petname })
      }
      return undefined
    }
    default:
      return undefined
  }
}

/** A request with a valid invite token: a contact at once, told so (an `accept`) on a session of its own. */
async function welcome (ctx: InboundContext, account: string, peer: Hello, petname?: string): Promise<void> {
  const taken = petname != null && (await ctx.book.list()).some(c => c.petname === petname && c.account !== account)
  const contact: Contact = { account, petname: await ctx.book.freePetname(account, taken ? undefined : petname), state: 'approved', address: peer.addr, node: peer.fromNode, addedAt: Date.now(), lastSeen: null }
  await ctx.book.unrefuse(account)
  await ctx.book.dropRequest(account)
  await ctx.intros.drop(account)
  await ctx.book.put(contact)
  ctx.emit({ type: 'contact-accepted', account, contact: contact.petname })
  ctx.sendAccept(contact)
}

async function approve (ctx: InboundContext, c: Contact, peer: Hello): Promise<void> {
  c.state = 'approved'
  c.address = peer.addr ?? c.address
  c.node = peer.fromNode
  await ctx.book.put(c)
  await ctx.intros.drop(c.account)
  ctx.emit({ type: 'contact-accepted', account: c.account, contact: c.petname })
}
