// Delegation certificates and their chains (docs/CHANNELS.md "Who may write"): the channel key
// signs a certificate for its owner's account; an account holding the invite scope signs
// certificates for others, never wider in scope nor longer-lived than its own and only for the
// roles the policy lets it hand out. A chain runs from the channel key to the writer; every link
// is checked by every member against the same policy, and a chain is at most MAX_CHAIN long.
import type { KeyObject } from 'node:crypto'
import { isAccountId } from '../../node/identity/account-keys.ts'
import { shortHash } from './caps.ts'
import { grantProblem, OWNER_ROLE, SCOPES, type Policy, type Scope } from './policy.ts'
import { bodyOf, Memo, signedBy, signText } from './signed.ts'

export interface ChannelCert {
  v: 1
  /** The channel id (the channel key). */
  ch: string
  /** Who signed: the channel id or an account id. */
  iss: string
  /** Whom it authorizes: an account id. */
  sub: string
  role: string
  scope: Scope[]
  /** Valid from (epoch ms) until before exp. */
  nb: number
  exp: number
}

export interface ParsedCert extends ChannelCert { id: string, text: string }

export const MAX_CERT_CHARS = 1024
export const MAX_CHAIN = 4
/** A certificate may start this much before its signer's clock says now (members' clocks differ). */
export const CLOCK_SKEW_MS = 10 * 60_000

export function signCert (issuer: KeyObject, cert: ChannelCert): string {
  return signText('cert', issuer, { v: 1, ch: cert.ch, iss: cert.iss, sub: cert.sub, role: cert.role, scope: cert.scope, nb: cert.nb, exp: cert.exp })
}

const checked = new Memo<ParsedCert | undefined>(10_000)

/** The certificate a text holds when it is well formed and its issuer signed it; undefined otherwise. */
export function readCert (text: unknown): ParsedCert | undefined {
  return typeof text === 'string' && text.length <= MAX_CERT_CHARS ? checked.get(text, () => checkCert(text)) : undefined
}

function checkCert (text: string): ParsedCert | undefined {
  const d = bodyOf(text, MAX_CERT_CHARS)
  if (d == null) return undefined
  const c = d.body as ChannelCert
  if (c == null || typeof c !== 'object' || c.v !== 1 || typeof c.ch !== 'string' || !isAccountId(c.ch) ||
    typeof c.iss !== 'string' || !isAccountId(c.iss) || typeof c.sub !== 'string' || !isAccountId(c.sub) ||
    typeof c.role !== 'string' || c.role.length > 32 || !Array.isArray(c.scope) || c.scope.length > SCOPES.length ||
    !c.scope.every(s => (SCOPES as readonly string[]).includes(s)) || new Set(c.scope).size !== c.scope.length ||
    !Number.isSafeInteger(c.nb) || !Number.isSafeInteger(c.exp) || c.exp <= c.nb) return undefined
  if (!signedBy('cert', c.iss, d.json, d.sig)) return undefined
  const text2 = text as string
  return { v: 1, ch: c.ch, iss: c.iss, sub: c.sub, role: c.role, scope: c.scope, nb: c.nb, exp: c.exp, id: shortHash(text2), text: text2 }
}

export interface Authority {
  /** The account the chain ends at. */
  account: string
  role: string
  scope: Scope[]
  /** The chain's ids, channel end first (a revocation of any of them ends the authority). */
  certs: string[]
  /** The chain's texts, as entries carry it. */
  chain: string[]
  /** The earliest expiry along the chain. */
  exp: number
}

/**
 * What the chain (certificate texts, channel end first) lets its last subject do at time `at`,
 * or the reason it lets it do nothing.
 */
export function checkChain (channel: string, policy: Policy, chain: unknown, at: number): Authority | string {
  if (!Array.isArray(chain) || chain.length === 0 || chain.length > MAX_CHAIN) return `a certificate chain has 1 to ${MAX_CHAIN} certificates`
  let issuer = channel
  let issuerRole = 'channel'
  let scope: readonly Scope[] = SCOPES
  let exp = Number.MAX_SAFE_INTEGER
  const ids: string[] = []
  const texts: string[] = []
  for (const text of chain) {
    const c = readCert(text)
    if (c == null) return 'a certificate is malformed or its signature is forged'
    if (c.ch !== channel) return 'a certificate of another channel'
    if (c.iss !== issuer) return 'the chain is broken (a certificate not signed by the previous one\'s holder)'
    if (issuerRole !== 'channel' && !scope.includes('invite')) return `${issuer.slice(0, 8)}… may not invite`
    const wider = c.scope.find(s => !scope.includes(s))
    if (wider != null) return `a certificate wider than its issuer's (${wider})`
    if (c.role === OWNER_ROLE && c.scope.length !== SCOPES.length) return 'an owner certificate carries every scope'
    const problem = grantProblem(policy, issuerRole, { role: c.role, scope: c.scope, lifetimeMs: c.exp - c.nb })
    if (problem != null) return problem
    if (c.exp > exp) return 'a certificate outliving its issuer\'s'
    if (at < c.nb - CLOCK_SKEW_MS) return 'a certificate not valid yet'
    if (at >= c.exp) return 'expired'
    issuer = c.sub
    issuerRole = c.role
    scope = c.scope
    exp = c.exp
    ids.push(c.id)
    texts.push(c.text)
  }
  return { account: issuer, role: issuerRole, scope: [...scope], certs: ids, chain: texts, exp }
}
