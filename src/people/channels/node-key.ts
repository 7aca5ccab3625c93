// Node keys (docs/CHANNELS.md "Node keys"): a writer's entries are signed by a short-lived
// Ed25519 key of its node, one per channel, that its account certifies for that channel only
// (account → node key, nb/exp, at most MAX_NODE_KEY_MS). The node makes a fresh one when a third
// of the current one's life is left and forgets the old private key; the old certificate stays
// valid until its expiry (the overlap), so what it signed verifies for ever, dated inside it. The
// account key signs only these certificates and the delegation certificates it grants, so a
// stolen node key writes for a day at most, and only in one channel.
import { createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto'
import { accountIdOf, isAccountId, kindOfId } from '../../node/identity/account-keys.ts'
import { shortHash } from './caps.ts'
import { checkChain, CLOCK_SKEW_MS, type Authority } from './cert.ts'
import type { Policy } from './policy.ts'
import { bodyOf, Memo, signedBy, signText } from './signed.ts'

export interface NodeCert {
  v: 1
  /** The channel it signs in. */
  ch: string
  /** The account that certifies it (the entries' author). */
  acct: string
  /** The node key: an Ed25519 public key, 64 hex digits. */
  key: string
  /** Valid for entries dated from nb until before exp (epoch ms). */
  nb: number
  exp: number
}

export interface ParsedNodeCert extends NodeCert { id: string, text: string }

export const MAX_NODE_CERT_CHARS = 1024
/** A node key's lifetime by default. */
export const NODE_KEY_MS = 24 * 3_600_000
/** The longest a node-key certificate may live; longer ones are refused by every member. */
export const MAX_NODE_KEY_MS = 7 * 86_400_000

export function signNodeCert (account: KeyObject, cert: NodeCert): string {
  return signText('nodeCert', account, { v: 1, ch: cert.ch, acct: cert.acct, key: cert.key, nb: cert.nb, exp: cert.exp })
}

const checked = new Memo<ParsedNodeCert | undefined>(10_000)

/** The node-key certificate a text holds when it is well formed and its account signed it; undefined otherwise. */
export function readNodeCert (text: unknown): ParsedNodeCert | undefined {
  return typeof text === 'string' && text.length <= MAX_NODE_CERT_CHARS ? checked.get(text, () => checkNodeCertText(text)) : undefined
}

function checkNodeCertText (text: string): ParsedNodeCert | undefined {
  const d = bodyOf(text, MAX_NODE_CERT_CHARS)
  if (d == null) return undefined
  const c = d.body as NodeCert
  if (c == null || typeof c !== 'object' || c.v !== 1 || typeof c.ch !== 'string' || !isAccountId(c.ch) ||
    typeof c.acct !== 'string' || !isAccountId(c.acct) || typeof c.key !== 'string' || !isAccountId(c.key) || kindOfId(c.key) !== 'ed25519' ||
    !Number.isSafeInteger(c.nb) || !Number.isSafeInteger(c.exp) || c.exp <= c.nb) return undefined
  if (!signedBy('nodeCert', c.acct, d.json, d.sig)) return undefined
  return { v: 1, ch: c.ch, acct: c.acct, key: c.key, nb: c.nb, exp: c.exp, id: shortHash(text), text }
}

/**
 * The node-key certificate an entry of `author` dated `at` in channel `ch` carries, or why it is
 * refused: of another channel, too long-lived, or `at` outside its validity (with the same clock
 * skew as delegation certificates). That it is `author`'s, and that its key signed the entry, is
 * checked when the entry is read (entry.ts).
 */
export function checkNodeCert (ch: string, text: unknown, at: number): ParsedNodeCert | string {
  const c = readNodeCert(text)
  if (c == null) return 'a node-key certificate is malformed or not signed by its account'
  if (c.ch !== ch) return 'a node-key certificate of another channel'
  if (c.exp - c.nb > MAX_NODE_KEY_MS) return `a node-key certificate lives at most ${MAX_NODE_KEY_MS / 86_400_000} days`
  if (at < c.nb - CLOCK_SKEW_MS) return 'a node key not valid yet'
  if (at >= c.exp) return 'its node key expired'
  return c
}

/** A node key as this node keeps it (in its channel record, in the sealed store). */
export interface HeldNodeKey {
  cert: string
  /** The private node key, PKCS#8 DER, base64. */
  key: string
}

/** What signs a writer's entries: the node key and the certificate its entries carry. */
export interface NodeSigner { key: KeyObject, cert: string, id: string, exp: number }

/** A fresh node key for `account` in channel `ch`, valid from `now` for `lifetimeMs`. */
export function newNodeKey (account: { id: string, privateKey: KeyObject }, ch: string, now: number, lifetimeMs = NODE_KEY_MS): HeldNodeKey {
  const life = Math.min(Math.max(1, lifetimeMs), MAX_NODE_KEY_MS)
  const { privateKey } = generateKeyPairSync('ed25519')
  const cert = signNodeCert(account.privateKey, { v: 1, ch, acct: account.id, key: accountIdOf(privateKey), nb: now, exp: now + life })
  return { cert, key: privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64') }
}

export function signerOf (held: HeldNodeKey): NodeSigner {
  const c = readNodeCert(held.cert)
  if (c == null) throw new Error('a held node-key certificate does not read')
  return { key: createPrivateKey({ key: Buffer.from(held.key, 'base64'), format: 'der', type: 'pkcs8' }), cert: held.cert, id: c.id, exp: c.exp }
}

/** When a node key is replaced: once two thirds of its certificate's life have passed. */
export const rotationDue = (c: Pick<NodeCert, 'nb' | 'exp'>): number => c.nb + Math.floor((c.exp - c.nb) * 2 / 3)

/** `rotated`: a new key was made; `changed`: what is held changed (the record is to be written). */
export interface Rotation { held: HeldNodeKey[], current: HeldNodeKey, rotated: boolean, changed: boolean }

/**
 * The node key to sign with at `now`: the held one while it is this account's for this channel,
 * not revoked, and not yet due for rotation; otherwise a new one (and the old private keys are
 * dropped: nothing new is signed with them, and a copy of the store taken later holds none).
 */
export function rotateNodeKey (held: readonly HeldNodeKey[] | undefined, account: { id: string, privateKey: KeyObject }, ch: string, now: number, options: { lifetimeMs?: number, revoked?: readonly string[] } = {}): Rotation {
  const usable = (held ?? []).filter(h => {
    const c = readNodeCert(h.cert)
    return c != null && c.ch === ch && c.acct === account.id && options.revoked?.includes(c.id) !== true &&
      now >= c.nb - CLOCK_SKEW_MS && now < rotationDue(c)
  })
  const current = usable.at(-1)
  if (current != null) return { held: [current], current, rotated: false, changed: held?.length !== 1 }
  const fresh = newNodeKey(account, ch, now, options.lifetimeMs)
  return { held: [fresh], current: fresh, rotated: true, changed: true }
}

/**
 * What an entry's writer may do at the entry's time: its delegation chain (cert.ts), which must
 * end at the writer, and, when a node key signed it, that key's certificate, valid then.
 */
export function entryAuthority (ch: string, policy: Policy, e: { author: string, at: number, chain: unknown, node?: string | undefined }): Authority | string {
  const a = checkChain(ch, policy, e.chain, e.at)
  if (typeof a === 'string') return a
  if (a.account !== e.author) return 'its certificate chain names another account'
  if (e.node === undefined) return a
  const n = checkNodeCert(ch, e.node, e.at)
  return typeof n === 'string' ? n : a
}
