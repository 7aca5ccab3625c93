// `oht contact invite`: invite codes (src/people/invite, the same PAKE as `oht send`) that add a
// contact both ways. The code's sealed offer names this node's account and address and carries a
// one-time token (src/people/contacts/invite-tokens.ts); the other side runs the PAKE with the
// code, then sends a contact request with the token, which this node accepts at once. A wrong,
// used or expired code fails as any invite code does, before the token leaves this node.
import { checkPetname, ContactError, type Contact, type People } from '../../people/index.ts'
import { DEFAULT_INVITE_EXPIRY_MS, type InviteInfo } from '../../people/invite/index.ts'
import type { InviteService } from './service.ts'

/** An offer's link for a contact invite: `oht-contact:<account>#<token>`. */
export const CONTACT_LINK = /^oht-contact:([0-9a-f]{64}|[0-9a-f]{66})#([A-Za-z0-9_-]{22})$/

export class ContactInvites {
  readonly #people: People
  readonly #invites: InviteService
  readonly #address: () => string | undefined

  constructor (people: People, invites: InviteService, address: () => string | undefined) {
    this.#people = people
    this.#invites = invites
    this.#address = address
  }

  /** Opens a code that makes its user a contact (named `petname` here). The info has no link: the token stays on this node. */
  async open (options: { petname?: string, expiresMs?: number } = {}): Promise<Omit<InviteInfo, 'link'>> {
    const address = this.#address()
    if (address == null) throw new ContactError('contact.inviteNeedsDaemon', 'a contact invite needs a listening daemon (oht daemon)')
    const petname = options.petname != null ? checkPetname(options.petname) : undefined
    const expiresMs = options.expiresMs ?? DEFAULT_INVITE_EXPIRY_MS
    const token = this.#people.invites.issue({ ...(petname != null ? { petname } : {}), expiresAt: Date.now() + expiresMs })
    const { link: _link, ...info } = await this.#invites.host.open({ link: `oht-contact:${this.#people.account}#${token}`, name: 'contact', bytes: 0, peers: [address] }, expiresMs)
    return info
  }

  /** Uses someone's contact invite code: its account becomes a contact here (named `petname`) and there. */
  async accept (code: string, petname?: string, signal?: AbortSignal): Promise<{ contact: Contact }> {
    const offer = await this.#invites.receive(code, signal)
    const m = CONTACT_LINK.exec(offer.link)
    if (m == null) throw new ContactError('contact.notAnInvite', `${code.trim()} is not a contact invite: it sends a file (oht receive ${code.trim()})`)
    const r = await this.#people.request(m[1]!, '', { ...(petname != null ? { petname } : {}), ...(offer.peers[0] != null ? { address: offer.peers[0] } : {}), invite: m[2]! })
    return { contact: r.contact }
  }
}
