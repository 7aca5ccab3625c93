// What the CLI asks of a node, the same whether it runs in this process (LocalService) or in a
// daemon (api/client.ts). A link arrives here as a ReadCap: parsed once, where it entered.
import { FileBlockSource, topicOf, verifyCapOf, type Capability, type ReadCap, type ShareBuildOptions } from '../blocks/index.ts'
import type { SwarmStats } from '../swarm/index.ts'
import { TorTransport } from '../onion/index.ts'
import { resolve } from 'node:path'
import { NodeError } from './errors.ts'
import {
  exportCar, importCar, fetchFromPeers, fetchedShares, FetchError, forgetFetched, seedFromOutput, TransferJournal, type ExportResult, type ImportResult, type FetchEvent, type FetchRequest, type FetchResult, type ListedShare, type OhtNode, type ShareResult } from './transfers/index.ts'
import { peersToFetchFrom, type Discovery, type NodeNetwork } from './network/index.ts'
import { LocalPinService, type PinService } from './pins/index.ts'
import type { WarningSink } from './errors.ts'

export type { FetchRequest } from './transfers/index.ts'

export interface StatusResult {
  nodeId: string
  address: string | null
  transport: string | null
  daemon: boolean
  swarms: SwarmStats[]
  /** Present when the node uses the DHT: its routing table size. */
  dht?: { nodes: number }
  /** Present with the Tor transport: tor's bootstrap progress (percent) and its summary. */
  tor?: { bootstrap: number, summary: string }
  /** The rate limits in force, node-wide and per peer, bytes per second (null: none); they change live (config). */
  limits?: { maxUpload: number | null, maxDownload: number | null, maxUploadPerPeer: number | null, maxDownloadPerPeer: number | null }
  /** Owned shares whose files changed on disk: no longer served (docs/SECURITY.md). */
  broken?: Array<{ id: string, name: string, reason: string }>
}

/** `status` stats the owned shares' files at most this often; `ls` does every time. */
const SOURCE_CHECK_MS = 5_000

/** What a share's peers are told when its owner's files changed (the reason names local paths). */
const SOURCE_CHANGED = 'the owner\'s files changed on disk; it no longer serves this share'

export type ShareOptions = Pick<ShareBuildOptions, 'name' | 'followSymlinks' | 'blockSize'>

/** What the CLI asks of a node: the same whether it runs embedded or in a daemon (API). */
export interface NodeService {
  status (): Promise<StatusResult>
  share (paths: string[], options: ShareOptions, onProgress?: (done: number, total: number) => void): Promise<ShareResult>
  list (): Promise<ListedShare[]>
  fetch (cap: ReadCap, request: FetchRequest, onEvent?: (e: FetchEvent) => void, signal?: AbortSignal): Promise<FetchResult>
  exportCar (cap: Capability, output?: string, onProgress?: (done: number, total: number) => void): Promise<ExportResult>
  importCar (file: string): Promise<ImportResult>
  /** Stops sharing a share and forgets it (owned, held, fetched); `deleteData`: what fetches of it wrote too. */
  unshare (id: string, options?: { deleteData?: boolean }): Promise<UnshareResult>
  close (): Promise<void>
  /** Pins, leases and remote pinning (pins/pin-service.ts). */
  readonly pins: PinService
}

/** What `unshare` did: which roles the share had here, and the files deleted (--delete-data). */
export interface UnshareResult {
  id: string
  owned: boolean
  held: boolean
  fetched: number
  removed: string[]
}


export interface LocalServiceOptions {
  /** A daemon: answers remote pin requests and announces what it fetches. */
  daemon?: boolean
  /** Where background failures go (a pin that cannot resume); the node itself never prints. */
  onWarning?: WarningSink
}

/** A NodeService over an OhtNode in this process, with or without a network. */
export class LocalService implements NodeService {
  readonly node: OhtNode
  readonly network: NodeNetwork | undefined
  readonly #daemon: boolean
  /** A daemon also answers remote pin requests (protocol `pin`); `pins.manager` emits active/inactive. */
  readonly pins: LocalPinService
  #discovery: Discovery | undefined
  /** The daemon's transfers, recorded in the node state (transfers/journal.ts). */
  readonly journal: TransferJournal
  #sourcesCheckedAt = -Infinity

