import { EventEmitter } from 'node:events'
import { createHash } from 'node:crypto'
import type { Duplex } from 'node:stream'
import { blockLength, decodeManifest, merkleRootOf, TAG_BYTES, type CID, type ManifestHeader, type SealedManifest } from '../blocks/index.ts'
import { MerkleTree } from '../merkle/index.ts'
import { splitLeaves } from '../blocks/share.ts'
import { Bits } from './bitfield.ts'
import { PeerWire } from './peer-wire.ts'
import { MAX_LEAVES_PER_MESSAGE, type ExtensionMessage } from './messages.ts'
import type { SwarmEvent } from './events.ts'
import type { RateLimiter } from './ratelimit.ts'
import { chokeRound, CHOKE_ROUND_MS, type ChokablePeer, type ChokerState } from './choker.ts'

/** Where a swarm reads blocks it serves and writes blocks it fetched. */
export interface SwarmStore {
  /** True when the block is held and can be served. */
  has (index: number): boolean | Promise<boolean>
  /** Ciphertext of a held block (already verified when it was stored). */
  get (index: number): Promise<Uint8Array>
  /** Stores a block that matched its leaf hash. */
  put? (index: number, ciphertext: Uint8Array): Promise<unknown>
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

interface PeerState {
  wire: PeerWire
  id: string
  inflight: Map<number, { sentAt: number, timer: NodeJS.Timeout }>
  /** Pipeline depth in blocks, grown from measured rate × round trip. */
  depth: number
  rttMs: number
  bytesPerMs: number
  received: number
  served: number
  lastRoundBytes: number
  lastRoundAt: number
  /** Blocks this seed refused once to this peer because another peer has them. */
  deflected: Set<number>
}

const MIN_DEPTH = 2
const MAX_DEPTH = 64
const RANDOM_FIRST = 4
/** Missing blocks at which the endgame starts duplicating requests. */
const ENDGAME_BLOCKS = 8

/**
 * One swarm per share: speaks to every peer of the share at once, fetches missing blocks
 * rarest-first (random first pieces, endgame at the end), verifies each against its leaf hash,
 * bans a peer that sends a bad block, serves what it holds.
 *
 * Choking is tit-for-tat with an optimistic slot (choker.ts). Not yet: streaming deadlines,
 * upload rate limits.
 */
export class Swarm extends EventEmitter<{ event: [SwarmEvent], metadata: [], ready: [], complete: [], error: [Error] }> {
  readonly options: SwarmOptions
  manifest?: SealedManifest
  #leaves?: Uint8Array
  #tree?: MerkleTree
  #have?: Bits
  #availability?: Uint16Array
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
    const peer: PeerState = { wire, id, inflight: new Map(), depth: MIN_DEPTH * 2, rttMs: 1000, bytesPerMs: 0, received: 0, served: 0, lastRoundBytes: 0, lastRoundAt: performance.now(), deflected: new Set() }
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

