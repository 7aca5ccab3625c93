// A running node, built in one place for the daemon and for every command that runs a node in
// its own process: the node's data (OhtNode), its network and DHT, its services, and for a
// daemon the API with every route. Whoever starts it (cli/) only chooses the options and prints.
import { join } from 'node:path'
import { parseReadCap, verifyCapOf, type ReadCap } from '../blocks/index.ts'
import { TorTransport, type Transport } from '../onion/index.ts'
import type { NetworkKey } from '../onion/network-key.ts'
import { OhtNode, StreamService, TransferManager, type StreamHandle, type StreamRequest } from './transfers/index.ts'
import {
  BootstrapHost, DhtAdmin, Discovery, LevelRoutingStore, LocalDhtService, NodeNetwork, peersToFetchFrom, serveBootstrap, type AliasPublisher, type NetworkLimits
} from './network/index.ts'
import { sizeValue, type ConfigFile, type ConfigValue } from './identity/index.ts'
import { LocalService, type UnshareResult } from './service.ts'
import {
  ApiServer, registerInviteRoutes, registerConfigRoutes, registerDhtAdminRoutes, registerDhtRoutes, registerNodeRoutes, registerPinRoutes, registerStreamRoute, registerTorRoutes, registerTransferRoutes, registerWebUiRoutes, registerPeopleRoutes, registerNameRoutes, registerChannelRoutes, registerContactInviteRoutes, registerPublicFetchRoute
} from './api/index.ts'
import { WebUi } from './webui/index.ts'
import { NodePublicShares, PublicFetchServer, publicFetchUrl, type PublicFetchLimits } from './publicfetch/index.ts'
import { autoFetchFiles, ContactFiles, ContactInvites, InviteService } from './invites/index.ts'
import { NodeError, type WarningSink } from './errors.ts'
import { People } from '../people/index.ts'
import { NameRegistry } from '../people/names/index.ts'
import { Channels } from '../people/channels/index.ts'
import type { Account, NodeKeys } from './identity/index.ts'

/** How long a newcomer keeps asking a network's shared address (a host may have just left). */
export const NETWORK_GIVE_UP_MS = 10 * 60_000

export interface DhtOptions {
  /** Addresses to join through (the routing table saved in the data directory is used as well). */
  bootstrap?: readonly string[]
  /** A network's shared onion address to ask for peers. */
  networkAddress?: string
  giveUpMs?: number
  /** Keep the routing table in the data directory (default); the demo's throwaway nodes do not. */
  saveRoutingTable?: boolean
}

export interface NodeRuntimeOptions {
  dataDir: string
  /** Unlocks the node keystore; empty: the keys are protected by file permissions only. */
  passphrase?: string
  /** Memory only: nothing under `dataDir` (OhtNode.open's `memory`). */
  memory?: boolean
  /** Makes the transport (once the node is open); without one the node works on what it holds (no peers, no DHT). */
  transport?: (keys: NodeKeys) => Transport
  limits?: NetworkLimits
  /** A daemon: answers remote pin requests, announces what it fetches. */
  daemon?: boolean
  /** Use the onion DHT (needs a transport). A node that never listens uses it as a client. */
  dht?: DhtOptions
  /** Answer `bootstrap` streams with a sample of known peers (a member of a network with a shared address). */
  serveBootstrap?: boolean
  /** Where the node's warnings go (it never prints). */
  onWarning?: WarningSink
  /** Contacts and whispers for this account (src/people); needs a transport. */
  people?: { account: Account, presenceMs?: number, nameTtlMs?: number, channelSyncMs?: number }
}

export interface DaemonApiOptions {
  socketPath: string
  /** The config file, for /v0/config. */
  config?: ConfigFile
  /** Also serve the API on this loopback host:port, with the token kept at `tokenPath`. */
  tcp?: string
  tokenPath?: string
  /** Publish a network's shared address too (a bootstrap host; needs the Tor transport). */
  bootstrapHost?: { publisher: AliasPublisher, key: NetworkKey, republishMs?: number }
  /** Seed limits of fetches that set none (config seedRatio, seedTime; seconds). */
  seedDefaults?: () => { seedRatio?: number, seedTime?: number }
  /** `--public-fetch`: serve the zero-install fetch page on the node's own address (src/node/publicfetch). */
  publicFetch?: PublicFetchLimits
}

