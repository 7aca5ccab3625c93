// Writing to a channel: each function returns the signed entry texts to append to the writer's
// own log, made from the current view (so the new entry follows the writer's head and carries its
// newest certificate chain), signed by the writer's node key when it has one (node-key.ts).
// Nothing here stores or sends anything (channels.ts does).
import type { KeyObject } from 'node:crypto'
import { ChannelError } from './errors.ts'
import { signCert } from './cert.ts'
import { contentFault, signEntry, type Body, type Content } from './entry.ts'
import { keyBody, newReadKey, sealContent, sealForGrant } from './keys.ts'
import { grantProblem, OWNER_ROLE, SCOPES, type Policy, type Scope } from './policy.ts'
import { newChannelKey, signDescriptor, readDescriptor, type ParsedDescriptor } from './descriptor.ts'
import { revokeProblem, type ChannelView } from './view.ts'
import { newNodeKey, signerOf, type HeldNodeKey, type NodeSigner } from './node-key.ts'

/** An account writing; `node`: the node key that signs its entries (without one the account key signs, as before node keys). */
export interface Writer { id: string, privateKey: KeyObject, node?: NodeSigner | undefined }

/** The owner's certificate, from the channel key: every scope, for ten years (the owner's node renews it). */
export const OWNER_CERT_MS = 3650 * 86_400_000

/** `node`: the owner's first node key in the channel (with `nodeKey`), to be kept sealed beside the channel. */
export interface NewChannel { id: string, channelKey: KeyObject, descriptor: ParsedDescriptor, entries: string[], node?: HeldNodeKey }

/** A new channel: its key, its descriptor, and the owner's first entry (in a private channel, the first read key). */
export function createChannel (owner: Writer, options: { name: string, private: boolean, policy: Policy, now?: number, nodeKey?: { lifetimeMs?: number } }): NewChannel {
  const now = options.now ?? Date.now()
  const key = newChannelKey()
  const text = signDescriptor(key.privateKey, { id: key.id, name: options.name, private: options.private, policy: options.policy, created: now, seq: 0 })
  const descriptor = readDescriptor(key.id, text)!
  const cert = signCert(key.privateKey, { v: 1, ch: key.id, iss: key.id, sub: owner.id, role: OWNER_ROLE, scope: [...SCOPES], nb: now, exp: now + OWNER_CERT_MS })
  const body: Body = options.private ? keyBody(key.id, 1, newReadKey(), [owner.id]) : { k: 'grant', cert }
  const node = options.nodeKey != null ? newNodeKey(owner, key.id, now, options.nodeKey.lifetimeMs) : undefined
  const signer = node != null ? signerOf(node) : undefined
  const first = signEntry(signer?.key ?? owner.privateKey, { ch: key.id, author: owner.id, seq: 0, prev: null, at: now, chain: [cert], ...(signer != null ? { node: signer.cert } : {}), body })
  return { id: key.id, channelKey: key.privateKey, descriptor, entries: [first], ...(node != null ? { node } : {}) }
}

function authorityOf (view: ChannelView, who: Writer, needs?: Scope): NonNullable<ChannelView['authority']> {
  const a = view.authority
  if (a == null) throw new ChannelError('channel.notAllowed', 'this account may not write to the channel: no member with the invite scope has granted it a certificate (or it was revoked)')
  if (needs != null && !a.scope.includes(needs)) throw new ChannelError('channel.notAllowed', `this account's role (${a.role}) may not ${needs}`)
  return a
}

/** The next entry of `who`'s log, with `body`. */
export function append (view: ChannelView, who: Writer, body: Body, now = Date.now()): string {
  const a = authorityOf(view, who)
  const head = view.heads[who.id]
  const at = Math.max(now, head?.at ?? 0)
  if (at >= a.exp) throw new ChannelError('channel.notAllowed', 'this account\'s certificate for the channel has expired: ask a member with the invite scope for a new one')
  // The node rotates its key well before expiry; a key expired by now is a bug (or a clock jump), never signed with.
  if (who.node != null && at >= who.node.exp) throw new ChannelError('channel.notAllowed', 'this node\'s key for the channel has expired: it makes a new one before writing')
  const fields = { ch: view.descriptor.id, author: who.id, seq: head == null ? 0 : head.seq + 1, prev: head?.id ?? null, at, chain: a.chain, body }
  return who.node != null ? signEntry(who.node.key, { ...fields, node: who.node.cert }) : signEntry(who.privateKey, fields)
}

