// The node's use of the onion DHT: it joins through bootstrap addresses and its saved routing
// table, announces the topics of the shares it seeds (owned, pinned, fetched), and finds the
// providers of a link's topic so that a link alone is enough to fetch. The topic is derived from
// the swarm key (src/blocks/caps.ts): DHT nodes never see the manifest CID.
import { setTimeout as delay } from 'node:timers/promises'
import { topicOf, type VerifyCap } from '../../blocks/index.ts'
import {
  asFound, DhtNode, DHT_PROTOCOL, type ContactRecord, type DhtConfig, type RoutingTableStore
} from '../../dht/index.ts'
import type { HandshakeResult } from '../../onion/index.ts'
import type { NodeNetwork } from './network.ts'
import { askForPeers } from './bootstrap.ts'
import { NodeError } from '../errors.ts'
import { ROOT_SUBLEVEL, type SealedDb, type SealedSublevel } from '../../store/index.ts'

/**
 * A join that left the routing table empty (no bootstrap address answered) is tried again, this
 * many times in all, waiting JOIN_RETRY_MS × attempt between: the first circuit to a fresh onion
 * service can outlast a request's timeout on a loaded machine, and one lost ping would leave the
 * node alone for good.
 */
const JOIN_ATTEMPTS = 3
const JOIN_RETRY_MS = 1_000

/**
 * A join that ended knowing no one beyond its bootstrap addresses (their self-lookup reached none
 * of the peers they named: a circuit to a fresh onion service failing or outlasting its timeout)
 * is repeated in the background after each of these waits, until the table holds someone else:
 * otherwise nothing would look again before the hourly bucket refresh, and the node would stay
 * on its bootstrap peers alone.
 */
const REJOIN_DELAYS_MS: readonly number[] = [5_000, 15_000, 45_000, 135_000]

export interface DiscoveryOptions {
  /** Addresses to join through; the saved routing table is used as well. */
  bootstrap?: readonly string[]
  routingStore?: RoutingTableStore
  config?: Partial<DhtConfig>
  /** A network's shared onion address to ask for peers (bootstrap.ts), and for how long. */
  network?: { address: string, giveUpMs: number, onRetry?: (reason: string) => void }
  /** Hears each join that reached no bootstrap address, before it is tried again (awaited). */
  onJoinRetry?: (attempt: number) => void | Promise<void>
  /** Waits before the background rejoins of a join that learned no one (REJOIN_DELAYS_MS). */
  rejoinDelaysMs?: readonly number[]
}

export interface FoundPeers {
  addresses: string[]
  hops: number
  messages: number
}

/** Where a fetch gets its peers: a list, or addresses as a DHT lookup finds them (dialled at once). */
export type PeerSource = readonly string[] | AsyncIterable<string>

export function isPeerList (source: PeerSource): source is readonly string[] {
  return Array.isArray(source)
}

/**
 * The peers to fetch a share from: the given ones, else its providers in the DHT as the lookup
 * finds them (a NodeError at its end when there are none); the given ones (none) when the node
 * has no DHT to ask.
 */
export function peersToFetchFrom (discovery: Discovery | undefined, cap: VerifyCap, peers: PeerSource, signal?: AbortSignal): PeerSource {
  if (!isPeerList(peers)) return peers
  if (peers.length > 0 || discovery == null) return [...peers]
  return discovery.providersAsFound(cap, signal != null ? { signal } : {})
}

/** The routing table in the node's sealed state, one key holding the last snapshot (peers' addresses: sealed like the rest). */
export class LevelRoutingStore implements RoutingTableStore {
  readonly #db: SealedSublevel<string, unknown>
  constructor (db: SealedDb) {
    this.#db = db.sublevel<string, unknown>(ROOT_SUBLEVEL, { valueEncoding: 'json' })
  }

  async load (): Promise<ContactRecord[]> {
    const value = await this.#db.get('dht:routing-table')
    return Array.isArray(value) ? value as ContactRecord[] : []
  }

  async save (contacts: ContactRecord[]): Promise<void> {
    await this.#db.put('dht:routing-table', contacts)
  }
}

/**
 * Attach before `network.listen()` (the `dht` protocol must be served from the first stream);
 * `start()` after it, when the node's own address is known. A network that never listens (an
 * embedded fetch) runs the DHT as a client: it looks things up but is in no one's table.
 */
