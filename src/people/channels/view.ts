// What a channel says, computed from its descriptor and every entry held (docs/CHANNELS.md
// "Merge"). Pure: the same entries give every member the same posts, members and refusals.
// 1. Each entry is read (shape, size, its writer's signature) and its certificate chain checked
//    against the policy at the entry's time.
// 2. Each writer's log is walked from seq 0: every entry must name the id of the one before it and
//    not go back in time; two entries at one seq are a fork (the writer is shown as forked and
//    nothing from the fork on is taken); an entry after a gap waits for the missing ones.
// 3. Entries are merged by (time, writer, seq): that order is total and the same everywhere, and
//    keeps each writer's order because its times never decrease.
// 4. Revocations and leaves are applied in that order; then every entry is checked against them,
//    the scopes and the policy, read keys are opened, and edits and deletions are applied.
import type { KeyObject } from 'node:crypto'
import { checkChain, readCert, type Authority, type ParsedCert } from './cert.ts'
import { entryAuthority, readNodeCert } from './node-key.ts'
import { readEntry, type Content, type Entry } from './entry.ts'
import { openBox, openContent, unwrapPrevious } from './keys.ts'
import { contentProblem, OWNER_ROLE, type Scope } from './policy.ts'
import type { ParsedDescriptor } from './descriptor.ts'

export interface Post {
  id: string
  author: string
  seq: number
  at: number
  kind: 'post' | 'share'
  text?: string
  link?: string
  title?: string
  size?: number
  /** When an edit of its writer replaced the text. */
  editedAt?: number
  deleted?: boolean
  /** A post of a private channel this reader holds no key for (written after it was removed, or before it joined without the history). */
  unreadable?: boolean
}

export interface Refusal { id?: string, author?: string, seq?: number, reason: string }

export interface Member { account: string, role: string, scope: Scope[], exp: number, cert: string, by: string }

export interface ChannelView {
  descriptor: ParsedDescriptor
  posts: Post[]
  members: Member[]
  refused: Refusal[]
  /** Writers with two different entries at one place of their log. */
  forks: string[]
  /** Entries held but waiting for an earlier one of their writer's log. */
  waiting: number
  /** Each writer's last entry in an unbroken log (what a sync compares, and where a writer appends). */
  heads: Record<string, { seq: number, id: string, at: number, node?: string }>
  /** The read keys this reader opened, by the id of the entry that introduced each. */
  keys: Map<string, Buffer>
  /** The newest key entry (by merge order), and the accounts it was sealed to (by it, or in a grant since). */
  currentKey?: { ref: string, epoch: number, sealedTo: string[] }
  /** The ids of every revoked certificate, delegation or node key (a node whose key is among them makes a new one). */
  revoked: string[]
  /** What the reader's own account may do now (from the newest chain it wrote or was granted). */
  authority?: Authority
}

export interface ViewOptions {
  /** The reader: opens the read keys sealed to its account. */
  account?: { id: string, privateKey: KeyObject }
  /** Members whose certificates have expired by then are not listed (default: now). */
  now?: number
}

/** `nodeId`: the id of the node-key certificate it was signed under (a revocation may name it). */
type Checked = Entry & { authority: Authority | string, nodeId?: string }

/**
 * Why `author` (with `authority`) may not revoke certificate `id` (`cert` when known), or
 * undefined when it may: a moderator revokes anyone's but an owner's and those it holds its own
 * authority through; an issuer revokes what it issued; anyone revokes its own.
 */
export function revokeProblem (authority: Authority, author: string, id: string, cert: Pick<ParsedCert, 'iss' | 'sub' | 'role'> | undefined): string | undefined {
  if (cert?.sub === author) return undefined
  if (authority.certs.includes(id)) return 'a certificate its own authority rests on'
  if (cert?.iss === author) return undefined
  if (!authority.scope.includes('moderate')) return 'without the moderate scope, only the certificates it issued'
  if (cert?.role === OWNER_ROLE && authority.role !== OWNER_ROLE) return 'an owner\'s certificate, by someone not an owner'
  return undefined
}

