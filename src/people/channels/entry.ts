// One entry of a writer's log (docs/FORMAT.md "Channel entries"): the channel, the writer (an
// account), its place in the writer's log (seq, and the id of the entry before it, so a log is a
// hash chain and a reordered or edited log shows), the writer's time, its certificate chain and a
// body; signed by the writer's node key, which the `node` certificate names and the writer's
// account signed (node-key.ts), or, in entries written before node keys, by the account itself. Private channels seal post bodies under a read key (keys.ts);
// membership bodies (grant, revoke, key, leave) stay readable by anyone holding the channel id,
// so every member can check who may write. Shapes and sizes are checked here; who may write what
// is checked in view.ts, against the whole channel.
import { createHash, type KeyObject } from 'node:crypto'
import { isAccountId } from '../../node/identity/account-keys.ts'
import { parseCapability } from '../../blocks/link.ts'
import { ChannelError } from './errors.ts'
import { MAX_CERT_CHARS, MAX_CHAIN } from './cert.ts'
import { MAX_TEXT_BYTES } from './policy.ts'
import { MAX_NODE_CERT_CHARS, readNodeCert } from './node-key.ts'
import { bodyOf, Memo, signedBy, signText } from './signed.ts'

export type Content =
  | { k: 'post', text: string }
  | { k: 'share', link: string, title: string, size: number }
  | { k: 'edit', target: string, text: string }
  | { k: 'delete', target: string }

export type Control =
  /** Membership: a certificate the writer issued (and, in a private channel, the current read key sealed to its subject). */
  | { k: 'grant', cert: string, key?: { ref: string, box: string } }
  /** Membership: the certificate `cert` ends; its subject's entries from seq `upto` on are refused. */
  | { k: 'revoke', cert: string, upto: number }
  /** A new read key, sealed to every member; `prev` wraps the key before it under this one. */
  | { k: 'key', epoch: number, boxes: Record<string, string>, prev: { ref: string, c: string } | null }
  /** The writer leaves: its later entries are refused, and the next key is not sealed to it. */
  | { k: 'leave' }

export interface Sealed { k: 'sealed', key: string, n: string, c: string }

export type Body = Content | Control | Sealed

export interface EntryFields {
  ch: string
  author: string
  seq: number
  /** The id of the writer's entry seq - 1 (null for seq 0). */
  prev: string | null
  at: number
  chain: string[]
  /** The node-key certificate (account → node key) whose key signed the entry; absent in entries the account signed itself (before node keys). */
  node?: string
  body: Body
}

export interface Entry extends EntryFields { v: 1, id: string, text: string }

export const MAX_ENTRY_CHARS = 64 * 1024
export const MAX_TITLE_CHARS = 200
export const MAX_LINK_CHARS = 1024
export const MAX_KEY_BOXES = 256
const ENTRY_ID = /^[A-Za-z0-9_-]{43}$/
const CERT_ID = /^[A-Za-z0-9_-]{22}$/
const B64 = /^[A-Za-z0-9_-]*$/
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/

/** An entry's id: sha256 of its signed text, base64url (the `prev` and `target` of other entries). */
export const entryId = (text: string): string => createHash('sha256').update(text, 'utf8').digest('base64url')

const str = (v: unknown, max: number): v is string => typeof v === 'string' && v.length <= max && B64.test(v)
const text = (v: unknown): v is string => typeof v === 'string' && v !== '' && Buffer.byteLength(v) <= MAX_TEXT_BYTES

/** Why a post's content is malformed, or undefined. */
export function contentFault (c: unknown): string | undefined {
  if (c == null || typeof c !== 'object') return 'not an object'
  const b = c as Record<string, unknown>
  switch (b.k) {
    case 'post': return text(b.text) ? undefined : `a post's text is 1 to ${MAX_TEXT_BYTES} bytes`
    case 'share': {
      if (typeof b.link !== 'string' || b.link.length > MAX_LINK_CHARS) return 'a share needs an oht link'
      try { parseCapability(b.link) } catch { return 'a share needs an oht link' }
      if (typeof b.title !== 'string' || b.title.length > MAX_TITLE_CHARS || CONTROL.test(b.title)) return `a share's title is at most ${MAX_TITLE_CHARS} printable characters`
      return Number.isSafeInteger(b.size) && (b.size as number) >= 0 ? undefined : 'a share\'s size is a whole number of bytes'
    }
    case 'edit': return typeof b.target === 'string' && ENTRY_ID.test(b.target) && text(b.text) ? undefined : 'an edit names an entry and a new text'
    case 'delete': return typeof b.target === 'string' && ENTRY_ID.test(b.target) ? undefined : 'a deletion names an entry'
    default: return 'an unknown kind of post'
  }
}