  close (): void {
    this.#closed = true
    clearInterval(this.#chokeTimer)
    void this.#store?.close?.()
    for (const p of this.#peers.values()) p.wire.close()
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
      if (this.#availability != null && index < this.#availability.length) { this.#availability[index]!++; this.#fill(peer) }
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
    for (let i = 0; i < av.length; i++) if (bits.get(i)) av[i] = Math.max(0, av[i]! + delta)
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
    if (!this.#have.get(index) || !(await this.#store!.has(index))) { respond(new Error('block not held')); return }
    if (this.#shouldDeflect(peer, index)) { respond(new Error('ask a peer that has it')); return }
    try {
      const bytes = await this.#store!.get(index)
      await this.options.uploadLimiter?.take(bytes.length)
      if (peer.wire.closed) return
      respond(null, bytes)
      peer.served += bytes.length
      this.#uploaded += bytes.length
      this.#sentCount[index] = (this.#sentCount[index] ?? 0) + 1
      this.#emit({ type: 'block:served', peer: peer.id, index, bytes: bytes.length })
    } catch (err) {
      respond(err as Error)
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

  /** Keeps `peer.depth` requests in flight to an unchoking peer. */
  #fill (peer: PeerState): void {
    const have = this.#have
    if (have == null || this.#closed || this.#missing === 0) return
    const wire = peer.wire.wire
    if (wire.peerChoking || peer.wire.closed) return
    while (peer.inflight.size < peer.depth) {
      const index = this.#pick(peer)
      if (index == null) break
      this.#request(peer, index)
    }
  }

  #pick (peer: PeerState): number | undefined {
    const have = this.#have!
    const av = this.#availability!
    const bits = peer.wire.wire.peerPieces
    const candidates: number[] = []
    let best = Infinity
    for (let i = 0; i < have.size; i++) {
      if (have.get(i) || !bits.get(i) || this.#asked[i]! > 0 || this.#storing.has(i) || !this.#isWanted(i)) continue
      if (have.count < RANDOM_FIRST) { candidates.push(i); continue }
      const a = av[i]!
      if (a < best) { best = a; candidates.length = 0 }
      if (a === best) candidates.push(i)
    }
    if (candidates.length > 0) return candidates[Math.floor(Math.random() * candidates.length)]
    // Endgame: only the last few blocks, each asked of at most one more peer, so the tail does
    // not wait on the slowest peer and duplicates stay few.
    if (this.#missing > ENDGAME_BLOCKS) return undefined
    for (let i = 0; i < have.size; i++) {
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
    this.#fillAll(peer)
  }

  async #onBlock (peer: PeerState, index: number, buf: Uint8Array, elapsedMs: number): Promise<void> {
    const have = this.#have!
    if (this.#closed) return
    if (have.get(index) || this.#storing.has(index)) { this.#fill(peer); return } // endgame duplicate
    const digest = createHash('sha256').update(buf).digest()
    const leaf = this.#leaves!.subarray(index * 32, index * 32 + 32)
    if (!digest.equals(leaf)) {
      this.#emit({ type: 'block:rejected', peer: peer.id, index, reason: 'hash mismatch' })
      this.#ban(peer, `sent block ${index} that does not match its hash`)
      return
    }
    this.#adapt(peer, buf.length, elapsedMs)
    this.#storing.add(index)
    try {
      await this.#store!.put?.(index, buf)
    } catch (err) {
      // Our disk, not the peer, failed: say so and let the block be fetched again.
      this.#emit({ type: 'block:rejected', peer: peer.id, index, reason: `could not store: ${(err as Error).message}` })
      if (this.listenerCount('error') > 0) this.emit('error', err as Error)
      return
    } finally {
      this.#storing.delete(index)
    }
    if (!have.set(index)) return
    if (this.#isWanted(index)) this.#missing--
    peer.received += buf.length
    this.#downloaded += buf.length
    this.#emit({ type: 'block:verified', peer: peer.id, index, bytes: buf.length })
    // Advertise only what can be served (a block may straddle a file this fetch skips).
    const servable = await this.#store!.has(index)
    for (const p of this.#peers.values()) {
      if (servable && p.wire.authenticated) p.wire.wire.have(index)
      if (p !== peer && this.#untrack(p, index) != null) p.wire.wire.cancel(index, 0, buf.length)
    }
    if (this.#missing === 0) { this.#finish(); return }
    this.#fill(peer)
  }

  /** Depth ≈ bandwidth × delay in blocks, plus slack: deep pipes for Tor's long round trips. */
  #adapt (peer: PeerState, bytes: number, elapsedMs: number): void {
    peer.rttMs = peer.rttMs * 0.8 + elapsedMs * 0.2
    const rate = bytes / Math.max(1, elapsedMs) * peer.inflight.size
    peer.bytesPerMs = peer.bytesPerMs === 0 ? rate : peer.bytesPerMs * 0.8 + rate * 0.2
    const blockBytes = this.header!.blockSize + TAG_BYTES
    const bdp = Math.ceil((peer.bytesPerMs * peer.rttMs) / blockBytes)
    peer.depth = Math.max(MIN_DEPTH, Math.min(MAX_DEPTH, bdp + 2, peer.depth + 1))
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
    for (const index of [...peer.inflight.keys()]) this.#untrack(peer, index)
    if (peer.wire.authenticated) this.#countPeer(peer, -1)
    this.#emit({ type: 'peer:closed', peer: peer.id, ...(err != null ? { reason: err.message } : {}) })
    if (this.#metaAsked === peer.id) { this.#metaAsked = undefined; this.#askMetadata() }
    this.#fillAll()
  }

  #finish (): void {
    for (const p of this.#peers.values()) if (p.wire.authenticated) p.wire.wire.uninterested()
    this.#emit({ type: 'complete', blocks: this.#have!.count })
    this.emit('complete')
  }
}
