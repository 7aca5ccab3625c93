import { EventEmitter } from 'node:events'
import createDebug from 'debug'
import type { Duplex } from 'node:stream'
import { TAG_BYTES, type ManifestHeader, type SealedManifest } from '../blocks/index.ts'
import { Bits } from './bitfield.ts'
import { CHOKE_ROUND_MS, DEFAULT_MAX_PEERS, MAX_BLOCK_BYTES_BEFORE_MANIFEST, MAX_LANES, PEER_IDLE_EVICT_MS } from './constants.ts'
import { MessageDispatch } from './dispatch.ts'
import { Downloader } from './download.ts'
import type { SwarmEvent } from './events.ts'
import { MetadataExchange } from './metadata.ts'
import { PeerWire } from './peer-wire.ts'
import type { LaneState } from './lanes.ts'
import { newNode, newPeer, type PeerNode, type SwarmContext, type SwarmPeer } from './peer.ts'
import { BLOCK_HELD, BLOCK_INFLIGHT, BLOCK_MISSING, BLOCK_SKIPPED, type PeerSnapshot, type PriorityWindow, type SwarmOptions, type SwarmSnapshot, type SwarmStats, type SwarmStore } from './types.ts'
import { Uploader } from './upload.ts'
import { PriorityWindows } from './windows.ts'

// DEBUG=oht:swarm (peers, bans, completion), oht:swarm:block (every block: verbose).
const logSwarm = createDebug('oht:swarm')
const logBlock = createDebug('oht:swarm:block')

export { BLOCK_HELD, BLOCK_INFLIGHT, BLOCK_MISSING, BLOCK_SKIPPED }
export type { PeerSnapshot, PriorityWindow, SwarmOptions, SwarmSnapshot, SwarmStats, SwarmStore }

/**
 * One swarm per share: speaks to every peer of the share at once, fetches missing blocks
 * rarest-first (random first pieces, endgame at the end), verifies each against its leaf hash,
 * bans a peer that sends a bad block, serves what it holds.
 *
 * The composer of the swarm's units: MetadataExchange (manifest and leaves over oht_v1),
 * Downloader (PiecePicker's choices kept in flight by each peer's Pipeline), Uploader (serving,
 * choking: choker.ts), MessageDispatch (each wire message to its unit). Streaming readers set
 * priority windows (setPriorityWindow): their blocks are picked first, deadline-ordered.
 */
export class Swarm extends EventEmitter<{ event: [SwarmEvent], metadata: [], ready: [], complete: [], error: [Error] }> {
  readonly options: SwarmOptions
  /** Every connection (lane), keyed `<node id>/<lane>`. */
  readonly #peers = new Map<string, SwarmPeer>()
  readonly #nodes = new Map<string, PeerNode>()
  readonly #banned = new Set<string>()
  #store?: SwarmStore
  #wanted?: Bits
  #closed = false
  readonly #chokeTimer: NodeJS.Timeout
  readonly #windows = new PriorityWindows()
  readonly #metadata: MetadataExchange
  readonly #download: Downloader
  readonly #upload: Uploader
  readonly #dispatch: MessageDispatch