export function buildView (descriptor: ParsedDescriptor, texts: Iterable<string>, options: ViewOptions = {}): ChannelView {
  const now = options.now ?? Date.now()
  const ch = descriptor.id
  const policy = descriptor.policy
  const refused: Refusal[] = []
  const forks: string[] = []
  const byAuthor = new Map<string, Map<number, Checked[]>>()
  const seen = new Set<string>()
  for (const t of texts) {
    const e = readEntry(t)
    if ('fault' in e) { refused.push({ reason: e.fault }); continue }
    if (seen.has(e.id)) continue
    seen.add(e.id)
    if (e.ch !== ch) { refused.push({ id: e.id, author: e.author, seq: e.seq, reason: 'an entry of another channel' }); continue }
    const checked: Checked = { ...e, authority: entryAuthority(ch, policy, e) }
    const nodeId = e.node !== undefined ? readNodeCert(e.node)?.id : undefined
    if (nodeId != null) checked.nodeId = nodeId
    let log = byAuthor.get(e.author)
    if (log == null) byAuthor.set(e.author, log = new Map())
    const at = log.get(e.seq)
    if (at == null) log.set(e.seq, [checked])
    else at.push(checked)
  }

  // 2. Each writer's log, walked from seq 0.
  const taken: Checked[] = []
  const heads: ChannelView['heads'] = {}
  let waiting = 0
  for (const [author, log] of byAuthor) {
    let prev: Checked | undefined
    let seq = 0
    for (; log.has(seq); seq++) {
      const here = log.get(seq)!
      if (here.length > 1) {
        forks.push(author)
        for (const e of here) refused.push({ id: e.id, author, seq, reason: 'a fork: its writer signed two different entries at this place' })
        break
      }
      const e = here[0]!
      if (seq > 0 && (e.prev !== prev!.id || e.at < prev!.at)) {
        refused.push({ id: e.id, author, seq, reason: 'a broken log: the entry does not follow the one before it (reordered or edited)' })
        break
      }
      taken.push(e)
      prev = e
    }
    const held = [...log.keys()].filter(s => s > seq).length
    waiting += held
    if (prev != null) heads[author] = { seq: prev.seq, id: prev.id, at: prev.at, ...(prev.nodeId != null ? { node: prev.nodeId } : {}) }
  }

  // 3. The merge order.
  taken.sort((a, b) => a.at - b.at || (a.author < b.author ? -1 : a.author > b.author ? 1 : 0) || a.seq - b.seq)

  // 4. Revocations and leaves, in merge order.
  const certs = new Map<string, Pick<ParsedCert, 'iss' | 'sub' | 'role'>>()
  for (const e of taken) {
    for (const t of e.chain) { const c = readCert(t); if (c != null) certs.set(c.id, c) }
    if (e.body.k === 'grant') { const c = readCert(e.body.cert); if (c != null) certs.set(c.id, c) }
    // A node key is revoked by whoever may revoke its account's certificate (that one's issuer, a moderator) and by the account.
    if (e.nodeId != null && typeof e.authority !== 'string') certs.set(e.nodeId, { iss: certs.get(e.authority.certs.at(-1)!)?.iss ?? e.author, sub: e.author, role: e.authority.role })
  }
  const revoked = new Map<string, { sub: string | undefined, upto: number, at: number }>()
  const cutBy = (e: Checked, id: string): boolean => {
    const r = revoked.get(id)
    return r != null && (r.sub === e.author ? e.seq >= r.upto : e.at >= r.at)
  }
  const cut = (e: Checked): boolean => typeof e.authority !== 'string' && (e.authority.certs.some(id => cutBy(e, id)) || (e.nodeId != null && cutBy(e, e.nodeId)))
  for (const e of taken) {
    if (typeof e.authority === 'string' || cut(e)) continue
    if (e.body.k === 'leave') {
      const own = e.authority.certs.at(-1)!
      revoked.set(own, { sub: e.author, upto: e.seq + 1, at: e.at })
    } else if (e.body.k === 'revoke') {
      const c = certs.get(e.body.cert)
      if (revokeProblem(e.authority, e.author, e.body.cert, c) != null) continue
      revoked.set(e.body.cert, { sub: c?.sub, upto: e.body.upto, at: e.at })
    }
  }

  // 5. Read keys: boxes sealed to the reader, then each key's predecessors.
  const keys = new Map<string, Buffer>()
  const wraps = new Map<string, { ref: string, c: string }>()
  let currentKey: ChannelView['currentKey']
  const recipients = new Map<string, string[]>()
  const allowed: Checked[] = []
  for (const e of taken) {
    if (typeof e.authority === 'string') { refused.push({ id: e.id, author: e.author, seq: e.seq, reason: e.authority }); continue }
    if (cut(e)) { refused.push({ id: e.id, author: e.author, seq: e.seq, reason: e.nodeId != null && cutBy(e, e.nodeId) ? 'signed by a revoked node key' : 'written after its writer\'s certificate was revoked' }); continue }
    allowed.push(e)
    const reader = options.account
    if (e.body.k === 'key') {
      if (!e.authority.scope.includes('moderate') && !e.authority.scope.includes('invite')) { refused.push({ id: e.id, author: e.author, seq: e.seq, reason: 'only a moderator or an inviter rotates the read key' }); allowed.pop(); continue }
      currentKey = { ref: e.id, epoch: e.body.epoch, sealedTo: Object.keys(e.body.boxes) }
      recipients.set(e.id, currentKey.sealedTo)
      if (e.body.prev != null) wraps.set(e.id, e.body.prev)
      const box = reader != null ? e.body.boxes[reader.id] : undefined
      const k = box != null ? openBox(reader!, box) : undefined
      if (k != null) keys.set(e.id, k)
    } else if (e.body.k === 'grant' && e.body.key != null) {
      const sub = readCert(e.body.cert)?.sub
      if (sub != null && e.authority.scope.includes('invite')) recipients.get(e.body.key.ref)?.push(sub)
      if (reader == null || sub !== reader.id) continue
      const k = openBox(reader, e.body.key.box)
      if (k != null && !keys.has(e.body.key.ref)) keys.set(e.body.key.ref, k)
    }
  }
  for (let changed = true; changed;) {
    changed = false
    for (const [ref, wrap] of wraps) {
      const k = keys.get(ref)
      if (k == null || keys.has(wrap.ref)) continue
      const p = unwrapPrevious(ch, k, wrap)
      if (p != null) { keys.set(wrap.ref, p); changed = true }
    }
  }

  // 6. Posts, edits, deletions, grants.
  const posts = new Map<string, Post>()
  const members = new Map<string, Member>()
  const memberChains = new Map<string, string[]>()
  let authority: Authority | undefined
  const refuse = (e: Checked, reason: string): void => { refused.push({ id: e.id, author: e.author, seq: e.seq, reason }) }
  for (const e of allowed) {
    const a = e.authority as Authority
    if (options.account?.id === e.author) authority = a
    const own = a.certs.at(-1)!
    const cert = certs.get(own)
    if (cert != null && !members.has(e.author)) {
      members.set(e.author, { account: e.author, role: a.role, scope: a.scope, exp: a.exp, cert: own, by: cert.iss })
      memberChains.set(e.author, a.certs)
    }
    let content: Content | undefined
    if (e.body.k === 'sealed') {
      const key = keys.get(e.body.key)
      if (key == null) { posts.set(e.id, { id: e.id, author: e.author, seq: e.seq, at: e.at, kind: 'post', unreadable: true }); continue }
      content = openContent(key, e, e.body)
      if (content == null) { refuse(e, 'tampered: the sealed post does not open under its read key'); continue }
    } else if (e.body.k === 'grant') {
      const c = readCert(e.body.cert)
      // A writer grants what it signed; the owner also records certificates of the channel key.
      const granted = c == null ? 'a malformed certificate'
        : c.iss === ch && a.role === OWNER_ROLE ? checkChain(ch, policy, [e.body.cert], e.at)
          : c.iss === e.author ? checkChain(ch, policy, [...e.chain, e.body.cert], e.at) : 'a grant of a certificate its writer did not sign'
      if (typeof granted === 'string') { refuse(e, `a refused grant: ${granted}`); continue }
      members.set(granted.account, { account: granted.account, role: granted.role, scope: granted.scope, exp: granted.exp, cert: granted.certs.at(-1)!, by: e.author })
      memberChains.set(granted.account, granted.certs)
      if (options.account?.id === granted.account) authority = granted
      continue
    } else if (e.body.k === 'post' || e.body.k === 'share' || e.body.k === 'edit' || e.body.k === 'delete') {
      if (descriptor.private) { refuse(e, 'a post in clear in a private channel'); continue }
      content = e.body
    } else {
      continue
    }
    if (!a.scope.includes('post')) { refuse(e, `a ${a.role} may not post`); continue }
    const textBytes = 'text' in content ? Buffer.byteLength(content.text) : 0
    const problem = contentProblem(policy, a.role, content.k, textBytes)
    if (problem != null) { refuse(e, problem); continue }
    if (content.k === 'post') posts.set(e.id, { id: e.id, author: e.author, seq: e.seq, at: e.at, kind: 'post', text: content.text })
    else if (content.k === 'share') posts.set(e.id, { id: e.id, author: e.author, seq: e.seq, at: e.at, kind: 'share', link: content.link, title: content.title, size: content.size })
    else {
      const target = posts.get(content.target)
      if (target == null) { refuse(e, `${content.k === 'edit' ? 'an edit' : 'a deletion'} of a post not in this channel`); continue }
      if (content.k === 'edit') {
        if (target.author !== e.author) { refuse(e, 'an edit of another writer\'s post'); continue }
        if (target.kind === 'post' && target.deleted !== true) { target.text = content.text; target.editedAt = e.at }
      } else {
        if (target.author !== e.author && !a.scope.includes('moderate')) { refuse(e, 'a deletion of another writer\'s post without the moderate scope'); continue }
        posts.set(target.id, { id: target.id, author: target.author, seq: target.seq, at: target.at, kind: target.kind, deleted: true })
      }
    }
  }
  for (const [account, m] of members) {
    if (m.exp <= now || (memberChains.get(account) ?? []).some(id => revoked.has(id))) members.delete(account)
  }
  const view: ChannelView = { descriptor, posts: [...posts.values()], members: [...members.values()], refused, forks, waiting, heads, keys, revoked: [...revoked.keys()] }
  if (currentKey != null) view.currentKey = currentKey
  if (authority != null && !authority.certs.some(id => revoked.has(id))) view.authority = authority
  return view
}
