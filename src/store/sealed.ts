// A sealed key-value database with the shape of abstract-level's sublevels (get, getMany, put,
// del, batch, iterator/keys/values with ranges, a root batch across sublevels), so the node's
// modules keep their code and any new sublevel is sealed without knowing it. Values are sealed
// (seal.ts); database keys are keyed hashes, part by part (parts are separated by U+0000), so a
// prefix of parts still selects a range: `{ gte: id + '\0', lt: id + '\1' }` finds every key
// whose first part is `id`. A part declared clear (a zero-padded time, for order) stays clear.
import type { KvBackend, RangeOptions, RawOp } from './backend.ts'
import { deriveStoreKeys, keyedName, openRecord, sealRecord, SealedStoreError, type StoreKeys } from './seal.ts'

export type ValueEncoding = 'json' | 'view'
/** How each U+0000-separated part of a key is stored; the last entry holds for the remaining parts. */
export type KeyScheme = ReadonlyArray<'hash' | 'clear'>
export const HASHED: KeyScheme = ['hash']

export interface SublevelOptions {
  valueEncoding: ValueEncoding
  keys?: KeyScheme
}

export type SealedBatchOp =
  | { type: 'put', sublevel: SealedSublevel<string, any>, key: string, value: unknown }
  | { type: 'del', sublevel: SealedSublevel<string, any>, key: string }

const META = 'meta'
const CHECK = 'check'
const CHECK_VALUE = 'oht sealed store'

