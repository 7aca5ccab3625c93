// A DHT node: routing table, record store, request server and client operations (lookups,
// provide/find providers, put/get of immutable, mutable and private values), with its timers
// (republish, bucket refresh, sweeps, session reaping) on an injected clock.
//
// Transport: every DHT exchange runs on an oht stream authenticated by the handshake. The network
// layer hands inbound `dht` streams to handleStream(); outbound streams come from the injected
// Dialer. A stream carries one session: the dialer sends pipelined requests, the dialed node
// answers (see session.ts). Outbound sessions are kept per peer and reused (a Tor connect costs
// seconds) up to maxOutboundSessions; inbound sessions are bounded by maxInboundSessions.
import type { Duplex } from 'node:stream'
import { FrameReader, writeFrame } from '../onion/framing.ts'
import type { HandshakeResult, IdentityKeys } from '../onion/handshake.ts'
import { systemClock, type Clock, type TimerHandle } from './clock.ts'
import * as C from './constants.ts'
import { immutableKey, mutableKey } from './caps.ts'
import { contactFrom, contactFromRecord, contactToRecord, isValidAddress, type Contact, type ContactRecord } from './contact.ts'
import { compareDistance, equalIds, idToHex, nodeIdBytes, randomIdInBucket, type Id } from './id.ts'
import { iterativeLookup, type LookupResult, type QueryAnswer } from './lookup.ts'
import type { RoutingTableStore } from './persistence.ts'
import { openPrivateValue, privateValueLocation, sealPrivateValue } from './private-values.ts'
import { RecordStore, StoreRefusedError, type RecordStoreLimits } from './record-store.ts'
import {
  RecordError, createImmutableRecord, createMutableRecord, createProviderRecord, providerNodeId,
  validateProviderRecord, validateValueRecord, type ImmutableRecord, type MutableRecord, type ProviderRecord, type ValueRecord
} from './records.ts'
import { RoutingTable } from './routing-table.ts'
import { OutboundSession, RpcError } from './session.ts'
import { WireError, decodeRequest, encodeResponse, type Request, type ResponseBody, type ResponseFrame } from './wire.ts'

export const DHT_PROTOCOL = 'dht'

/** Where to dial: an address, and the node id the handshake must prove when it is known. */
export interface DialTarget {
  address: string
  nodeId?: string
}

/**
 * Opens an authenticated `dht` stream: e.g.
 * `(t, signal) => dialPeer(transport, t.address, { keys, protocol: 'dht', expectedNodeId: t.nodeId, signal })`.
 */
export type Dialer = (target: DialTarget, signal: AbortSignal) => Promise<HandshakeResult>

export interface DhtConfig {
  k: number
  paths: number
  alphaPerPath: number
  maxPerPath: number
  stallMs: number
  dialTimeoutMs: number
  rpcTimeoutMs: number
  lookupTimeoutMs: number
  sessionIdleMs: number
  inboundIdleMs: number
  maxOutboundSessions: number
  maxInboundSessions: number
  maxInflightPerSession: number
  maxFrameBytes: number
  providerTtlMs: number
  providerRepublishMs: number
  valueTtlMs: number
  valueRepublishMs: number
  maintenanceIntervalMs: number
  bucketRefreshMs: number
  maxRefreshesPerRound: number
  storeSweepMs: number
  bootstrapExtraLookups: number
  replicationPushers: number
  replicationMaxRecords: number
  replicationQueue: number
  storeLimits: Partial<RecordStoreLimits>
}

export const DEFAULT_DHT_CONFIG: DhtConfig = {
  k: C.K,
  paths: C.DISJOINT_PATHS,
  alphaPerPath: C.ALPHA_PER_PATH,
  maxPerPath: C.MAX_PER_PATH,
  stallMs: C.QUERY_STALL_MS,
  dialTimeoutMs: C.DIAL_TIMEOUT_MS,
  rpcTimeoutMs: C.RPC_TIMEOUT_MS,
  lookupTimeoutMs: C.LOOKUP_TIMEOUT_MS,
  sessionIdleMs: C.SESSION_IDLE_MS,
  inboundIdleMs: C.INBOUND_IDLE_MS,
  maxOutboundSessions: C.MAX_OUTBOUND_SESSIONS,
  maxInboundSessions: C.MAX_INBOUND_SESSIONS,
  maxInflightPerSession: C.MAX_INFLIGHT_PER_SESSION,
  maxFrameBytes: C.MAX_FRAME_BYTES,
  providerTtlMs: C.PROVIDER_TTL_MS,
  providerRepublishMs: C.PROVIDER_REPUBLISH_MS,
  valueTtlMs: C.VALUE_TTL_MS,
  valueRepublishMs: C.VALUE_REPUBLISH_MS,
  maintenanceIntervalMs: C.MAINTENANCE_INTERVAL_MS,
  bucketRefreshMs: C.BUCKET_REFRESH_MS,
  maxRefreshesPerRound: C.MAX_REFRESHES_PER_ROUND,
  storeSweepMs: C.STORE_SWEEP_MS,
  bootstrapExtraLookups: C.BOOTSTRAP_EXTRA_LOOKUPS,
  replicationPushers: C.REPLICATION_PUSHERS,
  replicationMaxRecords: C.REPLICATION_MAX_RECORDS,
  replicationQueue: C.REPLICATION_QUEUE,
  storeLimits: {}
}

