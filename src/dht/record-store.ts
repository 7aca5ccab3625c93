// The records this node stores for others: provider records by topic and value records by key,
// bounded in total (count and bytes) and per peer (by the handshake-verified node id of the peer
// that stored them). Records are validated on the way in and re-checked on every read; expired
// ones are dropped when read and by a periodic sweep.
import { MAX_PROVIDERS_PER_REPLY, MAX_PROVIDERS_PER_TOPIC, MAX_RECORDS_PER_PEER, MAX_STORED_BYTES, MAX_STORED_RECORDS } from './constants.ts'
import { idToHex, type Id } from './id.ts'
import {
  RecordError, providerNodeId, recordBytes, validateProviderRecord, validateValueRecord, valueKey,
  type ProviderRecord, type ValueRecord
} from './records.ts'

export interface RecordStoreLimits {
  maxRecords: number
  maxBytes: number
  maxPerPeer: number
  maxProvidersPerTopic: number
}

export const DEFAULT_STORE_LIMITS: RecordStoreLimits = {
  maxRecords: MAX_STORED_RECORDS,
  maxBytes: MAX_STORED_BYTES,
  maxPerPeer: MAX_RECORDS_PER_PEER,
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
}

export class RecordStore {
  readonly limits: RecordStoreLimits
  readonly #providers = new Map<string, Map<string, Stored<ProviderRecord>>>()
  readonly #values = new Map<string, Stored<ValueRecord>>()
  readonly #perPeer = new Map<string, number>()
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
      if ((entries?.size ?? 0) >= this.limits.maxProvidersPerTopic) throw new StoreRefusedError('topic-full', 'this topic has as many providers as this node keeps')
    }
    const stored = this.#admit(record, from, existing)
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
    this.#values.set(key, this.#admit(record, from, existing))
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

  /** Accounts for a new record (replacing `existing`), or refuses it when over a bound. */
  #admit<R extends ProviderRecord | ValueRecord> (record: R, from: string, existing: Stored<R> | undefined): Stored<R> {
    const bytes = recordBytes(record)
    const freedCount = existing === undefined ? 0 : 1
    const freedBytes = existing?.bytes ?? 0
    const peerCount = (this.#perPeer.get(from) ?? 0) - (existing?.from === from ? 1 : 0)
    if (peerCount + 1 > this.limits.maxPerPeer) throw new StoreRefusedError('peer-quota', 'this peer has stored as many records as this node keeps for one peer')
    if (this.#count - freedCount + 1 > this.limits.maxRecords || this.#bytes - freedBytes + bytes > this.limits.maxBytes) {
      throw new StoreRefusedError('full', 'this node stores no more records')
    }
    if (existing !== undefined) this.#release(existing)
    this.#count++
    this.#bytes += bytes
    this.#perPeer.set(from, (this.#perPeer.get(from) ?? 0) + 1)
    return { record, from, bytes }
  }

  #release (stored: Stored<ProviderRecord | ValueRecord>): void {
    this.#count--
    this.#bytes -= stored.bytes
    const left = (this.#perPeer.get(stored.from) ?? 1) - 1
    if (left <= 0) this.#perPeer.delete(stored.from)
    else this.#perPeer.set(stored.from, left)
  }
}
