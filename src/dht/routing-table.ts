// Kademlia's routing table: 256 k-buckets, bucket i holding contacts whose id shares exactly i
// leading bits with ours. Within a bucket contacts are ordered least recently seen first; a full
// bucket keeps its long-lived contacts (they are the likeliest to stay up, Kademlia's key
// observation) and parks newcomers in a replacement cache, promoted when a contact fails
// MAX_CONTACT_FAILURES requests in a row.
import { ID_BITS, K, MAX_CONTACT_FAILURES, REPLACEMENT_CACHE_SIZE } from './constants.ts'
import type { Contact } from './contact.ts'
import { commonPrefixLength, compareDistance, equalIds, idToHex, type Id } from './id.ts'

export interface TableEntry {
  contact: Contact
  hex: string
  /** Last time (clock ms) the contact answered us or asked us something. */
  lastSeen: number
  /** Requests to it that failed in a row. */
  failures: number
}

interface Bucket {
  entries: TableEntry[]
  replacements: TableEntry[]
  /** Last time a lookup went through this bucket's range (for refreshes). */
  touched: number
}

export type AddOutcome =
  | { status: 'added' | 'updated' | 'self' }
  /** The bucket is full of healthy contacts: the newcomer waits in the replacement cache; `oldest` (last seen `oldestSeen`) may be pinged. */
  | { status: 'cached', oldest: Contact, oldestSeen: number }

export interface RoutingTableOptions {
  k?: number
  maxFailures?: number
  replacementCacheSize?: number
}

export class RoutingTable {
  readonly self: Id
  readonly k: number
  readonly #maxFailures: number
  readonly #cacheSize: number
  /** Allocated on first use: a simulator runs thousands of tables, most of whose 256 buckets stay empty. */
  readonly #buckets: Array<Bucket | undefined>
  readonly #created: number
  readonly #byId = new Map<string, TableEntry>()

  constructor (self: Id, now: number, options: RoutingTableOptions = {}) {
    this.self = self
    this.k = options.k ?? K
    this.#maxFailures = options.maxFailures ?? MAX_CONTACT_FAILURES
    this.#cacheSize = options.replacementCacheSize ?? REPLACEMENT_CACHE_SIZE
    this.#buckets = new Array<Bucket | undefined>(ID_BITS)
    this.#created = now
  }

