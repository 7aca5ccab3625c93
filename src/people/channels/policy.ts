// The channel policy (docs/CHANNELS.md "Policy"): a small declarative JSON document in the
// channel's descriptor, signed by the channel key, that says which roles exist, what each may
// do (scopes), which kinds of post it may write, how long its certificates may live and which
// roles it may hand out. Every member evaluates the same document against the same signed
// certificates and entries, so every member accepts and refuses the same things. There is no
// code in a policy: only lists and numbers, checked here once when it is read.
import { ChannelError } from './errors.ts'

export const SCOPES = ['post', 'moderate', 'invite'] as const
export type Scope = typeof SCOPES[number]
export const CONTENT_KINDS = ['post', 'share', 'edit', 'delete'] as const
export type ContentKind = typeof CONTENT_KINDS[number]

export interface RolePolicy {
  /** The scopes a certificate of this role may carry. */
  may: Scope[]
  /** The longest lifetime of a certificate of this role, in days. */
  maxDays: number
  /** The kinds of post this role may write (default: all). */
  kinds?: ContentKind[]
  /** The longest text of one post or edit, in UTF-8 bytes (default and ceiling: MAX_TEXT_BYTES). */
  maxTextBytes?: number
  /** The roles a holder of this role (with the invite scope) may hand out (default: none). */
  grants?: string[]
}

export interface Policy { v: 1, roles: Record<string, RolePolicy> }

/** The channel key's own role: every scope, any role to hand out, no policy limit but its certificate's expiry. */
export const OWNER_ROLE = 'owner'
export const MAX_TEXT_BYTES = 8 * 1024
export const MAX_ROLES = 16
export const MAX_POLICY_CHARS = 4096
const MAX_DAYS = 3650
const ROLE = /^[a-z][a-z0-9-]{0,31}$/

export const DEFAULT_POLICY: Policy = {
  v: 1,
  roles: {
    moderator: { may: ['post', 'moderate', 'invite'], maxDays: 365, grants: ['writer', 'reader'] },
    writer: { may: ['post'], maxDays: 90 },
    reader: { may: [], maxDays: 365 }
  }
}

const bad = (why: string): ChannelError => new ChannelError('channel.badPolicy', `bad channel policy: ${why}`)

function list<T extends string> (value: unknown, allowed: readonly T[], where: string): T[] {
  if (!Array.isArray(value) || value.length > allowed.length || !value.every(v => typeof v === 'string' && (allowed as readonly string[]).includes(v))) {
    throw bad(`${where} is a list of ${allowed.map(a => JSON.stringify(a)).join(', ')}`)
  }
  if (new Set(value).size !== value.length) throw bad(`${where} names something twice`)
  return value as T[]
}

/** A policy from its JSON text or object, every field checked; ChannelError channel.badPolicy naming the first fault. */
export function parsePolicy (input: string | unknown): Policy {
  let p: unknown = input
  if (typeof input === 'string') {
    if (input.length > MAX_POLICY_CHARS) throw bad(`at most ${MAX_POLICY_CHARS} characters`)
    try { p = JSON.parse(input) } catch { throw bad('not JSON') }
  }
  if (p == null || typeof p !== 'object' || Array.isArray(p)) throw bad('not an object')
  const o = p as Record<string, unknown>
  if (o.v !== 1) throw bad('"v" must be 1')
  if (Object.keys(o).some(k => k !== 'v' && k !== 'roles')) throw bad('only "v" and "roles" are known')
  const roles = o.roles
  if (roles == null || typeof roles !== 'object' || Array.isArray(roles)) throw bad('"roles" is an object of role name → rule')
  const names = Object.keys(roles)
  if (names.length === 0 || names.length > MAX_ROLES) throw bad(`1 to ${MAX_ROLES} roles`)
  const out: Policy = { v: 1, roles: {} }
  for (const name of names) {
    if (!ROLE.test(name) || name === OWNER_ROLE) throw bad(`role name ${JSON.stringify(name)}: a-z 0-9 -, at most 32, and not "owner"`)
    const r = (roles as Record<string, unknown>)[name]
    if (r == null || typeof r !== 'object' || Array.isArray(r)) throw bad(`role ${name} is not an object`)
    const rr = r as Record<string, unknown>
    const known = ['may', 'maxDays', 'kinds', 'maxTextBytes', 'grants']
    const unknown = Object.keys(rr).find(k => !known.includes(k))
    if (unknown != null) throw bad(`role ${name}: unknown field ${JSON.stringify(unknown)} (known: ${known.join(', ')})`)
    const rule: RolePolicy = { may: list(rr.may, SCOPES, `${name}.may`), maxDays: 0 }
    if (!Number.isSafeInteger(rr.maxDays) || (rr.maxDays as number) < 1 || (rr.maxDays as number) > MAX_DAYS) throw bad(`${name}.maxDays is a whole number of days, 1 to ${MAX_DAYS}`)
    rule.maxDays = rr.maxDays as number
    if (rr.kinds !== undefined) rule.kinds = list(rr.kinds, CONTENT_KINDS, `${name}.kinds`)
    if (rr.maxTextBytes !== undefined) {
      if (!Number.isSafeInteger(rr.maxTextBytes) || (rr.maxTextBytes as number) < 1 || (rr.maxTextBytes as number) > MAX_TEXT_BYTES) throw bad(`${name}.maxTextBytes is 1 to ${MAX_TEXT_BYTES}`)
      rule.maxTextBytes = rr.maxTextBytes as number
    }
    if (rr.grants !== undefined) {
      if (!Array.isArray(rr.grants) || !rr.grants.every(g => typeof g === 'string' && names.includes(g))) throw bad(`${name}.grants lists roles of this policy`)
      rule.grants = [...new Set(rr.grants as string[])]
    }
    out.roles[name] = rule
  }
  return out
}

export interface Grant { role: string, scope: readonly Scope[], lifetimeMs: number }

/** Why a holder of `issuerRole` may not hand out `grant` under `policy`, or undefined when it may. */
export function grantProblem (policy: Policy, issuerRole: string, grant: Grant): string | undefined {
  if (grant.role === OWNER_ROLE) return issuerRole === 'channel' ? undefined : 'only the channel key names an owner'
  const rule = policy.roles[grant.role]
  if (rule == null) return `the policy has no role ${JSON.stringify(grant.role)}`
  if (issuerRole !== 'channel' && issuerRole !== OWNER_ROLE && !(policy.roles[issuerRole]?.grants ?? []).includes(grant.role)) {
    return `a ${issuerRole} may not hand out the role ${grant.role}`
  }
  const extra = grant.scope.find(s => !rule.may.includes(s))
  if (extra != null) return `the role ${grant.role} may not ${extra}`
  if (grant.lifetimeMs > rule.maxDays * 86_400_000) return `a ${grant.role} certificate lives at most ${rule.maxDays} days`
  return undefined
}

/** Why `role` may not write a post of `kind` with `textBytes` of text, or undefined when it may. */
export function contentProblem (policy: Policy, role: string, kind: ContentKind, textBytes: number): string | undefined {
  if (role === OWNER_ROLE) return textBytes > MAX_TEXT_BYTES ? `text over ${MAX_TEXT_BYTES} bytes` : undefined
  const rule = policy.roles[role]
  if (rule == null) return `the policy has no role ${JSON.stringify(role)}`
  if (rule.kinds != null && !rule.kinds.includes(kind)) return `a ${role} may not write a ${kind}`
  const max = rule.maxTextBytes ?? MAX_TEXT_BYTES
  if (textBytes > max) return `a ${role}'s text is at most ${max} bytes`
  return undefined
}
