// This node's lookups: the k closest nodes to an id, the providers of a topic, a value by key. Each
// is an iterative lookup (lookup.ts) seeded from the routing table and bounded by lookupTimeoutMs;
// every record and contact in an answer is checked here, as no answering node is trusted.
import type { Clock } from './clock.ts'
import type { DhtConfig } from './config.ts'
import { MAX_PROVIDERS_PER_REPLY } from './constants.ts'
import type { Contact } from './contact.ts'
import { Deadline } from './deadline.ts'
import { mutableKey } from './caps.ts'
import { equalIds, idToHex, type Id } from './id.ts'
import { iterativeLookup, type LookupResult, type QueryAnswer } from './lookup.ts'
import type { RecordStore } from './record-store.ts'
import { RecordError, providerNodeId, validateProviderRecord, validateValueRecord, type MutableRecord, type ProviderRecord, type ValueRecord } from './records.ts'
import type { RoutingTable } from './routing-table.ts'
import type { DialTarget, SessionManager } from './session-manager.ts'
import type { DhtCounters } from './stats.ts'
import { asFound } from './as-found.ts'

export interface OperationOptions {
  signal?: AbortSignal
}

export interface ProvidersResult {
  providers: ProviderRecord[]
  lookup: LookupResult
}

export interface QueriesOptions {
  nodeId: Id
  nodeIdHex: string
  clock: Clock
  config: Pick<DhtConfig, 'k' | 'paths' | 'alphaPerPath' | 'maxPerPath' | 'stallMs' | 'lookupTimeoutMs' | 'coldAlphaPerPath' | 'maxColdPerPath' | 'warmStallRtts' | 'minWarmStallMs' | 'forwardHops'>
  table: RoutingTable
  records: RecordStore
  counters: DhtCounters
  sessions: Pick<SessionManager, 'request' | 'isOpen' | 'srtt'>
}

export function targetOf (contact: Contact): DialTarget {
  return { address: contact.address, nodeId: idToHex(contact.nodeId) }
}

export class Queries {
  readonly #options: QueriesOptions

  constructor (options: QueriesOptions) {
    this.#options = options
  }

