import type { CID, SealedManifest } from '../blocks/index.ts'
import type { PerPeerRate, RateLimiter } from './ratelimit.ts'

/** Where a swarm reads blocks it serves and writes blocks it fetched. */
export interface SwarmStore {
  /** True when the block is held and can be served. */
  has (index: number): boolean | Promise<boolean>
  /** Ciphertext of a held block (already verified when it was stored). */
  get (index: number): Promise<Uint8Array>
  /**
   * Used instead of `get` when present: the same bytes in consecutive parts (no copy joins them),
   * owned by the caller: the wire may free them once its socket has sent them (BlockSource.getParts).
   */
  getParts? (index: number): Promise<Uint8Array[]>
  /** Stores a block that matched its leaf hash. */
  put? (index: number, ciphertext: Uint8Array): Promise<unknown>
  /**
   * Used instead of hashing here and `put` when present: checks the block against `leaf` and
   * stores it only if it matches (off the main thread). `mismatch` means nothing was stored and
   * the sender lied. The store may take `ciphertext`'s memory: the swarm never reads it again.
   */
  verifyAndPut? (index: number, ciphertext: Uint8Array, leaf: Uint8Array): Promise<'stored' | 'duplicate' | 'mismatch'>
  /** Releases what the store holds open (file handles); called when the swarm closes. */
  close? (): Promise<void>
}

export interface SwarmOptions {
  manifestCid: CID
  swarmKey: Uint8Array
  infoHash: Uint8Array
  localNodeId: Uint8Array
  /** Known when this node already has the share's metadata (owners, pinners, resumed fetches). */
  manifest?: SealedManifest
  leaves?: Uint8Array
  /** Where blocks are read and written; a fetch attaches it once the manifest is known. */
  store?: SwarmStore
  /** Nodes connected at once, each over up to MAX_LANES lanes (default DEFAULT_MAX_PEERS, constants.ts). */
  maxPeers?: number
  /** Unanswered requests are re-queued elsewhere after this long (default DEFAULT_REQUEST_TIMEOUT_MS). */
  requestTimeoutMs?: number
  /** A peer asked for metadata that says nothing for this long is passed over (default DEFAULT_METADATA_TIMEOUT_MS). */
  metadataTimeoutMs?: number
  /** Peers unchoked at once (default DEFAULT_UPLOAD_SLOTS). */
  uploadSlots?: number
  /** Upload rate limit, shared with the node's other swarms. */
  uploadLimiter?: RateLimiter
  /** Upload limit of each peer on its own, under the shared one (its rate may change live). */
  perPeerUpload?: PerPeerRate
}

export interface SwarmStats {
  id: string
  peers: number
  uploaded: number
  downloaded: number
  blocksHeld: number
  blocksWanted: number
  complete: boolean
}

/** Block states in SwarmSnapshot.blocks. */
export const BLOCK_MISSING = 0
export const BLOCK_HELD = 1
export const BLOCK_INFLIGHT = 2
export const BLOCK_SKIPPED = 3

export interface PeerSnapshot {
  id: string
  /** Connections (lanes) to this node: more than one when a fetch stripes over several circuits. */
  lanes?: number
  /** Verified bytes this peer gave us, and bytes we served it. */
  received: number
  served: number
  inflight: number
  rttMs: number
  /** We choke it (it may not download from us) / it chokes us. */
  amChoking: boolean
  peerChoking: boolean
  peerInterested: boolean
}

export interface SwarmSnapshot extends SwarmStats {
  metadataKnown: boolean
  /** One BLOCK_* state per block (empty until the metadata and store are known). */
  blocks: Uint8Array
  peerList: PeerSnapshot[]
  bannedPeers: string[]
}

/** Blocks a reader (a streaming client) needs soon, inclusive; picked before rarest-first. */
export interface PriorityWindow {
  from: number
  to: number
}
