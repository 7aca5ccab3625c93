// Read keys of private channels (docs/CHANNELS.md "Private channels"). A read key is 32 random
// bytes named by the id of the key entry that introduced it. A key entry seals the new key to
// each member's account (src/node/identity account boxes) and wraps the key before it under the
// new one, so a member holding the newest key can open every older one (the history), and a
// member left out of a rotation holds nothing that opens what follows. Posts are AES-256-GCM
// under the key, bound to the channel, the writer and the log position.
import { randomBytes, type KeyObject } from 'node:crypto'
import { openFromAccount, sealToAccount } from '../../node/identity/account-box.ts'
import { open, seal } from '../../blocks/crypto/aead.ts'
import { labelled } from './caps.ts'
import { Memo } from './signed.ts'
import { accountIdOf } from '../../node/identity/account-keys.ts'
import { contentFault, type Content, type Control, type Sealed } from './entry.ts'
import { ChannelError } from './errors.ts'

export const newReadKey = (): Buffer => randomBytes(32)

const bodyAad = (ch: string, author: string, seq: number, keyRef: string): Buffer => labelled('sealedBody', JSON.stringify([ch, author, seq, keyRef]))

export function sealContent (key: Uint8Array, keyRef: string, where: { ch: string, author: string, seq: number }, content: Content): Sealed {
  const n = randomBytes(12)
  const c = seal(key, n, Buffer.from(JSON.stringify(content)), bodyAad(where.ch, where.author, where.seq, keyRef))
  return { k: 'sealed', key: keyRef, n: n.toString('base64url'), c: c.toString('base64url') }
}

/** The content of a sealed post, or undefined when the key does not open it or what it holds is malformed. */
export function openContent (key: Uint8Array, where: { ch: string, author: string, seq: number }, s: Sealed): Content | undefined {
  try {
    const plain = open(key, Buffer.from(s.n, 'base64url'), Buffer.from(s.c, 'base64url'), bodyAad(where.ch, where.author, where.seq, s.key))
    const c = JSON.parse(plain.toString('utf8')) as Content
    return contentFault(c) == null ? c : undefined
  } catch {
    return undefined
  }
}

const chainAad = (ch: string, prevRef: string): Buffer => labelled('keyChain', JSON.stringify([ch, prevRef]))

/** A key entry's body: `key` sealed to each member, and `previous` (with its ref) wrapped under it. */
export function keyBody (ch: string, epoch: number, key: Uint8Array, members: readonly string[], previous?: { ref: string, key: Uint8Array }): Control {
  const boxes: Record<string, string> = {}
  for (const m of members) boxes[m] = sealToAccount(m, key).toString('base64url')
  let prev: { ref: string, c: string } | null = null
  if (previous != null) {
    const n = randomBytes(12)
    prev = { ref: previous.ref, c: Buffer.concat([n, seal(key, n, previous.key, chainAad(ch, previous.ref))]).toString('base64url') }
  }
  return { k: 'key', epoch, boxes, prev }
}

const opened = new Memo<Buffer | undefined>(10_000)

/** The key in a box sealed to this account, or undefined when it is not sealed to it. */
export function openBox (account: { id?: string, privateKey: KeyObject }, box: string): Buffer | undefined {
  return opened.get(`${account.id ?? accountIdOf(account.privateKey)}\0${box}`, () => openBoxNow(account, box))
}

function openBoxNow (account: { privateKey: KeyObject }, box: string): Buffer | undefined {
  try {
    const k = openFromAccount(account.privateKey, Buffer.from(box, 'base64url'))
    return k.length === 32 ? k : undefined
  } catch {
    return undefined
  }
}

/** The key before `key` in the chain, or undefined when the wrap does not open under it. */
export function unwrapPrevious (ch: string, key: Uint8Array, prev: { ref: string, c: string }): Buffer | undefined {
  try {
    const b = Buffer.from(prev.c, 'base64url')
    const k = open(key, b.subarray(0, 12), b.subarray(12), chainAad(ch, prev.ref))
    return k.length === 32 ? k : undefined
  } catch {
    return undefined
  }
}

export const sealForGrant = (account: string, keyRef: string, key: Uint8Array): { ref: string, box: string } =>
  ({ ref: keyRef, box: sealToAccount(account, key).toString('base64url') })

export function needKey (keyRef: string | undefined): string {
  if (keyRef == null) throw new ChannelError('channel.noKey', 'this node holds no read key of the channel: a member with the invite scope must grant it first')
  return keyRef
}
