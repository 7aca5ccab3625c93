import type { ManifestHeader } from '../blocks/index.ts'
import type { SwarmEvent } from './events.ts'
import type { PeerWire } from './peer-wire.ts'
import type { PickPeer } from './picker.ts'
import { Pipeline } from './pipeline.ts'
import { RateLimiter } from './ratelimit.ts'
import type { SwarmOptions, SwarmStore } from './types.ts'
import { HAVE_DELAY_MS } from './constants.ts'

/**
 * One peer of a swarm. Today one connection (`wire`) with one request pipeline; striping over
 * several circuits to the same peer would give it several (wire, pipeline) pairs, while the
 * picker keeps seeing the peer through `pick` (its blocks, and what is in flight to it at all).
 */
export interface SwarmPeer {
  readonly id: string
  readonly wire: PeerWire
  /** Requests in flight on `wire` and how many there should be. */
  readonly pipeline: Pipeline
  /** The peer as the picker sees it. */
  readonly pick: PickPeer
  /** `--max-upload-per-peer`: this peer's own bucket. */
  readonly uploadLimiter?: RateLimiter
  /** Verified bytes this peer gave us, and bytes we served it. */
  received: number
  served: number
  /** The choker's last look at this peer's counters (rates are per round). */
  lastRoundBytes: number
  lastRoundAt: number
  /** Blocks this seed refused once to this peer because another peer has them. */
  readonly deflected: Set<number>
  /** `have`s not sent yet: they go with the next requests to this peer or after HAVE_DELAY_MS. */
  pendingHaves: number[]
  haveTimer?: NodeJS.Timeout | undefined
}

export function newPeer (id: string, wire: PeerWire, perPeerUploadBytesPerSecond?: number): SwarmPeer {
  const pipeline = new Pipeline()
  const pick: PickPeer = { pieces: { get: i => wire.wire.peerPieces.get(i) }, asking: i => pipeline.has(i) }
  return {
    id,
    wire,
    pipeline,
    pick,
    ...(perPeerUploadBytesPerSecond != null ? { uploadLimiter: new RateLimiter(perPeerUploadBytesPerSecond) } : {}),
    received: 0,
    served: 0,
    lastRoundBytes: 0,
    lastRoundAt: performance.now(),
    deflected: new Set(),
    pendingHaves: []
  }
}

/** Answers a peer's request (bittorrent-protocol's respond callback): the block, or why not. */
export type Respond = (err: Error | null, block?: Uint8Array) => void

/** What the swarm's units share of the swarm that composes them. */
export interface SwarmContext {
  readonly options: SwarmOptions
  /** Every peer, in the order they were added (authenticated or not). */
  readonly peers: ReadonlyMap<string, SwarmPeer>
  readonly header: ManifestHeader | undefined
  readonly store: SwarmStore | undefined
  readonly closed: boolean
  emit (event: SwarmEvent): void
  /** Bans the peer's node id for the life of the swarm and drops it. */
  ban (peer: SwarmPeer, reason: string): void
}

/**
 * Tells `peer` that block `index` is held: `now` for the peer it came from (the `have` goes
 * out with the requests that refill its pipeline), else with the next messages to that peer.
 */
export function announceHave (peer: SwarmPeer, index: number, now: boolean): void {
  peer.pendingHaves.push(index)
  if (now) flushHaves(peer)
  else peer.haveTimer ??= setTimeout(() => { flushHaves(peer) }, HAVE_DELAY_MS).unref()
}

export function flushHaves (peer: SwarmPeer): void {
  clearTimeout(peer.haveTimer)
  peer.haveTimer = undefined
  if (peer.pendingHaves.length === 0) return
  const pending = peer.pendingHaves
  peer.pendingHaves = []
  if (peer.wire.closed || !peer.wire.authenticated) return
  for (const index of pending) peer.wire.wire.have(index)
}
