import { parseReadCap, verifyCapOf, type ShareBuildOptions } from '../blocks/index.ts'
import { exportCar, importCar, type ExportResult, type ImportResult } from './car.ts'
import { fetchFromPeers, type FetchEvent, type FetchResult } from './fetch.ts'
import type { ListedShare, OhtNode, ShareResult } from './node.ts'
import type { NodeNetwork } from './network.ts'
import type { SwarmStats } from '../swarm/index.ts'

export interface StatusResult {
  nodeId: string
  address: string | null
  transport: string | null
  daemon: boolean
  swarms: SwarmStats[]
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
}

/** A NodeService over an OhtNode in this process, with or without a network. */
export class LocalService implements NodeService {
  readonly node: OhtNode
  readonly network: NodeNetwork | undefined
  readonly #daemon: boolean

  constructor (node: OhtNode, network?: NodeNetwork, daemon = false) {
    this.node = node
    this.network = network
    this.#daemon = daemon
  }

  /** Seeds every share this node owns (a daemon does this at start). */
  async seedAll (): Promise<number> {
    let n = 0
    for (const share of await this.node.list()) {
      if (share.role === 'owner' && share.link != null) { await this.#seed(share.link); n++ }
    }
    return n
  }

  async #seed (link: string): Promise<void> {
    if (this.network == null) return
    const cap = parseReadCap(link)
    const held = await this.node.ciphertextSource(cap.manifestCid)
    const leaves = await this.node.state.getLeaves(cap.manifestCid.toString())
    if (held == null || leaves == null) return
    await this.network.seed(cap.manifestCid, verifyCapOf(cap).swarmKey, held.manifestBytes, leaves, held.source)
  }

  async status (): Promise<StatusResult> {
    return {
      nodeId: this.node.keys.nodeId,
      address: this.network?.address ?? null,
      transport: this.network?.transport.kind ?? null,
      daemon: this.#daemon,
      swarms: this.network?.swarms().map(e => e.swarm.stats()) ?? []
    }
  }

  async share (paths: string[], options: Pick<ShareBuildOptions, 'name' | 'followSymlinks' | 'blockSize'>, onProgress?: (done: number, total: number) => void): Promise<ShareResult> {
    const result = await this.node.share(paths, { ...options, ...(onProgress != null ? { onProgress } : {}) })
    await this.#seed(result.link)
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
      throw new Error(`share ${cap.manifestCid.toString()} is not held by this node; to fetch it from peers give --peer <address> and --transport tcp (the Tor transport is not built yet)`)
    }
    return await fetchFromPeers(this.node, this.network, link, {
      output: request.output,
      peers: request.peers,
      ...(request.select != null ? { select: request.select } : {}),
      overwrite: request.overwrite === true,
      ...(signal != null ? { signal } : {}),
      ...(onEvent != null ? { onEvent } : {})
    })
  }

  async exportCar (capability: string, output?: string, onProgress?: (done: number, total: number) => void): Promise<ExportResult> {
    return await exportCar(this.node, capability, output, onProgress)
  }

  async importCar (file: string): Promise<ImportResult> { return await importCar(this.node, file) }

  async close (): Promise<void> {
    await this.network?.close()
    await this.node.close()
  }
}