  constructor (options: SwarmOptions) {
    super()
    this.options = options
    if (options.store != null) this.#store = options.store
    const self = this
    const ctx: SwarmContext = {
      options,
      peers: this.#peers,
      nodes: this.#nodes,
      get header () { return self.header },
      get store () { return self.#store },
      get closed () { return self.#closed },
      emit: e => { this.#emit(e) },
      ban: (peer, reason) => { this.#ban(peer, reason) }
    }
    this.#metadata = new MetadataExchange(ctx, options, () => { this.#onMetadata() })
    this.#download = new Downloader(ctx, this.#windows, {
      request: (peer, index, length) => { this.#dispatch.request(peer, index, length) },
      leaves: () => this.#metadata.leaves!,
      storeFailed: err => { if (this.listenerCount('error') > 0) this.emit('error', err) },
      complete: () => {
        this.#emit({ type: 'complete', blocks: this.have!.count })
        this.emit('complete')
      }
    })
    const download = this.#download
    this.#upload = new Uploader(ctx, { get have () { return download.picker?.have }, get seeding () { return download.missing === 0 } })
    this.#dispatch = new MessageDispatch({
      metadata: this.#metadata,
      upload: this.#upload,
      download,
      connected: peer => { this.#onReady(peer) },
      closed: (peer, err) => { this.#onClose(peer, err) }
    })
    this.#chokeTimer = setInterval(() => { this.#upload.chokeRound() }, CHOKE_ROUND_MS)
    this.#chokeTimer.unref()
  }

  get manifest (): SealedManifest | undefined { return this.#metadata.manifest }
  get header (): ManifestHeader | undefined { return this.manifest?.header }
  get leaves (): Uint8Array | undefined { return this.#metadata.leaves }
  get have (): Bits | undefined { return this.#download.picker?.have }
  /** Every wanted block is held. */
  get complete (): boolean { return this.have != null && this.#download.missing === 0 }
  get metadataKnown (): boolean { return this.#metadata.known }
  /** Nodes connected (each over one or more lanes). */
  get peerCount (): number { return this.#nodes.size }
  /** Connections over every node's lanes (striping counts each lane). */
  get laneCount (): number { let n = 0; for (const node of this.#nodes.values()) n += node.lanes.size; return n }
  get banned (): ReadonlySet<string> { return this.#banned }

  stats (): SwarmStats {
    const held = this.have?.count ?? 0
    return {
      id: this.options.manifestCid.toString(),
      peers: this.#nodes.size,
      uploaded: this.#upload.uploaded,
      downloaded: this.#download.downloaded,
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
    const picker = this.#download.picker
    if (picker != null) for (let i = 0; i < count; i++) blocks[i] = picker.state(i)
    const peers = [...this.#nodes.values()].map(node => {
      const lanes = [...node.lanes]
      const ready = lanes.filter(p => p.wire.authenticated)
      return {
        id: node.id,
        lanes: lanes.length,
        received: node.received,
        served: node.served,
        inflight: lanes.reduce((n, p) => n + p.pipeline.size, 0),
        rttMs: Math.round(Math.min(...lanes.map(p => p.pipeline.rttMs))),
        amChoking: ready.every(p => p.wire.wire.amChoking),
        peerChoking: ready.every(p => p.wire.wire.peerChoking),
        peerInterested: ready.some(p => p.wire.wire.peerInterested)
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
    if (this.#store != null && this.have != null) throw new Error('this node already fetches or seeds this share into another place; copy that output instead (one swarm feeds one output for now)')
    this.#store = store
    if (wanted != null) {
      const bits = new Bits(this.header!.blockCount)
      for (const i of wanted) bits.set(i)
      this.#wanted = bits
    }
    if (this.metadataKnown) await this.#initBlocks()
  }

  /**
   * Adds an authenticated oht stream (protocol `swarm`) as a peer: a new node (up to maxPeers
   * nodes), or another lane of a node already here (up to MAX_LANES lanes). Each lane proves the
   * swarm key on its own (PeerWire).
   */
  addPeer (stream: Duplex, initiator: boolean, remoteNodeId: Uint8Array): PeerWire | undefined {
    const id = Buffer.from(remoteNodeId).toString('hex')
    const known = this.#nodes.get(id)
    const full = known != null ? known.lanes.size >= MAX_LANES : this.#nodes.size >= (this.options.maxPeers ?? DEFAULT_MAX_PEERS) && !this.#evictIdle()
    if (this.#closed || this.#banned.has(id) || full) {
      stream.destroy()
      return undefined
    }
    const o = this.options
    const maxBlock = (this.header?.blockSize ?? MAX_BLOCK_BYTES_BEFORE_MANIFEST) + TAG_BYTES
    const wire = new PeerWire({ stream, initiator, infoHash: o.infoHash, swarmKey: o.swarmKey, localNodeId: o.localNodeId, remoteNodeId, maxBlockBytes: maxBlock, wantsManifest: () => this.manifest == null })
    const node = known ?? newNode(id, o.perPeerUpload?.bucket(`${Buffer.from(o.infoHash).toString('hex')}/${id}`))
    const peer = newPeer(node, wire)
    node.lanes.add(peer)
    this.#nodes.set(id, node)
    this.#peers.set(peer.key, peer)
    this.#dispatch.attach(peer)
    // A dial of a fetch that lacks the metadata: `interested` and the metadata requests ride
    // behind the handshakes and the proof (PeerWire), so the peer answers them all in one go.
    if (initiator && !this.metadataKnown) {
      wire.wire.interested()
      this.#metadata.askEarly(peer)
    }
    return wire
  }

  /**
   * What the lane controller (lanes.ts) reads of a node: its lanes, what it delivered, its
   * shortest round trip, and whether it has blocks this fetch still misses. Undefined once gone.
   */
  laneState (nodeId: string): LaneState | undefined {
    const node = this.#nodes.get(nodeId)
    if (node == null || this.#closed) return undefined
    let delivering = 0
    let minRttMs = Infinity
    for (const p of node.lanes) {
      if (p.pipeline.minRttMs < Infinity) delivering++
      minRttMs = Math.min(minRttMs, p.pipeline.minRttMs)
    }
    return { lanes: node.lanes.size, delivering, received: node.received, minRttMs, useful: this.#download.wantsFrom(node), missing: this.#download.missing }
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
    const known = this.#windows.has(readerId)
    const next = this.#windows.set(readerId, window, last)
    if (logBlock.enabled) logBlock('%s window %s %s', this.options.manifestCid.toString().slice(-12), readerId.slice(0, 24), next == null ? 'gone' : `${next.from}..${next.to}`)
    this.#download.windowChanged(next, known !== (next != null))
  }

  /**
   * A stream of this share is open (a player may seek at any moment): until the function returned
   * is called, background requests stay as shallow as while a reader waits on a window, so a
   * seek's block does not queue behind a pipeline of rarest-first blocks.
   */
  holdForStreaming (): () => void { return this.#download.holdForStreaming() }

  /** True when block `index` is verified and stored (readable from the store). */
  isHeld (index: number): boolean { return this.have?.get(index) === true }

  /** Ciphertext of a held block from the swarm's store (for readers outside the swarm: the public fetch page). */
  async readHeld (index: number): Promise<Uint8Array> {
    if (!this.isHeld(index) || this.#store == null) throw new Error(`block ${index} is not held`)
    return await this.#store.get(index)
  }

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

  /** Leaves the swarm; with a `reason`, each peer is told it (a `refuse`) before its connection closes. */
  close (reason?: string): void {
    this.#closed = true
    clearInterval(this.#chokeTimer)
    this.#metadata.close()
    void this.#store?.close?.()
    for (const p of [...this.#peers.values()]) {
      clearTimeout(p.haveTimer)
      if (reason != null) p.wire.leave(reason)
      else p.wire.close()
    }
  }

  #emit (e: SwarmEvent): void {
    const log = e.type.startsWith('block:') ? logBlock : logSwarm
    if (log.enabled) log('%s %s %o', this.options.manifestCid.toString().slice(-12), e.type, { ...e, type: undefined, ...('peer' in e ? { peer: e.peer.slice(0, 12) } : {}) })
    this.emit('event', e)
  }

  async #initBlocks (): Promise<void> {
    if (this.have != null || this.#store == null) return
    const header = this.manifest!.header
    if (this.leaves!.length !== header.blockCount * 32) throw new Error('leaf list does not match the block count')
    this.#metadata.buildTree()
    const have = new Bits(header.blockCount)
    for (let i = 0; i < header.blockCount; i++) if (await this.#store.has(i)) have.set(i)
    this.#download.start(have, this.#wanted)
    this.emit('ready')
    for (const p of this.#peers.values()) if (p.wire.authenticated) this.#download.startExchange(p)
    if (this.#download.missing === 0) this.#download.finish()
  }

  #onMetadata (): void {
    this.emit('metadata')
    if (this.#store != null) void this.#initBlocks()
  }

  #onReady (peer: SwarmPeer): void {
    // A node's later lanes are not new peers.
    if (![...peer.node.lanes].some(p => p !== peer && p.wire.authenticated)) this.#emit({ type: 'peer:connected', peer: peer.id })
    if (this.have != null) this.#download.startExchange(peer)
    else this.#metadata.ask()
    // A fetch still waiting for the metadata wants blocks: say so now, so the peer's unchoke
    // travels while the metadata does (one round trip less before the first block over Tor).
    if (!this.metadataKnown && !peer.wire.closed) peer.wire.wire.interested()
  }

  /**
   * Frees a node slot for a newcomer: drops the node that exchanged no block with this one for
   * the longest, if longer than PEER_IDLE_EVICT_MS. False when every node is in use.
   */
  #evictIdle (): boolean {
    const now = performance.now()
    let stalest: PeerNode | undefined
    for (const node of this.#nodes.values()) {
      if (now - node.lastActive < PEER_IDLE_EVICT_MS) continue
      if (stalest == null || node.lastActive < stalest.lastActive) stalest = node
    }
    if (stalest == null) return false
    this.#emit({ type: 'peer:evicted', peer: stalest.id, reason: `exchanged nothing for ${Math.round((now - stalest.lastActive) / 1000)} s while the swarm was full` })
    for (const lane of [...stalest.lanes]) lane.wire.close(new Error('evicted: idle while the swarm was full'))
    // close() reaches #onClose at once; a node whose lanes were already closing is let go here.
    this.#nodes.delete(stalest.id)
    stalest.releaseUploadLimiter?.()
    return true
  }

  #ban (peer: SwarmPeer, reason: string): void {
    this.#banned.add(peer.id)
    this.#emit({ type: 'peer:banned', peer: peer.id, reason })
    for (const lane of [...peer.node.lanes]) lane.wire.close(new Error(reason))
  }

  #onClose (peer: SwarmPeer, err?: Error): void {
    if (this.#peers.get(peer.key) !== peer) return
    this.#peers.delete(peer.key)
    const node = peer.node
    node.lanes.delete(peer)
    // A lane that dies is not the node leaving: its requests go back to the pool (peerLeft) and
    // the node's other lanes carry on.
    this.#download.peerLeft(peer)
    if (node.lanes.size === 0 && this.#nodes.get(node.id) === node) {
      this.#nodes.delete(node.id)
      node.releaseUploadLimiter?.()
      const refusal = peer.wire.lastRefusal
      this.#emit({ type: 'peer:closed', peer: peer.id, ...(err != null ? { reason: err.message } : {}), ...(refusal != null ? { refusal } : {}) })
    }
    this.#metadata.peerLeft(peer)
    this.#download.fillAll()
  }
}
