import { EventEmitter } from 'node:events'
import { createHash } from 'node:crypto'
import type { Duplex } from 'node:stream'
import { blockLength, decodeManifest, merkleRootOf, TAG_BYTES, type CID, type ManifestHeader, type SealedManifest } from '../blocks/index.ts'
import { MerkleTree } from '../merkle/index.ts'
import { splitLeaves } from '../blocks/share.ts'
import { Bits } from './bitfield.ts'
import { PeerWire, pieceParts } from './peer-wire.ts'
import { MAX_LEAVES_PER_MESSAGE, type ExtensionMessage } from './messages.ts'
import type { SwarmEvent } from './events.ts'
import { RateLimiter } from './ratelimit.ts'
import { chokeRound, CHOKE_ROUND_MS, type ChokablePeer, type ChokerState } from './choker.ts'

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
  maxPeers?: number
  /** Unanswered requests are re-queued elsewhere after this long (Tor: generous). */
  requestTimeoutMs?: number
  /** Peers unchoked at once. */
  uploadSlots?: number
  /** Upload rate limit, shared with the node's other swarms. */
  uploadLimiter?: RateLimiter
  /** Upload limit of each peer on its own (bytes per second), under the shared one. */
  perPeerUploadBytesPerSecond?: number
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

interface PeerState {
  wire: PeerWire
  /** `--max-upload-per-peer`: this peer's own bucket. */
  uploadLimiter?: RateLimiter
  id: string
  inflight: Map<number, { sentAt: number, timer: NodeJS.Timeout }>
  /** Pipeline depth in blocks, grown from measured rate × round trip. */
  depth: number
  /** The full-pipe probe (#probe): the depth rate × shortest round trip misses on Tor. */
  probe: PipeProbe
  rttMs: number
  /** Shortest round trip seen: the path's own delay, without our requests queued at the peer. */
  minRttMs: number
  /** Delivery rate: bytes that arrived per ms, measured over windows of at least a round trip. */
  bytesPerMs: number
  rateBytes: number
  rateSince: number
  received: number
  served: number
  lastRoundBytes: number
  lastRoundAt: number
  /** Blocks this seed refused once to this peer because another peer has them. */
  deflected: Set<number>
  /** `have`s not sent yet: they go with the next requests to this peer or after HAVE_DELAY_MS. */
  pendingHaves: number[]
  haveTimer?: NodeJS.Timeout | undefined
}

/** State of a peer's full-pipe probe (#probe). */
interface PipeProbe {
  /** The depth the probe asks for. */
  depth: number
  /** Best delivery rate seen, the depth it was first seen at, and probe windows since. */
  best: number
  bestDepth: number
  flat: number
  /** Bytes and start of the current window (a smoothed round trip long: fewer, steadier samples). */
  bytes: number
  since: number
}

const MIN_DEPTH = 2
const MAX_DEPTH = 64
const freshProbe = (): PipeProbe => ({ depth: MIN_DEPTH, best: 0, bestDepth: MIN_DEPTH, flat: 0, bytes: 0, since: 0 })
/**
 * The full-pipe probe (as BBR's start-up): while a full pipeline's delivery rate still grows by
 * this factor from one probe window (a round trip) to a later one, the depth grows by half;
 * after PROBE_FLAT_WINDOWS windows without such growth the pipe is full, and after PROBE_REARM_WINDOWS
 * more the probe tries again (paths and loads change).
 */
const PROBE_GAIN = 1.25
const PROBE_FLAT_WINDOWS = 3
const PROBE_REARM_WINDOWS = 40
/**
 * Paths whose shortest round trip is below this skip the probe: on loopback and LANs rate ×
 * shortest round trip is enough, and the probe's noisy early windows only deepened the pipeline
 * (12 blocks instead of 5–7) and slowed 1 GiB over loopback by ~10% (more buffered at the seeder).
 */
const PROBE_MIN_RTT_MS = 30
/**
 * The least round trip the fetch's pipelines are sized for, shared among the peers that have
 * requests in flight. Over loopback or a LAN the shortest round trip is ~0.5 ms, and from one
 * seeder rate × 0.5 ms gave 4 blocks in flight: too few to cover the time either end spends on a
 * burst of blocks (hashing, AES, the disk) or waiting for a core, so seeder and fetcher took
 * turns idling. With 10 ms one fast local seeder gets 17–19 blocks (~5 MiB) in flight, and a
 * 1 GiB fetch over loopback went from 222–315 to 298–333 MiB/s (three alternating runs). It is
 * the fetcher's own slack, so it is divided among the senders: 10 ms for each of four loopback
 * seeders put 28 blocks in flight and was ~10% slower than 4 each (1 GiB 4→1, four alternating
 * runs). A peer slower than ~25 MiB/s gets no deeper pipeline from it, and Tor round trips are
 * longer anyway.
 */
const RTT_FLOOR_MS = 10
const RANDOM_FIRST = 4
/** Missing blocks at which the endgame starts duplicating requests. */
const ENDGAME_BLOCKS = 8
/**
 * Blocks received but not yet stored (hashing, decrypting, writing) at which no new requests go
 * out: back-pressure from the disk and the crypto workers, so a fast network cannot pile pieces
 * up in memory (at most this many plus the pipelines already in flight).
 */
const MAX_STORING = 8
/**
 * Longest a `have` waits to go out with other messages to the same peer. Sent one by one, a
 * fetch from four seeders wrote three lone `have`s per block (12 k writes per GiB, and as many
 * wake-ups at the seeders); held back, they go with the next requests to that peer.
 */
