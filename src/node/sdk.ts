// The programmatic API of the `oht` package (`import { OhtNode } from 'oht'`, docs/API.md
// "Programmatic API"): one node of a data directory running in the caller's process, the same
// runtime `oht` runs (runtime.ts), with plain options instead of command-line flags and events
// instead of printed lines. The CLI's own layers stay internal.
import { EventEmitter } from 'node:events'
import { join, resolve } from 'node:path'
import { parseCapability, parseReadCap, verifyCapOf } from '../blocks/index.ts'
import { TcpTransport, TorTransport, type Transport } from '../onion/index.ts'
import { fileSealer } from '../store/index.ts'
import type { SwarmEvent } from '../swarm/index.ts'
import type { NodeWarning } from './errors.ts'
import { resolveDataDir } from './identity/datadir.ts'
import type { NetworkLimits } from './network/network.ts'
import type { PinInfo } from './pins/index.ts'
import { NodeRuntime } from './runtime.ts'
import type { ShareOptions, StatusResult } from './service.ts'
import type { FetchEvent, FetchResult, ListedShare, ShareResult, StreamHandle } from './transfers/index.ts'

export interface OhtNodeOptions {
  /** The node's data directory (created on first use); default $OHT_HOME, else the platform data path. */
  dataDir?: string
  /** Unlocks (or, for a new node, encrypts) the keystore; default: none (file permissions only). */
  passphrase?: string
  /**
   * 'tor' (default: oht starts its own tor from PATH, under the data directory), 'tcp' (tests
   * and development: NOT anonymous; `listen` is its address), 'none' (only what the node holds),
   * or a Transport of your own.
   */
  transport?: 'tor' | 'tcp' | 'none' | Transport
  /** With 'tcp': the address to listen on, e.g. 127.0.0.1:4001 (default 127.0.0.1:0). */
  listen?: string
  /** DHT nodes to join through, e.g. ['tcp:127.0.0.1:4001'] or onion addresses. */
  bootstrap?: string[]
  limits?: NetworkLimits
  /** Serve: listen and join the DHT at open(), announce and seed what the node shares. Default false. */
  serve?: boolean
}

export interface FetchOptions {
  /** The directory the share is written into. */
  output: string
  /** Peers to fetch from; default: the share's providers found in the DHT. */
  peers?: string[]
  /** Only these paths of a directory share (relative to the share root, or as the manifest has them). */
  select?: string[]
  overwrite?: boolean
  signal?: AbortSignal
}

export interface StreamOptions {
  /** The file of the share to serve; default: its first audio or video file. */
  file?: string
  peers?: string[]
  output?: string
  signal?: AbortSignal
}

export interface PinOptions {
  /** Lease in ms; null: never expires; default 30 days. */
  ttlMs?: number | null
  peers?: string[]
}

/** What an OhtNode emits: `warning`, `fetch` (a fetch's progress), `swarm` (peer and block events). */
export interface OhtNodeEvents {
  warning: [NodeWarning]
  fetch: [string, FetchEvent]
  swarm: [string, SwarmEvent]
}

export class OhtNode extends EventEmitter<OhtNodeEvents> {
  readonly #runtime: NodeRuntime
  #address: string | undefined

  private constructor (runtime: NodeRuntime) {
    super()
    this.#runtime = runtime
    runtime.network?.on('swarm', (id: string, e: SwarmEvent) => { this.emit('swarm', id, e) })
  }

