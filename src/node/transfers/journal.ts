// The transfer journal: what a daemon's transfers were doing, kept in the node state (sublevel
// `transfers`) so a restart or a crash (kill -9) picks them up again: fetches resume, finished
// fetches seed again, paused ones stay paused. Each record is sealed under the node's vault key
// (AES-256-GCM, the record's id as associated data): it holds the link and the output path.
// What was written lives in the fetch record (state `fetches`, fetch.ts); this is the intent.
import { randomBytes } from 'node:crypto'
import { rm, rmdir } from 'node:fs/promises'
import { dirname, resolve, sep } from 'node:path'
import { open as openSealed, openManifest, parseReadCap, seal, type ReadCap } from '../../blocks/index.ts'
import type { NodeState } from '../identity/state.ts'
import type { CipherBlockstore } from '../../blocks/index.ts'
import type { OhtNode } from './node.ts'

/** fetching → (paused) → seeding → complete; `failed` may be retried (retryAt). */
export type JournalState = 'fetching' | 'paused' | 'seeding' | 'complete' | 'failed'

export interface TransferRecord {
  id: string
  /** The share's link (a read capability): needed to resume and to seed. */
  link: string
  output: string
  peers: string[]
  select: string[]
  overwrite: boolean
  /** Absent in records written before `--merge` existed: false. */
  merge?: boolean
  /** `--encrypted-parts`; absent in older records: false. */
  encryptedParts?: boolean
  state: JournalState
  name: string | null
  bytesTotal: number
  addedAt: number
  finishedAt?: number
  error?: string
  /** The failure's code (errors.ts): a retryable one is tried again after a restart. */
  code?: string
  /** Bytes served to peers over every run, for the seed ratio. */
  uploaded: number
  /** Seconds spent seeding over every run, for the seed time. */
  seededSeconds: number
  /** Stop seeding at this upload ratio (uploaded / size), or after this many seconds; none: seed on. */
  seedRatio?: number
  seedTime?: number
}

const AAD = 'oht/v2/transfer-record\u0000'

export class TransferJournal {
  readonly #state: NodeState
  readonly #vaultKey: Uint8Array
  /** Writes in order per record: a late write of an older state never wins. */
  readonly #writes = new Map<string, Promise<void>>()

  constructor (state: NodeState, vaultKey: Uint8Array) {
    this.#state = state
    this.#vaultKey = vaultKey
  }

  async put (record: TransferRecord): Promise<void> {
    const nonce = randomBytes(12)
    const box = Buffer.concat([nonce, seal(this.#vaultKey, nonce, Buffer.from(JSON.stringify(record)), Buffer.from(AAD + record.id))]).toString('base64')
    await this.#queue(record.id, async () => { await this.#state.putTransfer(record.id, { v: 1, box }) })
  }

  async delete (id: string): Promise<void> {
    await this.#queue(id, async () => { await this.#state.deleteTransfer(id) })
  }

  /** Every record this node's key opens (one it cannot open, from another key, is skipped). */
  async list (): Promise<TransferRecord[]> {
    const out: TransferRecord[] = []
    for (const [id, sealed] of await this.#state.listTransfers()) {
      try {
        const bytes = Buffer.from(sealed.box, 'base64')
        const plain = openSealed(this.#vaultKey, bytes.subarray(0, 12), bytes.subarray(12), Buffer.from(AAD + id))
        out.push(JSON.parse(plain.toString('utf8')) as TransferRecord)
      } catch { /* not ours or damaged: left alone */ }
    }
    return out.sort((a, b) => a.addedAt - b.addedAt)
  }

  async #queue (id: string, write: () => Promise<void>): Promise<void> {
    const next = (this.#writes.get(id) ?? Promise.resolve()).then(write)
    const settled = next.catch(() => {})
    this.#writes.set(id, settled)
    void settled.then(() => { if (this.#writes.get(id) === settled) this.#writes.delete(id) })
    await next
  }
}

export function capOf (record: TransferRecord): ReadCap { return parseReadCap(record.link) }

/**
 * Deletes what a fetch wrote into its output: the share's selected files, their .part files, and
 * the directories of the share left empty. Returns the paths removed. Never leaves `output`.
 */
export async function deleteFetchedData (blockstore: CipherBlockstore, record: TransferRecord): Promise<string[]> {
  const cap = capOf(record)
  if (!(await blockstore.has(cap.manifestCid))) return []
  const manifest = openManifest(await blockstore.get(cap.manifestCid), cap.contentKey, cap.manifestCid)
  const root = resolve(record.output)
  const selected = (path: string): boolean => record.select.length === 0 || record.select.some(s => path === s || path.startsWith(`${s}/`))
  const removed: string[] = []
  const dirs = new Set<string>()
  for (const f of manifest.body.files) {
    if (!selected(f.path)) continue
    const final = resolve(root, ...f.path.split('/'))
    if (!final.startsWith(root + sep)) continue
    for (const p of [final, `${final}.part`]) {
      try { await rm(p); removed.push(p) } catch { /* not there */ }
    }
    for (let d = dirname(final); d.startsWith(root + sep); d = dirname(d)) dirs.add(d)
  }
  // Deepest first; rmdir fails (and is ignored) on a directory that holds anything else.
  for (const d of [...dirs].sort((a, b) => b.length - a.length)) {
    try { await rmdir(d); removed.push(d) } catch { /* not empty or gone */ }
  }
  return removed
}

/**
 * Drops every journal record of a share and what its fetches recorded of their progress; with
 * `deleteData` also what they wrote (deleteFetchedData). Returns the paths deleted.
 */
export async function forgetFetched (node: OhtNode, journal: TransferJournal, shareId: string, deleteData: boolean): Promise<string[]> {
  const removed: string[] = []
  for (const r of await journal.list()) {
    if (capOf(r).manifestCid.toString() !== shareId) continue
    if (deleteData) removed.push(...await deleteFetchedData(node.blockstore, r))
    await journal.delete(r.id)
    await node.state.deleteFetch(shareId, resolve(r.output))
  }
  return removed
}

/** The shares this node fetched, as `oht ls` shows them (state, output), newest record per share and output. */
export async function fetchedShares (journal: TransferJournal): Promise<Array<{ id: string, name: string, bytes: number, state: JournalState, output: string, link: string }>> {
  return (await journal.list()).map(r => ({ id: capOf(r).manifestCid.toString(), name: r.name ?? '?', bytes: r.bytesTotal, state: r.state, output: r.output, link: r.link }))
}
