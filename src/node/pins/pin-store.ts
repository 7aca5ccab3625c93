// The persistent side of pins: lease records, exact block reference counts and the journaled
// garbage-collection sweep, all in the node's LevelDB (docs/PINNING.md "Leases").
//
// Invariant, kept by atomic batches: refs[cid] == the number of pin records (live, or still in
// the sweep journal past that cid's position) that claim cid. A pin claims its manifest block
// and every distinct leaf block the moment it is recorded (before its blocks arrive), so a
// block being fetched for one pin can never be collected for another.
//
// Sweep of one pin, crash-safe and idempotent:
//   1. one batch: delete the pin record and its expiry index entry, write a journal entry
//      {cursor: 0}; from here the pin no longer exists, but its claims do.
//   2. per chunk of `batchSize` cids: one batch decrements their refs (deleting those that reach
//      0), advances the journal cursor and records those zero cids as `deletes`; then the block
//      files of `deletes` are removed (each re-checked: no ref, not protected). A crash before
//      the batch repeats the chunk (nothing was applied); after it, recovery redoes only the
//      file deletions, which are idempotent.
//   3. one batch: delete the journal (and the share's leaves if nothing else needs them).
import { EventEmitter } from 'node:events'
import { CID as CidClass } from 'multiformats/cid'
import { blockCid, type CID, type CipherBlockstore } from '../../blocks/index.ts'
import type { NodeState } from '../identity/state.ts'
import type { SealedDb } from '../../store/index.ts'

/** The holder of a pin made on this node by its own user; remote pins are held by an account id. */
export const LOCAL_HOLDER = 'local'

export interface PinRecord {
  id: string
  /** LOCAL_HOLDER or the hex id of the account that asked for it (remote pinning). */
  holder: string
  /** The verify capability's swarm key, base64url: enough to fetch, check and serve, not to decrypt. */
  swarmKey: string
  /** End of the lease (ms since the epoch); null = never (only for this node's own pins). */
  expiresAt: number | null
  state: 'fetching' | 'active'
  /** Ciphertext bytes the pin keeps (blocks + manifest): what quotas count. */
  bytes: number
  blockCount: number
  /** Where the blocks were fetched from; used to resume a fetch after a restart. */
  peers: string[]
  createdAt: number
  renewedAt: number
}

export interface SweepJournal {
  pinKey: string
  id: string
  holder: string
  reason: 'expired' | 'unpinned'
  /** Claims [0, cursor) are already released. */
  cursor: number
  total: number
  /** Zero-ref cids of the last released chunk whose files may still exist. */
  deletes: string[]
  startedAt: number
}

export interface SweepResult {
  pinsCollected: number
  cidsReleased: number
  blocksDeleted: number
  /** True when the budget ran out with work left. */
  more: boolean
}

export interface PinStoreOptions {
  /** Cids released per LevelDB batch (one journal step). */
  batchSize?: number
  /** Pause between steps, so a big sweep leaves the disk to transfers. */
  pauseMs?: number
}

export interface PinStoreEvents {
  /** The last pin of a share is gone (its blocks may follow): stop announcing and serving it. */
  released: [{ id: string, swarmKey: string }]
}

const NEVER = null
const pinKeyOf = (id: string, holder: string): string => `${id}\u0000${holder}`
const expiryKeyOf = (expiresAt: number, pinKey: string): string => `${String(expiresAt).padStart(16, '0')}\u0000${pinKey}`

/**
 * The blocks a pin of a share claims, in a fixed order that the journal cursor indexes: position
 * 0 is the manifest (keyed by its CID), position i >= 1 is leaf i-1 (keyed by the hex SHA-256 of
 * its ciphertext, which is what its raw CID wraps: cheaper than a CID string). Not deduplicated:
 * a block that appears twice is claimed twice and released twice, so counts stay exact.
 */
export function claimCount (leaves: Uint8Array): number { return 1 + leaves.length / 32 }

export function claimKeys (id: string, leaves: Uint8Array, from: number, to: number): string[] {
  const out: string[] = []
  const end = Math.min(to, claimCount(leaves))
  for (let i = Math.max(0, from); i < end; i++) {
    out.push(i === 0 ? id : Buffer.from(leaves.buffer, leaves.byteOffset + (i - 1) * 32, 32).toString('hex'))
  }
  return out
}

/** The block a claim key names. */
export function cidOfClaimKey (key: string): CID {
  return /^[0-9a-f]{64}$/.test(key) ? blockCid(Buffer.from(key, 'hex')) : CidClass.parse(key)
}