export interface DaemonStarted {
  address: string
  sharedAddress?: string
  /** Shares and pins seeded at start (fetched shares among them). */
  seeded: number
  /** Unfinished fetches the daemon resumed (transfers/journal.ts). */
  resumed: number
  api: ApiServer
  /** With `publicFetch`: the page's address (the node's own, over HTTP). */
  publicFetch?: string
}

/** What `/newonions` did: the new address, the one that stopped, how many shares' records were re-announced. */
export interface NewOnionsResult { address: string, previous: string, reannounced: number }

export class NodeRuntime {
  readonly node: OhtNode
  readonly network: NodeNetwork | undefined
  readonly discovery: Discovery | undefined
  readonly service: LocalService
  /** The DHT's values (`oht dht`), when the node uses the DHT. */
  readonly dht: LocalDhtService | undefined
  /** Contacts and whispers, when the node runs for an account (a daemon started with one). */
  readonly people: People | undefined
  /** Invite codes (`oht send`, `oht receive`), when the node uses the DHT. */
  readonly invites: InviteService | undefined
  /** Names (`oht name`), when the node uses the DHT: published under the account, resolved for anyone. */
  readonly names: NameRegistry | undefined
  /** Channels (`oht channel`), when the node runs for an account. */
  readonly channels: Channels | undefined
  readonly #warn: WarningSink
  #streams?: StreamService
  #transfers?: TransferManager
  #api?: ApiServer
  #webui?: WebUi
  #publicFetch?: PublicFetchServer
  #host?: BootstrapHost
  #closed = false

