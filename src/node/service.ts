import { parseReadCap, verifyCapOf, type ShareBuildOptions } from '../blocks/index.ts'
import { exportCar, importCar, type ExportResult, type ImportResult } from './car.ts'
import { fetchFromPeers, type FetchEvent, type FetchResult } from './fetch.ts'
import type { ListedShare, OhtNode, ShareResult } from './node.ts'
import type { NodeNetwork } from './network.ts'
import type { SwarmStats } from '../swarm/index.ts'
import { LocalPinService, type PinService } from './pin-service.ts'
import type { Discovery } from './discovery.ts'
import { FetchError } from './node.ts'
import { TorTransport } from '../onion/index.ts'

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
}

export interface FetchRequest {
  output: string
  peers: string[]
  select?: string[]
  overwrite?: boolean
}

/** What the CLI asks of a node: the same whether it runs embedded or in a daemon (API). */
export interface NodeService {
  status (): Promise<StatusResult>
  share (paths: string[], options: Pick<ShareBuildOptions, 'name' | 'followSymlinks' | 'blockSize'>, onProgress?: (done: number, total: number) => void): Promise<ShareResult>
  list (): Promise<ListedShare[]>
  fetch (link: string, request: FetchRequest, onEvent?: (e: FetchEvent) => void, signal?: AbortSignal): Promise<FetchResult>
  exportCar (capability: string, output?: string, onProgress?: (done: number, total: number) => void): Promise<ExportResult>
  importCar (file: string): Promise<ImportResult>
  close (): Promise<void>
  /** Pins, leases and remote pinning (pin-service.ts); absent on a client that does not offer them. */
  readonly pins?: PinService
}

/** A NodeService over an OhtNode in this process, with or without a network. */
export class LocalService implements NodeService {
  readonly node: OhtNode
  readonly network: NodeNetwork | undefined
  readonly #daemon: boolean
  /** A daemon also answers remote pin requests (protocol `pin`); `pins.manager` emits active/inactive. */
  readonly pins: LocalPinService
  #discovery: Discovery | undefined

  constructor (node: OhtNode, network?: NodeNetwork, daemon = false) {
    this.node = node
    this.network = network
    this.#daemon = daemon
    this.pins = new LocalPinService(node, network, daemon)
  }

  get discovery (): Discovery | undefined { return this.#discovery }

  /**
   * Lets this node find peers in the DHT (a fetch or pin without --peer) and announce what it
   * seeds: owned shares, active pins, and fetches once they hold blocks (daemon only).
   */
  attachDiscovery (discovery: Discovery): void {
    this.#discovery = discovery
    const manager = this.pins.manager
    manager.on('active', e => { void discovery.announceTopic(e.topic).catch(() => {}) })
    manager.on('inactive', e => { discovery.unannounceTopic(e.topic) })
    manager.findPeers = async (vcap, signal) => (await discovery.findPeers(vcap.manifestCid, vcap.swarmKey, signal)).addresses
  }

  /** Seeds every share this node owns (a daemon does this at start). */
  async seedAll (): Promise<number> {
    let n = 0
    for (const share of await this.node.list()) {
      if (share.role === 'owner' && share.link != null) {
        const { announced } = await this.#seed(share.link)
        announced?.catch(() => {}) // re-announced on the DHT's republish timer anyway
        n++
      }
    }
    // Active pins are seeded too (from the blockstore); interrupted pin fetches resume.
    n += (await this.pins.start()).seeded
    return n
  }

  /** Starts seeding; the returned promise (if any) settles when the DHT announcement did. */
  async #seed (link: string): Promise<{ announced?: Promise<number> }> {
    if (this.network == null) return {}
    const cap = parseReadCap(link)
    const held = await this.node.ciphertextSource(cap.manifestCid)
    const leaves = await this.node.state.getLeaves(cap.manifestCid.toString())
    if (held == null || leaves == null) return {}
    const { swarmKey } = verifyCapOf(cap)
    await this.network.seed(cap.manifestCid, swarmKey, held.manifestBytes, leaves, held.source)
    const announced = this.#discovery?.announce(cap.manifestCid, swarmKey)
    return announced != null ? { announced } : {}
  }