export interface DhtNodeOptions {
  keys: IdentityKeys
  /** The transport address this node announces; without one it is a client (never in others' tables, cannot provide). */
  address?: string
  dial: Dialer
  clock?: Clock
  routingStore?: RoutingTableStore
  config?: Partial<DhtConfig>
}

export interface OperationOptions {
  signal?: AbortSignal
}

export interface DhtStats {
  nodeId: string
  routingTableSize: number
  storedRecords: number
  storedBytes: number
  outboundSessions: number
  inboundSessions: number
  dials: number
  dialFailures: number
  requestsSent: number
  requestsFailed: number
  requestsServed: number
  /** Malformed requests and sessions dropped for it. */
  malformedRequests: number
  /** Records in answers that failed validation (forged, expired, for another key). */
  rejectedRecords: number
  /** Contacts in answers that failed their checks. */
  rejectedContacts: number
  lookups: number
  providedTopics: number
  /** Records pushed to newcomers that are now among the closest to them (store-on-join). */
  replicated: number
}

export interface PeerInfo extends ContactRecord {
  lastSeen: number
  failures: number
}

export interface StoreResult {
  key: Id
  /** Nodes that accepted the record. */
  stored: number
  lookup: LookupResult
}

export interface ProvidersResult {
  providers: ProviderRecord[]
  lookup: LookupResult
}

export interface PutMutableOptions extends OperationOptions {
  /** Signs the record; default: this node's key. */
  owner?: IdentityKeys
  salt?: Uint8Array
  /** Default: max(now in ms, last seq this node used for the key + 1), so it rises without a lookup. */
  seq?: number
  ttlMs?: number
}

interface InboundSession {
  stream: Duplex
  lastActive: number
}

interface OwnValue {
  /** Immutable: the value; mutable: re-signed with the same seq and a later expiry. */
  make: (expires: number) => ValueRecord
}

class Deadline {
  readonly controller = new AbortController()
  readonly #timer: TimerHandle
  readonly #clock: Clock
  readonly #parent: AbortSignal | undefined
  readonly #onParent = (): void => { this.controller.abort(this.#parent?.reason) }

  constructor (clock: Clock, ms: number, what: string, parent?: AbortSignal) {
    this.#clock = clock
    this.#parent = parent
    this.#timer = clock.setTimeout(() => { this.controller.abort(new RpcError('timeout', `${what} took longer than ${ms} ms`)) }, ms)
    if (parent?.aborted === true) this.controller.abort(parent.reason)
    else parent?.addEventListener('abort', this.#onParent, { once: true })
  }

  get signal (): AbortSignal { return this.controller.signal }

  clear (): void {
    this.#clock.clearTimeout(this.#timer)
    this.#parent?.removeEventListener('abort', this.#onParent)
  }
}

export class DhtNode {
  readonly keys: IdentityKeys
  readonly nodeId: Id
  readonly nodeIdHex: string
  readonly address: string | undefined
  readonly config: DhtConfig
  readonly clock: Clock
  readonly table: RoutingTable
  readonly records: RecordStore
  readonly #dial: Dialer
  readonly #routingStore: RoutingTableStore | undefined
  readonly #outbound = new Map<string, OutboundSession>()
  readonly #dialing = new Map<string, Promise<OutboundSession>>()
  readonly #inbound = new Set<InboundSession>()
  readonly #provided = new Map<string, Id>()
  readonly #ownValues = new Map<string, OwnValue>()
  readonly #lastSeq = new Map<string, number>()
  readonly #pinging = new Set<string>()
  readonly #timers = new Set<TimerHandle>()
  #running = false
  /** Aborted by stop(): ends dials in progress. */
  #lifetime = new AbortController()
  #counters = {
    dials: 0, dialFailures: 0, requestsSent: 0, requestsFailed: 0, requestsServed: 0,
    malformedRequests: 0, rejectedRecords: 0, rejectedContacts: 0, lookups: 0, replicated: 0
  }
  /** Newcomers waiting for the records they should now hold (store-on-join), by hex id. */
  readonly #replicationQueue = new Map<string, Contact>()
  #replicating = false

