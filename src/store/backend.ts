// The byte-level key-value stores the sealed layer sits on: the node's LevelDB and a sorted
// in-memory map (--memory, tests). Keys are strings ordered by code unit, values are bytes; a
// backend knows nothing of sealing.
import { Level } from 'level'

export interface RangeOptions {
  gt?: string
  gte?: string
  lt?: string
  lte?: string
  reverse?: boolean
  limit?: number
}

export type RawOp = { type: 'put', key: string, value: Uint8Array } | { type: 'del', key: string }

export interface KvBackend {
  open (): Promise<void>
  close (): Promise<void>
  get (key: string): Promise<Uint8Array | undefined>
  getMany (keys: readonly string[]): Promise<Array<Uint8Array | undefined>>
  /** Atomic: all of the operations or none. */
  batch (ops: readonly RawOp[]): Promise<void>
  entries (range: RangeOptions): AsyncIterable<[string, Uint8Array]>
}

/** The Level is made in open(): abstract-level opens a database (and takes its lock) as soon as it is constructed. */
export class LevelBackend implements KvBackend {
  readonly path: string
  #level: Level<string, Uint8Array> | undefined
  constructor (path: string) { this.path = path }

  get db (): Level<string, Uint8Array> {
    if (this.#level == null) throw new Error(`the database at ${this.path} is not open`)
    return this.#level
  }

  async open (): Promise<void> {
    this.#level ??= new Level<string, Uint8Array>(this.path, { keyEncoding: 'utf8', valueEncoding: 'view' })
    await this.#level.open()
  }

  async close (): Promise<void> { await this.#level?.close() }
  async get (key: string): Promise<Uint8Array | undefined> { return await this.db.get(key) }
  async getMany (keys: readonly string[]): Promise<Array<Uint8Array | undefined>> { return await this.db.getMany([...keys]) }
  async batch (ops: readonly RawOp[]): Promise<void> { await this.db.batch(ops as RawOp[]) }
  entries (range: RangeOptions): AsyncIterable<[string, Uint8Array]> { return this.db.iterator({ ...range, limit: range.limit ?? -1 }) }
}

/**
 * LevelDB's own repair (RepairDB): rebuilds a lost CURRENT or MANIFEST from the table and log
 * files, keeping what still reads. Not a check: what it dropped is found by reading every record.
 */
export async function repairLevel (path: string): Promise<void> {
  // In Node, `level` is classic-level, whose static repair() the browser-shaped typings leave out.
  const repair = (Level as unknown as { repair?: (location: string) => Promise<void> }).repair
  if (typeof repair !== 'function') throw new Error('this LevelDB binding has no repair')
  await repair.call(Level, path)
}

/** Sorted keys + a map: O(log n) lookups of a position, O(n) inserts (fine for a node's state). */
export class MemoryBackend implements KvBackend {
  readonly #map = new Map<string, Uint8Array>()
  #keys: string[] = []

  async open (): Promise<void> {}
  /** Forgets everything: a memory-only node leaves nothing behind. */
  async close (): Promise<void> {
    for (const v of this.#map.values()) v.fill(0)
    this.#map.clear()
    this.#keys = []
  }

  async get (key: string): Promise<Uint8Array | undefined> { return this.#map.get(key) }
  async getMany (keys: readonly string[]): Promise<Array<Uint8Array | undefined>> { return keys.map(k => this.#map.get(k)) }

  async batch (ops: readonly RawOp[]): Promise<void> {
    for (const op of ops) {
      const i = this.#position(op.key)
      const present = this.#keys[i] === op.key
      if (op.type === 'put') {
        if (!present) this.#keys.splice(i, 0, op.key)
        this.#map.set(op.key, Uint8Array.from(op.value))
      } else if (present) {
        this.#keys.splice(i, 1)
        this.#map.delete(op.key)
      }
    }
  }

  async * entries (range: RangeOptions): AsyncIterable<[string, Uint8Array]> {
    const lo = range.gte != null ? this.#position(range.gte) : range.gt != null ? this.#after(range.gt) : 0
    const hi = range.lte != null ? this.#after(range.lte) : range.lt != null ? this.#position(range.lt) : this.#keys.length
    const keys = this.#keys.slice(lo, Math.max(lo, hi))
    if (range.reverse === true) keys.reverse()
    const limit = range.limit != null && range.limit >= 0 ? range.limit : Infinity
    let n = 0
    for (const k of keys) {
      if (n++ >= limit) return
      const v = this.#map.get(k)
      if (v != null) yield [k, v]
    }
  }

  /** First index whose key is >= key. */
  #position (key: string): number {
    let lo = 0
    let hi = this.#keys.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (this.#keys[mid]! < key) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  /** First index whose key is > key. */
  #after (key: string): number {
    const i = this.#position(key)
    return this.#keys[i] === key ? i + 1 : i
  }
}
