// The records this node stores for others: provider records by topic and value records by key,
// bounded in total (count and bytes) and per peer (by the handshake-verified node id of the peer
// that stored them). Records are validated on the way in and re-checked on every read; expired
// ones are dropped when read and by a periodic sweep.
import { MAX_PROVIDERS_PER_REPLY, MAX_PROVIDERS_PER_TOPIC, MAX_RECORDS_PER_PEER, MAX_STORED_BYTES, MAX_STORED_BYTES_PER_PEER, MAX_STORED_RECORDS } from './constants.ts'
import { idToHex, type Id } from './id.ts'
import {
  RecordError, providerNodeId, recordBytes, validateProviderRecord, validateValueRecord, valueKey,
  type ProviderRecord, type ValueRecord
} from './records.ts'

export interface RecordStoreLimits {
  maxRecords: number
  maxBytes: number
  maxPerPeer: number
  maxBytesPerPeer: number
  maxProvidersPerTopic: number
}

export const DEFAULT_STORE_LIMITS: RecordStoreLimits = {
  maxRecords: MAX_STORED_RECORDS,
  maxBytes: MAX_STORED_BYTES,
  maxPerPeer: MAX_RECORDS_PER_PEER,
  maxBytesPerPeer: MAX_STORED_BYTES_PER_PEER,
  maxProvidersPerTopic: MAX_PROVIDERS_PER_TOPIC
}

export type StoreRefusal = 'full' | 'peer-quota' | 'topic-full' | 'stale' | 'conflict'

export class StoreRefusedError extends Error {
  override name = 'StoreRefusedError'
  readonly code: StoreRefusal
  constructor (code: StoreRefusal, message: string) {
    super(message)
    this.code = code
  }
}

interface Stored<R> {
  record: R
  /** Hex node id of the peer that stored it (accounting). */
  from: string
  bytes: number
  /** Where it is kept: a provider of a topic, or a value's key (eviction finds it there). */
  where: { topic: string, provider: string } | { key: string }
}

interface PeerUsage {
  bytes: number
  /** Its records, oldest first (a Set keeps insertion order). */
  records: Set<Stored<ProviderRecord | ValueRecord>>
}

export class RecordStore {
  readonly limits: RecordStoreLimits
  readonly #providers = new Map<string, Map<string, Stored<ProviderRecord>>>()
  readonly #values = new Map<string, Stored<ValueRecord>>()
  readonly #perPeer = new Map<string, PeerUsage>()
  /** Records dropped to make room for newer ones (a store or topic that was full). */
  evicted = 0
  #count = 0
  #bytes = 0
  /** Records refused or dropped because they failed validation (on the way in or on re-check). */
  invalid = 0

  constructor (limits: Partial<RecordStoreLimits> = {}) {
    this.limits = { ...DEFAULT_STORE_LIMITS, ...limits }
  }