/** Occurrences of each key (a chunk may name one block twice). */
function tally (keys: readonly string[]): Map<string, number> {
  const m = new Map<string, number>()
  for (const k of keys) m.set(k, (m.get(k) ?? 0) + 1)
  return m
}

/** Serializes the steps that read and write reference counts (claims, sweep chunks). */
class Mutex {
  #tail: Promise<unknown> = Promise.resolve()
  async run<T> (fn: () => Promise<T>): Promise<T> {
    const next = this.#tail.then(fn, fn)
    this.#tail = next.catch(() => {})
    return await next
  }
}

export class PinStore extends EventEmitter<PinStoreEvents> {
  readonly #state: NodeState
  readonly #blocks: CipherBlockstore
  readonly #db: SealedDb
  readonly pins
  readonly expiry
  readonly refs
  readonly journal
  readonly #mutex = new Mutex()
  readonly #batchSize: number
  readonly #pauseMs: number
  #leavesCache?: { id: string, leaves: Uint8Array }

  constructor (state: NodeState, blocks: CipherBlockstore, options: PinStoreOptions = {}) {
    super()
    this.#state = state
    this.#blocks = blocks
    this.#db = state.db
    this.pins = this.#db.sublevel<string, PinRecord>('pins', { valueEncoding: 'json' })
    this.expiry = this.#db.sublevel<string, string>('pin-expiry', { valueEncoding: 'json' })
    this.refs = this.#db.sublevel<string, number>('block-refs', { valueEncoding: 'json' })
    this.journal = this.#db.sublevel<string, SweepJournal>('sweep-journal', { valueEncoding: 'json' })
    this.#batchSize = Math.max(1, options.batchSize ?? 512)
    this.#pauseMs = Math.max(0, options.pauseMs ?? 0)
  }

  async get (id: string, holder: string): Promise<PinRecord | undefined> { return await this.pins.get(pinKeyOf(id, holder)) }
  async list (): Promise<PinRecord[]> { return await this.pins.values().all() }
  async journals (): Promise<SweepJournal[]> { return await this.journal.values().all() }

  async pinsOf (id: string): Promise<PinRecord[]> {
    return await this.pins.values({ gte: `${id}\u0000`, lt: `${id}\u0001` }).all()
  }

  /** Ciphertext bytes an account's pins keep, leaving out one share (a renewal does not count twice). */
  async usage (holder: string, except?: string): Promise<number> { return (await this.holdings(holder, except)).bytes }

  /** The pins an account holds and their ciphertext bytes, leaving out one share: what its limits count. */
  async holdings (holder: string, except?: string): Promise<{ pins: number, bytes: number }> {
    let bytes = 0
    let pins = 0
    for (const p of await this.list()) {
      if (p.holder !== holder || p.id === except) continue
      bytes += p.bytes
      pins++
    }
    return { pins, bytes }
  }

  async refCount (cid: string): Promise<number> { return await this.refs.get(cid) ?? 0 }