  async status (): Promise<StatusResult> {
    return {
      nodeId: this.node.keys.nodeId,
      address: this.network?.address ?? null,
      transport: this.network?.transport.kind ?? null,
      daemon: this.#daemon,
      swarms: this.network?.swarms().map(e => e.swarm.stats()) ?? [],
      ...(this.#discovery != null ? { dht: { nodes: this.#discovery.peers().length } } : {}),
      ...torStatus(this.network?.transport)
    }
  }

  async share (paths: string[], options: Pick<ShareBuildOptions, 'name' | 'followSymlinks' | 'blockSize'>, onProgress?: (done: number, total: number) => void): Promise<ShareResult> {
    const result = await this.node.share(paths, { ...options, ...(onProgress != null ? { onProgress } : {}) })
    // A share is findable by its link once `share` returns, when the node is on a DHT; a lone
    // node (no one stored the record) still seeds, and republishes when peers appear.
    await (await this.#seed(result.link)).announced?.catch(() => 0)
    return result
  }

  async list (): Promise<ListedShare[]> { return await this.node.list() }

  async fetch (link: string, request: FetchRequest, onEvent?: (e: FetchEvent) => void, signal?: AbortSignal): Promise<FetchResult> {
    const cap = parseReadCap(link)
    // A share this node holds whole needs no network.
    if (await this.node.holds(cap.manifestCid)) {
      const started = performance.now()
      const r = await this.node.fetchLocal(link, request.output, {
        ...(request.select != null ? { select: request.select } : {}),
        overwrite: request.overwrite === true,
        ...(onEvent != null ? { onProgress: (d: number, t: number) => { onEvent({ type: 'progress', bytesDone: d, bytesTotal: t, peers: 0 }) } } : {})
      })
      return { path: r.path, bytes: r.bytes, seconds: (performance.now() - started) / 1000, peers: 0, resumedBlocks: 0 }
    }
    if (this.network == null) {
      throw new FetchError(`share ${cap.manifestCid.toString()} is not held by this node: give --peer <address>, or --bootstrap <address> to find its peers in the DHT (or start oht daemon, which stays on the DHT)`)
    }
    let peers = request.peers
    const discovery = this.#discovery
    const { swarmKey } = verifyCapOf(cap)
    if (peers.length === 0 && discovery != null) {
      peers = (await discovery.findPeers(cap.manifestCid, swarmKey, signal)).addresses
      if (peers.length === 0) throw new FetchError(`no peer provides share ${cap.manifestCid.toString()} in the DHT (routing table: ${discovery.peers().length} nodes); give --bootstrap <address> to join a network, or --peer <address>`)
    }
    // A daemon announces itself as a provider once it holds verified blocks (it keeps seeding).
    let announced = !this.#daemon || discovery == null
    const events = (e: FetchEvent): void => {
      if (!announced && e.type === 'progress' && e.bytesDone > 0) {
        announced = true
        void discovery!.announce(cap.manifestCid, swarmKey).catch(() => {})
      }
      onEvent?.(e)
    }
    return await fetchFromPeers(this.node, this.network, link, {
      output: request.output,
      peers,
      ...(request.select != null ? { select: request.select } : {}),
      overwrite: request.overwrite === true,
      ...(signal != null ? { signal } : {}),
      onEvent: events
    })
  }

  async exportCar (capability: string, output?: string, onProgress?: (done: number, total: number) => void): Promise<ExportResult> {
    return await exportCar(this.node, capability, output, onProgress)
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

function torStatus (transport: unknown): { tor?: { bootstrap: number, summary: string } } {
  if (!(transport instanceof TorTransport)) return {}
  const state = transport.bootstrapState
  return { tor: { bootstrap: state?.progress ?? 0, summary: state?.summary ?? 'starting tor' } }
}