/** An async iterable with abstract-level's `all()`. */
export class SealedIterator<T> implements AsyncIterable<T> {
  readonly #source: () => AsyncIterable<T>
  constructor (source: () => AsyncIterable<T>) { this.#source = source }
  [Symbol.asyncIterator] (): AsyncIterator<T> { return this.#source()[Symbol.asyncIterator]() }
  async all (): Promise<T[]> {
    const out: T[] = []
    for await (const x of this) out.push(x)
    return out
  }
}

export class SealedDb {
  readonly backend: KvBackend
  readonly #keys: StoreKeys
  readonly #schemes: Readonly<Record<string, KeyScheme>>
  readonly #sublevels = new Map<string, SealedSublevel<string, any>>()

  /** `schemes`: key schemes of sublevels that are not hashed throughout (also what a migration uses). */
  constructor (backend: KvBackend, storageKey: Uint8Array, schemes: Readonly<Record<string, KeyScheme>> = {}) {
    this.backend = backend
    this.#keys = deriveStoreKeys(storageKey)
    this.#schemes = schemes
  }

  /** Opens the backend and checks the storage key against the check record (written on first open). */
  async open (): Promise<void> {
    await this.backend.open()
    const meta = this.sublevel<string, string>(META, { valueEncoding: 'json' })
    const raw = await this.backend.get(meta.dbKey(CHECK))
    if (raw == null) {
      if (!(await this.isEmpty())) throw new SealedStoreError('store.format', 'the state database holds records but no check record: it is not a sealed store')
      await meta.put(CHECK, CHECK_VALUE)
      return
    }
    try {
      if (openRecord(this.#keys, META, meta.transform(CHECK), raw).value.toString() !== JSON.stringify(CHECK_VALUE)) throw new Error('check value')
    } catch {
      throw new SealedStoreError('store.wrongKey', 'the state database was sealed under another storage key')
    }
  }

  async close (): Promise<void> { await this.backend.close() }

  /**
   * Opens every record (a full read of the database): `bad` counts, by sublevel, the records that
   * do not open (altered bytes in a table file), `error` is what LevelDB itself reported if it
   * could not read on. What a start runs so that damage is told, not found later by a share gone.
   */
  async verify (): Promise<{ records: number, bad: Record<string, number>, error?: string }> {
    const bad: Record<string, number> = {}
    let records = 0
    try {
      for await (const [dbKey, raw] of this.backend.entries({})) {
        records++
        const name = this.#unreadable(dbKey, raw)
        if (name != null) bad[name] = (bad[name] ?? 0) + 1
      }
    } catch (err) {
      return { records, bad, error: (err as Error & { cause?: Error }).cause?.message ?? (err as Error).message }
    }
    return { records, bad }
  }

  /**
   * After a repair: deletes the records that do not open, and writes the check record again if it
   * was lost. Refuses (`store.wrongKey`) when records exist and none opens: that is another key,
   * not damage, and nothing is deleted then.
   */
  async dropUnreadable (): Promise<{ kept: number, dropped: Record<string, number> }> {
    await this.backend.open()
    const dropped: Record<string, number> = {}
    const bad: string[] = []
    let kept = 0
    for await (const [dbKey, raw] of this.backend.entries({})) {
      const name = this.#unreadable(dbKey, raw)
      if (name == null) { kept++; continue }
      bad.push(dbKey)
      dropped[name] = (dropped[name] ?? 0) + 1
    }
    if (kept === 0 && bad.length > 0) throw new SealedStoreError('store.wrongKey', 'no record of the state database opens with this storage key')
    for (let i = 0; i < bad.length; i += 512) await this.backend.batch(bad.slice(i, i + 512).map(key => ({ type: 'del' as const, key })))
    if (!(await this.isSealed())) await this.backend.batch([this.checkOp()])
    return { kept, dropped }
  }

  /** Undefined when the stored record opens; else the sublevel it was in, to be counted. */
  #unreadable (dbKey: string, raw: Uint8Array): string | undefined {
    const m = /^!([^!]*)!([\s\S]*)$/.exec(dbKey)
    if (m == null) return '(none)'
    try {
      openRecord(this.#keys, m[1]!, m[2]!, raw)
      return undefined
    } catch {
      return m[1]!
    }
  }

  /** The check record's put (a migration writes it last, when its copy is complete). */
  checkOp (): RawOp { return this.sublevel<string, string>(META, { valueEncoding: 'json' }).putOp(CHECK, CHECK_VALUE) }

  async isEmpty (): Promise<boolean> {
    for await (const _ of this.backend.entries({ limit: 1 })) return false
    return true
  }

  /** True when the database already holds its check record (a sealed store). */
  async isSealed (): Promise<boolean> {
    return await this.backend.get(this.sublevel(META, { valueEncoding: 'json' }).dbKey(CHECK)) != null
  }

  sublevel<K extends string, V> (name: string, options: SublevelOptions): SealedSublevel<K, V> {
    if (name.includes('!')) throw new RangeError(`sublevel name ${name} contains '!'`)
    const known = this.#sublevels.get(name)
    if (known != null) {
      if (known.encoding !== options.valueEncoding) throw new RangeError(`sublevel ${name} is already open with ${known.encoding} values`)
      return known as unknown as SealedSublevel<K, V>
    }
    // The meta sublevel's keys are clear: its check record must be found under any storage key.
    const scheme = name === META ? ['clear'] as const : options.keys ?? this.#schemes[name] ?? HASHED
    const s = new SealedSublevel<K, V>(this, this.#keys, name, options.valueEncoding, scheme)
    this.#sublevels.set(name, s as unknown as SealedSublevel<string, any>)
    return s
  }

  /** One atomic batch across sublevels (abstract-level's `{ sublevel }` operations). */
  async batch (ops: readonly SealedBatchOp[]): Promise<void> {
    await this.backend.batch(ops.map(op => op.type === 'put' ? op.sublevel.putOp(op.key, op.value) : op.sublevel.delOp(op.key)))
  }
}

export class SealedSublevel<K extends string, V> {
  readonly db: SealedDb
  readonly name: string
  readonly encoding: ValueEncoding
  readonly #keys: StoreKeys
  readonly #scheme: KeyScheme
  readonly #prefix: string

  constructor (db: SealedDb, keys: StoreKeys, name: string, encoding: ValueEncoding, scheme: KeyScheme) {
    this.db = db
    this.#keys = keys
    this.name = name
    this.encoding = encoding
    this.#scheme = scheme.length > 0 ? scheme : HASHED
    this.#prefix = `!${name}!`
  }

  /** The key as stored (without the sublevel prefix): each part hashed or kept as its scheme says. */
  transform (key: string): string {
    const parts = key.split('\u0000')
    return parts.map((p, i) => this.#scheme[Math.min(i, this.#scheme.length - 1)] === 'clear' ? p : keyedName(this.#keys, this.name, p)).join('\u0000')
  }

  dbKey (key: string): string { return this.#prefix + this.transform(key) }

  /** A range bound: a trailing U+0000/U+0001 (the prefix idiom) stays, the parts before it are transformed. */
  #bound (b: string): string {
    if (b === '') return this.#prefix
    const last = b.at(-1)
    if (last === '\u0000' || last === '\u0001') return this.#prefix + this.transform(b.slice(0, -1)) + last
    return this.dbKey(b)
  }

  #range (options: RangeOptions): RangeOptions {
    const r: RangeOptions = {}
    if (options.gt != null) r.gt = this.#bound(options.gt)
    else if (options.gte != null) r.gte = this.#bound(options.gte)
    else r.gte = this.#prefix
    if (options.lt != null) r.lt = this.#bound(options.lt)
    else if (options.lte != null) r.lte = this.#bound(options.lte)
    else r.lt = `!${this.name}"` // '"' follows '!': the end of this sublevel
    if (options.reverse != null) r.reverse = options.reverse
    if (options.limit != null) r.limit = options.limit
    return r
  }

  encode (value: V): Uint8Array {
    return this.encoding === 'json' ? Buffer.from(JSON.stringify(value)) : value as Uint8Array
  }

  decode (bytes: Buffer): V {
    return (this.encoding === 'json' ? JSON.parse(bytes.toString()) : new Uint8Array(bytes)) as V
  }

  #open (dbKey: string, raw: Uint8Array): { key: K, value: V } {
    const r = openRecord(this.#keys, this.name, dbKey.slice(this.#prefix.length), raw)
    return { key: r.key as K, value: this.decode(r.value) }
  }

  putOp (key: string, value: unknown): RawOp { return this.putEncodedOp(key, this.encode(value as V)) }

  /** A put of a value already in this sublevel's encoding (what a migration copies). */
  putEncodedOp (key: string, encoded: Uint8Array): RawOp {
    const t = this.transform(key)
    return { type: 'put', key: this.#prefix + t, value: sealRecord(this.#keys, this.name, t, key, encoded) }
  }

  delOp (key: string): RawOp { return { type: 'del', key: this.dbKey(key) } }

  async get (key: K): Promise<V | undefined> {
    const dbKey = this.dbKey(key)
    const raw = await this.db.backend.get(dbKey)
    return raw == null ? undefined : this.#open(dbKey, raw).value
  }

  async getMany (keys: readonly K[]): Promise<Array<V | undefined>> {
    const dbKeys = keys.map(k => this.dbKey(k))
    const raws = await this.db.backend.getMany(dbKeys)
    return raws.map((raw, i) => raw == null ? undefined : this.#open(dbKeys[i]!, raw).value)
  }

  async put (key: K, value: V): Promise<void> { await this.db.backend.batch([this.putOp(key, value)]) }
  async del (key: K): Promise<void> { await this.db.backend.batch([this.delOp(key)]) }

  async batch (ops: ReadonlyArray<{ type: 'put', key: K, value: V } | { type: 'del', key: K }>): Promise<void> {
    await this.db.backend.batch(ops.map(op => op.type === 'put' ? this.putOp(op.key, op.value) : this.delOp(op.key)))
  }

  /** Entries in database-key order (hashed parts: no meaningful order; clear leading parts: theirs). */
  iterator (options: RangeOptions = {}): SealedIterator<[K, V]> {
    const range = this.#range(options)
    const self = this
    return new SealedIterator(async function * () {
      for await (const [dbKey, raw] of self.db.backend.entries(range)) {
        const r = self.#open(dbKey, raw)
        yield [r.key, r.value] as [K, V]
      }
    })
  }

  keys (options: RangeOptions = {}): SealedIterator<K> {
    const it = this.iterator(options)
    return new SealedIterator(async function * () { for await (const [k] of it) yield k })
  }

  values (options: RangeOptions = {}): SealedIterator<V> {
    const it = this.iterator(options)
    return new SealedIterator(async function * () { for await (const [, v] of it) yield v })
  }
}
