// A DHT node: the composer of the onion DHT's units, with the public API the daemon, the CLI and
// the simulator use. It owns the routing table and the record store and wires them to the
// sessions it opens (session-manager.ts), the sessions it serves (server.ts, answers from
// handlers.ts), its lookups (queries.ts) and the replication of records (replication.ts), all on
// an injected clock. Its own part: the lifecycle (start, stop, bootstrap, maintenance rounds) and
// learning contacts into the routing table.
import createDebug from 'debug'
import type { HandshakeResult, IdentityKeys } from '../onion/handshake.ts'
import { immutableKey, mutableKey } from './caps.ts'
import { systemClock, type Clock } from './clock.ts'
import { DEFAULT_DHT_CONFIG, type DhtConfig } from './config.ts'
import { GOOD_CONTACT_MS, MAX_CALLER_VERIFICATIONS, MAX_EVICTION_PINGS, MAX_RECORD_TTL_MS } from './constants.ts'
import { contactFrom, contactFromRecord, contactToRecord, isValidAddress, type Contact } from './contact.ts'
import { answerRequest } from './handlers.ts'
import { idToHex, nodeIdBytes, randomIdInBucket, type Id } from './id.ts'
import type { LookupResult } from './lookup.ts'
import { PeriodicTasks } from './periodic.ts'
import type { RoutingTableStore } from './persistence.ts'
import { openPrivateValue, privateValueLocation, sealPrivateValue } from './private-values.ts'
import { Queries, type OperationOptions, type ProvidersResult } from './queries.ts'
import { ProviderRelay } from './relay.ts'
import { RecordStore } from './record-store.ts'
import { createImmutableRecord, createMutableRecord, type ImmutableRecord, type MutableRecord, type ProviderRecord } from './records.ts'
import { Replication, type StoreResult } from './replication.ts'
import { RoutingTable } from './routing-table.ts'
import { InboundServer } from './server.ts'
import { SessionManager, type DialTarget, type Dialer } from './session-manager.ts'
import { newCounters, type DhtStats, type PeerInfo } from './stats.ts'
import { WarmSessions, type WarmRound } from './warm-sessions.ts'
import type { Request, ResponseFrame } from './wire.ts'

/** DEBUG=oht:dht: joins, provider lookups and announcements (topics shortened). */
const log = createDebug('oht:dht')

export interface DhtNodeOptions {
  keys: IdentityKeys
  /** The transport address this node announces; without one it is a client (never in others' tables, cannot provide). */
  address?: string
  dial: Dialer
  clock?: Clock
  routingStore?: RoutingTableStore
  config?: Partial<DhtConfig>
}

export interface PutMutableOptions extends OperationOptions {
  /** Signs the record; default: this node's key. */
  owner?: IdentityKeys
  salt?: Uint8Array
  /** Default: max(now in ms, last seq this node used for the key + 1), so it rises without a lookup. */
  seq?: number
  ttlMs?: number
}

export class DhtNode {
  readonly keys: IdentityKeys
  readonly nodeId: Id
  readonly nodeIdHex: string
  #address: string | undefined
  readonly config: DhtConfig
  readonly clock: Clock
  readonly table: RoutingTable
  readonly records: RecordStore
  readonly #routingStore: RoutingTableStore | undefined
  readonly #counters = newCounters()
  readonly #sessions: SessionManager
  readonly #server: InboundServer
  readonly #queries: Queries
  readonly #replication: Replication
  readonly #timers: PeriodicTasks
  readonly #warm: WarmSessions
  readonly #relay: ProviderRelay
  /** Last seq this node signed, by hex key of its mutable values. */
  readonly #lastSeq = new Map<string, number>()
  /** Hex ids of the contacts pinged to decide whether a newcomer takes their place. */
  readonly #pinging = new Set<string>()
  /** Callers being pinged at their announced address before they may enter the table. */
  readonly #verifying = new Set<string>()
  #running = false

