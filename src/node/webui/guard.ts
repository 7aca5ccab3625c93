// Who may use the web UI. A browser reaches 127.0.0.1 from every page it shows, so the UI trusts
// nothing a page of another origin can make it send:
// - Host must be the UI's own host (DNS rebinding: a foreign name resolving to 127.0.0.1 gets nothing);
// - Origin, when sent, must be the UI's own; state-changing requests and WebSockets must send it;
// - Sec-Fetch-Site, when sent, must be same-origin or none (a user typing the URL): a page of
//   127.0.0.1:<other port> is "same-site" for cookies, and this is what stops its <img>/<script>;
// - a session cookie (HttpOnly, SameSite=Strict), got once by exchanging a single-use token that
//   only the owner of the daemon's API socket can mint (`oht webui start`).
import { randomBytes, timingSafeEqual } from 'node:crypto'
import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http'

/**
 * Cookies are not kept apart by port: a browser sends 127.0.0.1's cookies to every port of it.
 * The port in the name keeps the sessions of two daemons' UIs apart; docs/WEBUI.md says what it
 * does not do (another local server the browser visits is sent the cookie).
 */
const SESSION_COOKIE_PREFIX = 'oht_ui_'
/** An unused login token expires: it was printed in a terminal and may be in its scrollback. */
const TOKEN_TTL_MS = 15 * 60_000
const MAX_PENDING_TOKENS = 32
const MAX_SESSIONS = 256

/** Headers on every answer: a strict CSP (the daemon's own assets only), no framing, no sniffing, no caching. */
export const SECURITY_HEADERS: Readonly<OutgoingHttpHeaders> = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  // Not no-referrer: with it Chromium sends `Origin: null` on the UI's own form posts.
  'referrer-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'cross-origin-opener-policy': 'same-origin',
  'cache-control': 'no-store'
}

export type Refusal = { status: number, error: string } | undefined

export class Guard {
  /** Host header values of this UI (`127.0.0.1:<port>`, later an onion name). */
  readonly #hosts = new Set<string>()
  readonly #tokens = new Map<string, number>()
  readonly #sessions = new Set<string>()
  /** The session cookie's name, `oht_ui_<port>` once listening. */
  cookie = `${SESSION_COOKIE_PREFIX}0`

  allowHost (host: string): void { this.#hosts.add(host.toLowerCase()) }

  hosts (): string[] { return [...this.#hosts] }

  /** A fresh single-use login token. */
  mintToken (): string {
    const now = Date.now()
    for (const [t, expires] of this.#tokens) if (expires < now || this.#tokens.size >= MAX_PENDING_TOKENS) this.#tokens.delete(t)
    const token = randomBytes(32).toString('base64url')
    this.#tokens.set(token, now + TOKEN_TTL_MS)
    return token
  }

  /** Spends a login token; a valid one opens a session (its cookie value). */
  exchange (given: string): string | undefined {
    const now = Date.now()
    let match: string | undefined
    const g = Buffer.from(given)
    for (const [t, expires] of this.#tokens) {
      const b = Buffer.from(t)
      if (expires >= now && b.length === g.length && timingSafeEqual(b, g)) match = t
    }
    if (match == null) return undefined
    this.#tokens.delete(match)
    if (this.#sessions.size >= MAX_SESSIONS) this.#sessions.delete(this.#sessions.values().next().value!)
    const session = randomBytes(32).toString('base64url')
    this.#sessions.add(session)
    return session
  }

  endSession (req: IncomingMessage): void {
    const s = cookieOf(req, this.cookie)
    if (s != null) this.#sessions.delete(s)
  }

  /** Forgets every token and session (the UI stopped). */
  reset (): void { this.#tokens.clear(); this.#sessions.clear() }

  /** Host, Origin and fetch metadata; `needOrigin` for state changes and WebSockets. */
  checkRequest (req: IncomingMessage, needOrigin: boolean): Refusal {
    const host = (req.headers.host ?? '').toLowerCase()
    if (!this.#hosts.has(host)) return { status: 403, error: 'forbidden host' }
    const origin = req.headers.origin
    if (origin != null ? origin.toLowerCase() !== `http://${host}` : needOrigin) return { status: 403, error: 'forbidden origin' }
    const site = req.headers['sec-fetch-site']
    if (site != null && site !== 'same-origin' && site !== 'none') return { status: 403, error: 'cross-site request' }
    return undefined
  }

  /** Whether the request carries a live session cookie. */
  hasSession (req: IncomingMessage): boolean {
    const s = cookieOf(req, this.cookie)
    if (s == null) return false
    const g = Buffer.from(s)
    for (const t of this.#sessions) {
      const b = Buffer.from(t)
      if (b.length === g.length && timingSafeEqual(b, g)) return true
    }
    return false
  }

  /** Set-Cookie for a session; an empty one ends it in the browser. */
  sessionCookie (session: string): string {
    return `${this.cookie}=${session}; Path=/; HttpOnly; SameSite=Strict${session === '' ? '; Max-Age=0' : ''}`
  }
}

export function cookieOf (req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const i = part.indexOf('=')
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim()
  }
  return undefined
}