const HAVE_DELAY_MS = 20
/**
 * While a reader waits on a window, each peer keeps at most this many rarest-first (background)
 * requests in flight: a seeder serves requests in order, so a deep background pipeline would sit
 * in front of the block the player needs after a seek.
 */
const BACKGROUND_SLOTS_WHILE_STREAMING = 1
/** Blocks at the head of a window that may be asked of a second peer (the player waits on them). */
const URGENT_BLOCKS = 2

/** Blocks a reader (a streaming client) needs soon, inclusive; picked before rarest-first. */
export interface PriorityWindow {
  from: number
  to: number
}

/**
 * One swarm per share: speaks to every peer of the share at once, fetches missing blocks
 * rarest-first (random first pieces, endgame at the end), verifies each against its leaf hash,
 * bans a peer that sends a bad block, serves what it holds.
 *
 * Choking is tit-for-tat with an optimistic slot (choker.ts). Streaming readers set priority
 * windows (setPriorityWindow): their blocks are picked first, deadline-ordered.
 */
export class Swarm extends EventEmitter<{ event: [SwarmEvent], metadata: [], ready: [], complete: [], error: [Error] }> {
  readonly options: SwarmOptions
  manifest?: SealedManifest
  #leaves?: Uint8Array
  #tree?: MerkleTree
  #have?: Bits
  #availability?: Uint16Array
  /**
   * How many wanted, missing blocks have each availability (index = number of peers that have
   * the block): gives the rarest a block can be without scanning every block (#pick).
   */
  #rarity: number[] = []
  readonly #peers = new Map<string, PeerState>()
  readonly #banned = new Set<string>()
  #leafParts = new Map<number, Uint8Array>()
  #leafSource?: string
  #metaAsked?: string
  readonly #metaRefused = new Set<string>()
  readonly #storing = new Set<number>()
  #store?: SwarmStore
  #wanted?: Bits
  #missing = 0
  #closed = false
  #uploaded = 0
  #downloaded = 0
  readonly #sentCount: number[] = []
  /** Requests in flight per block, over all peers (kept with the peers' inflight maps). */
  #asked = new Uint8Array(0)
  readonly #chokeState: ChokerState = { rounds: 0 }
  #chokeTimer?: NodeJS.Timeout
  /** Streaming readers' windows by reader id (setPriorityWindow). */
  readonly #windows = new Map<string, PriorityWindow>()
  /** Blocks requested for a window (cancelled when no window wants them any more). */
  readonly #windowRequests = new Set<number>()

  constructor (options: SwarmOptions) {
    super()
    this.options = options
    if (options.manifest != null) this.manifest = options.manifest
    if (options.leaves != null) this.#leaves = options.leaves
    if (options.store != null) this.#store = options.store
    this.#chokeTimer = setInterval(() => { this.#chokeRound() }, CHOKE_ROUND_MS)
    this.#chokeTimer.unref()
  }