  constructor (options: DhtNodeOptions) {
    this.keys = options.keys
    this.nodeId = nodeIdBytes(options.keys.publicKeyRaw)
    this.nodeIdHex = idToHex(this.nodeId)
    if (options.address !== undefined && !isValidAddress(options.address)) throw new TypeError(`invalid announced address "${options.address}"`)
    this.address = options.address
    this.config = { ...DEFAULT_DHT_CONFIG, ...options.config }
    this.clock = options.clock ?? systemClock
    this.#dial = options.dial
    this.#routingStore = options.routingStore
    this.table = new RoutingTable(this.nodeId, this.clock.now(), { k: this.config.k })
    this.records = new RecordStore(this.config.storeLimits)
  }

  get running (): boolean { return this.#running }

  /** This node's own contact (null for a client without an address). */
  get contact (): Contact | null {
    return this.address === undefined ? null : contactFrom(this.keys.publicKeyRaw, this.address)
  }

  // --- lifecycle ------------------------------------------------------------------------------

  /** Loads the saved routing table and starts the timers. */
  async start (): Promise<void> {
    if (this.#running) return
    this.#running = true
    this.#lifetime = new AbortController()
    if (this.#routingStore !== undefined) {
      const now = this.clock.now()
      for (const record of await this.#routingStore.load()) {
        const contact = contactFromRecord(record)
        if (contact !== null) this.table.add(contact, now)
      }
    }
    this.#every(this.config.maintenanceIntervalMs, () => this.maintain())
    this.#every(this.config.storeSweepMs, async () => { this.records.sweep(this.clock.now()) })
    this.#every(this.config.providerRepublishMs, () => this.republishProviders())
    this.#every(this.config.valueRepublishMs, () => this.republishValues())
  }

  /** Stops the timers, closes every session and saves the routing table. */
  async stop (): Promise<void> {
    if (!this.#running) return
    this.#running = false
    this.#lifetime.abort(new RpcError('closed', 'the DHT node stopped'))
    for (const timer of this.#timers) this.clock.clearTimeout(timer)
    this.#timers.clear()
    this.#replicationQueue.clear()
    for (const session of this.#outbound.values()) session.close()
    this.#outbound.clear()
    for (const session of this.#inbound) session.stream.destroy()
    this.#inbound.clear()
    await this.saveRoutingTable()
  }

  async saveRoutingTable (): Promise<void> {
    await this.#routingStore?.save(this.table.entries().map(e => contactToRecord(e.contact)))
  }

  /**
   * Joins the network through known peers (contacts, or bare addresses whose node id the
   * handshake reveals), then looks itself up and refreshes a few far buckets.
   */
  async bootstrap (peers: Array<Contact | string>, options: OperationOptions = {}): Promise<{ reached: number, tableSize: number }> {
    const results = await Promise.allSettled(peers.map(async peer => {
      const target: DialTarget = typeof peer === 'string' ? { address: peer } : { address: peer.address, nodeId: idToHex(peer.nodeId) }
      await this.#request(target, { type: 'ping' }, options.signal)
    }))
    const reached = results.filter(r => r.status === 'fulfilled').length
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

  // --- serving --------------------------------------------------------------------------------

  /**
   * Serves an authenticated inbound stream (protocol `dht`): reads requests, answers each.
   * Owns the stream. A malformed frame or message ends the session; an unknown request type is
   * answered with an error and the session goes on.
   */
  handleStream (session: HandshakeResult): void {
    const { stream } = session
    stream.on('error', () => {})
    if (!this.#running || session.protocol !== DHT_PROTOCOL) { stream.destroy(); return }
    if (this.#inbound.size >= this.config.maxInboundSessions) {
      let oldest: InboundSession | null = null
      for (const s of this.#inbound) if (oldest === null || s.lastActive < oldest.lastActive) oldest = s
      oldest?.stream.destroy()
      if (oldest !== null) this.#inbound.delete(oldest)
    }
    const inbound: InboundSession = { stream, lastActive: this.clock.now() }
    this.#inbound.add(inbound)
    void this.#serve(session, inbound).finally(() => {
      this.#inbound.delete(inbound)
      stream.destroy()
    })
  }

  async #serve (session: HandshakeResult, inbound: InboundSession): Promise<void> {
    const { stream } = session
    const peerHex = session.remoteNodeId
    const reader = new FrameReader(stream, { maxFrameBytes: this.config.maxFrameBytes })
    let idle: TimerHandle | null = null
    const armIdle = (): void => {
      if (idle !== null) this.clock.clearTimeout(idle)
      idle = this.clock.setTimeout(() => { stream.destroy() }, this.config.inboundIdleMs)
    }
    armIdle()
    try {
      for await (const frame of reader) {
        inbound.lastActive = this.clock.now()
        armIdle()
        let response: ResponseFrame
        try {
          const { id, from, request } = decodeRequest(frame)
          if (from !== undefined) this.#learnCaller(session, from)
          response = this.answer(request, id, peerHex)
        } catch (err) {
          if (!(err instanceof WireError)) throw err
          this.#counters.malformedRequests++
          if (err.code === 'malformed' || err.requestId === undefined) return
          response = { id: err.requestId, ok: false, error: err.code, message: err.message }
        }
        this.#counters.requestsServed++
        await writeFrame(stream, encodeResponse(response), { maxFrameBytes: this.config.maxFrameBytes })
      }
    } catch {
      // Truncated or oversized frame, reset stream: the session ends, the node goes on.
      this.#counters.malformedRequests++
    } finally {
      if (idle !== null) this.clock.clearTimeout(idle)
    }
  }

  /** A caller proved its key in the handshake and announces its own address: a contact we may add. */
  #learnCaller (session: HandshakeResult, address: string): void {
    try {
      const contact = contactFrom(session.remotePublicKey, address)
      if (idToHex(contact.nodeId) === session.remoteNodeId) this.#addContact(contact)
    } catch {}
  }

  /** The answer to one request. Protected so the simulator can build misbehaving nodes from it. */
  protected answer (request: Request, id: number, peerHex: string): ResponseFrame {
    const now = this.clock.now()
    const ok = (body: ResponseBody): ResponseFrame => ({ id, ok: true, body, dropped: 0 })
    const closestFor = (target: Id): Contact[] => this.table.closest(target, this.config.k, hex => hex === peerHex)
    switch (request.type) {
      case 'ping': return ok({})
      case 'find-node': return ok({ nodes: closestFor(request.target) })
      case 'get-providers': return ok({ providers: this.records.getProviders(request.topic, now), nodes: closestFor(request.topic) })
      case 'get-value': {
        const record = this.records.getValue(request.key, now)
        return ok(record === null ? { nodes: closestFor(request.key) } : { record, nodes: closestFor(request.key) })
      }
      case 'add-provider':
      case 'put-value':
        try {
          if (request.type === 'add-provider') this.records.addProvider(request.record, peerHex, now)
          else this.records.putValue(request.record, peerHex, now)
          return ok({})
        } catch (err) {
          if (err instanceof RecordError) return { id, ok: false, error: 'invalid-record', message: `${err.code}: ${err.message}` }
          if (err instanceof StoreRefusedError) return { id, ok: false, error: 'refused', message: `${err.code}: ${err.message}` }
          throw err
        }
    }
  }

  // --- client: sessions and requests ------------------------------------------------------------

  /** Sends one request to a peer over its (reused or new) session; updates the routing table. */
  async #request (target: DialTarget, request: Request, signal?: AbortSignal): Promise<{ body: ResponseBody, contact: Contact }> {
    // A failed dial is counted against the contact by #openSession.
    const session = await this.#session(target, signal)
    this.#counters.requestsSent++
    try {
      const { body, dropped } = await session.request(request, this.config.rpcTimeoutMs, signal)
      this.#counters.rejectedContacts += dropped
      const contact = this.#sessionContacts.get(session)!
      this.#addContact(contact)
      return { body, contact }
    } catch (err) {
      this.#counters.requestsFailed++
      // An answer that refuses (a full store, a stale seq) comes from a live peer; an abort is ours.
      const code = err instanceof RpcError ? err.code : 'closed'
      if (code !== 'aborted' && code !== 'remote-error' && code !== 'refused') {
        this.table.recordFailure(session.peer)
        this.#dropSession(session)
      } else if (code !== 'aborted') {
        this.#addContact(this.#sessionContacts.get(session)!)
      }
      throw err
    } finally {
      this.#reapSessions(false)
    }
  }

  readonly #sessionContacts = new WeakMap<OutboundSession, Contact>()

  /**
   * The open session to the target, or a new one. A dial is shared by every request that needs
   * the same peer and is not cancelled when the request that started it gives up: a circuit
   * that took seconds to build is worth keeping for the next request (only stop() ends it).
   */
  async #session (target: DialTarget, signal?: AbortSignal): Promise<OutboundSession> {
    if (target.nodeId === this.nodeIdHex) throw new RpcError('dial', 'refusing to dial ourselves')
    if (signal?.aborted === true) throw new RpcError('aborted', 'request aborted')
    let dialing: Promise<OutboundSession> | undefined
    if (target.nodeId !== undefined) {
      const open = this.#outbound.get(target.nodeId)
      if (open !== undefined && !open.closed) return open
      dialing = this.#dialing.get(target.nodeId)
    }
    if (dialing === undefined) {
      dialing = this.#openSession(target, this.#lifetime.signal)
      if (target.nodeId !== undefined) {
        const key = target.nodeId
        this.#dialing.set(key, dialing)
        dialing.then(() => { this.#dialing.delete(key) }, () => { this.#dialing.delete(key) })
      }
    }
    return await abortable(dialing, signal)
  }

  async #openSession (target: DialTarget, signal?: AbortSignal): Promise<OutboundSession> {
    if (!this.#running) throw new RpcError('closed', 'the DHT node is stopped')
    this.#counters.dials++
    const deadline = new Deadline(this.clock, this.config.dialTimeoutMs, `dialing ${target.address}`, signal)
    let result: HandshakeResult
    try {
      result = await this.#dial(target, deadline.signal)
    } catch (err) {
      this.#counters.dialFailures++
      if (target.nodeId !== undefined && this.#running) this.table.recordFailure(target.nodeId)
      const code = signal?.aborted === true ? 'aborted' : 'dial'
      throw new RpcError(code, `could not reach ${target.address}: ${(err as Error).message}`, { cause: err })
    } finally {
      deadline.clear()
    }
    // The handshake proved the peer's key; it must be the node we meant to reach.
    if ((target.nodeId !== undefined && result.remoteNodeId !== target.nodeId) || result.remoteNodeId !== idToHex(nodeIdBytes(result.remotePublicKey))) {
      result.stream.destroy()
      this.#counters.dialFailures++
      if (target.nodeId !== undefined) this.table.recordFailure(target.nodeId)
      throw new RpcError('dial', `${target.address} is not node ${target.nodeId ?? '?'}`)
    }
    if (!this.#running) { result.stream.destroy(); throw new RpcError('closed', 'the DHT node stopped during the dial') }
    const session = new OutboundSession(result.remoteNodeId, result.stream, {
      clock: this.clock,
      ...(this.address === undefined ? {} : { from: this.address }),
      maxInflight: this.config.maxInflightPerSession,
      maxFrameBytes: this.config.maxFrameBytes
    })
    this.#sessionContacts.set(session, { nodeId: nodeIdBytes(result.remotePublicKey), publicKey: result.remotePublicKey, address: target.address })
    const previous = this.#outbound.get(result.remoteNodeId)
    if (previous !== undefined && previous !== session) previous.close()
    this.#outbound.set(result.remoteNodeId, session)
    this.#reapSessions(false)
    return session
  }

  #dropSession (session: OutboundSession): void {
    session.close()
    if (this.#outbound.get(session.peer) === session) this.#outbound.delete(session.peer)
  }

  /** Closes idle sessions beyond the bound (least recently used first), or all idle past their time. */
  #reapSessions (byAge: boolean): void {
    const now = this.clock.now()
    for (const [peer, session] of this.#outbound) if (session.closed) this.#outbound.delete(peer)
    if (byAge) {
      for (const session of [...this.#outbound.values()]) if (session.idle && now - session.lastUsed >= this.config.sessionIdleMs) this.#dropSession(session)
    }
    if (this.#outbound.size <= this.config.maxOutboundSessions) return
    const idle = [...this.#outbound.values()].filter(s => s.idle).sort((a, b) => a.lastUsed - b.lastUsed)
    for (const session of idle) {
      if (this.#outbound.size <= this.config.maxOutboundSessions) break
      this.#dropSession(session)
    }
  }

  #addContact (contact: Contact): void {
    const outcome = this.table.add(contact, this.clock.now())
    if (outcome.status === 'added') this.#queueReplication(contact)
    if (outcome.status !== 'cached' || !this.#running) return
    // A full bucket: check its least recently seen contact; if it fails it makes room.
    const oldest = idToHex(outcome.oldest.nodeId)
    if (this.#pinging.has(oldest) || this.#pinging.size >= 4) return
    this.#pinging.add(oldest)
    this.#request({ address: outcome.oldest.address, nodeId: oldest }, { type: 'ping' })
      .catch(() => {})
      .finally(() => { this.#pinging.delete(oldest) })
  }

  // --- store-on-join ----------------------------------------------------------------------------

  /** A node new to our table may now be one of the k closest to records we store: queue it. */
  #queueReplication (contact: Contact): void {
    if (!this.#running || this.config.replicationPushers <= 0) return
    if (this.records.size === 0 || this.#replicationQueue.size >= this.config.replicationQueue) return
    this.#replicationQueue.set(idToHex(contact.nodeId), contact)
    if (this.#replicating) return
    this.#replicating = true
    void this.#replicate().finally(() => { this.#replicating = false })
  }

  async #replicate (): Promise<void> {
    while (this.#running) {
      const next = this.#replicationQueue.entries().next()
      if (next.done === true) return
      const [hex, contact] = next.value
      this.#replicationQueue.delete(hex)
      // Still in the table (it may have failed meanwhile), and owed something.
      if (!this.table.has(hex)) continue
      const requests = this.#recordsOwedTo(contact)
      for (const request of requests) {
        if (!this.#running) return
        try {
          await this.#request(this.#targetOf(contact), request, this.#lifetime.signal)
          this.#counters.replicated++
        } catch (err) {
          // Unreachable: give up on it; a refusal (full, stale) concerns that record only.
          if (!(err instanceof RpcError) || (err.code !== 'refused' && err.code !== 'remote-error')) break
        }
      }
    }
  }

  /**
   * The records `contact` should now hold: those whose key it is among the k closest to (that we
   * know of), when we ourselves are among the replicationPushers closest holders we know.
   */
  #recordsOwedTo (contact: Contact): Request[] {
    const out: Request[] = []
    const now = this.clock.now()
    const max = this.config.replicationMaxRecords
    const owed = (key: Id): boolean => {
      const closest = this.table.closest(key, this.config.k)
      if (!closest.some(c => equalIds(c.nodeId, contact.nodeId))) return false
      let closerThanUs = 0
      for (const c of closest) {
        if (equalIds(c.nodeId, contact.nodeId)) continue
        if (compareDistance(c.nodeId, this.nodeId, key) < 0 && ++closerThanUs >= this.config.replicationPushers) return false
      }
      return true
    }
    for (const hex of this.records.providerTopics()) {
      if (out.length >= max) return out
      const topic = new Uint8Array(Buffer.from(hex, 'hex'))
      if (!owed(topic)) continue
      for (const record of this.records.getProviders(topic, now, max - out.length)) out.push({ type: 'add-provider', record })
    }
    for (const hex of this.records.valueKeys()) {
      if (out.length >= max) return out
      const key = new Uint8Array(Buffer.from(hex, 'hex'))
      if (!owed(key)) continue
      const record = this.records.getValue(key, now)
      if (record !== null) out.push({ type: 'put-value', record })
    }
    return out
  }

  /** Checks contacts from an answer: never ourselves, counted when rejected. */
  #usableContacts (nodes: Contact[] | undefined): Contact[] {
    const out: Contact[] = []
    for (const contact of nodes ?? []) {
      if (equalIds(contact.nodeId, this.nodeId)) continue
      out.push(contact)
    }
    return out
  }

  // --- client: lookups --------------------------------------------------------------------------

  async #lookup (target: Id, signal: AbortSignal | undefined, query: (contact: Contact, hop: number, signal: AbortSignal) => Promise<QueryAnswer>): Promise<LookupResult> {
    this.#counters.lookups++
    this.table.touch(target, this.clock.now())
    const deadline = new Deadline(this.clock, this.config.lookupTimeoutMs, 'the lookup', signal)
    try {
      return await iterativeLookup({
        target,
        selfHex: this.nodeIdHex,
        seeds: this.table.closest(target, this.config.k),
        k: this.config.k,
        paths: this.config.paths,
        alphaPerPath: this.config.alphaPerPath,
        maxPerPath: this.config.maxPerPath,
        stallMs: this.config.stallMs,
        clock: this.clock,
        signal: deadline.signal,
        query
      })
    } finally {
      deadline.clear()
    }
  }

  #targetOf (contact: Contact): DialTarget {
    return { address: contact.address, nodeId: idToHex(contact.nodeId) }
  }

  /** The k closest live nodes to `target`. */
  async findNode (target: Id, options: OperationOptions = {}): Promise<LookupResult> {
    return await this.#lookup(target, options.signal, async (contact, _hop, signal) => {
      const { body } = await this.#request(this.#targetOf(contact), { type: 'find-node', target }, signal)
      const nodes = this.#usableContacts(body.nodes)
      return { nodes, done: nodes.some(n => equalIds(n.nodeId, target)) || equalIds(contact.nodeId, target) }
    })
  }

  /** Stores `send(contact)` on the k closest nodes to `key`; resolves to how many accepted. */
  async #storeOnClosest (key: Id, request: Request, options: OperationOptions): Promise<{ stored: number, lookup: LookupResult }> {
    const lookup = await this.findNode(key, options)
    const results = await Promise.allSettled(lookup.closest.map(async contact => await this.#request(this.#targetOf(contact), request, options.signal)))
    let stored = results.filter(r => r.status === 'fulfilled').length
    // We are one of the closest nodes ourselves when fewer than k others are closer.
    const farthest = lookup.closest[lookup.closest.length - 1]
    if (farthest === undefined || lookup.closest.length < this.config.k || this.#closerThan(key, farthest)) {
      try {
        if (request.type === 'add-provider') this.records.addProvider(request.record, this.nodeIdHex, this.clock.now())
        else if (request.type === 'put-value') this.records.putValue(request.record, this.nodeIdHex, this.clock.now())
        stored++
      } catch {}
    }
    return { stored, lookup }
  }

  #closerThan (key: Id, contact: Contact): boolean {
    for (let i = 0; i < 32; i++) {
      const ours = this.nodeId[i]! ^ key[i]!
      const theirs = contact.nodeId[i]! ^ key[i]!
      if (ours !== theirs) return ours < theirs
    }
    return false
  }

  /** Announces that this node provides `topic` (32 bytes, see src/blocks/caps.ts deriveTopic); republished until unprovide. */
  async provide (topic: Id, options: OperationOptions = {}): Promise<StoreResult> {
    if (this.address === undefined) throw new TypeError('a DHT node without an address cannot provide')
    const record = createProviderRecord(this.keys, topic, this.address, this.clock.now() + this.config.providerTtlMs)
    this.#provided.set(idToHex(topic), new Uint8Array(topic))
    const { stored, lookup } = await this.#storeOnClosest(topic, { type: 'add-provider', record }, options)
    return { key: topic, stored, lookup }
  }

  /** Stops republishing `topic` (records already stored expire by themselves). */
  unprovide (topic: Id): void {
    this.#provided.delete(idToHex(topic))
  }

  /**
   * Providers of `topic` as they are found, each record validated (signature, topic, expiry),
   * deduplicated by provider. Ends after `limit` providers, when the lookup converges, or on abort.
   */
  async * findProviders (topic: Id, options: OperationOptions & { limit?: number } = {}): AsyncGenerator<ProviderRecord> {
    const queue: ProviderRecord[] = []
    let wake: (() => void) | null = null
    let finished = false
    let failure: unknown = null
    const lookup = this.findProvidersAll(topic, { ...options, onProvider: r => { queue.push(r); wake?.() } })
    lookup.then(() => { finished = true; wake?.() }, err => { failure = err; finished = true; wake?.() })
    while (true) {
      const next = queue.shift()
      if (next !== undefined) { yield next; continue }
      if (finished) break
      await new Promise<void>(resolve => { wake = resolve })
      wake = null
    }
    if (failure !== null) throw failure
  }

  /** findProviders as one bounded promise, with the lookup's figures (hops, messages, time). */
  async findProvidersAll (topic: Id, options: OperationOptions & { limit?: number, onProvider?: (r: ProviderRecord) => void } = {}): Promise<ProvidersResult> {
    const limit = options.limit ?? C.MAX_PROVIDERS_PER_REPLY
    const found = new Map<string, ProviderRecord>()
    const accept = (record: ProviderRecord): void => {
      const hex = idToHex(providerNodeId(record))
      if (found.has(hex) || found.size >= limit) return
      found.set(hex, record)
      options.onProvider?.(record)
    }
    for (const record of this.records.getProviders(topic, this.clock.now())) accept(record)
    const lookup = await this.#lookup(topic, options.signal, async (contact, _hop, signal) => {
      const { body } = await this.#request(this.#targetOf(contact), { type: 'get-providers', topic }, signal)
      const now = this.clock.now()
      for (const record of body.providers ?? []) {
        try {
          validateProviderRecord(record, now, topic)
          accept(record)
        } catch (err) {
          if (!(err instanceof RecordError)) throw err
          this.#counters.rejectedRecords++
        }
      }
      return { nodes: this.#usableContacts(body.nodes), done: found.size >= limit }
    })
    return { providers: [...found.values()], lookup }
  }

  /** Stores an immutable value under SHA-256(value); republished by this node while it runs. */
  async putImmutable (value: Uint8Array, options: OperationOptions & { ttlMs?: number } = {}): Promise<StoreResult> {
    const ttl = options.ttlMs ?? this.config.valueTtlMs
    const record = createImmutableRecord(this.keys, value, this.clock.now() + ttl)
    const key = immutableKey(value)
    this.#ownValues.set(idToHex(key), { make: expires => createImmutableRecord(this.keys, value, expires) })
    const { stored, lookup } = await this.#storeOnClosest(key, { type: 'put-value', record }, options)
    return { key, stored, lookup }
  }

  /** The value stored under `key` (= SHA-256 of it), or null. */
  async getImmutable (key: Id, options: OperationOptions = {}): Promise<{ value: Uint8Array | null, lookup: LookupResult }> {
    let value: Uint8Array | null = null
    const local = this.records.getValue(key, this.clock.now())
    if (local?.kind === 'immutable') return { value: local.value, lookup: emptyLookup() }
    const lookup = await this.#lookup(key, options.signal, async (contact, _hop, signal) => {
      const { body } = await this.#request(this.#targetOf(contact), { type: 'get-value', key }, signal)
      const record = this.#validValue(body.record, key)
      if (record?.kind === 'immutable') value ??= record.value
      return { nodes: this.#usableContacts(body.nodes), done: value !== null }
    })
    return { value, lookup }
  }

  #validValue (record: ValueRecord | undefined, key: Id): ValueRecord | null {
    if (record === undefined) return null
    try {
      validateValueRecord(record, this.clock.now(), key)
      return record
    } catch (err) {
      if (!(err instanceof RecordError)) throw err
      this.#counters.rejectedRecords++
      return null
    }
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
    return await this.#putMutable(new Uint8Array(0), true, { ...options, ttlMs: options.ttlMs ?? C.MAX_RECORD_TTL_MS })
  }

  async #putMutable (value: Uint8Array, deleted: boolean, options: PutMutableOptions): Promise<StoreResult & { seq: number }> {
    const owner = options.owner ?? this.keys
    const salt = options.salt ?? new Uint8Array(0)
    const key = mutableKey(owner.publicKeyRaw, salt)
    const hex = idToHex(key)
    const seq = options.seq ?? Math.max(Math.floor(this.clock.now()), (this.#lastSeq.get(hex) ?? -1) + 1)
    this.#lastSeq.set(hex, seq)
    const ttl = options.ttlMs ?? this.config.valueTtlMs
    const make = (expires: number): MutableRecord => createMutableRecord(owner, { value, salt, seq, deleted, expires })
    const record = make(this.clock.now() + ttl)
    this.#ownValues.set(hex, { make })
    const { stored, lookup } = await this.#storeOnClosest(key, { type: 'put-value', record }, options)
    return { key, seq, stored, lookup }
  }

  /** The highest-seq valid record of (owner, salt) among the k closest nodes (a tombstone if deleted), or null. */
  async getMutable (ownerPublicKey: Uint8Array, options: OperationOptions & { salt?: Uint8Array } = {}): Promise<{ record: MutableRecord | null, lookup: LookupResult }> {
    const key = mutableKey(ownerPublicKey, options.salt ?? new Uint8Array(0))
    let best: MutableRecord | null = null
    const consider = (record: ValueRecord | null): void => {
      if (record?.kind === 'mutable' && (best === null || record.seq > best.seq)) best = record
    }
    consider(this.records.getValue(key, this.clock.now()))
    const lookup = await this.#lookup(key, options.signal, async (contact, _hop, signal) => {
      const { body } = await this.#request(this.#targetOf(contact), { type: 'get-value', key }, signal)
      consider(this.#validValue(body.record, key))
      return { nodes: this.#usableContacts(body.nodes) }
    })
    return { record: best, lookup }
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

  // --- maintenance ------------------------------------------------------------------------------

  /** One maintenance round: reap idle sessions, refresh stale buckets, save the table. */
  async maintain (): Promise<void> {
    this.#reapSessions(true)
    for (const inbound of [...this.#inbound]) {
      if (this.clock.now() - inbound.lastActive >= this.config.inboundIdleMs) inbound.stream.destroy()
    }
    const stale = this.table.staleBuckets(this.clock.now(), this.config.bucketRefreshMs).slice(0, this.config.maxRefreshesPerRound)
    for (const index of stale) {
      if (!this.#running) return
      await this.findNode(randomIdInBucket(this.nodeId, index)).catch(() => {})
    }
    await this.saveRoutingTable().catch(() => {})
  }

  async republishProviders (): Promise<void> {
    for (const topic of [...this.#provided.values()]) {
      if (!this.#running) return
      await this.provide(topic).catch(() => {})
    }
  }

  async republishValues (): Promise<void> {
    for (const [hex, own] of [...this.#ownValues]) {
      if (!this.#running) return
      const record = own.make(this.clock.now() + this.config.valueTtlMs)
      await this.#storeOnClosest(Buffer.from(hex, 'hex'), { type: 'put-value', record }, {}).catch(() => {})
    }
  }

  #every (ms: number, task: () => Promise<void>): void {
    const schedule = (): void => {
      const timer = this.clock.setTimeout(() => {
        this.#timers.delete(timer)
        if (!this.#running) return
        task().catch(() => {}).finally(() => { if (this.#running) schedule() })
      }, ms)
      this.#timers.add(timer)
    }
    schedule()
  }

  // --- introspection ----------------------------------------------------------------------------

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
      outboundSessions: this.#outbound.size,
      inboundSessions: this.#inbound.size,
      ...this.#counters,
      providedTopics: this.#provided.size
    }
  }
}

/** `promise`, or an RpcError('aborted') as soon as `signal` aborts (the promise runs on). */
async function abortable<T> (promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return await promise
  return await new Promise<T>((resolve, reject) => {
    const onAbort = (): void => { reject(new RpcError('aborted', 'request aborted')) }
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(resolve, reject).finally(() => { signal.removeEventListener('abort', onAbort) })
  })
}

function emptyLookup (): LookupResult {
  return { closest: [], hops: 0, messages: 0, failures: 0, found: true, aborted: false, durationMs: 0 }
}

export type { ImmutableRecord, MutableRecord, ProviderRecord, ValueRecord }