  /** `options` as a boolean: whether this is a daemon (the older form, kept for callers). */
  constructor (node: OhtNode, network?: NodeNetwork, options: LocalServiceOptions | boolean = {}) {
    const o = typeof options === 'boolean' ? { daemon: options } : options
    this.node = node
    this.network = network
    this.#daemon = o.daemon === true
    this.pins = new LocalPinService(node, network, this.#daemon)
    this.journal = new TransferJournal(node.state, node.keys.vaultKey)
    const warn = o.onWarning ?? (() => {})
    this.pins.manager.on('error', err => { warn({ type: 'pin-error', reason: err.message }) })
  }

  get discovery (): Discovery | undefined { return this.#discovery }

  /**
   * Lets this node find peers in the DHT (a fetch or pin without peers) and announce what it
   * seeds: owned shares, active pins, and fetches once they hold blocks (daemon only).
   */
  attachDiscovery (discovery: Discovery): void {
    this.#discovery = discovery
    const manager = this.pins.manager
    manager.on('active', e => { void discovery.announceTopic(e.topic).catch(() => {}) })
    manager.on('inactive', e => { discovery.unannounceTopic(e.topic) })
    manager.findPeers = async (vcap, signal) => await discovery.findProviders(vcap, signal)
  }

  /** Seeds every share this node owns (a daemon does this at start). */
  async seedAll (): Promise<number> {
    let n = 0
    for (const cap of await this.node.ownedCaps()) {
      const { announced } = await this.#seed(cap)
      announced?.catch(() => {}) // re-announced on the DHT's republish timer anyway
      n++
    }
    // Active pins are seeded too (from the blockstore); interrupted pin fetches resume.
    n += (await this.pins.start()).seeded
    return n
  }

  /** Starts seeding; the returned promise (if any) settles when the DHT announcement did. */
  async #seed (cap: ReadCap): Promise<{ announced?: Promise<number> }> {
    if (this.network == null) return {}
    const id = cap.manifestCid.toString()
    if ((await this.node.state.getOwned(id))?.broken != null) return {}
    const held = await this.node.ciphertextSource(cap.manifestCid)
    const leaves = await this.node.state.getLeaves(id)
    if (held == null || leaves == null) return {}
    const vcap = verifyCapOf(cap)
    // Files that changed on disk are found serving a block: the share is then recorded broken
    // and no longer offered, so fetchers learn at once instead of waiting on refused blocks.
    if (held.source instanceof FileBlockSource) void held.source.whenStale().then(async reason => { await this.#sourceBroken(cap, reason) }).catch(() => {})
    await this.network.seed(cap.manifestCid, vcap.swarmKey, held.manifestBytes, leaves, held.source)
    const announced = this.#discovery?.announce(vcap)
    return announced != null ? { announced } : {}
  }

  /** An owned share's files changed: recorded, and it leaves its swarm telling its peers why. */
  async #sourceBroken (cap: ReadCap, reason: string): Promise<void> {
    // Peers learn that, not the reason itself: it names paths on this machine. They learn it
    // before the refusal of the request that found the change (this runs first).
    this.#stopServing(cap, SOURCE_CHANGED)
    await this.node.state.markBroken(cap.manifestCid.toString(), reason)
  }

  /**
   * Finds owned shares whose files changed on disk (a stat per file) and stops serving them.
   * `throttled`: not again within SOURCE_CHECK_MS (the dashboard and the web UI poll status).
   */
  async #checkOwned (throttled = false): Promise<void> {
    const now = performance.now()
    if (throttled && now - this.#sourcesCheckedAt < SOURCE_CHECK_MS) return
    this.#sourcesCheckedAt = now
    const found = await this.node.checkOwnedSources()
    if (found.length === 0) return
    for (const cap of await this.node.ownedCaps()) {
      if (found.includes(cap.manifestCid.toString())) this.#stopServing(cap, SOURCE_CHANGED)
    }
  }

  async status (): Promise<StatusResult> {
    await this.#checkOwned(true)
    const broken = (await this.node.state.listOwned()).filter(s => s.broken != null).map(s => ({ id: s.id, name: s.name, reason: s.broken!.reason }))
    return {
      nodeId: this.node.keys.nodeId,
      address: this.network?.address ?? null,
      transport: this.network?.transport.kind ?? null,
      daemon: this.#daemon,
      swarms: this.network?.swarms().map(e => e.swarm.stats()) ?? [],
      ...(this.network != null ? { limits: limitsOf(this.network) } : {}),
      ...(this.#discovery != null ? { dht: { nodes: this.#discovery.peers().length } } : {}),
      ...torStatus(this.network?.transport),
      broken
    }
  }

  async share (paths: string[], options: ShareOptions, onProgress?: (done: number, total: number) => void): Promise<ShareResult> {
    const { cap, ...result } = await this.node.share(paths, { ...options, ...(onProgress != null ? { onProgress } : {}) })
    // A share is findable by its link once `share` returns, when the node is on a DHT; a lone
    // node (no one stored the record) still seeds, and republishes when peers appear.
    await (await this.#seed(cap)).announced?.catch(() => 0)
    return result
  }

  /** Owned and held shares, then fetched ones (from the transfer journal) with their state. */
  async list (): Promise<ListedShare[]> {
    await this.#checkOwned()
    const out = await this.node.list()
    for (const f of await fetchedShares(this.journal)) {
      out.push({ id: f.id, name: f.name, kind: 'file', bytes: f.bytes, blocks: 0, role: 'fetcher', state: f.state, output: f.output, link: f.link })
    }
    return out
  }

  /** Serves a finished fetch from its output again and announces it (a restarted daemon). */
  async seedFetched (cap: ReadCap, output: string, select: readonly string[]): Promise<void> {
    if (this.network == null) return
    await seedFromOutput(this.node, this.network, cap, output, select)
    void this.#discovery?.announce(verifyCapOf(cap)).catch(() => {})
  }

  /**
   * A fetched share stops seeding (a seed limit, a cancelled transfer): its swarm closes and its
   * announcement stops, unless this node also owns or holds the share, which keeps seeding.
   */
  stopSeeding (cap: ReadCap): void {
    void this.node.holds(cap.manifestCid).then(held => { if (!held) this.#stopServing(cap) }, () => {})
  }

  /** Stops serving the share and re-announcing it (the DHT record then expires); `reason` goes to its peers. */
  #stopServing (cap: ReadCap, reason?: string): void {
    this.network?.closeSwarm(cap.manifestCid.toString(), reason)
    this.#discovery?.unannounceTopic(topicOf(verifyCapOf(cap)))
  }

  /**
   * Stops sharing a share and forgets it: an owned one (its files stay), a held copy, and
   * (`fetched`: done by the daemon's transfer manager when one runs) fetched ones, with their data
   * when `deleteData`. NodeError share.notFound when this node has none of it.
   */
  async unshare (id: string, options: { deleteData?: boolean, fetched?: (id: string, deleteData: boolean) => Promise<{ transfers: number, removed: string[] }> } = {}): Promise<UnshareResult> {
    const deleteData = options.deleteData === true
    const owned = await this.node.state.getOwned(id)
    if (owned != null) {
      const cap = (await this.node.ownedCaps()).find(c => c.manifestCid.toString() === id)
      await this.node.state.deleteOwned(id)
      if (cap != null) this.#stopServing(cap)
    }
    const held = await this.node.state.getHeld(id)
    if (held != null) { this.network?.closeSwarm(id); await this.node.state.deleteHeld(id) }
    let fetched = 0
    let removed: string[] = []
    if (options.fetched != null) ({ transfers: fetched, removed } = await options.fetched(id, deleteData))
    else {
      const records = (await fetchedShares(this.journal)).filter(f => f.id === id)
      fetched = records.length
      removed = await forgetFetched(this.node, this.journal, id, deleteData)
    }
    if (owned == null && held == null && fetched === 0) throw new NodeError('share.notFound', { id }, `this node neither shares nor holds nor fetched ${id}`)
    return { id, owned: owned != null, held: held != null, fetched, removed: removed.map(p => resolve(p)) }
  }

  async fetch (cap: ReadCap, request: FetchRequest, onEvent?: (e: FetchEvent) => void, signal?: AbortSignal): Promise<FetchResult> {
    // A share this node holds whole needs no network.
    if (await this.node.holds(cap.manifestCid)) {
      const started = performance.now()
      const r = await this.node.fetchLocal(cap, request.output, {
        ...(request.select != null ? { select: request.select } : {}),
        overwrite: request.overwrite === true,
        merge: request.merge === true,
        ...(onEvent != null ? { onProgress: (d: number, t: number) => { onEvent({ type: 'progress', bytesDone: d, bytesTotal: t, peers: 0 }) } } : {})
      })
      return { path: r.path, bytes: r.bytes, seconds: (performance.now() - started) / 1000, peers: 0, resumedBlocks: 0 }
    }
    if (this.network == null) {
      const share = cap.manifestCid.toString()
      throw new FetchError('fetch.notHeldOffline', { share }, `share ${share} is not held by this node, and this node is not on a network`)
    }
    const discovery = this.#discovery
    const vcap = verifyCapOf(cap)
    // A resumed transfer dials the peers it knew at once and the DHT's providers as they are found.
    const peers = request.discover === true && discovery != null && request.peers.length > 0
      ? discovery.providersAsFound(vcap, { first: request.peers, quiet: true, ...(signal != null ? { signal } : {}) })
      : peersToFetchFrom(discovery, vcap, request.peers, signal)
    // A daemon announces itself as a provider once it holds verified blocks (it keeps seeding).
    let announced = !this.#daemon || discovery == null
    const events = (e: FetchEvent): void => {
      if (!announced && e.type === 'progress' && e.bytesDone > 0) {
        announced = true
        void discovery!.announce(vcap).catch(() => {})
      }
      onEvent?.(e)
    }
    return await fetchFromPeers(this.node, this.network, cap, {
      output: request.output,
      peers,
      ...(request.select != null ? { select: request.select } : {}),
      overwrite: request.overwrite === true,
      merge: request.merge === true,
      encryptedParts: request.encryptedParts === true,
      ...(signal != null ? { signal } : {}),
      onEvent: events
    })
  }

  async exportCar (cap: Capability, output?: string, onProgress?: (done: number, total: number) => void): Promise<ExportResult> {
    return await exportCar(this.node, cap, output, onProgress)
  }

  async importCar (file: string): Promise<ImportResult> { return await importCar(this.node, file) }

  /** Closes every part even when one fails (the network above all: it removes our onion services), then reports the first failure. */
  async close (): Promise<void> {
    const failures: unknown[] = []
    for (const step of [async () => { await this.#discovery?.stop() }, async () => { await this.pins.close() }, async () => { await this.network?.close() }, async () => { await this.node.close() }]) {
      try { await step() } catch (err) { failures.push(err) }
    }
    if (failures.length > 0) throw failures[0]
  }
}

const finite = (n: number): number | null => Number.isFinite(n) ? n : null

function torStatus (transport: unknown): { tor?: { bootstrap: number, summary: string } } {
  if (!(transport instanceof TorTransport)) return {}
  const state = transport.bootstrapState
  return { tor: { bootstrap: state?.progress ?? 0, summary: state?.summary ?? 'starting tor' } }
}

function limitsOf (n: NodeNetwork): NonNullable<StatusResult['limits']> {
  return {
    maxUpload: finite(n.uploadLimiter.bytesPerSecond),
    maxDownload: finite(n.downloadLimiter.bytesPerSecond),
    maxUploadPerPeer: finite(n.perPeerUpload.bytesPerSecond),
    maxDownloadPerPeer: finite(n.perPeerDownload.bytesPerSecond)
  }
}