export class Discovery {
  readonly #network: NodeNetwork
  readonly #options: DiscoveryOptions
  #dht: DhtNode | undefined
  #starting: Promise<{ reached: number, tableSize: number }> | undefined
  #networkJoin: Promise<void> | undefined
  #rejoin: Promise<void> | undefined
  /** Settles when the join has its first contacts (or ended): lookups need not wait for the rest. */
  readonly #reached = Promise.withResolvers<void>()
  readonly #stopping = new AbortController()

  constructor (network: NodeNetwork, options: DiscoveryOptions = {}) {
    this.#network = network
    this.#options = options
    network.registerProtocol(DHT_PROTOCOL, (session: HandshakeResult) => {
      if (this.#dht == null) { session.stream.destroy(); return }
      this.#dht.handleStream(session)
    })
  }

  get dht (): DhtNode | undefined { return this.#dht }

  /**
   * Creates the DHT node with the network's address, loads the saved table and joins; idempotent
   * (announcements wait for all of it, lookups for its first contacts, so a daemon need not delay its start on the DHT).
   */
  async start (): Promise<{ reached: number, tableSize: number }> {
    this.#starting ??= this.#start()
    return await this.#starting
  }

  async #start (): Promise<{ reached: number, tableSize: number }> {
    try {
      return await this.#join()
    } finally {
      this.#reached.resolve()
    }
  }

  /** Resolves when a lookup may start: the join reached its first contacts, or ended. */
  async #lookupReady (): Promise<void> {
    await Promise.race([this.#reached.promise, this.start()])
  }

  async #join (): Promise<{ reached: number, tableSize: number }> {
    const network = this.#network
    this.#dht = new DhtNode({
      keys: network.keys,
      ...(network.address != null ? { address: network.address } : {}),
      dial: async (target, signal) => await network.dialProtocol(target.address, DHT_PROTOCOL, {
        signal, ...(target.nodeId != null ? { expectedNodeId: target.nodeId } : {})
      }),
      ...(this.#options.routingStore != null ? { routingStore: this.#options.routingStore } : {}),
      ...(this.#options.config != null ? { config: this.#options.config } : {})
    })
    await this.#dht.start()
    const own = network.address
    const bootstrap = (this.#options.bootstrap ?? []).filter(a => a !== own)
    const shared = this.#options.network
    if (shared != null) {
      // The shared address answers with a sample of live peers; it may point at a host that just
      // left (until another re-publishes), so askForPeers retries, bounded by giveUpMs. In the
      // background: announcements need not wait, lookups on an empty table do (findPeers).
      const dht = this.#dht
      this.#networkJoin = askForPeers(network, shared.address, { giveUpMs: shared.giveUpMs, ...(shared.onRetry != null ? { onRetry: shared.onRetry } : {}) })
        .then(async sample => {
          const fresh = sample.filter(a => a !== own && !bootstrap.includes(a))
          if (fresh.length === 0 || !dht.running) return
          await dht.bootstrap(fresh)
          // Records announced before this node knew these peers are stored on too few: again.
          await dht.republishProviders()
          await dht.saveRoutingTable()
        }).catch(() => {})
    }
    const onReached = (): void => { if (this.#dht?.table.size !== 0) this.#reached.resolve() }
    let joined = await this.#dht.bootstrap(bootstrap, { onReached })
    for (let attempt = 1; joined.tableSize === 0 && bootstrap.length > 0 && attempt < JOIN_ATTEMPTS; attempt++) {
      await this.#options.onJoinRetry?.(attempt)
      const stopped = await delay(JOIN_RETRY_MS * attempt, false, { signal: this.#stopping.signal }).catch(() => true)
      if (stopped || !this.#dht.running) break
      joined = await this.#dht.bootstrap(bootstrap, { onReached })
    }
    await this.#dht.saveRoutingTable()
    if (bootstrap.length > 0) this.#rejoin = this.#rejoinWhileAlone(bootstrap)
    return joined
  }

  /** Repeats the join (pings, self-lookup) while the table holds no more than the bootstrap peers. */
  async #rejoinWhileAlone (bootstrap: string[]): Promise<void> {
    const dht = this.#dht!
    for (const wait of this.#options.rejoinDelaysMs ?? REJOIN_DELAYS_MS) {
      if (dht.table.size > bootstrap.length) return
      const stopped = await delay(wait, false, { signal: this.#stopping.signal, ref: false }).catch(() => true)
      if (stopped || !dht.running || dht.table.size > bootstrap.length) return
      await dht.bootstrap(bootstrap, { signal: this.#stopping.signal }).catch(() => {})
      await dht.saveRoutingTable().catch(() => {})
    }
  }

  /**
   * The node's address changed (a new onion address): the DHT announces it from now on and
   * re-announces every provided topic with it. Resolves to how many topics were re-announced
   * (0 before the join: the join announces the new address anyway).
   */
  async changeAddress (address: string): Promise<number> {
    const dht = this.#dht
    if (dht == null) return 0
    return await dht.setAddress(address)
  }

  /**
   * Announces that this node serves the share (and keeps re-announcing it while it runs).
   * Resolves with how many DHT nodes stored the record; 0 is not an error (a lone node).
   */
  async announce (cap: VerifyCap): Promise<number> {
    return await this.announceTopic(topicOf(cap))
  }

  async announceTopic (topic: Uint8Array): Promise<number> {
    await this.start()
    const dht = this.#dht
    if (dht?.address == null) return 0
    return (await dht.provide(topic)).stored
  }

  unannounceTopic (topic: Uint8Array): void {
    this.#dht?.unprovide(topic)
  }

  /**
   * Addresses of the share's providers (never this node), each from a signature-checked record;
   * `onAddress` hears each as the lookup finds it.
   */
  async findPeers (cap: VerifyCap, signal?: AbortSignal, onAddress?: (address: string) => void): Promise<FoundPeers> {
    await this.#lookupReady()
    if (this.#dht != null && this.#dht.table.size === 0) await this.#networkJoin
    const dht = this.#dht
    if (dht == null) return { addresses: [], hops: 0, messages: 0 }
    const addresses = new Set<string>()
    const self = this.#network.keys.publicKeyRaw
    const { lookup } = await dht.findProvidersAll(topicOf(cap), {
      ...(signal != null ? { signal } : {}),
      onProvider: p => {
        if (Buffer.from(p.publicKey).equals(self) || addresses.has(p.address)) return
        addresses.add(p.address)
        onAddress?.(p.address)
      }
    })
    return { addresses: [...addresses], hops: lookup.hops, messages: lookup.messages }
  }

  /** The share's providers, or a NodeError (fetch.noProviders) when the DHT knows none. */
  async findProviders (cap: VerifyCap, signal?: AbortSignal): Promise<string[]> {
    const { addresses } = await this.findPeers(cap, signal)
    if (addresses.length === 0) throw this.#noProviders(cap)
    return addresses
  }

  /**
   * The `first` addresses, then the share's providers as the lookup finds them, so a fetch dials
   * each while the lookup goes on (over Tor, its remaining hops cost seconds). At the end, when
   * nothing was yielded, the lookup's error or fetch.noProviders; with `quiet`, it just ends.
   */
  async * providersAsFound (cap: VerifyCap, options: { signal?: AbortSignal, first?: readonly string[], quiet?: boolean } = {}): AsyncGenerator<string> {
    const seen = new Set<string>(options.first)
    yield * seen
    let failure: unknown
    try {
      for await (const address of asFound<string>(async found => await this.findPeers(cap, options.signal, found))) {
        if (!seen.has(address)) { seen.add(address); yield address }
      }
    } catch (err) {
      failure = err
    }
    if (seen.size > 0 || options.quiet === true) return
    throw failure ?? this.#noProviders(cap)
  }

  #noProviders (cap: VerifyCap): NodeError {
    const share = cap.manifestCid.toString()
    const nodes = String(this.peers().length)
    // An empty table after a join through given addresses: they did not answer; say that, not
    // "give --bootstrap".
    const bootstrap = this.#options.bootstrap ?? []
    if (nodes === '0' && bootstrap.length > 0) {
      return new NodeError('fetch.bootstrapUnreachable', { share, bootstrap: bootstrap.join(', ') }, `could not join the DHT: no bootstrap node answered (${bootstrap.join(', ')})`)
    }
    return new NodeError('fetch.noProviders', { share, nodes }, `no peer provides share ${share} in the DHT (routing table: ${nodes} nodes)`)
  }

  /** The routing table, for `oht peers`. */
  peers (): Array<ContactRecord & { lastSeen: number, failures: number }> {
    return this.#dht?.peers() ?? []
  }

  stats (): ReturnType<DhtNode['stats']> | null {
    return this.#dht?.stats() ?? null
  }

  async stop (): Promise<void> {
    // Stopping aborts a join still in progress (its lookups end with the node, its retry waits here).
    this.#stopping.abort()
    await this.#dht?.stop()
    await this.#starting?.catch(() => {})
    await this.#rejoin
  }
}