  get size (): number { return this.#count }
  get bytes (): number { return this.#bytes }

  /** Validates and stores a provider record; throws RecordError or StoreRefusedError. */
  addProvider (record: ProviderRecord, from: string, now: number): void {
    this.#validate(() => { validateProviderRecord(record, now) })
    const topic = idToHex(record.topic)
    const provider = idToHex(providerNodeId(record))
    let entries = this.#providers.get(topic)
    const existing = entries?.get(provider)
    if (existing !== undefined && existing.record.expires >= record.expires) return
    if (existing === undefined && (entries?.size ?? 0) >= this.limits.maxProvidersPerTopic) {
      this.#dropExpiredProviders(topic, now)
      entries = this.#providers.get(topic)
      if (entries !== undefined && entries.size >= this.limits.maxProvidersPerTopic) this.#evictFromTopic(entries)
    }
    const stored = this.#admit(record, from, existing, { topic, provider })
    // Making room may have emptied (and removed) this very topic.
    entries = this.#providers.get(topic)
    if (entries === undefined) {
      entries = new Map()
      this.#providers.set(topic, entries)
    }
    entries.set(provider, stored)
  }

  /** Hex topics of the provider records stored (expired ones included until read or swept). */
  providerTopics (): string[] { return [...this.#providers.keys()] }

  /** Hex keys of the value records stored (expired ones included until read or swept). */
  valueKeys (): string[] { return [...this.#values.keys()] }

  /** Valid, unexpired provider records of `topic` (at most `limit`); invalid ones are dropped. */
  getProviders (topic: Id, now: number, limit = MAX_PROVIDERS_PER_REPLY): ProviderRecord[] {
    const hex = idToHex(topic)
    const entries = this.#providers.get(hex)
    if (entries === undefined) return []
    const out: ProviderRecord[] = []
    for (const [provider, stored] of entries) {
      try {
        validateProviderRecord(stored.record, now, topic)
      } catch (err) {
        if (!(err instanceof RecordError)) throw err
        if (err.code !== 'expired') this.invalid++
        this.#release(stored)
        entries.delete(provider)
        continue
      }
      if (out.length < limit) out.push(stored.record)
    }
    if (entries.size === 0) this.#providers.delete(hex)
    return out
  }

  /** Validates and stores a value record (mutable ones only over a lower seq); throws on refusal. */
  putValue (record: ValueRecord, from: string, now: number): void {
    this.#validate(() => { validateValueRecord(record, now) })
    const key = idToHex(valueKey(record))
    const existing = this.#values.get(key)
    if (existing !== undefined) {
      const old = existing.record
      if (old.kind === 'mutable' && record.kind === 'mutable') {
        if (record.seq < old.seq) throw new StoreRefusedError('stale', `sequence ${record.seq} is older than the stored ${old.seq}`)
        // The same seq may only be re-signed to extend its life (a republish), never to change it.
        if (record.seq === old.seq && (record.deleted !== old.deleted || !Buffer.from(record.value).equals(old.value))) {
          throw new StoreRefusedError('conflict', `another value with sequence ${record.seq} is stored`)
        }
      }
      if (record.expires <= old.expires && (record.kind === 'immutable' || (old.kind === 'mutable' && record.seq === old.seq))) return
    }
    this.#values.set(key, this.#admit(record, from, existing, { key }))
  }

  /** The stored record of `key` if it is still valid; an invalid or expired one is dropped. */
  getValue (key: Id, now: number): ValueRecord | null {
    const hex = idToHex(key)
    const stored = this.#values.get(hex)
    if (stored === undefined) return null
    try {
      validateValueRecord(stored.record, now, key)
      return stored.record
    } catch (err) {
      if (!(err instanceof RecordError)) throw err
      if (err.code !== 'expired') this.invalid++
      this.#release(stored)
      this.#values.delete(hex)
      return null
    }
  }

  /** Drops every expired record; returns how many. */
  sweep (now: number): number {
    let dropped = 0
    for (const [topic, entries] of this.#providers) {
      for (const [provider, stored] of entries) {
        if (stored.record.expires <= now) { this.#release(stored); entries.delete(provider); dropped++ }
      }
      if (entries.size === 0) this.#providers.delete(topic)
    }
    for (const [key, stored] of this.#values) {
      if (stored.record.expires <= now) { this.#release(stored); this.#values.delete(key); dropped++ }
    }
    return dropped
  }

  #validate (check: () => void): void {
    try {
      check()
    } catch (err) {
      if (err instanceof RecordError) this.invalid++
      throw err
    }
  }

  #dropExpiredProviders (topic: string, now: number): void {
    const entries = this.#providers.get(topic)
    if (entries === undefined) return
    for (const [provider, stored] of entries) {
      if (stored.record.expires <= now) { this.#release(stored); entries.delete(provider) }
    }
  }

  /**
   * A full topic makes room: the oldest record of the peer that stored the most of this topic's
   * providers goes (among equals, the oldest record of a provider that did not store itself).
   */
  #evictFromTopic (entries: Map<string, Stored<ProviderRecord>>): void {
    const byPeer = new Map<string, number>()
    for (const s of entries.values()) byPeer.set(s.from, (byPeer.get(s.from) ?? 0) + 1)
    let victim: Stored<ProviderRecord> | undefined
    let victimScore = -1
    for (const s of entries.values()) {
      // Map order is insertion order: the first of equal scores is the oldest.
      const score = byPeer.get(s.from)! * 2 + ('provider' in s.where && s.where.provider !== s.from ? 1 : 0)
      if (score > victimScore) { victim = s; victimScore = score }
    }
    if (victim !== undefined) this.#evict(victim)
  }

  /** The oldest record of the peer with the most bytes stored. */
  #evictHeaviest (): boolean {
    let heaviest: PeerUsage | undefined
    for (const usage of this.#perPeer.values()) if (heaviest === undefined || usage.bytes > heaviest.bytes) heaviest = usage
    const oldest = heaviest?.records.values().next().value
    if (oldest === undefined) return false
    this.#evict(oldest)
    return true
  }

  #evict (stored: Stored<ProviderRecord | ValueRecord>): void {
    this.#release(stored)
    this.evicted++
    const where = stored.where
    if ('key' in where) { this.#values.delete(where.key); return }
    const entries = this.#providers.get(where.topic)
    entries?.delete(where.provider)
    if (entries?.size === 0) this.#providers.delete(where.topic)
  }

  /**
   * Accounts for a new record (replacing `existing`). Over the peer's own bounds it is refused
   * (`peer-quota`); over the store's, the heaviest storer's oldest records make room.
   */
  #admit<R extends ProviderRecord | ValueRecord> (record: R, from: string, existing: Stored<R> | undefined, where: Stored<R>['where']): Stored<R> {
    const bytes = recordBytes(record)
    const freedBytes = existing?.bytes ?? 0
    const usage = this.#perPeer.get(from)
    const mine = existing?.from === from
    const peerCount = (usage?.records.size ?? 0) - (mine ? 1 : 0)
    const peerBytes = (usage?.bytes ?? 0) - (mine ? freedBytes : 0)
    if (peerCount + 1 > this.limits.maxPerPeer || peerBytes + bytes > this.limits.maxBytesPerPeer) {
      throw new StoreRefusedError('peer-quota', 'this peer has stored as much as this node keeps for one peer')
    }
    if (existing !== undefined) this.#release(existing)
    while (this.#count + 1 > this.limits.maxRecords || this.#bytes + bytes > this.limits.maxBytes) {
      if (!this.#evictHeaviest()) throw new StoreRefusedError('full', 'this node stores no more records')
    }
    const stored: Stored<R> = { record, from, bytes, where }
    this.#count++
    this.#bytes += bytes
    let own = this.#perPeer.get(from)
    if (own === undefined) { own = { bytes: 0, records: new Set() }; this.#perPeer.set(from, own) }
    own.bytes += bytes
    own.records.add(stored)
    return stored
  }

  #release (stored: Stored<ProviderRecord | ValueRecord>): void {
    const usage = this.#perPeer.get(stored.from)
    if (usage === undefined || !usage.records.delete(stored)) return
    this.#count--
    this.#bytes -= stored.bytes
    usage.bytes -= stored.bytes
    if (usage.records.size === 0) this.#perPeer.delete(stored.from)
  }
}
