// Every signing and derivation label of channels, in one place (as src/people/caps.ts): written
// `oht/v2/people/channel-...` and encoded with one trailing NUL byte. docs/FORMAT.md lists them.
import { createHash } from 'node:crypto'

export const CHANNEL_LABELS = {
  /** The channel key's signature over its descriptor (name, private or public, policy, seq). */
  descriptor: 'oht/v2/people/channel-descriptor',
  /** An issuer's signature over a delegation certificate (channel key → moderator → writer). */
  cert: 'oht/v2/people/channel-cert',
  /** An account's signature over a node-key certificate (account → its short-lived node key in one channel). */
  nodeCert: 'oht/v2/people/channel-node-cert',
  /** A writer's signature (its node key's, or its account's in entries written before node keys) over one entry of its log. */
  entry: 'oht/v2/people/channel-entry',
  /** Associated data of a post sealed under a read key (binds it to its channel, writer and place). */
  sealedBody: 'oht/v2/people/channel-sealed-body',
  /** Associated data of a read key wrapped under its successor (the key chain). */
  keyChain: 'oht/v2/people/channel-key-chain',
  /** The DHT topic under which a channel's members announce themselves. */
  topic: 'oht/v2/people/channel-topic'
} as const

export type ChannelLabel = keyof typeof CHANNEL_LABELS

export function channelLabel (name: ChannelLabel): Buffer {
  return Buffer.concat([Buffer.from(CHANNEL_LABELS[name], 'utf8'), Buffer.of(0)])
}

/** The bytes a labelled signature covers: the label, then the payload. */
export const labelled = (name: ChannelLabel, payload: string | Uint8Array): Buffer =>
  Buffer.concat([channelLabel(name), typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload])

/** sha256 of the text, base64url, cut to 16 bytes: the short ids of certificates and entries. */
export const shortHash = (text: string): string => createHash('sha256').update(text, 'utf8').digest().subarray(0, 16).toString('base64url')

/** The DHT topic of a channel: members announce themselves under it, and a joiner looks it up. */
export const channelTopic = (id: string): Uint8Array => createHash('sha256').update(channelLabel('topic')).update(id, 'utf8').digest()