  /**
   * Records a new pin and its claims in one batch (with the share's leaves), or, when the pin
   * exists, extends its lease (never shortens it). `admit` may refuse a new pin (throw) before
   * anything is written. Returns the stored record.
   */
  async claim (record: PinRecord, leaves: Uint8Array, admit?: (bytes: number) => void | Promise<void>): Promise<{ record: PinRecord, created: boolean }> {
    return await this.#mutex.run(async () => {
      const key = pinKeyOf(record.id, record.holder)
      const existing = await this.pins.get(key)
      if (existing != null) return { record: await this.#renewLocked(existing, record.expiresAt, record.peers), created: false }
      // Under the lock: two requests of one account cannot both fit a quota only one fits.
      await admit?.(record.bytes)
      if (await this.journal.get(key) != null) await this.#finishJournalLocked(key) // an unpin of this very pin is mid-sweep
      const claims = tally(claimKeys(record.id, leaves, 0, claimCount(leaves)))
      const keys = [...claims.keys()]
      const counts = await this.refs.getMany(keys)
      await this.#db.batch([
        ...keys.map((key, i) => ({ type: 'put' as const, sublevel: this.refs, key, value: (counts[i] ?? 0) + claims.get(key)! })),
        { type: 'put', sublevel: this.#state.leaves, key: record.id, value: leaves },
        { type: 'put', sublevel: this.pins, key, value: record },
        ...(record.expiresAt !== NEVER ? [{ type: 'put' as const, sublevel: this.expiry, key: expiryKeyOf(record.expiresAt, key), value: key }] : [])
      ] as never)
      return { record, created: true }
    })
  }

  async #renewLocked (existing: PinRecord, expiresAt: number | null, peers: string[]): Promise<PinRecord> {
    const key = pinKeyOf(existing.id, existing.holder)
    const longer = existing.expiresAt === NEVER || expiresAt === NEVER ? NEVER : Math.max(existing.expiresAt, expiresAt)
    const next: PinRecord = { ...existing, expiresAt: longer, renewedAt: Date.now(), peers: [...new Set([...peers, ...existing.peers])].slice(0, 16) }
    await this.#db.batch([
      ...(existing.expiresAt !== NEVER ? [{ type: 'del' as const, sublevel: this.expiry, key: expiryKeyOf(existing.expiresAt, key) }] : []),
      ...(longer !== NEVER ? [{ type: 'put' as const, sublevel: this.expiry, key: expiryKeyOf(longer, key), value: key }] : []),
      { type: 'put', sublevel: this.pins, key, value: next }
    ] as never)
    return next
  }

  async markActive (id: string, holder: string): Promise<PinRecord | undefined> {
    return await this.#mutex.run(async () => {
      const key = pinKeyOf(id, holder)
      const rec = await this.pins.get(key)
      if (rec == null) return undefined
      const next = { ...rec, state: 'active' as const }
      await this.pins.put(key, next)
      return next
    })
  }

  /** Starts the sweep of a pin now (unpin); its blocks go on the next sweep steps. */
  async release (id: string, holder: string): Promise<boolean> {
    return await this.#mutex.run(async () => await this.#startJournalLocked(pinKeyOf(id, holder), 'unpinned'))
  }

  /** The earliest lease end, to schedule the next sweep. */
  async nextExpiry (): Promise<number | undefined> {
    for await (const key of this.expiry.keys({ limit: 1 })) return Number(key.slice(0, 16))
    return undefined
  }

  /**
   * One bounded round of garbage collection: finishes interrupted journals first, then collects
   * pins whose lease ended before `now`, releasing at most `budget` claims.
   */
  async sweep (now = Date.now(), budget = 8192): Promise<SweepResult> {
    const result: SweepResult = { pinsCollected: 0, cidsReleased: 0, blocksDeleted: 0, more: false }
    while (true) {
      // Journals (a crash, an unpin, or the expired pins started below).
      for (const j of await this.journals()) {
        while (true) {
          if (result.cidsReleased >= budget) { result.more = true; return result }
          const step = await this.#mutex.run(async () => await this.#stepLocked(j.pinKey))
          if (step == null) break
          result.cidsReleased += step.released
          result.blocksDeleted += step.deleted
          if (step.finished) { result.pinsCollected++; break }
          if (this.#pauseMs > 0) await new Promise(resolve => setTimeout(resolve, this.#pauseMs))
        }
      }
      const expired = await this.expiry.values({ lt: expiryKeyOf(now, ''), limit: 16 }).all()
      if (expired.length === 0) return result
      await this.#mutex.run(async () => { for (const key of expired) await this.#startJournalLocked(key, 'expired') })
    }
  }

  async #startJournalLocked (key: string, reason: SweepJournal['reason']): Promise<boolean> {
    const rec = await this.pins.get(key)
    if (rec == null) return false
    const leaves = await this.#state.getLeaves(rec.id)
    const total = leaves != null ? claimCount(leaves) : 0
    const j: SweepJournal = { pinKey: key, id: rec.id, holder: rec.holder, reason, cursor: 0, total, deletes: [], startedAt: Date.now() }
    await this.#db.batch([
      { type: 'del', sublevel: this.pins, key },
      ...(rec.expiresAt !== NEVER ? [{ type: 'del' as const, sublevel: this.expiry, key: expiryKeyOf(rec.expiresAt, key) }] : []),
      { type: 'put', sublevel: this.journal, key, value: j }
    ] as never)
    if ((await this.pinsOf(rec.id)).length === 0) this.emit('released', { id: rec.id, swarmKey: rec.swarmKey })
    return true
  }

  async #finishJournalLocked (key: string): Promise<void> {
    while (true) {
      const step = await this.#stepLocked(key)
      if (step == null || step.finished) return
    }
  }

  /** One journal step (see the top of this file); undefined when there is no such journal. */
  async #stepLocked (key: string): Promise<{ released: number, deleted: number, finished: boolean } | undefined> {
    const j = await this.journal.get(key)
    if (j == null) return undefined
    // Recovery (and the normal path): the files of the last chunk's zero cids.
    const deleted = await this.#deleteUnclaimed(j.id, j.deletes)
    const leaves = await this.#leavesFor(j.id)
    const total = leaves != null ? claimCount(leaves) : 0
    if (j.cursor >= total) {
      this.#leavesCache = undefined
      const dropLeaves = await this.#leavesUnused(j.id)
      await this.#db.batch([
        { type: 'del', sublevel: this.journal, key },
        ...(dropLeaves ? [{ type: 'del' as const, sublevel: this.#state.leaves, key: j.id }] : [])
      ] as never)
      return { released: 0, deleted, finished: true }
    }
    const chunk = claimKeys(j.id, leaves!, j.cursor, j.cursor + this.#batchSize)
    const releases = tally(chunk)
    const keys = [...releases.keys()]
    const counts = await this.refs.getMany(keys)
    const zero: string[] = []
    const ops = keys.map((key, i) => {
      const n = (counts[i] ?? 0) - releases.get(key)!
      if (n <= 0) { zero.push(key); return { type: 'del' as const, sublevel: this.refs, key } }
      return { type: 'put' as const, sublevel: this.refs, key, value: n }
    })
    const next: SweepJournal = { ...j, cursor: j.cursor + chunk.length, deletes: zero }
    await this.#db.batch([...ops, { type: 'put', sublevel: this.journal, key, value: next }] as never)
    const removed = await this.#deleteUnclaimed(j.id, zero)
    return { released: chunk.length, deleted: deleted + removed, finished: false }
  }

  /** Removes the files of cids no pin claims, unless the share is owned, imported or being fetched. */
  async #deleteUnclaimed (id: string, cids: readonly string[]): Promise<number> {
    if (cids.length === 0) return 0
    if (await this.#state.getHeld(id) != null) return 0 // a CAR import keeps its ciphertext here
    const keepManifest = await this.#state.getOwned(id) != null || await this.#hasFetch(id)
    let n = 0
    for (const cid of cids) {
      if (keepManifest && cid === id) continue // claim key 0 is the manifest's CID
      if (await this.refs.get(cid) != null) continue
      const c = cidOfClaimKey(cid)
      if (!(await this.#blocks.has(c))) continue
      await this.#blocks.delete(c)
      n++
    }
    return n
  }

  /** The leaves of the share being swept, read once per journal rather than once per step. */
  async #leavesFor (id: string): Promise<Uint8Array | undefined> {
    if (this.#leavesCache?.id === id) return this.#leavesCache.leaves
    const leaves = await this.#state.getLeaves(id)
    this.#leavesCache = leaves != null ? { id, leaves } : undefined
    return leaves
  }

  async #hasFetch (id: string): Promise<boolean> {
    for await (const _ of this.#state.fetches.keys({ gte: `${id}\u0000`, lt: `${id}\u0001`, limit: 1 })) return true
    return false
  }

  async #leavesUnused (id: string): Promise<boolean> {
    if ((await this.pinsOf(id)).length > 0) return false
    if (await this.#state.getOwned(id) != null || await this.#state.getHeld(id) != null) return false
    return !(await this.#hasFetch(id))
  }

  /**
   * Recounts every claim from the pin records and journals and compares with the stored counts:
   * the exactness check (tests, `oht pins check`). Returns the cids whose count is wrong. Under
   * the lock: a sweep step between reading the journals and the counts would look like a loss.
   */
  async audit (): Promise<{ refs: number, wrong: Array<{ cid: string, stored: number, expected: number }> }> {
    return await this.#mutex.run(async () => await this.#auditLocked())
  }

  async #auditLocked (): Promise<{ refs: number, wrong: Array<{ cid: string, stored: number, expected: number }> }> {
    const expected = new Map<string, number>()
    const add = (cid: string): void => { expected.set(cid, (expected.get(cid) ?? 0) + 1) }
    for (const p of await this.list()) {
      const leaves = await this.#state.getLeaves(p.id)
      if (leaves != null) for (const key of claimKeys(p.id, leaves, 0, claimCount(leaves))) add(key)
    }
    for (const j of await this.journals()) {
      const leaves = await this.#state.getLeaves(j.id)
      if (leaves != null) for (const key of claimKeys(j.id, leaves, j.cursor, claimCount(leaves))) add(key)
    }
    const wrong: Array<{ cid: string, stored: number, expected: number }> = []
    let refs = 0
    for await (const [cid, stored] of this.refs.iterator()) {
      refs++
      const e = expected.get(cid) ?? 0
      if (e !== stored) wrong.push({ cid, stored, expected: e })
      expected.delete(cid)
    }
    for (const [cid, e] of expected) wrong.push({ cid, stored: 0, expected: e })
    return { refs, wrong }
  }
}