  get size (): number { return this.#byId.size }

  bucketIndex (id: Id): number {
    return Math.min(commonPrefixLength(this.self, id), ID_BITS - 1)
  }

  has (nodeIdHex: string): boolean { return this.#byId.has(nodeIdHex) }

  get (nodeIdHex: string): TableEntry | undefined { return this.#byId.get(nodeIdHex) }

  /** Records that `contact` is alive (it answered, or it asked us something). */
  add (contact: Contact, now: number): AddOutcome {
    if (equalIds(contact.nodeId, this.self)) return { status: 'self' }
    const hex = idToHex(contact.nodeId)
    const bucket = this.#bucket(this.bucketIndex(contact.nodeId))
    const known = this.#byId.get(hex)
    if (known !== undefined) {
      known.contact = contact
      known.lastSeen = now
      known.failures = 0
      bucket.entries.splice(bucket.entries.indexOf(known), 1)
      bucket.entries.push(known)
      return { status: 'updated' }
    }
    const entry: TableEntry = { contact, hex, lastSeen: now, failures: 0 }
    if (bucket.entries.length < this.k) {
      this.#insert(bucket, entry)
      return { status: 'added' }
    }
    // Full: a contact that already failed makes room; otherwise the newcomer waits.
    const failing = bucket.entries.findIndex(e => e.failures > 0)
    if (failing >= 0) {
      this.#byId.delete(bucket.entries[failing]!.hex)
      bucket.entries.splice(failing, 1)
      this.#insert(bucket, entry)
      return { status: 'added' }
    }
    const cached = bucket.replacements.findIndex(e => e.hex === hex)
    if (cached >= 0) bucket.replacements.splice(cached, 1)
    bucket.replacements.push(entry)
    if (bucket.replacements.length > this.#cacheSize) bucket.replacements.shift()
    return { status: 'cached', oldest: bucket.entries[0]!.contact, oldestSeen: bucket.entries[0]!.lastSeen }
  }

  /**
   * Whether the bucket `id` falls in is full of good contacts: k of them, none with a failed
   * request, the least recently seen heard from within `goodMs` of `now`. A newcomer to such a
   * bucket could only wait in its replacement cache.
   */
  fullOfGood (id: Id, now: number, goodMs: number): boolean {
    const entries = this.#buckets[this.bucketIndex(id)]?.entries
    if (entries === undefined || entries.length < this.k) return false
    return now - entries[0]!.lastSeen < goodMs && entries.every(e => e.failures === 0)
  }

  /** Counts a failed request; evicts the contact after too many in a row. True if evicted. */
  recordFailure (nodeIdHex: string): boolean {
    const entry = this.#byId.get(nodeIdHex)
    if (entry === undefined) return false
    entry.failures++
    if (entry.failures < this.#maxFailures) return false
    this.remove(nodeIdHex)
    return true
  }

  /** Removes a contact, promoting the most recently seen replacement of its bucket. */
  remove (nodeIdHex: string): void {
    const entry = this.#byId.get(nodeIdHex)
    if (entry === undefined) return
    const bucket = this.#bucket(this.bucketIndex(entry.contact.nodeId))
    bucket.entries.splice(bucket.entries.indexOf(entry), 1)
    this.#byId.delete(nodeIdHex)
    const replacement = bucket.replacements.pop()
    if (replacement !== undefined) this.#insert(bucket, replacement)
  }

  /**
   * Up to `n` contacts closest to `target` by XOR distance, closest first. Buckets are visited
   * in distance order instead of sorting the whole table: with b = the target's bucket, every
   * contact of bucket b is closer than any other; then come buckets deeper than b (their
   * distances share b as top bit, so they are sorted together), then b-1, b-2, … in turn.
   */
  closest (target: Id, n: number = this.k, exclude?: (hex: string) => boolean): Contact[] {
    const out: Contact[] = []
    const b = this.bucketIndex(target)
    const take = (entries: TableEntry[]): void => {
      const usable = exclude === undefined ? entries.slice() : entries.filter(e => !exclude(e.hex))
      usable.sort((x, y) => compareDistance(x.contact.nodeId, y.contact.nodeId, target))
      for (const e of usable) {
        if (out.length >= n) return
        out.push(e.contact)
      }
    }
    take(this.#buckets[b]?.entries ?? [])
    if (out.length < n) {
      const deeper: TableEntry[] = []
      for (let i = b + 1; i < ID_BITS; i++) {
        const bucket = this.#buckets[i]
        if (bucket !== undefined) deeper.push(...bucket.entries)
      }
      take(deeper)
    }
    for (let i = b - 1; i >= 0 && out.length < n; i--) take(this.#buckets[i]?.entries ?? [])
    return out
  }

  entries (): TableEntry[] {
    const out: TableEntry[] = []
    for (const bucket of this.#buckets) if (bucket !== undefined) out.push(...bucket.entries)
    return out
  }

  /** Notes that a lookup for `target` went through its bucket. */
  touch (target: Id, now: number): void {
    this.#bucket(this.bucketIndex(target)).touched = now
  }

  /**
   * Indexes of buckets not touched for `maxAge` that are worth refreshing: only those up to the
   * deepest non-empty bucket plus one (deeper ones are empty in any network smaller than 2^i).
   */
  staleBuckets (now: number, maxAge: number): number[] {
    let deepest = 0
    for (let i = 0; i < ID_BITS; i++) if ((this.#buckets[i]?.entries.length ?? 0) > 0) deepest = i
    const out: number[] = []
    for (let i = 0; i <= Math.min(deepest + 1, ID_BITS - 1); i++) if (now - (this.#buckets[i]?.touched ?? this.#created) >= maxAge) out.push(i)
    return out
  }

  /** The contacts of bucket `index`, least recently seen first (do not modify). */
  bucketEntries (index: number): readonly TableEntry[] {
    return this.#buckets[index]?.entries ?? []
  }

  bucketSizes (): number[] {
    return Array.from(this.#buckets, b => b?.entries.length ?? 0)
  }

  #bucket (index: number): Bucket {
    let bucket = this.#buckets[index]
    if (bucket === undefined) {
      bucket = { entries: [], replacements: [], touched: this.#created }
      this.#buckets[index] = bucket
    }
    return bucket
  }

  #insert (bucket: Bucket, entry: TableEntry): void {
    bucket.entries.push(entry)
    this.#byId.set(entry.hex, entry)
  }
}
