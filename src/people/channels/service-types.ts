// What the Channels service (channels.ts) is given and what it tells: the network and DHT it
// uses, its options, its events and the summaries and readings it answers with.
import type { KeyObject } from 'node:crypto'
import type { SealedDb } from '../../store/index.ts'
import type { HandshakeResult } from '../../onion/index.ts'
import type { Policy } from './policy.ts'
import type { ChannelRecord } from './store.ts'
import type { ChannelView, Post } from './view.ts'

export interface ChannelNetwork {
  readonly address?: string | undefined
  registerProtocol: (protocol: string, handler: (session: HandshakeResult) => void) => void
  dialProtocol: (address: string, protocol: string, options?: { signal?: AbortSignal }) => Promise<HandshakeResult>
}

/** The DHT part channels need: provider records under the channel's topic (src/dht DhtNode). */
export interface ChannelDht {
  readonly address?: string | undefined
  provide: (topic: Uint8Array) => Promise<{ stored: number }>
  unprovide: (topic: Uint8Array) => void
  findProvidersAll: (topic: Uint8Array, options: { signal?: AbortSignal, onProvider?: (r: { address: string }) => void }) => Promise<unknown>
}

export type ChannelEvent =
  | { type: 'channel-post', channel: string, name: string, post: Post }
  | { type: 'channel-member', channel: string, name: string, account: string, change: 'added' | 'removed' }
  | { type: 'channel-refused', channel: string, name: string, reason: string, author?: string }

export interface ChannelSummary {
  id: string
  name: string
  private: boolean
  owner: boolean
  /** This account's role, or null when it holds no certificate (a reader of a public channel). */
  role: string | null
  members: number
  posts: number
  left: boolean
  follow: ChannelRecord['follow'] | null
  peers: number
}

export interface ChannelReading {
  summary: ChannelSummary
  posts: Post[]
  members: ChannelView['members']
  refused: ChannelView['refused']
  forks: string[]
  waiting: number
  policy: Policy
}

export interface ChannelsOptions {
  account: { id: string, privateKey: KeyObject }
  db: SealedDb
  network: ChannelNetwork
  dht?: () => ChannelDht | undefined
  /** The node keys' lifetime (node-key.ts NODE_KEY_MS by default, at most MAX_NODE_KEY_MS); a new one is made when a third is left. */
  nodeKeyMs?: number
  /** The time entries are dated with and node keys rotate by (Date.now by default; tests move it). */
  clock?: () => number
  /** Sync every channel every interval ± a third. Default 30 s. */
  syncMs?: number
  /** A share posted to a followed channel with auto-fetch: the node fetches it into `output` (from the channel's members and the DHT) and seeds it. */
  fetchShare?: (link: string, output: string | null, peers: string[]) => Promise<unknown>
}