  /** Opens (creating on first use) the node of a data directory; with `serve`, it listens and joins the DHT. */
  static async open (options: OhtNodeOptions = {}): Promise<OhtNode> {
    const dataDir = resolveDataDir(options.dataDir)
    const transport = options.transport ?? 'tor'
    let emitWarning: (w: NodeWarning) => void = () => {}
    const runtime = await NodeRuntime.open({
      dataDir,
      passphrase: options.passphrase ?? '',
      daemon: options.serve === true,
      onWarning: w => { emitWarning(w) },
      ...(transport !== 'none'
        ? {
            transport: keys => makeTransport(transport, dataDir, options.listen, keys.storageKey),
            dht: { bootstrap: options.bootstrap ?? [] },
            ...(options.limits != null ? { limits: options.limits } : {})
          }
        : {})
    })
    const node = new OhtNode(runtime)
    // Warnings before anyone could listen are dropped; those after reach 'warning' listeners
    // (an EventEmitter throws on an 'error' event without one, never on 'warning').
    emitWarning = w => { node.emit('warning', w) }
    try {
      if (options.serve === true) node.#address = await runtime.join()
    } catch (err) {
      await runtime.close()
      throw err
    }
    return node
  }

  get nodeId (): string { return this.#runtime.node.keys.nodeId }
  /** The address peers reach this node at (with `serve`). */
  get address (): string | undefined { return this.#address }

  /** Shares files or directories in place; with `serve`, seeds and announces them at once. */
  async share (paths: string[], options: ShareOptions = {}, onProgress?: (done: number, total: number) => void): Promise<ShareResult> {
    return await this.#runtime.service.share(paths.map(p => resolve(p)), options, onProgress)
  }

  /** Fetches a share from its link (oht://…) into `options.output`; progress as 'fetch' events. */
  async fetch (link: string, options: FetchOptions): Promise<FetchResult> {
    const cap = parseReadCap(link)
    return await this.#runtime.service.fetch(cap, {
      output: resolve(options.output),
      peers: options.peers ?? [],
      ...(options.select != null ? { select: options.select } : {}),
      ...(options.overwrite != null ? { overwrite: options.overwrite } : {})
    }, e => { this.emit('fetch', cap.manifestCid.toString(), e) }, options.signal)
  }

  /** Streams a file of a share while it downloads: a local HTTP URL any player can open and seek in. */
  async stream (link: string, options: StreamOptions = {}): Promise<StreamHandle> {
    const cap = parseReadCap(link)
    return await this.#runtime.stream(cap, {
      peers: options.peers ?? [],
      ...(options.file != null ? { file: options.file } : {}),
      ...(options.output != null ? { output: resolve(options.output) } : {}),
      ...(options.signal != null ? { signal: options.signal } : {}),
      onEvent: e => { this.emit('fetch', cap.manifestCid.toString(), e) }
    })
  }

  /** Keeps a share's ciphertext on this node for a lease (a verify capability is enough). */
  async pin (linkOrVerifyCap: string, options: PinOptions = {}): Promise<PinInfo> {
    const cap = parseCapability(linkOrVerifyCap)
    const peers = options.peers ?? (this.#runtime.discovery != null ? await this.#runtime.discovery.findProviders(verifyCapOf(cap)).catch(() => []) : [])
    return await this.#runtime.service.pins.pin(cap, { ...(options.ttlMs !== undefined ? { ttlMs: options.ttlMs } : {}), peers })
  }

  async list (): Promise<ListedShare[]> { return await this.#runtime.service.list() }
  async status (): Promise<StatusResult> { return await this.#runtime.service.status() }

  /** Stops everything this node runs (swarms, tor, the DHT) and closes its database. */
  async close (): Promise<void> {
    this.removeAllListeners()
    await this.#runtime.close()
  }
}

function makeTransport (kind: 'tor' | 'tcp' | Transport, dataDir: string, listen: string | undefined, storageKey: Uint8Array): Transport {
  if (kind === 'tcp') return new TcpTransport({ listen: listen ?? '127.0.0.1:0' })
  if (kind === 'tor') return new TorTransport({ tor: { kind: 'own', dataDir: join(dataDir, 'tor') }, keyFile: join(dataDir, 'onion.key'), keySealer: fileSealer(storageKey, 'onion.key') })
  return kind
}

export type { FetchEvent, FetchResult, ListedShare, NetworkLimits, NodeWarning, PinInfo, ShareOptions, ShareResult, StatusResult, StreamHandle, SwarmEvent }
