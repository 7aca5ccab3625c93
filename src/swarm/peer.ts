import type { ManifestHeader } from '../blocks/index.ts'
import type { SwarmEvent } from './events.ts'
import type { PeerWire } from './peer-wire.ts'
import type { PickPeer } from './picker.ts'
import { Pipeline } from './pipeline.ts'
import type { RateLimiter } from './ratelimit.ts'
import type { SwarmOptions, SwarmStore } from './types.ts'
import { HAVE_DELAY_MS, MAX_REFUSALS_PER_BLOCK } from './constants.ts'

/**
 * One remote node of a swarm, reached over one or more connections (lanes: striping over several
 * Tor circuits, see lanes.ts). Everything that is about the node rather than a connection lives
 * here: what it gave and took (choking ranks nodes, so a striping leecher holds one upload slot),
 * its upload bucket, the blocks deflected to it, and which lane's bitfield counts in the picker's
 * availability (a node's blocks count once, not once per lane).
 */
export interface PeerNode {
  readonly id: string
  readonly lanes: Set<SwarmPeer>
  /** Verified bytes this node gave us, and bytes we served it, over all its lanes. */
  received: number
  served: number
  /** The choker's last look at this node's counters (rates are per round). */
  lastRoundBytes: number
  lastRoundAt: number
  /** Blocks this seed refused once to this node because another node has them. */
  readonly deflected: Set<number>
  /** `--max-upload-per-peer`: this node's own bucket, shared by its lanes; released when it leaves. */
  readonly uploadLimiter?: RateLimiter
  readonly releaseUploadLimiter?: () => void
  /** The lane whose bitfield and `have`s count in the picker's availability. */
  counted?: SwarmPeer | undefined
  /** Number of the next lane added (lane 0 first): names lanes in `SwarmContext.peers`. */
  nextLane: number
  /** When it joined, and last gave or took a block (slot eviction, swarm.ts). */
  readonly joinedAt: number
  lastActive: number
  /** When it last asked for a block, and when it was last unchoked (the choker's idle rule). */
  lastAskedAt: number
  unchokedAt: number
  /** Unchoked for UNCHOKED_IDLE_MS without asking: ranked after every other node until it asks. */
  idle: boolean
  /** Times this node refused each block; one refused MAX_REFUSALS_PER_BLOCK times is not asked again. */
  readonly refused: Map<number, number>
}

/**
 * One connection (lane) to a node: its wire and its own request pipeline (each sized by its own
 * circuit), while the picker sees the node through `pick` (this lane's blocks, and whether a block
 * is in flight on any of the node's lanes).
 */
export interface SwarmPeer {
  /** The node's id: events, bans and the metadata exchange speak of nodes. */
  readonly id: string
  /** `<id>/<lane>`: this connection's key in SwarmContext.peers. */
  readonly key: string
  readonly node: PeerNode
  readonly wire: PeerWire
  /** Requests in flight on `wire` and how many there should be. */
  readonly pipeline: Pipeline
  /** The peer as the picker sees it. */
  readonly pick: PickPeer
  /** `have`s not sent yet: they go with the next requests to this peer or after HAVE_DELAY_MS. */
  pendingHaves: number[]
  haveTimer?: NodeJS.Timeout | undefined
}

export function newNode (id: string, upload?: { limiter: RateLimiter, release: () => void }): PeerNode {
  return {
    id,
    lanes: new Set(),
    received: 0,
    served: 0,
    lastRoundBytes: 0,
    lastRoundAt: performance.now(),
    deflected: new Set(),
    ...(upload != null ? { uploadLimiter: upload.limiter, releaseUploadLimiter: upload.release } : {}),
    nextLane: 0,
    joinedAt: performance.now(),
    lastActive: performance.now(),
    lastAskedAt: 0,
    unchokedAt: 0,
    idle: false,
    refused: new Map()
  }
}

/** A new lane of `node`; the caller adds it to `node.lanes` and the swarm's peers. */
export function newPeer (node: PeerNode, wire: PeerWire): SwarmPeer {
  const pipeline = new Pipeline()
  const asking = (i: number): boolean => {
    for (const lane of node.lanes) if (lane.pipeline.has(i)) return true
    return pipeline.has(i)
  }
  // A block this node keeps refusing counts as one it does not have.
  const pick: PickPeer = { pieces: { get: i => wire.wire.peerPieces.get(i) && (node.refused.get(i) ?? 0) < MAX_REFUSALS_PER_BLOCK }, asking }
  return { id: node.id, key: `${node.id}/${node.nextLane++}`, node, wire, pipeline, pick, pendingHaves: [] }
}

/** Answers a peer's request (bittorrent-protocol's respond callback): the block, or why not. */
export type Respond = (err: Error | null, block?: Uint8Array) => void

/** What the swarm's units share of the swarm that composes them. */
export interface SwarmContext {
  readonly options: SwarmOptions
  /** Every connection (lane), keyed `<node id>/<lane>`, in the order added (authenticated or not). */
  readonly peers: ReadonlyMap<string, SwarmPeer>
  /** Every node with at least one lane, by node id. */
  readonly nodes: ReadonlyMap<string, PeerNode>
  readonly header: ManifestHeader | undefined
  readonly store: SwarmStore | undefined
  readonly closed: boolean
  emit (event: SwarmEvent): void
  /** Bans the peer's node id for the life of the swarm and drops all its lanes. */
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