  /** The k closest live nodes to `target`. */
  async findNode (target: Id, options: OperationOptions = {}): Promise<LookupResult> {
    return await this.#lookup(target, options.signal, async (contact, _hop, signal) => {
      const { body } = await this.#options.sessions.request(targetOf(contact), { type: 'find-node', target }, signal)
      const nodes = this.#usableContacts(body.nodes)
      return { nodes, done: nodes.some(n => equalIds(n.nodeId, target)) || equalIds(contact.nodeId, target) }
    })
  }

  /**
   * Providers of `topic` as they are found, each record validated (signature, topic, expiry),
   * deduplicated by provider (a newer record at another address is yielded too). Ends after `limit` providers, when the lookup converges, or on abort.
   */
  async * findProviders (topic: Id, options: OperationOptions & { limit?: number } = {}): AsyncGenerator<ProviderRecord> {
    yield * asFound<ProviderRecord>(async found => await this.findProvidersAll(topic, { ...options, onProvider: found }))
  }

  /** findProviders as one bounded promise, with the lookup's figures (hops, messages, time). */
  async findProvidersAll (topic: Id, options: OperationOptions & { limit?: number, onProvider?: (r: ProviderRecord) => void } = {}): Promise<ProvidersResult> {
    const { clock, config, records, counters, sessions } = this.#options
    const limit = options.limit ?? MAX_PROVIDERS_PER_REPLY
    const found = new Map<string, ProviderRecord>()
    const accept = (record: ProviderRecord): void => {
      const hex = idToHex(providerNodeId(record))
      const known = found.get(hex)
      // A newer record of a provider at another address (it moved: /newonions) replaces a stale
      // one some node still holds, and is reported too.
      if (known !== undefined && (known.expires >= record.expires || known.address === record.address)) return
      if (known === undefined && found.size >= limit) return
      found.set(hex, record)
      options.onProvider?.(record)
    }
    for (const record of records.getProviders(topic, clock.now())) accept(record)
    const lookup = await this.#lookup(topic, options.signal, async (contact, _hop, signal) => {
      const { body } = await sessions.request(targetOf(contact), { type: 'get-providers', topic, forward: config.forwardHops }, signal)
      const now = clock.now()
      for (const record of body.providers ?? []) {
        try {
          validateProviderRecord(record, now, topic)
          accept(record)
        } catch (err) {
          if (!(err instanceof RecordError)) throw err
          counters.rejectedRecords++
        }
      }
      return { nodes: this.#usableContacts(body.nodes), done: found.size >= limit }
    })
    return { providers: [...found.values()], lookup }
  }

  /** The value stored under `key` (= SHA-256 of it), or null. */
  async getImmutable (key: Id, options: OperationOptions = {}): Promise<{ value: Uint8Array | null, lookup: LookupResult }> {
    const { clock, records, sessions } = this.#options
    let value: Uint8Array | null = null
    const local = records.getValue(key, clock.now())
    if (local?.kind === 'immutable') return { value: local.value, lookup: emptyLookup() }
    const lookup = await this.#lookup(key, options.signal, async (contact, _hop, signal) => {
      const { body } = await sessions.request(targetOf(contact), { type: 'get-value', key }, signal)
      const record = this.#validValue(body.record, key)
      if (record?.kind === 'immutable') value ??= record.value
      return { nodes: this.#usableContacts(body.nodes), done: value !== null }
    })
    return { value, lookup }
  }

  /** The highest-seq valid record of (owner, salt) among the k closest nodes (a tombstone if deleted), or null. */
  async getMutable (ownerPublicKey: Uint8Array, options: OperationOptions & { salt?: Uint8Array } = {}): Promise<{ record: MutableRecord | null, lookup: LookupResult }> {
    const { clock, records, sessions } = this.#options
    const key = mutableKey(ownerPublicKey, options.salt ?? new Uint8Array(0))
    let best: MutableRecord | null = null
    const consider = (record: ValueRecord | null): void => {
      if (record?.kind === 'mutable' && (best === null || record.seq > best.seq)) best = record
    }
    consider(records.getValue(key, clock.now()))
    const lookup = await this.#lookup(key, options.signal, async (contact, _hop, signal) => {
      const { body } = await sessions.request(targetOf(contact), { type: 'get-value', key }, signal)
      consider(this.#validValue(body.record, key))
      return { nodes: this.#usableContacts(body.nodes) }
    })
    return { record: best, lookup }
  }

  async #lookup (target: Id, signal: AbortSignal | undefined, query: (contact: Contact, hop: number, signal: AbortSignal) => Promise<QueryAnswer>): Promise<LookupResult> {
    const { clock, config, table, counters, sessions } = this.#options
    counters.lookups++
    table.touch(target, clock.now())
    const deadline = new Deadline(clock, config.lookupTimeoutMs, 'the lookup', signal)
    try {
      return await iterativeLookup({
        target,
        selfHex: this.#options.nodeIdHex,
        seeds: table.closest(target, config.k),
        k: config.k,
        paths: config.paths,
        alphaPerPath: config.alphaPerPath,
        maxPerPath: config.maxPerPath,
        stallMs: config.stallMs,
        isWarm: hex => sessions.isOpen(hex),
        coldAlphaPerPath: config.coldAlphaPerPath,
        maxColdPerPath: config.maxColdPerPath,
        warmStallMs: hex => {
          const srtt = sessions.srtt(hex)
          return srtt === undefined ? config.stallMs : Math.min(config.stallMs, Math.max(config.minWarmStallMs, config.warmStallRtts * srtt))
        },
        clock,
        signal: deadline.signal,
        query
      })
    } finally {
      deadline.clear()
    }
  }

  #validValue (record: ValueRecord | undefined, key: Id): ValueRecord | null {
    if (record === undefined) return null
    try {
      validateValueRecord(record, this.#options.clock.now(), key)
      return record
    } catch (err) {
      if (!(err instanceof RecordError)) throw err
      this.#options.counters.rejectedRecords++
      return null
    }
  }

  /** Contacts from an answer that we may use: never ourselves. */
  #usableContacts (nodes: Contact[] | undefined): Contact[] {
    const out: Contact[] = []
    for (const contact of nodes ?? []) {
      if (equalIds(contact.nodeId, this.#options.nodeId)) continue
      out.push(contact)
    }
    return out
  }
}

function emptyLookup (): LookupResult {
  return { closest: [], closestPerPath: [], hops: 0, messages: 0, failures: 0, found: true, aborted: false, durationMs: 0 }
}
