// Keeping records on the k closest nodes to their keys. A record this node publishes (a provider
// record, a value) is stored on the k closest nodes a lookup finds, and on this node too when it
// is one of them; it is re-signed and stored again every republish interval until withdrawn.
// Stored records expire on the clock (a periodic sweep, and a check on every read). And when a
// newcomer enters the routing table, the records it should now hold are pushed to it
// (store-on-join, see REPLICATION_PUSHERS in constants.ts).
import type { IdentityKeys } from '../onion/handshake.ts'
import type { Clock } from './clock.ts'
import type { DhtConfig } from './config.ts'
import type { Contact } from './contact.ts'
import { storeRecord, type StoreRequest } from './handlers.ts'
import { compareDistance, equalIds, idToHex, type Id } from './id.ts'
import type { LookupResult } from './lookup.ts'
import type { PeriodicTasks } from './periodic.ts'
import { targetOf, type OperationOptions } from './queries.ts'
import type { RecordStore } from './record-store.ts'
import { createProviderRecord, type ValueRecord } from './records.ts'
import type { RoutingTable } from './routing-table.ts'
import { RpcError } from './session.ts'
import type { SessionManager } from './session-manager.ts'
import type { DhtCounters } from './stats.ts'

export interface StoreResult {
  key: Id
  /** Nodes that accepted the record. */
  stored: number
  lookup: LookupResult
}

/** Makes this node's record of a value for an expiry: immutable, or mutable re-signed with the same seq. */
export type ValueMaker = (expires: number) => ValueRecord

export interface ReplicationOptions {
  keys: IdentityKeys
  nodeId: Id
  nodeIdHex: string
  /** The address this node's provider records announce; absent for a client. */
  address: string | undefined
  clock: Clock
  config: Pick<DhtConfig, 'k' | 'providerTtlMs' | 'providerRepublishMs' | 'valueTtlMs' | 'valueRepublishMs' | 'storeSweepMs' | 'replicationPushers' | 'replicationMaxRecords' | 'replicationQueue' | 'storeOnEveryPath'>
  table: RoutingTable
  records: RecordStore
  counters: DhtCounters
  sessions: Pick<SessionManager, 'request' | 'lifetime'>
  findNode: (target: Id, options: OperationOptions) => Promise<LookupResult>
  running: () => boolean
}

export class Replication {
  readonly #options: ReplicationOptions
  /** Topics this node provides, by hex. */
  readonly #provided = new Map<string, Id>()
  /** Values this node put, by hex key. */
  readonly #ownValues = new Map<string, ValueMaker>()
  /** Newcomers waiting for the records they should now hold (store-on-join), by hex id. */
  readonly #queue = new Map<string, Contact>()
  #pushing = false
  #address: string | undefined

  constructor (options: ReplicationOptions) {
    this.#options = options
    this.#address = options.address
  }