  get header (): ManifestHeader | undefined { return this.manifest?.header }
  get leaves (): Uint8Array | undefined { return this.#leaves }
  get have (): Bits | undefined { return this.#have }
  /** Every wanted block is held. */
  get complete (): boolean { return this.#have != null && this.#missing === 0 }
  get metadataKnown (): boolean { return this.manifest != null && this.#leaves != null }
  get peerCount (): number { return this.#peers.size }
  get banned (): ReadonlySet<string> { return this.#banned }

  stats (): SwarmStats {
    const held = this.#have?.count ?? 0
    return {
      id: this.options.manifestCid.toString(),
      peers: this.#peers.size,
      uploaded: this.#uploaded,
      downloaded: this.#downloaded,
      blocksHeld: held,
      blocksWanted: this.#wanted?.count ?? this.header?.blockCount ?? 0,
      complete: this.complete
    }
  }

  /**
   * A read-only picture for the API and the dashboard: every peer's counters and state, and each
   * block's state (held, in flight, missing, or not wanted by this fetch). Copies; changes nothing.
   */
  snapshot (): SwarmSnapshot {
    const count = this.header?.blockCount ?? 0
    const blocks = new Uint8Array(count)
    if (this.#have != null) {
      for (let i = 0; i < count; i++) {
        blocks[i] = this.#have.get(i) ? BLOCK_HELD : !this.#isWanted(i) ? BLOCK_SKIPPED : this.#asked[i]! > 0 || this.#storing.has(i) ? BLOCK_INFLIGHT : BLOCK_MISSING
      }
    }
    const peers = [...this.#peers.values()].map(p => {
      const ready = p.wire.authenticated
      return {
        id: p.id,
        received: p.received,
        served: p.served,
        inflight: p.inflight.size,
        rttMs: Math.round(p.rttMs),
        amChoking: ready ? p.wire.wire.amChoking : true,
        peerChoking: ready ? p.wire.wire.peerChoking : true,
        peerInterested: ready ? p.wire.wire.peerInterested : false
      }
    })
    return { ...this.stats(), metadataKnown: this.metadataKnown, blocks, peerList: peers, bannedPeers: [...this.#banned] }
  }

  /** Reads what the store holds; call once before adding peers. */
  async start (): Promise<void> {
    if (this.metadataKnown && this.#store != null) await this.#initBlocks()
  }

  /**
   * Gives a fetching swarm its store once the metadata is known (`metadata` event), and the
   * blocks it should fetch (default: all). Blocks the store already holds count as held.
   */
  async attachStore (store: SwarmStore, wanted?: readonly number[]): Promise<void> {
    if (this.#store != null && this.#have != null) throw new Error('this node already fetches or seeds this share into another place; copy that output instead (one swarm feeds one output for now)')
    this.#store = store
    if (wanted != null) {
      const bits = new Bits(this.header!.blockCount)
      for (const i of wanted) bits.set(i)
      this.#wanted = bits
    }
    if (this.metadataKnown) await this.#initBlocks()
  }

  /** Adds an authenticated oht stream (protocol `swarm`) as a peer. */
  addPeer (stream: Duplex, initiator: boolean, remoteNodeId: Uint8Array): PeerWire | undefined {
    const id = Buffer.from(remoteNodeId).toString('hex')
    if (this.#closed || this.#banned.has(id) || this.#peers.has(id) || this.#peers.size >= (this.options.maxPeers ?? 50)) {
      stream.destroy()
      return undefined
    }
    const o = this.options
    const maxBlock = (this.header?.blockSize ?? 16 * 1024 * 1024) + TAG_BYTES
    const wire = new PeerWire({ stream, initiator, infoHash: o.infoHash, swarmKey: o.swarmKey, localNodeId: o.localNodeId, remoteNodeId, maxBlockBytes: maxBlock })
    const peer: PeerState = { wire, id, inflight: new Map(), depth: MIN_DEPTH * 2, probe: freshProbe(), rttMs: 1000, minRttMs: Infinity, bytesPerMs: 0, rateBytes: 0, rateSince: 0, received: 0, served: 0, lastRoundBytes: 0, lastRoundAt: performance.now(), deflected: new Set(), pendingHaves: [] }
    if (o.perPeerUploadBytesPerSecond != null) peer.uploadLimiter = new RateLimiter(o.perPeerUploadBytesPerSecond)
    this.#peers.set(id, peer)
    wire.on('ready', () => { this.#onReady(peer) })
    wire.on('message', m => { this.#onMessage(peer, m) })
    wire.on('close', err => { this.#onClose(peer, err) })
    return wire
  }

  /** Resolves when every block is held and verified. */
  async whenComplete (signal?: AbortSignal): Promise<void> {
    if (this.complete) return
    await new Promise<void>((resolve, reject) => {
      const onAbort = (): void => { reject(signal!.reason as Error) }
      signal?.addEventListener('abort', onAbort, { once: true })
      this.once('complete', () => { signal?.removeEventListener('abort', onAbort); resolve() })
    })
  }

  /**
   * Deadline-ordered picking for a streaming reader (libtorrent's set_piece_deadline, one window
   * per reader): the missing blocks of every window are requested before any rarest-first block,
   * the block nearest a window's start first. Whenever a window moves or goes (`null`: the reader
   * left, or seeked elsewhere), requests made for windows that no window wants any more are
   * cancelled, so the peers' queues hold what the readers need now.
   */
  setPriorityWindow (readerId: string, window: PriorityWindow | null): void {
    const last = (this.header?.blockCount ?? Number.MAX_SAFE_INTEGER) - 1
    const next = window == null ? undefined : { from: Math.max(0, Math.floor(window.from)), to: Math.min(last, Math.floor(window.to)) }
    if (next == null || next.to < next.from) this.#windows.delete(readerId)
    else this.#windows.set(readerId, next)
    if (this.#have == null) return
    for (const index of this.#windowRequests) {
      if (this.#inWindow(index)) continue
      this.#windowRequests.delete(index)
      if (this.#have.get(index)) continue
      for (const p of this.#peers.values()) this.#cancel(p, index)
    }
    // The head of this window must not wait behind full pipelines: make room for it.
    if (next != null) {
      for (let i = next.from; i <= next.to && i - next.from < URGENT_BLOCKS; i++) {
        if (!this.#have.get(i) && this.#isWanted(i) && this.#asked[i] === 0 && !this.#storing.has(i)) this.#preempt(i, i - next.from)
      }
    }
    this.#fillAll()
  }

  #cancel (peer: PeerState, index: number): void {
    if (this.#untrack(peer, index) != null) peer.wire.wire.cancel(index, 0, blockLength(this.header!, index) + TAG_BYTES)
  }

  /** How far block `index` is from the start of the nearest window that holds it (Infinity: none). */
  #distance (index: number): number {
    let best = Infinity
    for (const w of this.#windows.values()) if (index >= w.from && index <= w.to) best = Math.min(best, index - w.from)
    return best
  }

  /**
   * Block `index` is wanted `distance` blocks from a reader's position and nobody is asked for it
   * (a seek): every peer that has it drops its less urgent requests (background ones, and those
   * farther into a window). A seeder answers in order, so anything queued before this block
   * would delay the player by a block's transfer time each; what is dropped is asked again later.
   */
  #preempt (index: number, distance: number): void {
    for (const p of this.#peers.values()) {
      if (!p.wire.authenticated || p.wire.wire.peerChoking || !p.wire.wire.peerPieces.get(index)) continue
      for (const i of [...p.inflight.keys()]) {
        if (this.#distance(i) <= distance) continue
        this.#windowRequests.delete(i)
        this.#cancel(p, i)
      }
    }
  }

  /** True when block `index` is verified and stored (readable from the store). */
  isHeld (index: number): boolean { return this.#have?.get(index) === true }

  /** Resolves once block `index` is verified and stored; rejects when `signal` aborts. */
  async whenHeld (index: number, signal?: AbortSignal): Promise<void> {
    if (this.isHeld(index)) return
    await new Promise<void>((resolve, reject) => {
      const check = (): void => { if (this.isHeld(index)) { cleanup(); resolve() } }
      const onEvent = (e: SwarmEvent): void => { if (e.type === 'block:verified' && e.index === index) check() }
      const onAbort = (): void => { cleanup(); reject(signal!.reason as Error) }
      const cleanup = (): void => { this.off('event', onEvent); this.off('ready', check); signal?.removeEventListener('abort', onAbort) }
      if (signal?.aborted === true) { reject(signal.reason as Error); return }
      this.on('event', onEvent)
      this.on('ready', check)
      signal?.addEventListener('abort', onAbort, { once: true })
    })
  }

  /** Some window still has a wanted block that is not held. */
  #windowsPending (): boolean {
    const have = this.#have!
    for (const w of this.#windows.values()) {
      for (let i = w.from; i <= w.to; i++) if (!have.get(i) && this.#isWanted(i)) return true
    }
    return false
  }

  #inWindow (index: number): boolean {
    for (const w of this.#windows.values()) if (index >= w.from && index <= w.to) return true
    return false
  }

  /** The wanted, missing block this peer can give that is nearest the start of a window. */
  #pickWindowed (peer: PeerState): number | undefined {
    const have = this.#have!
    const bits = peer.wire.wire.peerPieces
    let best: number | undefined
    let bestDistance = Infinity
    for (const w of this.#windows.values()) {
      for (let i = w.from; i <= w.to && i - w.from < bestDistance; i++) {
        if (have.get(i) || !bits.get(i) || this.#storing.has(i) || !this.#isWanted(i) || peer.inflight.has(i)) continue
        const asked = this.#asked[i]!
        if (asked === 0 || (asked < 2 && i - w.from < URGENT_BLOCKS)) { best = i; bestDistance = i - w.from }
      }
    }
    return best
  }

  close (): void {
    this.#closed = true
    clearInterval(this.#chokeTimer)
    void this.#store?.close?.()
    for (const p of this.#peers.values()) { clearTimeout(p.haveTimer); p.wire.close() }
  }

  #emit (e: SwarmEvent): void { this.emit('event', e) }

  async #initBlocks (): Promise<void> {
    if (this.#have != null || this.#store == null) return
    const header = this.manifest!.header
    if (this.#leaves!.length !== header.blockCount * 32) throw new Error('leaf list does not match the block count')
    this.#tree = new MerkleTree(splitLeaves(this.#leaves!))
    const have = new Bits(header.blockCount)
    let missing = 0
    for (let i = 0; i < header.blockCount; i++) {
      if (await this.#store.has(i)) have.set(i)
      else if (this.#isWanted(i)) missing++
    }
    this.#have = have
    this.#missing = missing
    this.#availability = new Uint16Array(header.blockCount)
    this.#rarity = [missing]
    this.#asked = new Uint8Array(header.blockCount)
    for (const p of this.#peers.values()) this.#countPeer(p, +1)
    this.emit('ready')
    for (const p of this.#peers.values()) if (p.wire.authenticated) this.#startExchange(p)
    if (missing === 0) this.#finish()
  }

  #isWanted (i: number): boolean { return this.#wanted == null || this.#wanted.get(i) }

  #onReady (peer: PeerState): void {
    this.#emit({ type: 'peer:connected', peer: peer.id })
    const wire = peer.wire.wire
    wire.on('request', (index: number, offset: number, length: number, respond: (err: Error | null, buf?: Uint8Array) => void) => {
      void this.#serve(peer, index, offset, length, respond)
    })
    const mayKnowMetadata = (): void => {
      if (this.#metaRefused.delete(peer.id)) this.#askMetadata()
    }
    wire.on('have', (index: number) => {
      mayKnowMetadata()
      if (this.#availability != null && index < this.#availability.length) { this.#setAvailability(index, this.#availability[index]! + 1); this.#fill(peer) }
    })
    wire.on('bitfield', () => {
      mayKnowMetadata()
      if (this.#availability != null) { this.#countPeer(peer, +1); this.#fill(peer) }
    })
    wire.on('unchoke', () => { this.#fill(peer) })
    wire.on('interested', () => { this.#chokeDecision(peer) })
    if (this.#have != null) this.#startExchange(peer)
    else this.#askMetadata()
  }

  #startExchange (peer: PeerState): void {
    const wire = peer.wire.wire
    if (this.#have!.count > 0) void this.#sendBitfield(peer)
    if (this.#missing > 0) wire.interested()
    this.#fill(peer)
  }

  async #sendBitfield (peer: PeerState): Promise<void> {
    const have = this.#have!
    const servable = new Bits(have.size)
    for (let i = 0; i < have.size; i++) if (have.get(i) && await this.#store!.has(i)) servable.set(i)
    if (servable.count > 0 && !peer.wire.closed) peer.wire.wire.bitfield(servable.bytes)
  }

  /**
   * A seed sends each block out about once and lets leechers trade the copies (in the spirit of
   * BEP 16 super-seeding): a block it already sent, that another peer now advertises, is refused
   * once per peer (fast-extension reject) so the requester asks that peer. The second ask is
   * served, so a peer that cannot reach the others still gets everything.
   */
  #shouldDeflect (peer: PeerState, index: number): boolean {
    if (this.#missing !== 0 || (this.#sentCount[index] ?? 0) === 0 || !peer.wire.wire.hasFast) return false
    if (peer.deflected.has(index)) return false
    let elsewhere = false
    for (const p of this.#peers.values()) if (p !== peer && p.wire.authenticated && p.wire.wire.peerPieces.get(index)) { elsewhere = true; break }
    if (!elsewhere) return false
    peer.deflected.add(index)
    return true
  }

  #countPeer (peer: PeerState, delta: number): void {
    const av = this.#availability
    if (av == null) return
    const bits = peer.wire.wire.peerPieces
    for (let i = 0; i < av.length; i++) if (bits.get(i)) this.#setAvailability(i, Math.max(0, av[i]! + delta))
  }

  /** Sets block i's availability, keeping #rarity's counts of wanted, missing blocks. */
  #setAvailability (i: number, value: number): void {
    const av = this.#availability!
    if (this.#have != null && !this.#have.get(i) && this.#isWanted(i)) {
      this.#rarity[av[i]!]!--
      this.#rarity[value] = (this.#rarity[value] ?? 0) + 1
    }
    av[i] = value
  }

  /** The lowest availability of any wanted, missing block that some peer has (0: none has any). */
  #rarest (): number {
    const r = this.#rarity
    for (let a = 1; a < r.length; a++) if (r[a]! > 0) return a
    return 0
  }

  /** A newly interested peer gets a free slot at once; the periodic round re-ranks everyone. */
  #chokeDecision (peer: PeerState): void {
    const unchoked = [...this.#peers.values()].filter(p => !p.wire.wire.amChoking).length
    if (peer.wire.wire.amChoking && unchoked < (this.options.uploadSlots ?? 4)) peer.wire.wire.unchoke()
  }

  #chokeRound (): void {
    const now = performance.now()
    const seeding = this.#missing === 0
    const peers: ChokablePeer[] = []
    for (const p of this.#peers.values()) {
      if (!p.wire.authenticated) continue
      const wire = p.wire.wire
      const bytes = seeding ? p.served : p.received
      const rate = (bytes - p.lastRoundBytes) / Math.max(1, (now - p.lastRoundAt) / 1000)
      p.lastRoundBytes = bytes
      p.lastRoundAt = now
      peers.push({ id: p.id, interested: wire.peerInterested, choked: wire.amChoking, rate, choke: () => { wire.choke() }, unchoke: () => { wire.unchoke() } })
    }
    chokeRound(peers, this.options.uploadSlots ?? 4, this.#chokeState)
  }

  async #serve (peer: PeerState, index: number, offset: number, length: number, respond: (err: Error | null, buf?: Uint8Array) => void): Promise<void> {
    const header = this.header
    if (header == null || this.#have == null) { respond(new Error('not ready')); return }
    if (!Number.isSafeInteger(index) || index >= header.blockCount || offset !== 0 || length !== blockLength(header, index) + TAG_BYTES) {
      this.#ban(peer, `requested an impossible block (index ${index}, offset ${offset}, length ${length})`)
      return
    }
    // This request, as bittorrent-protocol queued it: a request the peer cancelled (a streaming
    // seek) spends no upload budget, and must not answer a newer request for the same block
    // (bittorrent-protocol hands an answer to the first pending request of that block).
    const request = peer.wire.wire.peerRequests.at(-1)
    const stillAsked = (): boolean => request != null && peer.wire.wire.peerRequests.includes(request)
    const answer = (err: Error | null, buf?: Uint8Array): void => { if (stillAsked()) respond(err, buf) }
    if (!this.#have.get(index) || !(await this.#store!.has(index))) { answer(new Error('block not held')); return }
    if (this.#shouldDeflect(peer, index)) { answer(new Error('ask a peer that has it')); return }
    try {
      const store = this.#store!
      // Parts (ciphertext, tag) go out as one piece message (PeerWire), never joined by a copy.
      const parts = store.getParts != null ? await store.getParts(index) : [await store.get(index)]
      let length = 0
      for (const p of parts) length += p.length
      if (await peer.uploadLimiter?.take(length, stillAsked) === false) return
      if (await this.options.uploadLimiter?.take(length, stillAsked) === false) return
      if (peer.wire.closed || !stillAsked()) return
      respond(null, parts.length === 1 ? parts[0] : pieceParts(parts))
      peer.served += length
      this.#uploaded += length
      this.#sentCount[index] = (this.#sentCount[index] ?? 0) + 1
      this.#emit({ type: 'block:served', peer: peer.id, index, bytes: length })
    } catch (err) {
      answer(err as Error)
    }
  }

  #onMessage (peer: PeerState, m: ExtensionMessage): void {
    switch (m.t) {
      case 'manifest?':
        if (this.manifest != null) peer.wire.send({ t: 'manifest', data: this.manifest.bytes })
        else peer.wire.send({ t: 'refuse', reason: 'no manifest yet' })
        return
      case 'manifest': {
        if (this.manifest != null || peer.id !== this.#metaAsked) return
        try {
          this.manifest = decodeManifest(m.data, this.options.manifestCid)
        } catch (err) {
          this.#ban(peer, `sent a bad manifest: ${(err as Error).message}`)
          return
        }
        this.#emit({ type: 'manifest:received', peer: peer.id })
        this.#metaAsked = undefined
        if (this.#leaves != null) this.#onMetadata()
        else this.#askMetadata(peer)
        return
      }
      case 'leaves?': {
        if (this.#leaves == null || this.header == null) { peer.wire.send({ t: 'refuse', reason: 'no leaves yet' }); return }
        const from = Math.min(m.from, this.header.blockCount)
        const count = Math.min(m.count, this.header.blockCount - from)
        if (count > 0) peer.wire.send({ t: 'leaves', from, data: this.#leaves.subarray(from * 32, (from + count) * 32) })
        return
      }
      case 'leaves':
        this.#onLeaves(peer, m.from, m.data)
        return
      case 'proof?':
        if (this.#tree != null && m.index < this.#tree.leafCount) {
          peer.wire.send({ t: 'proof', index: m.index, leaf: this.#leaves!.subarray(m.index * 32, m.index * 32 + 32), siblings: Buffer.concat(this.#tree.proof(m.index)) })
        }
        return
      case 'refuse':
        if (peer.id === this.#metaAsked) {
          this.#metaRefused.add(peer.id)
          this.#metaAsked = undefined
          this.#askMetadata()
        }
    }
  }

  /**
   * Asks one peer at a time for what is missing of the metadata (manifest, then leaves), never
   * one that refused until it shows it has blocks.
   */
  #askMetadata (prefer?: PeerState): void {
    if (this.metadataKnown || this.#closed) return
    if (this.#metaAsked != null && this.#peers.has(this.#metaAsked)) return
    const ready = [...this.#peers.values()].filter(p => p.wire.authenticated && !this.#metaRefused.has(p.id))
    const peer = prefer != null && ready.includes(prefer) ? prefer : ready[0]
    if (peer == null) return
    this.#metaAsked = peer.id
    if (this.manifest == null) peer.wire.send({ t: 'manifest?' })
    else this.#askLeaves(peer)
  }

  #askLeaves (peer: PeerState): void {
    const count = this.header!.blockCount
    this.#leafSource = peer.id
    this.#leafParts.clear()
    for (let from = 0; from < count; from += MAX_LEAVES_PER_MESSAGE) {
      peer.wire.send({ t: 'leaves?', from, count: Math.min(MAX_LEAVES_PER_MESSAGE, count - from) })
    }
  }

  #onLeaves (peer: PeerState, from: number, data: Uint8Array): void {
    const header = this.header
    if (this.#leaves != null || header == null || peer.id !== this.#leafSource) return
    if (from % MAX_LEAVES_PER_MESSAGE !== 0 || from >= header.blockCount || data.length !== Math.min(MAX_LEAVES_PER_MESSAGE, header.blockCount - from) * 32) {
      this.#ban(peer, 'sent a malformed leaf list')
      return
    }
    this.#leafParts.set(from, data)
    const parts = Math.ceil(header.blockCount / MAX_LEAVES_PER_MESSAGE)
    if (this.#leafParts.size < parts) return
    const leaves = Buffer.alloc(header.blockCount * 32)
    for (const [f, d] of this.#leafParts) leaves.set(d, f * 32)
    this.#leafParts.clear()
    this.#metaAsked = undefined
    if (!Buffer.from(merkleRootOf(leaves)).equals(Buffer.from(header.root))) {
      this.#ban(peer, 'sent leaves that do not match the Merkle root')
      this.#askMetadata()
      return
    }
    this.#leaves = leaves
    this.#emit({ type: 'leaves:verified', peer: peer.id, count: header.blockCount })
    this.#onMetadata()
  }

  #onMetadata (): void {
    this.emit('metadata')
    if (this.#store != null) void this.#initBlocks()
  }

  /**
   * Tells `peer` that block `index` is held: `now` for the peer it came from (the `have` goes
   * out with the requests that refill its pipeline), else with the next messages to that peer.
   */
  #announce (peer: PeerState, index: number, now: boolean): void {
    peer.pendingHaves.push(index)
    if (now) this.#flushHaves(peer)
    else peer.haveTimer ??= setTimeout(() => { this.#flushHaves(peer) }, HAVE_DELAY_MS).unref()
  }

  #flushHaves (peer: PeerState): void {
    clearTimeout(peer.haveTimer)
    peer.haveTimer = undefined
    if (peer.pendingHaves.length === 0) return
    const pending = peer.pendingHaves
    peer.pendingHaves = []
    if (peer.wire.closed || !peer.wire.authenticated) return
    for (const index of pending) peer.wire.wire.have(index)
  }

  /** Keeps `peer.depth` requests in flight to an unchoking peer. */
  #fill (peer: PeerState): void {
    this.#flushHaves(peer) // in the same write as the requests below
    const have = this.#have
    if (have == null || this.#closed || this.#missing === 0 || this.#storing.size >= MAX_STORING) return
    const wire = peer.wire.wire
    if (wire.peerChoking || peer.wire.closed) return
    // A reader waiting on a window comes first; background picks keep a slot or so meanwhile.
    const streaming = this.#windowsPending()
    let background = 0
    if (streaming) for (const i of peer.inflight.keys()) if (!this.#inWindow(i)) background++
    while (peer.inflight.size < peer.depth) {
      const windowed = streaming ? this.#pickWindowed(peer) : undefined
      if (windowed != null) { this.#windowRequests.add(windowed); this.#request(peer, windowed); continue }
      if (streaming && background >= BACKGROUND_SLOTS_WHILE_STREAMING) break
      const index = this.#pick(peer)
      if (index == null) break
      this.#request(peer, index)
      background++
    }
  }

  /**
   * Rarest first, ties broken at random: a scan from a random block that stops at the first
   * block as rare as any missing block can be (usually one of the first few looked at), so a
   * pick is not a pass over every block of the share (quadratic in the block count per fetch).
   */
  #pick (peer: PeerState): number | undefined {
    const have = this.#have!
    const av = this.#availability!
    const bits = peer.wire.wire.peerPieces
    const size = have.size
    const randomFirst = have.count < RANDOM_FIRST
    const floor = this.#rarest()
    const start = Math.floor(Math.random() * size)
    let best = Infinity
    let bestIndex: number | undefined
    for (let k = 0; k < size; k++) {
      const i = start + k < size ? start + k : start + k - size
      if (have.get(i) || !bits.get(i) || this.#asked[i]! > 0 || this.#storing.has(i) || !this.#isWanted(i)) continue
      const a = av[i]!
      if (randomFirst || a <= floor) return i
      if (a < best) { best = a; bestIndex = i }
    }
    if (bestIndex != null) return bestIndex
    // Endgame: only the last few blocks, each asked of at most one more peer, so the tail does
    // not wait on the slowest peer and duplicates stay few.
    if (this.#missing > ENDGAME_BLOCKS) return undefined
    for (let i = 0; i < size; i++) {
      if (have.get(i) || !bits.get(i) || peer.inflight.has(i) || !this.#isWanted(i) || this.#storing.has(i)) continue
      if (this.#asked[i]! < 2) return i
    }
    return undefined
  }

  #request (peer: PeerState, index: number): void {
    const header = this.header!
    const length = blockLength(header, index) + TAG_BYTES
    const timer = setTimeout(() => { this.#onTimeout(peer, index) }, this.options.requestTimeoutMs ?? 60_000)
    timer.unref()
    this.#track(peer, index, timer)
    this.#emit({ type: 'block:requested', peer: peer.id, index })
    peer.wire.wire.request(index, 0, length, (err, buf) => {
      const entry = this.#untrack(peer, index)
      if (entry == null) return
      if (err != null || buf == null) { this.#fillAll(); return }
      void this.#onBlock(peer, index, buf, performance.now() - entry.sentAt)
    })
  }

  #track (peer: PeerState, index: number, timer: NodeJS.Timeout): void {
    peer.inflight.set(index, { sentAt: performance.now(), timer })
    this.#asked[index]!++
  }

  /** Forgets a request (answered, timed out, cancelled); returns it if it was in flight. */
  #untrack (peer: PeerState, index: number): { sentAt: number } | undefined {
    const entry = peer.inflight.get(index)
    if (entry == null) return undefined
    clearTimeout(entry.timer)
    peer.inflight.delete(index)
    this.#asked[index]!--
    return entry
  }

  #onTimeout (peer: PeerState, index: number): void {
    if (this.#untrack(peer, index) == null) return
    this.#emit({ type: 'block:timeout', peer: peer.id, index })
    peer.wire.wire.cancel(index, 0, blockLength(this.header!, index) + TAG_BYTES)
    peer.depth = MIN_DEPTH // a peer that stalls gets a short pipeline until it proves itself again
    peer.probe = freshProbe()
    this.#fillAll(peer)
  }

  async #onBlock (peer: PeerState, index: number, buf: Uint8Array, elapsedMs: number): Promise<void> {
    const have = this.#have!
    if (this.#closed) return
    if (have.get(index) || this.#storing.has(index)) { this.#fill(peer); return } // endgame duplicate
    const leaf = this.#leaves!.subarray(index * 32, index * 32 + 32)
    const store = this.#store!
    // The store may take buf's memory (verifyAndPut): only its length is used after that.
    const bytes = buf.length
    const rejectLie = (): void => {
      this.#emit({ type: 'block:rejected', peer: peer.id, index, reason: 'hash mismatch' })
      this.#ban(peer, `sent block ${index} that does not match its hash`)
    }
    if (store.verifyAndPut == null && !createHash('sha256').update(buf).digest().equals(leaf)) { rejectLie(); return }
    this.#adapt(peer, bytes, elapsedMs)
    this.#storing.add(index)
    try {
      if (store.verifyAndPut == null) await store.put?.(index, buf)
      else if (await store.verifyAndPut(index, buf, leaf) === 'mismatch') { rejectLie(); return }
    } catch (err) {
      // Our disk, not the peer, failed: say so and let the block be fetched again.
      this.#emit({ type: 'block:rejected', peer: peer.id, index, reason: `could not store: ${(err as Error).message}` })
      if (this.listenerCount('error') > 0) this.emit('error', err as Error)
      return
    } finally {
      // Peers held back by MAX_STORING get their requests now.
      if (this.#storing.size >= MAX_STORING) queueMicrotask(() => { this.#fillAll() })
      this.#storing.delete(index)
    }
    if (!have.set(index)) return
    if (this.#isWanted(index)) {
      this.#missing--
      this.#rarity[this.#availability![index]!]!--
    }
    peer.received += bytes
    this.#downloaded += bytes
    this.#emit({ type: 'block:verified', peer: peer.id, index, bytes })
    // Advertise only what can be served (a block may straddle a file this fetch skips).
    const servable = await this.#store!.has(index)
    for (const p of this.#peers.values()) {
      if (servable && p.wire.authenticated) this.#announce(p, index, p === peer)
      if (p !== peer && this.#untrack(p, index) != null) p.wire.wire.cancel(index, 0, bytes)
    }
    if (this.#missing === 0) { this.#finish(); return }
    this.#fill(peer)
  }

  /**
   * Depth ≈ bandwidth × delay in blocks, plus slack: deep pipes for Tor's long round trips. The
   * bandwidth is the measured delivery rate and the delay the shortest round trip seen: a block's
   * round trip includes the requests queued before it, so "in flight ÷ round trip" or the average
   * round trip grow with the depth itself, which drove every loopback peer to MAX_DEPTH (16 MiB
   * of blocks buffered per peer, for no extra speed). The slack (half again, plus 2) keeps probing
   * for more, so a slow start on Tor still grows geometrically. The delay is at least
   * RTT_FLOOR_MS shared among the peers with requests in flight: see there.
   */
  #adapt (peer: PeerState, bytes: number, elapsedMs: number): void {
    peer.rttMs = peer.rttMs * 0.8 + elapsedMs * 0.2
    peer.minRttMs = Math.min(peer.minRttMs, elapsedMs)
    const now = performance.now()
    if (peer.rateSince === 0) peer.rateSince = now - elapsedMs
    peer.rateBytes += bytes
    const window = now - peer.rateSince
    if (window >= Math.max(20, peer.minRttMs)) {
      const rate = peer.rateBytes / window
      peer.bytesPerMs = peer.bytesPerMs === 0 ? rate : peer.bytesPerMs * 0.7 + rate * 0.3
      peer.rateBytes = 0
      peer.rateSince = now
    }
    const probe = peer.probe
    if (probe.since === 0) probe.since = now - elapsedMs
    probe.bytes += bytes
    if (now - probe.since >= Math.max(100, peer.rttMs)) {
      this.#probe(peer, probe.bytes / (now - probe.since))
      probe.bytes = 0
      probe.since = now
    }
    if (peer.bytesPerMs === 0) { peer.depth = Math.min(MAX_DEPTH, peer.depth + 1); return }
    const blockBytes = this.header!.blockSize + TAG_BYTES
    let senders = 0
    for (const p of this.#peers.values()) if (p.inflight.size > 0) senders++
    const bdp = Math.ceil((peer.bytesPerMs * Math.max(peer.minRttMs, RTT_FLOOR_MS / Math.max(1, senders))) / blockBytes)
    const wanted = Math.max(Math.ceil(bdp * 1.5) + 2, probe.depth)
    peer.depth = Math.max(MIN_DEPTH, Math.min(MAX_DEPTH, wanted, peer.depth + 1))
  }

  /**
   * Rate × shortest round trip underestimates what a Tor path needs in flight: its round trips
   * vary several-fold (cell scheduling, flow-control windows), and measured here a pipeline of
   * 5–7 blocks sat at 2–4 MiB/s where a plain stream moved 3–10. So the depth also grows while
   * more of it still buys rate, and holds once it does not (the probe). On loopback the rate is at
   * its ceiling almost at once, so the probe stops within a few windows at a shallow depth.
   * Only a full pipeline tells anything: with fewer requests out than the depth (nothing left to
   * pick, the store behind, a reader's window) the rate says nothing about depth.
   */
  #probe (peer: PeerState, rate: number): void {
    const probe = peer.probe
    if (peer.minRttMs < PROBE_MIN_RTT_MS) { probe.depth = MIN_DEPTH; return }
    if (peer.inflight.size < peer.depth - 1) return
    if (rate >= probe.best * PROBE_GAIN) {
      probe.best = rate
      probe.bestDepth = peer.depth
      probe.flat = 0
      probe.depth = Math.min(MAX_DEPTH, Math.ceil(peer.depth * 1.5))
      return
    }
    probe.flat++
    // Full: keep a quarter more than the depth that first reached the best rate.
    if (probe.flat === PROBE_FLAT_WINDOWS) probe.depth = Math.min(MAX_DEPTH, Math.ceil(probe.bestDepth * 1.25))
    if (probe.flat >= PROBE_FLAT_WINDOWS + PROBE_REARM_WINDOWS) { probe.best = rate; probe.flat = 0 }
  }

  #fillAll (except?: PeerState): void {
    for (const p of this.#peers.values()) if (p !== except) this.#fill(p)
    if (except != null) this.#fill(except)
  }

  #ban (peer: PeerState, reason: string): void {
    this.#banned.add(peer.id)
    this.#emit({ type: 'peer:banned', peer: peer.id, reason })
    peer.wire.close(new Error(reason))
  }

  #onClose (peer: PeerState, err?: Error): void {
    if (this.#peers.get(peer.id) !== peer) return
    this.#peers.delete(peer.id)
    clearTimeout(peer.haveTimer)
    for (const index of [...peer.inflight.keys()]) this.#untrack(peer, index)
    if (peer.wire.authenticated) this.#countPeer(peer, -1)
    this.#emit({ type: 'peer:closed', peer: peer.id, ...(err != null ? { reason: err.message } : {}) })
    if (this.#metaAsked === peer.id) { this.#metaAsked = undefined; this.#askMetadata() }
    this.#fillAll()
  }

  #finish (): void {
    for (const p of this.#peers.values()) {
      this.#flushHaves(p)
      if (p.wire.authenticated) p.wire.wire.uninterested()
    }
    this.#emit({ type: 'complete', blocks: this.#have!.count })
    this.emit('complete')
  }
}