function bodyFault (b: Record<string, unknown>): string | undefined {
  switch (b.k) {
    case 'grant':
      if (typeof b.cert !== 'string' || b.cert.length > MAX_CERT_CHARS) return 'a grant holds a certificate'
      if (b.key !== undefined) {
        const k = b.key as Record<string, unknown> | null
        if (k == null || typeof k.ref !== 'string' || !ENTRY_ID.test(k.ref) || !str(k.box, 512)) return 'a grant\'s key is malformed'
      }
      return undefined
    case 'revoke': return typeof b.cert === 'string' && CERT_ID.test(b.cert) && Number.isSafeInteger(b.upto) && (b.upto as number) >= 0 ? undefined : 'a revocation names a certificate and a log position'
    case 'key': {
      if (!Number.isSafeInteger(b.epoch) || (b.epoch as number) < 1) return 'a key entry has an epoch'
      const boxes = b.boxes
      if (boxes == null || typeof boxes !== 'object' || Array.isArray(boxes)) return 'a key entry has boxes'
      const e = Object.entries(boxes)
      if (e.length === 0 || e.length > MAX_KEY_BOXES || !e.every(([a, box]) => isAccountId(a) && str(box, 512))) return `a key entry seals to 1 to ${MAX_KEY_BOXES} members`
      if (b.prev !== null) {
        const p = b.prev as Record<string, unknown> | undefined
        if (p == null || typeof p.ref !== 'string' || !ENTRY_ID.test(p.ref) || !str(p.c, 128)) return 'a key entry\'s previous key is malformed'
      }
      return undefined
    }
    case 'leave': return undefined
    case 'sealed': return typeof b.key === 'string' && ENTRY_ID.test(b.key) && str(b.n, 16) && str(b.c, MAX_ENTRY_CHARS) ? undefined : 'a sealed post is malformed'
    default: return contentFault(b)
  }
}

/** Signs with `signer`: the node key `fields.node` certifies, or (without `node`) the author's account key. */
export function signEntry (signer: KeyObject, fields: EntryFields): string {
  const e = { v: 1, ch: fields.ch, author: fields.author, seq: fields.seq, prev: fields.prev, at: fields.at, chain: fields.chain, ...(fields.node != null ? { node: fields.node } : {}), body: fields.body }
  const t = signText('entry', signer, e)
  if (t.length > MAX_ENTRY_CHARS) throw new ChannelError('channel.tooLarge', `an entry is at most ${MAX_ENTRY_CHARS} characters signed`)
  return t
}

/** At most 50,000 results and 64 Mi characters of entry text (a hostile writer's 64 KiB entries do not pile up in memory). */
const checked = new Memo<Entry | { fault: string }>(50_000, 64 * 1024 * 1024, e => 'text' in e ? e.text.length : 0)

/** The entry a text holds, signed by its author, or the reason it is refused (malformed, oversized, forged). */
export function readEntry (textIn: unknown): Entry | { fault: string } {
  if (typeof textIn !== 'string' || textIn.length > MAX_ENTRY_CHARS) return checkEntry(textIn)
  return checked.get(entryId(textIn), () => checkEntry(textIn))
}

function checkEntry (textIn: unknown): Entry | { fault: string } {
  if (typeof textIn === 'string' && textIn.length > MAX_ENTRY_CHARS) return { fault: `oversized (over ${MAX_ENTRY_CHARS} characters)` }
  const d = bodyOf(textIn, MAX_ENTRY_CHARS)
  if (d == null) return { fault: 'malformed (not a signed entry)' }
  const e = d.body as Record<string, unknown>
  if (e == null || typeof e !== 'object' || e.v !== 1 || typeof e.ch !== 'string' || !isAccountId(e.ch) ||
    typeof e.author !== 'string' || !isAccountId(e.author) || !Number.isSafeInteger(e.seq) || (e.seq as number) < 0 ||
    !(e.prev === null || (typeof e.prev === 'string' && ENTRY_ID.test(e.prev))) || (e.seq === 0) !== (e.prev === null) ||
    !Number.isSafeInteger(e.at) || (e.at as number) < 0 ||
    !Array.isArray(e.chain) || e.chain.length === 0 || e.chain.length > MAX_CHAIN || !e.chain.every(c => typeof c === 'string') ||
    !(e.node === undefined || (typeof e.node === 'string' && e.node.length <= MAX_NODE_CERT_CHARS)) ||
    e.body == null || typeof e.body !== 'object') return { fault: 'malformed (fields)' }
  const fault = bodyFault(e.body as Record<string, unknown>)
  if (fault != null) return { fault: `malformed (${fault})` }
  // The signer: the node key its account certified, or the account (entries before node keys).
  // The certificate's channel and validity at the entry's time are checked with the chain (view.ts).
  let signer = e.author
  if (e.node !== undefined) {
    const c = readNodeCert(e.node)
    if (c == null) return { fault: 'forged (its node-key certificate is malformed or not signed by its account)' }
    if (c.acct !== e.author) return { fault: 'forged (its node-key certificate is another account\'s)' }
    signer = c.key
  }
  if (!signedBy('entry', signer, d.json, d.sig)) return { fault: 'forged (the signature is not its writer\'s)' }
  const t = textIn as string
  const out: Entry = { v: 1, ch: e.ch, author: e.author, seq: e.seq as number, prev: e.prev as string | null, at: e.at as number, chain: e.chain as string[], body: e.body as Body, id: entryId(t), text: t }
  if (e.node !== undefined) out.node = e.node as string
  return out
}
