// Contact invites (`oht contact invite`): the node that opens an invite code puts a one-time
// token in the code's sealed offer (src/node/invites/contact-invites.ts). Whoever ran the PAKE
// with the right code holds it and presents it in its contact request, which is then accepted at
// once, both ways. Tokens live in memory, as the codes do: a daemon that stops closes both.
import { randomBytes } from 'node:crypto'

/** A request may arrive this long after its code closed (the receiver asks right after the exchange). */
export const INVITE_TOKEN_GRACE_MS = 10 * 60_000
export const INVITE_TOKEN = /^[A-Za-z0-9_-]{22}$/
const MAX_TOKENS = 1000

export interface InviteTicket {
  /** The petname the inviter gives the one who comes with the token (default: account-<digits>). */
  petname?: string
  expiresAt: number
}

export class InviteTokens {
  readonly #tokens = new Map<string, InviteTicket>()
  readonly #now: () => number

  constructor (now: () => number = Date.now) { this.#now = now }

  /** A fresh token, valid until `ticket.expiresAt` plus the grace. */
  issue (ticket: InviteTicket): string {
    this.#prune()
    if (this.#tokens.size >= MAX_TOKENS) this.#tokens.delete(this.#tokens.keys().next().value!)
    const token = randomBytes(16).toString('base64url')
    this.#tokens.set(token, { ...ticket, expiresAt: ticket.expiresAt + INVITE_TOKEN_GRACE_MS })
    return token
  }

  /** The ticket of a valid token, once: a used, expired or unknown token gives undefined. */
  take (token: string): InviteTicket | undefined {
    const ticket = this.#tokens.get(token)
    this.#tokens.delete(token)
    return ticket != null && ticket.expiresAt > this.#now() ? ticket : undefined
  }

  #prune (): void {
    const now = this.#now()
    for (const [token, t] of this.#tokens) if (t.expiresAt <= now) this.#tokens.delete(token)
  }
}