  private constructor (node: OhtNode, options: NodeRuntimeOptions) {
    this.node = node
    this.#warn = options.onWarning ?? (() => {})
    this.network = options.transport != null ? new NodeNetwork(options.transport(node.keys), node.keys, options.limits ?? {}) : undefined
    this.service = new LocalService(node, this.network, { daemon: options.daemon === true, onWarning: this.#warn })
    const network = this.network
    const dht = options.dht
    if (network != null && dht != null) {
      // Protocols are registered here, before anything listens.
      const discovery = new Discovery(network, {
        bootstrap: dht.bootstrap ?? [],
        ...(dht.saveRoutingTable !== false ? { routingStore: new LevelRoutingStore(node.state.db) } : {}),
        ...(dht.networkAddress != null
          ? { network: { address: dht.networkAddress, giveUpMs: dht.giveUpMs ?? NETWORK_GIVE_UP_MS, onRetry: (reason: string) => { this.#warn({ type: 'network-retry', reason }) } } }
          : {})
      })
      if (options.serveBootstrap === true) serveBootstrap(network, discovery)
      this.service.attachDiscovery(discovery)
      this.discovery = discovery
      this.dht = new LocalDhtService(discovery)
      this.invites = new InviteService(this.service, network, discovery)
      const ttl = options.people?.nameTtlMs
      this.names = new NameRegistry({ account: options.people?.account, db: node.state.db, dht: async () => { await this.discovery?.start(); return this.discovery?.dht }, ...(ttl != null ? { ttlMs: ttl } : {}) })
    }
    const people = options.people
    if (network != null && people != null) {
      this.people = new People({ account: people.account, db: node.state.db, network, dht: () => this.discovery?.dht, dhtJoined: async () => await this.discovery?.start(), ...(people.presenceMs != null ? { presenceMs: people.presenceMs } : {}) })
      this.channels = new Channels({
        account: people.account,
        db: node.state.db,
        network,
        dht: () => this.discovery?.dht,
        ...(people.channelSyncMs != null ? { syncMs: people.channelSyncMs } : {}),
        fetchShare: async (link, output, peers) => { this.#transfers?.add({ cap: parseReadCap(link), output: output ?? join(node.dirs.root, 'channel-downloads'), peers, discover: true }) }
      })
    }
  }

  /** Opens the node of `dataDir` and builds its parts (nothing listens yet). */
  static async open (options: NodeRuntimeOptions): Promise<NodeRuntime> {
    const node = await OhtNode.open({ dataDir: options.dataDir, passphrase: options.passphrase ?? '', ...(options.memory === true ? { memory: true } : {}) })
    try {
      return new NodeRuntime(node, options)
    } catch (err) {
      await node.close()
      throw err
    }
  }

  /** The node's streams (one local HTTP server for all of them), made on first use. */
  get streams (): StreamService {
    if (this.network == null) throw new Error('streaming needs a network')
    this.#streams ??= new StreamService(this.node, this.network)
    return this.#streams
  }

  /** Streams a share while it downloads: from the given peers, else from its providers in the DHT. */
  async stream (cap: ReadCap, request: StreamRequest): Promise<StreamHandle> {
    const streams = this.streams
    const peers = peersToFetchFrom(this.discovery, verifyCapOf(cap), request.peers, request.signal)
    return await streams.start(cap, { ...request, peers })
  }

  /** Listens, and joins the DHT (waiting for the join): what a short-lived serving node does. */
  async join (): Promise<string> {
    if (this.network == null) throw new Error('joining needs a network')
    const address = await this.network.listen()
    await this.discovery?.start()
    return address
  }

  /**
   * Starts the daemon: listens, publishes the shared address when hosting, joins the DHT in the
   * background (the daemon serves meanwhile: announcements and lookups wait for the join), seeds
   * every owned share and pin, then serves the API. On failure everything is closed again.
   */
  async startDaemon (options: DaemonApiOptions): Promise<DaemonStarted> {
    const network = this.network
    if (network == null) throw new Error('a daemon needs a network')
    const transfers = this.#transfers = new TransferManager(this.service, {
      journal: this.service.journal,
      ...(options.seedDefaults != null ? { seedDefaults: options.seedDefaults } : {})
    })
    const api = this.#api = new ApiServer(options.socketPath, {
      transfers,
      network,
      ...(options.tcp != null ? { tcp: options.tcp, ...(options.tokenPath != null ? { tokenPath: options.tokenPath } : {}) } : {})
    })
    registerNodeRoutes(api, this.service, {
      transfers,
      endpoint: () => ({ socket: api.socketPath, tcp: api.tcpAddress ?? null }),
      unshare: async (id, deleteData) => await this.unshare(id, deleteData)
    })
    registerTransferRoutes(api, transfers)
    if (options.config != null) registerConfigRoutes(api, options.config, (key, value) => this.applyConfig(key, value))
    registerPinRoutes(api, this.service.pins)
    if (this.dht != null) registerDhtRoutes(api, this.dht)
    if (this.discovery != null) registerDhtAdminRoutes(api, new DhtAdmin(this.discovery))
    if (this.invites != null) registerInviteRoutes(api, this.invites)
    registerTorRoutes(api, network.transport, { newOnions: async () => await this.newOnions() })
    registerStreamRoute(api, async (cap, request) => {
      // Listed with the transfers (the dashboard, the web UI, /v0/transfers) while it runs.
      const follower = transfers.followStream({ cap, output: request.output ?? join(this.node.dirs.root, 'streams'), peers: Array.isArray(request.peers) ? [...request.peers as readonly string[]] : [] })
      const handle = await this.stream(cap, { ...request, onEvent: follower.onEvent }).catch((err: Error) => { follower.failed(err); throw err })
      follower.running(handle.fetched, handle.close)
      return handle
    })
    registerPeopleRoutes(api, this.people)
    registerNameRoutes(api, this.names, this.people)
    registerChannelRoutes(api, this.channels, this.people)
    this.channels?.on('event', e => { api.publish(e) })
    registerContactInviteRoutes(api, this.people != null && this.invites != null ? new ContactInvites(this.people, this.invites, () => network.address) : undefined, this.people != null ? new ContactFiles(this.service, this.people, () => network.address) : undefined)
    if (this.people != null && this.node.dirs.root !== '') autoFetchFiles(this.people, transfers, join(this.node.dirs.root, 'received'), err => { this.#warn({ type: 'autofetch-failed', reason: err instanceof Error ? err.message : String(err) }) })
    this.names?.on('event', e => { api.publish(e) })
    this.people?.on('event', e => { api.publish(e) })
    const transport = network.transport
    registerWebUiRoutes(api, this.#webui = new WebUi({ api, dataDir: this.node.dirs.root, transport: transport.kind, ...(transport instanceof TorTransport ? { onion: transport } : {}) }))
    if (options.publicFetch != null) {
      if (transport.serveHttp == null) throw new Error(`the public fetch page needs the Tor or TCP transport, not ${transport.kind}`)
      this.#publicFetch = new PublicFetchServer(new NodePublicShares(this.node, network), options.publicFetch)
      transport.serveHttp(this.#publicFetch.accept)
    }
    // The node's current address: /newonions moves the page with it.
    registerPublicFetchRoute(api, () => this.#publicFetch != null && network.address != null ? publicFetchUrl(network.address) : null)
    try {
      const address = await network.listen()
      let sharedAddress: string | undefined
      const hosting = options.bootstrapHost
      if (hosting != null) {
        this.#host = new BootstrapHost(hosting.publisher, hosting.key, hosting.republishMs)
        sharedAddress = await this.#host.start(err => { this.#warn({ type: 'republish-failed', reason: err instanceof Error ? err.message : String(err) }) })
      }
      this.discovery?.start().then(async () => { await this.people?.publish(); await this.names?.refresh(); await this.channels?.announce() }).catch((err: unknown) => { this.#warn({ type: 'dht-join-failed', reason: err instanceof Error ? err.message : String(err) }) })
      this.people?.start()
      this.names?.start()
      this.channels?.start()
      const seeded = await this.service.seedAll()
      const restored = await transfers.restore()
      await api.listen()
      return { address, ...(sharedAddress != null ? { sharedAddress } : {}), ...(this.#publicFetch != null ? { publicFetch: publicFetchUrl(address) } : {}), seeded: seeded + restored.seeding, resumed: restored.fetching, api }
    } catch (err) {
      await this.close().catch(() => {})
      throw err
    }
  }

  /**
   * `/newonions`: a new onion address for this node. The transport publishes a new service key
   * (saved over the old one) and removes the old service; the DHT then announces the new address
   * and re-announces every seeded share with it, and the account's locator is republished.
   */
  async newOnions (): Promise<NewOnionsResult> {
    const network = this.network
    const transport = network?.transport
    if (network == null || !(transport instanceof TorTransport)) {
      const kind = transport?.kind ?? 'none'
      throw new NodeError('tor.notTor', { transport: kind }, `this daemon does not use Tor (transport ${kind}): only an onion service can get a new address`)
    }
    const previous = network.address
    if (previous == null) throw new NodeError('tor.notListening', {}, 'the node has no onion service yet (it is not listening)')
    let address: string
    try {
      address = await transport.newAddress()
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err)
      throw new NodeError('tor.newOnionsFailed', { reason }, `no new onion address (the old one stays): ${reason}`)
    }
    network.address = address
    const reannounced = await this.discovery?.changeAddress(address) ?? 0
    await this.people?.publish().catch(() => 0)
    return { address, previous, reannounced }
  }

  /**
   * A config key changed while the daemon runs: the rate limits (node-wide and per peer) apply at
   * once, to the peers already connected too; seed limits are read whenever they are checked.
   * Returns false for keys that need a restart.
   */
  applyConfig (key: string, value: ConfigValue | undefined): boolean {
    const limits = { maxUpload: 'upload', maxDownload: 'download', maxUploadPerPeer: 'uploadPerPeer', maxDownloadPerPeer: 'downloadPerPeer' } as const
    if (Object.hasOwn(limits, key)) {
      this.network?.setLimit(limits[key as keyof typeof limits], typeof value === 'string' ? sizeValue(value) : undefined)
      return this.network != null
    }
    return key === 'seedRatio' || key === 'seedTime'
  }

  /**
   * Stops sharing a share and forgets it (`oht unshare`): owned, held, and fetched (a daemon's
   * transfers of it stop first); `deleteData` deletes what fetches of it wrote.
   */
  async unshare (id: string, deleteData = false): Promise<UnshareResult> {
    const transfers = this.#transfers
    return await this.service.unshare(id, {
      deleteData,
      ...(transfers != null ? { fetched: async (i: string, d: boolean) => await transfers.forgetShare(i, d) } : {})
    })
  }

  /** Closes every part, the API first and the network last (it removes the onion services). */
  async close (): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#host?.stop()
    this.people?.close()
    this.names?.close()
    this.channels?.close()
    await this.#webui?.stop().catch(() => {})
    this.network?.transport.serveHttp?.(null)
    await this.#publicFetch?.close().catch(() => {})
    await this.#api?.close().catch(() => {})
    await this.invites?.close().catch(() => {})
    await this.#streams?.close().catch(() => {})
    await this.#transfers?.close()
    await this.service.close()
  }
}
