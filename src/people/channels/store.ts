// The channels this node holds, in its sealed store (src/store): every value encrypted, every key
// part (channel id, writer, position) a keyed hash, so the state directory says nothing about which
// channels this node is in or who writes to them. Each entry is kept under its channel, writer,
// seq and id, so two entries at one place (a fork) are both kept, as evidence.
import type { SealedDb } from '../../store/index.ts'
import type { HeldNodeKey } from './node-key.ts'

export interface ChannelRecord {
  id: string
  /** The newest descriptor text held. */
  descriptor: string
  /** The channel key (PKCS#8 DER, base64): only on the owner's node. */
  channelKey?: string
  /** This node's current key for signing its entries in the channel, and its certificate (node-key.ts). */
  nodeKeys?: HeldNodeKey[]
  joinedAt: number
  /** Left: kept for its history, no longer synced or announced. */
  left?: boolean
  /** Shares posted to the channel are fetched into `output` and seeded (up to maxSize bytes each). */
  follow?: Follow
  /** Where members answered (newest first, at most MAX_PEERS). */
  peers: string[]
}

export interface Follow { autoFetch: boolean, maxSize: number | null, output: string | null }

/** The share a followed channel's new post names, when the follow fetches it (not one's own, not over the size limit). */
export function autoFetchLink (follow: Follow | undefined, post: { kind: string, link?: string, size?: number, author: string }, me: string): string | undefined {
  if (follow?.autoFetch !== true || post.kind !== 'share' || post.link == null || post.author === me) return undefined
  return follow.maxSize == null || (post.size ?? 0) <= follow.maxSize ? post.link : undefined
}

export const MAX_PEERS = 32
/** Entries held per channel; more are refused (a member that floods its log is revoked, not stored). */
export const MAX_ENTRIES_PER_CHANNEL = 20_000
/** Versions kept of one place in a writer's log: two are proof of a fork, more prove nothing new. */
const MAX_VERSIONS = 2

const pad = (seq: number): string => String(seq).padStart(12, '0')
const under = (...parts: string[]): { gte: string, lt: string } => ({ gte: parts.join('\0') + '\0', lt: parts.join('\0') + '\u0001' })

export class ChannelStore {
  readonly #channels
  readonly #entries
  readonly #counts = new Map<string, number>()
  readonly #versions = new Map<string, number>()

  constructor (db: SealedDb) {
    this.#channels = db.sublevel<string, ChannelRecord>('channels', { valueEncoding: 'json' })
    this.#entries = db.sublevel<string, { author: string, seq: number, text: string }>('channel-entries', { valueEncoding: 'json' })
  }

  /** Changes whenever the channel's record or entries change (a cached view of an older version is stale). */
  version (id: string): number { return this.#versions.get(id) ?? 0 }
  #bump (id: string): void { this.#versions.set(id, this.version(id) + 1) }

  async get (id: string): Promise<ChannelRecord | undefined> { return await this.#channels.get(id) }
  async put (r: ChannelRecord): Promise<void> { await this.#channels.put(r.id, r); this.#bump(r.id) }
  async list (): Promise<ChannelRecord[]> { return await this.#channels.values().all() }

  async remove (id: string): Promise<void> {
    for (const k of await this.#entries.keys(under(id)).all()) await this.#entries.del(k)
    await this.#channels.del(id)
    this.#counts.delete(id)
    this.#bump(id)
  }

  /** Every entry text held for the channel. */
  async texts (id: string): Promise<string[]> { return (await this.#entries.values(under(id)).all()).map(e => e.text) }

  /** The writer's entries from seq `from` on, in order. */
  async after (id: string, author: string, from: number): Promise<string[]> {
    const all = await this.#entries.values(under(id, author)).all()
    return all.filter(e => e.seq >= from).sort((a, b) => a.seq - b.seq).map(e => e.text)
  }

  async count (id: string): Promise<number> {
    let n = this.#counts.get(id)
    if (n == null) this.#counts.set(id, n = (await this.#entries.keys(under(id)).all()).length)
    return n
  }

  /** Stores an entry; false when it was held already, or the channel or its place is full. */
  async add (id: string, e: { author: string, seq: number, id: string, text: string }): Promise<boolean> {
    const place = under(id, e.author, pad(e.seq))
    const versions = await this.#entries.keys(place).all()
    if (versions.length >= MAX_VERSIONS || await this.#entries.get(`${id}\0${e.author}\0${pad(e.seq)}\0${e.id}`) != null) return false
    if (await this.count(id) >= MAX_ENTRIES_PER_CHANNEL) return false
    await this.#entries.put(`${id}\0${e.author}\0${pad(e.seq)}\0${e.id}`, { author: e.author, seq: e.seq, text: e.text })
    this.#counts.set(id, (this.#counts.get(id) ?? 0) + 1)
    this.#bump(id)
    return true
  }
}
