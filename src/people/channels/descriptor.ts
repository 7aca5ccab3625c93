// A channel's descriptor: its name, whether it is private, its policy and a version, signed by the
// channel key (whose public half is the channel id). The newest valid descriptor wins; only the
// owner's node, which holds the channel key, can write one.
import { generateKeyPairSync, type KeyObject } from 'node:crypto'
import { accountIdOf, isAccountId } from '../../node/identity/account-keys.ts'
import { ChannelError } from './errors.ts'
import { parsePolicy, type Policy } from './policy.ts'
import { bodyOf, signedBy, signText } from './signed.ts'

export interface Descriptor { v: 1, id: string, name: string, private: boolean, policy: Policy, created: number, seq: number }
export interface ParsedDescriptor extends Descriptor { text: string }

export const MAX_DESCRIPTOR_CHARS = 8 * 1024
export const MAX_CHANNEL_NAME_CHARS = 64
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/

export function checkChannelName (name: string): string {
  const n = typeof name === 'string' ? name.trim() : ''
  if (n === '' || n.length > MAX_CHANNEL_NAME_CHARS || CONTROL.test(n)) throw new ChannelError('channel.bad', `a channel name is 1 to ${MAX_CHANNEL_NAME_CHARS} printable characters`)
  return n
}

/** A fresh channel key (Ed25519): its public half, as 64 hex digits, is the channel id. */
export function newChannelKey (): { id: string, privateKey: KeyObject } {
  const { privateKey } = generateKeyPairSync('ed25519')
  return { id: accountIdOf(privateKey), privateKey }
}

export function signDescriptor (channelKey: KeyObject, d: Omit<Descriptor, 'v'>): string {
  return signText('descriptor', channelKey, { v: 1, id: d.id, name: checkChannelName(d.name), private: d.private, policy: parsePolicy(d.policy), created: d.created, seq: d.seq })
}

/** The descriptor of channel `id`, or undefined when the text is malformed or not signed by the channel key. */
export function readDescriptor (id: string, text: unknown): ParsedDescriptor | undefined {
  const d = bodyOf(text, MAX_DESCRIPTOR_CHARS)
  if (d == null || !isAccountId(id)) return undefined
  const b = d.body as Descriptor
  if (b == null || typeof b !== 'object' || b.v !== 1 || b.id !== id || typeof b.private !== 'boolean' ||
    !Number.isSafeInteger(b.created) || !Number.isSafeInteger(b.seq) || b.seq < 0) return undefined
  try { checkChannelName(b.name); parsePolicy(b.policy) } catch { return undefined }
  if (!signedBy('descriptor', id, d.json, d.sig)) return undefined
  return { v: 1, id, name: b.name, private: b.private, policy: parsePolicy(b.policy), created: b.created, seq: b.seq, text: text as string }
}