  /** The node's address changed: provider records announce the new one from now on. */
  setAddress (address: string): void { this.#address = address }

  get providedTopics (): number { return this.#provided.size }

  /** Sets the timers of expiry and republishing. */
  schedule (tasks: PeriodicTasks): void {
    const { config, records, clock } = this.#options
    tasks.every(config.storeSweepMs, async () => { records.sweep(clock.now()) })
    tasks.every(config.providerRepublishMs, () => this.republishProviders())
    tasks.every(config.valueRepublishMs, () => this.republishValues())
  }

  /** Forgets the newcomers still waiting (the node stops). */
  stop (): void {
    this.#queue.clear()
  }

  /** Announces that this node provides `topic`; republished until unprovide. */
  async provide (topic: Id, options: OperationOptions = {}): Promise<StoreResult> {
    const { keys, clock, config } = this.#options
    const address = this.#address
    if (address === undefined) throw new TypeError('a DHT node without an address cannot provide')
    const record = createProviderRecord(keys, topic, address, clock.now() + config.providerTtlMs)
    this.#provided.set(idToHex(topic), new Uint8Array(topic))
    const { stored, lookup } = await this.#storeOnClosest(topic, { type: 'add-provider', record }, options)
    return { key: topic, stored, lookup }
  }

  /** Stops republishing `topic` (records already stored expire by themselves). */
  unprovide (topic: Id): void {
    this.#provided.delete(idToHex(topic))
  }

  /** Stores this node's value under `key` with a lifetime of `ttlMs`; republished while the node runs. */
  async putValue (key: Id, make: ValueMaker, ttlMs: number, options: OperationOptions): Promise<StoreResult> {
    const record = make(this.#options.clock.now() + ttlMs)
    this.#ownValues.set(idToHex(key), make)
    const { stored, lookup } = await this.#storeOnClosest(key, { type: 'put-value', record }, options)
    return { key, stored, lookup }
  }

  /** Stops republishing the value under `key` (what is stored expires by itself). */
  forgetValue (key: Id): void {
    this.#ownValues.delete(idToHex(key))
  }

  async republishProviders (): Promise<void> {
    for (const topic of [...this.#provided.values()]) {
      if (!this.#options.running()) return
      await this.provide(topic).catch(() => {})
    }
  }

  async republishValues (): Promise<void> {
    const { clock, config, running } = this.#options
    for (const [hex, make] of [...this.#ownValues]) {
      if (!running()) return
      const record = make(clock.now() + config.valueTtlMs)
      await this.#storeOnClosest(Buffer.from(hex, 'hex'), { type: 'put-value', record }, {}).catch(() => {})
    }
  }

  /** A node new to our table may now be one of the k closest to records we store: queue it. */
  onNewContact (contact: Contact): void {
    const { config, records, running } = this.#options
    if (!running() || config.replicationPushers <= 0) return
    if (records.size === 0 || this.#queue.size >= config.replicationQueue) return
    this.#queue.set(idToHex(contact.nodeId), contact)
    if (this.#pushing) return
    this.#pushing = true
    void this.#push().finally(() => { this.#pushing = false })
  }

  /**
   * Stores the record on the k closest nodes to `key` and on each lookup path's own k closest
   * (storeOnEveryPath): ids ground near a key can make the k closest all the attacker's, and
   * they acknowledge stores and keep nothing; a path that did not take them reaches past them to
   * honest nodes, which then hold the record. Resolves to how many accepted.
   */
  async #storeOnClosest (key: Id, request: StoreRequest, options: OperationOptions): Promise<{ stored: number, lookup: LookupResult }> {
    const { nodeId, nodeIdHex, clock, config, records, sessions } = this.#options
    const lookup = await this.#options.findNode(key, options)
    const targets = new Map(lookup.closest.map(c => [idToHex(c.nodeId), c]))
    if (config.storeOnEveryPath) for (const path of lookup.closestPerPath) for (const c of path) targets.set(idToHex(c.nodeId), c)
    const results = await Promise.allSettled([...targets.values()].map(async contact => await sessions.request(targetOf(contact), request, options.signal)))
    let stored = results.filter(r => r.status === 'fulfilled').length
    // We are one of the closest nodes ourselves when fewer than k others are closer.
    const farthest = lookup.closest[lookup.closest.length - 1]
    if (farthest === undefined || lookup.closest.length < config.k || compareDistance(nodeId, farthest.nodeId, key) < 0) {
      try {
        storeRecord(records, request, nodeIdHex, clock.now())
        stored++
      } catch {}
    }
    return { stored, lookup }
  }

  async #push (): Promise<void> {
    const { table, counters, sessions, running } = this.#options
    while (running()) {
      const next = this.#queue.entries().next()
      if (next.done === true) return
      const [hex, contact] = next.value
      this.#queue.delete(hex)
      // Still in the table (it may have failed meanwhile), and owed something.
      if (!table.has(hex)) continue
      const requests = this.#recordsOwedTo(contact)
      for (const request of requests) {
        if (!running()) return
        try {
          await sessions.request(targetOf(contact), request, sessions.lifetime)
          counters.replicated++
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
  #recordsOwedTo (contact: Contact): StoreRequest[] {
    const { nodeId, clock, config, table, records } = this.#options
    const out: StoreRequest[] = []
    const now = clock.now()
    const max = config.replicationMaxRecords
    const owed = (key: Id): boolean => {
      const closest = table.closest(key, config.k)
      if (!closest.some(c => equalIds(c.nodeId, contact.nodeId))) return false
      let closerThanUs = 0
      for (const c of closest) {
        if (equalIds(c.nodeId, contact.nodeId)) continue
        if (compareDistance(c.nodeId, nodeId, key) < 0 && ++closerThanUs >= config.replicationPushers) return false
      }
      return true
    }
    for (const hex of records.providerTopics()) {
      if (out.length >= max) return out
      const topic = new Uint8Array(Buffer.from(hex, 'hex'))
      if (!owed(topic)) continue
      for (const record of records.getProviders(topic, now, max - out.length)) out.push({ type: 'add-provider', record })
    }
    for (const hex of records.valueKeys()) {
      if (out.length >= max) return out
      const key = new Uint8Array(Buffer.from(hex, 'hex'))
      if (!owed(key)) continue
      const record = records.getValue(key, now)
      if (record !== null) out.push({ type: 'put-value', record })
    }
    return out
  }
}