  constructor (options: DhtNodeOptions) {
    this.keys = options.keys
    this.nodeId = nodeIdBytes(options.keys.publicKeyRaw)
    this.nodeIdHex = idToHex(this.nodeId)
    if (options.address !== undefined && !isValidAddress(options.address)) throw new TypeError(`invalid announced address "${options.address}"`)
    this.#address = options.address
    this.config = { ...DEFAULT_DHT_CONFIG, ...options.config }
    this.clock = options.clock ?? systemClock
    this.#routingStore = options.routingStore
    this.table = new RoutingTable(this.nodeId, this.clock.now(), { k: this.config.k })
    this.records = new RecordStore(this.config.storeLimits)
    const { nodeId, nodeIdHex, address, clock, config, table, records } = this
    const counters = this.#counters
    const running = (): boolean => this.#running
    this.#timers = new PeriodicTasks(clock, running)
    this.#sessions = new SessionManager({
      selfHex: nodeIdHex,
      address,
      dial: options.dial,
      clock,
      config,
      counters,
      onAlive: contact => { this.#learn(contact) },
      onFailure: hex => { this.table.recordFailure(hex) }
    })
    this.#server = new InboundServer({
      clock,
      config,
      counters,
      running,
      answer: (request, id, peerHex) => {
        const local = this.answer(request, id, peerHex)
        if (request.type !== 'get-providers' || request.forward === undefined) return local
        return this.#relay.answer(local, request.topic, request.forward, peerHex)
      },
      onCaller: contact => { this.#callerSeen(contact) }
    })
    this.#queries = new Queries({ nodeId, nodeIdHex, clock, config, table, records, counters, sessions: this.#sessions })
    this.#warm = new WarmSessions({ clock, config, table, sessions: this.#sessions })
    this.#relay = new ProviderRelay({ nodeId, clock, config, table, counters, sessions: this.#sessions })
    this.#replication = new Replication({
      keys: this.keys,
      nodeId,
      nodeIdHex,
      address,
      clock,
      config,
      table,
      records,
      counters,
      sessions: this.#sessions,
      findNode: async (target, operation) => await this.findNode(target, operation),
      running
    })
  }

  get running (): boolean { return this.#running }

  /** The transport address this node announces (undefined for a client). */
  get address (): string | undefined { return this.#address }

  /**
   * The node's address changed (a new onion address): requests announce the new one, so each
   * peer re-checks it and updates its table entry; the provider records are re-announced with
   * it at once, and a lookup of our own id tells the closest nodes. Resolves to the number of
   * topics re-announced.
   */
  async setAddress (address: string, options: OperationOptions = {}): Promise<number> {
    if (!isValidAddress(address)) throw new TypeError(`invalid announced address "${address}"`)
    this.#address = address
    this.#sessions.setAddress(address)
    this.#replication.setAddress(address)
    if (!this.#running) return 0
    await this.findNode(this.nodeId, options).catch(() => {})
    await this.#replication.republishProviders()
    return this.#replication.providedTopics
  }

  /** This node's own contact (null for a client without an address). */
  get contact (): Contact | null {
    return this.address === undefined ? null : contactFrom(this.keys.publicKeyRaw, this.address)
  }

  // --- lifecycle ------------------------------------------------------------------------------

  /** Loads the saved routing table and starts the timers. */
  async start (): Promise<void> {
    if (this.#running) return
    this.#running = true
    this.#sessions.start()
    if (this.#routingStore !== undefined) {
      const now = this.clock.now()
      for (const record of await this.#routingStore.load()) {
        const contact = contactFromRecord(record)
        if (contact !== null) this.table.add(contact, now)
      }
    }
    this.#timers.every(this.config.maintenanceIntervalMs, () => this.maintain())
    this.#replication.schedule(this.#timers)
  }

  /** Stops the timers, closes every session and saves the routing table. */
  async stop (): Promise<void> {
    if (!this.#running) return
    this.#running = false
    this.#sessions.stop()
    this.#timers.clear()
    this.#replication.stop()
    this.#server.closeAll()
    await this.saveRoutingTable()
  }

  async saveRoutingTable (): Promise<void> {
    await this.#routingStore?.save(this.table.entries().map(e => contactToRecord(e.contact)))
  }

  /**
   * Joins the network through known peers (contacts, or bare addresses whose node id the
   * handshake reveals), then looks itself up and refreshes a few far buckets.
   */
  async bootstrap (peers: Array<Contact | string>, options: OperationOptions & { onReached?: () => void } = {}): Promise<{ reached: number, tableSize: number }> {
    const results = await Promise.allSettled(peers.map(async peer => {
      const target: DialTarget = typeof peer === 'string' ? { address: peer } : { address: peer.address, nodeId: idToHex(peer.nodeId) }
      await this.#sessions.request(target, { type: 'ping' }, options.signal)
    }))
    const reached = results.filter(r => r.status === 'fulfilled').length
    log('bootstrap: %d of %d reached', reached, peers.length)
    // Lookups may start now: the table has its first contacts; the refresh below fills the rest.
    options.onReached?.()
    if (this.table.size > 0) {
      await this.findNode(this.nodeId, options)
      const sizes = this.table.bucketSizes()
      let deepest = 0
      sizes.forEach((n, i) => { if (n > 0) deepest = i })
      const sparse = sizes.slice(0, deepest).map((n, i) => ({ n, i })).sort((a, b) => a.n - b.n).slice(0, this.config.bootstrapExtraLookups)
      for (const { i } of sparse) await this.findNode(randomIdInBucket(this.nodeId, i), options)
    }
    return { reached, tableSize: this.table.size }
  }

  /** One maintenance round: reap idle sessions, keep the warm ones, refresh stale buckets, save the table. */
  async maintain (): Promise<void> {
    this.#sessions.reap(true)
    this.#server.reapIdle()
    await this.warmSessions().catch(() => {})
    const stale = this.table.staleBuckets(this.clock.now(), this.config.bucketRefreshMs).slice(0, this.config.maxRefreshesPerRound)
    for (const index of stale) {
      if (!this.#running) return
      await this.findNode(randomIdInBucket(this.nodeId, index)).catch(() => {})
    }
    await this.saveRoutingTable().catch(() => {})
  }

  /**
   * Chooses the routing-table contacts to keep sessions open to, dials a bounded number of those
   * without one and pings the idle ones (warm-sessions.ts); part of every maintenance round.
   */
  async warmSessions (): Promise<WarmRound> {
    return await this.#warm.round(this.#sessions.lifetime)
  }

  // --- serving --------------------------------------------------------------------------------

  /**
   * Serves an authenticated inbound stream (protocol `dht`): reads requests, answers each.
   * Owns the stream. A malformed frame or message ends the session; an unknown request type is
   * answered with an error and the session goes on.
   */
  handleStream (session: HandshakeResult): void {
    this.#server.accept(session)
  }

  /** The answer to one request. Protected so the simulator can build misbehaving nodes from it. */
  protected answer (request: Request, id: number, peerHex: string): ResponseFrame {
    return answerRequest({ table: this.table, records: this.records, k: this.config.k, now: this.clock.now(), peerHex }, request, id)
  }

  /**
   * A node that called us: known at that address, it is seen alive; new (or at a new address), it
   * is admitted only when a ping to the address it announced is answered (onAlive → #learn), and
   * not pinged at all when its bucket is full of good contacts (it could only wait in the cache).
   * Probes are silent (no address announced): else each would make its callee probe in turn, a
   * chain of pings across the network, each a circuit over Tor.
   */
  #callerSeen (contact: Contact): void {
    const hex = idToHex(contact.nodeId)
    const known = this.table.get(hex)
    if (known?.contact.address === contact.address) { this.#learn(contact); return }
    if (!this.#running || this.#verifying.has(hex) || this.#verifying.size >= MAX_CALLER_VERIFICATIONS) return
    if (known === undefined && this.table.fullOfGood(contact.nodeId, this.clock.now(), GOOD_CONTACT_MS)) return
    this.#verifying.add(hex)
    this.#sessions.request({ address: contact.address, nodeId: hex }, { type: 'ping' }, undefined, true)
      .catch(() => {})
      .finally(() => { this.#verifying.delete(hex) })
  }

  /** A contact that answered us: into the table, and owed the records it should now hold. */
  #learn (contact: Contact): void {
    const outcome = this.table.add(contact, this.clock.now())
    if (outcome.status === 'added') this.#replication.onNewContact(contact)
    if (outcome.status !== 'cached' || !this.#running) return
    // A full bucket: check its least recently seen contact, unless it is good; if it fails it makes room.
    if (this.clock.now() - outcome.oldestSeen < GOOD_CONTACT_MS) return
    const oldest = idToHex(outcome.oldest.nodeId)
    if (this.#pinging.has(oldest) || this.#pinging.size >= MAX_EVICTION_PINGS) return
    this.#pinging.add(oldest)
    this.#sessions.request({ address: outcome.oldest.address, nodeId: oldest }, { type: 'ping' }, undefined, true)
      .catch(() => {})
      .finally(() => { this.#pinging.delete(oldest) })
  }

  // --- lookups --------------------------------------------------------------------------------

  /** The k closest live nodes to `target`. */
  async findNode (target: Id, options: OperationOptions = {}): Promise<LookupResult> {
    return await this.#queries.findNode(target, options)
  }

  /**
   * Providers of `topic` as they are found, each record validated (signature, topic, expiry),
   * deduplicated by provider. Ends after `limit` providers, when the lookup converges, or on abort.
   */
  findProviders (topic: Id, options: OperationOptions & { limit?: number } = {}): AsyncGenerator<ProviderRecord> {
    return this.#queries.findProviders(topic, options)
  }

  /** findProviders as one bounded promise, with the lookup's figures (hops, messages, time). */
  async findProvidersAll (topic: Id, options: OperationOptions & { limit?: number, onProvider?: (r: ProviderRecord) => void } = {}): Promise<ProvidersResult> {
    const result = await this.#queries.findProvidersAll(topic, options)
    if (log.enabled) log('providers of %s: %d (%d hops, %d messages)', idToHex(topic).slice(0, 12), result.providers.length, result.lookup.hops, result.lookup.messages)
    return result
  }

  /** The value stored under `key` (= SHA-256 of it), or null. */
  async getImmutable (key: Id, options: OperationOptions = {}): Promise<{ value: Uint8Array | null, lookup: LookupResult }> {
    return await this.#queries.getImmutable(key, options)
  }

  /** The highest-seq valid record of (owner, salt) among the k closest nodes (a tombstone if deleted), or null. */
  async getMutable (ownerPublicKey: Uint8Array, options: OperationOptions & { salt?: Uint8Array } = {}): Promise<{ record: MutableRecord | null, lookup: LookupResult }> {
    return await this.#queries.getMutable(ownerPublicKey, options)
  }

  // --- publishing -----------------------------------------------------------------------------

  /** Announces that this node provides `topic` (32 bytes, see src/blocks/caps.ts deriveTopic); republished until unprovide. */
  async provide (topic: Id, options: OperationOptions = {}): Promise<StoreResult> {
    const result = await this.#replication.provide(topic, options)
    if (log.enabled) log('provide %s: stored on %d', idToHex(topic).slice(0, 12), result.stored)
    return result
  }

  /** Stops republishing `topic` (records already stored expire by themselves). */
  unprovide (topic: Id): void {
    this.#replication.unprovide(topic)
  }

  /** Stores an immutable value under SHA-256(value); republished by this node while it runs. */
  async putImmutable (value: Uint8Array, options: OperationOptions & { ttlMs?: number } = {}): Promise<StoreResult> {
    const make = (expires: number): ImmutableRecord => createImmutableRecord(this.keys, value, expires)
    return await this.#replication.putValue(immutableKey(value), make, options.ttlMs ?? this.config.valueTtlMs, options)
  }

  /** Stores (or replaces) a mutable value owned by `owner` (default: this node's key), as BEP 44. */
  async putMutable (value: Uint8Array, options: PutMutableOptions = {}): Promise<StoreResult & { seq: number }> {
    return await this.#putMutable(value, false, options)
  }

  /**
   * Deletes a mutable value: stores a signed tombstone (a higher seq, an empty value, `deleted`
   * set) that replaces every earlier version on the nodes that hold it and outlives them.
   */
  async deleteMutable (options: PutMutableOptions = {}): Promise<StoreResult & { seq: number }> {
    return await this.#putMutable(new Uint8Array(0), true, { ...options, ttlMs: options.ttlMs ?? MAX_RECORD_TTL_MS })
  }

  async #putMutable (value: Uint8Array, deleted: boolean, options: PutMutableOptions): Promise<StoreResult & { seq: number }> {
    const owner = options.owner ?? this.keys
    const salt = options.salt ?? new Uint8Array(0)
    const key = mutableKey(owner.publicKeyRaw, salt)
    const hex = idToHex(key)
    const seq = options.seq ?? Math.max(Math.floor(this.clock.now()), (this.#lastSeq.get(hex) ?? -1) + 1)
    this.#lastSeq.set(hex, seq)
    const make = (expires: number): MutableRecord => createMutableRecord(owner, { value, salt, seq, deleted, expires })
    const { stored, lookup } = await this.#replication.putValue(key, make, options.ttlMs ?? this.config.valueTtlMs, options)
    return { key, seq, stored, lookup }
  }

  /** Encrypts and stores a private value under its handle (see private-values.ts). */
  async putPrivate (handle: Uint8Array, plaintext: Uint8Array, options: OperationOptions & { ttlMs?: number } = {}): Promise<StoreResult & { seq: number }> {
    const location = privateValueLocation(handle)
    return await this.putMutable(sealPrivateValue(location, plaintext), { ...options, owner: location.owner, salt: location.salt })
  }

  /** The plaintext of a private value; null when absent, deleted or not decryptable. */
  async getPrivate (handle: Uint8Array, options: OperationOptions = {}): Promise<{ value: Uint8Array | null, deleted: boolean, lookup: LookupResult }> {
    const location = privateValueLocation(handle)
    const { record, lookup } = await this.getMutable(location.owner.publicKeyRaw, { ...options, salt: location.salt })
    if (record === null) return { value: null, deleted: false, lookup }
    const found: MutableRecord = record
    if (found.deleted) return { value: null, deleted: true, lookup }
    return { value: openPrivateValue(location, found.value), deleted: false, lookup }
  }

  async deletePrivate (handle: Uint8Array, options: OperationOptions = {}): Promise<StoreResult & { seq: number }> {
    const location = privateValueLocation(handle)
    return await this.deleteMutable({ ...options, owner: location.owner, salt: location.salt })
  }

  /** Stops republishing a private value (an invite's record, whose lifetime must not grow). */
  forgetPrivate (handle: Uint8Array): void {
    this.#replication.forgetValue(privateValueLocation(handle).key)
  }

  async republishProviders (): Promise<void> {
    await this.#replication.republishProviders()
  }

  async republishValues (): Promise<void> {
    await this.#replication.republishValues()
  }

  // --- introspection ----------------------------------------------------------------------------

  /** One ping over the session to `target` (dialled when none is open): the round trip and who answered. */
  async ping (target: DialTarget, options: OperationOptions = {}): Promise<{ rttMs: number, contact: Contact }> {
    const started = this.clock.now()
    const { contact } = await this.#sessions.request(target, { type: 'ping' }, options.signal)
    return { rttMs: this.clock.now() - started, contact }
  }


  /** The routing table, for `oht peers`. */
  peers (): PeerInfo[] {
    return this.table.entries().map(e => ({ ...contactToRecord(e.contact), lastSeen: e.lastSeen, failures: e.failures }))
  }

  stats (): DhtStats {
    return {
      nodeId: this.nodeIdHex,
      routingTableSize: this.table.size,
      storedRecords: this.records.size,
      storedBytes: this.records.bytes,
      outboundSessions: this.#sessions.size,
      warmSessions: this.#sessions.warmCount,
      inboundSessions: this.#server.size,
      ...this.#counters,
      providedTopics: this.#replication.providedTopics
    }
  }
}