/** A post, share, edit or deletion; sealed under the current read key in a private channel. */
export function writeContent (view: ChannelView, who: Writer, content: Content, now = Date.now()): string {
  const fault = contentFault(content)
  if (fault != null) throw new ChannelError('channel.badEntry', fault)
  authorityOf(view, who, content.k === 'delete' && view.posts.find(p => p.id === content.target)?.author !== who.id ? 'moderate' : 'post')
  if (!view.descriptor.private) return append(view, who, content, now)
  const ref = view.currentKey?.ref
  const key = ref != null ? view.keys.get(ref) : undefined
  if (ref == null || key == null) throw new ChannelError('channel.noKey', 'this node holds no current read key of the private channel: a moderator must rotate it to this account')
  const head = view.heads[who.id]
  return append(view, who, sealContent(key, ref, { ch: view.descriptor.id, author: who.id, seq: head == null ? 0 : head.seq + 1 }, content), now)
}

/** A certificate for `account` in `role`, and in a private channel the current read key sealed to it. */
export function writeGrant (view: ChannelView, who: Writer, account: string, role: string, options: { days?: number, scope?: Scope[], now?: number } = {}): string {
  const a = authorityOf(view, who, 'invite')
  const now = options.now ?? Date.now()
  const rule = view.descriptor.policy.roles[role]
  if (rule == null) throw new ChannelError('channel.notAllowed', `the channel's policy has no role ${JSON.stringify(role)} (it has ${Object.keys(view.descriptor.policy.roles).join(', ')})`)
  const scope = options.scope ?? rule.may.filter(s => a.scope.includes(s))
  const exp = Math.min(now + (options.days ?? rule.maxDays) * 86_400_000, a.exp)
  const problem = grantProblem(view.descriptor.policy, a.role, { role, scope, lifetimeMs: exp - now })
  if (problem != null) throw new ChannelError('channel.notAllowed', problem)
  const cert = signCert(who.privateKey, { v: 1, ch: view.descriptor.id, iss: who.id, sub: account, role, scope, nb: now, exp })
  const ref = view.currentKey?.ref
  const key = ref != null ? view.keys.get(ref) : undefined
  if (view.descriptor.private && (ref == null || key == null)) throw new ChannelError('channel.noKey', 'this node holds no current read key of the private channel')
  return append(view, who, { k: 'grant', cert, ...(ref != null && key != null ? { key: sealForGrant(account, ref, key) } : {}) }, now)
}

/** A new read key sealed to every member but `except`, the previous key wrapped under it. */
export function writeRotation (view: ChannelView, who: Writer, except: readonly string[] = [], now = Date.now()): string {
  const members = view.members.map(m => m.account).filter(m => !except.includes(m))
  if (!members.includes(who.id)) members.push(who.id)
  const ref = view.currentKey?.ref
  const prev = ref != null ? view.keys.get(ref) : undefined
  return append(view, who, keyBody(view.descriptor.id, (view.currentKey?.epoch ?? 0) + 1, newReadKey(), members, ref != null && prev != null ? { ref, key: prev } : undefined), now)
}

/** Ends `account`'s membership: its entries from its current head on are refused. The caller rotates the key next (private channels). */
export function writeRevoke (view: ChannelView, who: Writer, account: string, now = Date.now()): string {
  const m = view.members.find(x => x.account === account)
  if (m == null) throw new ChannelError('channel.unknown', `${account.slice(0, 12)}… is not a member of the channel`)
  const a = authorityOf(view, who)
  const problem = revokeProblem(a, who.id, m.cert, { iss: m.by, sub: m.account, role: m.role })
  if (problem != null) throw new ChannelError('channel.notAllowed', `this account may not remove ${account.slice(0, 12)}…: ${problem}`)
  return append(view, who, { k: 'revoke', cert: m.cert, upto: (view.heads[account]?.seq ?? -1) + 1 }, now)
}

export const writeLeave = (view: ChannelView, who: Writer, now = Date.now()): string => append(view, who, { k: 'leave' }, now)

/**
 * Revokes node key `nodeId` of `account` (default: the key of its newest entry): its entries from
 * the account's current head on, signed by that key, are refused; the account stays a member and
 * writes on with a new key. The account itself may, and whoever may remove the account.
 */
export function writeNodeRevoke (view: ChannelView, who: Writer, account: string, nodeId = view.heads[account]?.node, now = Date.now()): string {
  const m = view.members.find(x => x.account === account)
  if (m == null) throw new ChannelError('channel.unknown', `${account.slice(0, 12)}… is not a member of the channel`)
  if (nodeId == null) throw new ChannelError('channel.unknown', `${account.slice(0, 12)}… has written nothing under a node key`)
  const problem = revokeProblem(authorityOf(view, who), who.id, nodeId, { iss: m.by, sub: account, role: m.role })
  if (problem != null) throw new ChannelError('channel.notAllowed', `this account may not revoke ${account.slice(0, 12)}…'s node key: ${problem}`)
  return append(view, who, { k: 'revoke', cert: nodeId, upto: (view.heads[account]?.seq ?? -1) + 1 }, now)
}
