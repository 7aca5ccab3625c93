import { readdir } from 'node:fs/promises'
import type { SourceFile } from '../../blocks/index.ts'
import { checkLevelLogs, finishMigration, LevelBackend, MemoryBackend, migrateToSealed, SealedDb, SealedStoreError, TableLedger, type KeyScheme, type TableDigests } from '../../store/index.ts'
import { NodeError } from '../errors.ts'

/** A share this node owns and seeds from its original files. */
export interface OwnedShare {
  id: string
  name: string
  kind: 'file' | 'dir'
  bytes: number
  blockCount: number
  files: SourceFile[]
  /** Content key sealed under the node's vault key (AES-256-GCM), base64. */
  sealedContentKey: string
  createdAt: number
  /**
   * Set once its files changed on disk (found serving a block, or by `ls`/`status`): the share
   * is no longer served. Sharing the same content again makes a fresh record without it.
   */
  broken?: { reason: string, at: number }
}

/** A share whose ciphertext blocks sit in the blockstore (CAR import; later pins and fetches). */
export interface HeldShare {
  id: string
  blockCount: number
  bytes: number
  origin: 'import'
  addedAt: number
}

/** A fetch in progress or done: what lets a killed fetch resume without re-downloading. */
export interface FetchRecord {
  id: string
  outDir: string
  select: string[]
  /** Blocks written to the output and synced to disk. */
  blocks: number[]
  complete: boolean
  updatedAt: number
  /** `--encrypted-parts`: the blocks are ciphertext in `<name>.encrypted.part` until complete. */
  encryptedParts?: boolean
}

/**
 * Key schemes of the sublevels whose keys are not hashed throughout (src/store): a leading time
 * stays clear so that expiry and the request log keep their order. Every other sublevel, named
 * here or not (a module may open its own through `db.sublevel`), has every key part hashed.
 */
export const STATE_KEY_SCHEMES: Readonly<Record<string, KeyScheme>> = {
  'pin-expiry': ['clear', 'hash'],
  'pin-requests': ['clear']
}

/** Where the state lives: a LevelDB folder, or memory only (`--memory`: gone when the node closes). */
export type StateLocation = { path: string } | { memory: true }

/**
 * A daemon's transfer (transfers/journal.ts), sealed under the node's vault key: the record holds
 * the link and the output path, so nothing of it is kept in clear. Keyed by the transfer's random id.
 */
export interface SealedTransfer { v: 1, box: string }

/**
 * The node's persistent state, sealed (src/store) under the keystore's storage key. One process
 * holds it at a time (LevelDB's lock); while a daemon runs, other commands go through the daemon.
 */
export class NodeState {
  readonly #db: SealedDb
  readonly #path: string | undefined
  readonly #storageKey: Uint8Array
  /** Set while open when every record was found whole at the start: a clean close then writes it. */
  #ledger: TableLedger | undefined
  readonly owned
  readonly held
  readonly leaves
  /** GCM tags of owned shares' blocks (16 bytes each; src/blocks/tags.ts): not secret, they end every ciphertext block. */
  readonly tags
  readonly fetches
  readonly transfers

  readonly #tables: Promise<TableDigests> | undefined

  /** `tables`: hashTables of the folder, started by the caller beside the keystore's unlock (OhtNode.open). */
  constructor (where: StateLocation, storageKey: Uint8Array, tables?: Promise<TableDigests>) {
    this.#path = 'path' in where ? where.path : undefined
    this.#storageKey = storageKey
    this.#tables = tables
    this.#db = new SealedDb(this.#path != null ? new LevelBackend(this.#path) : new MemoryBackend(), storageKey, STATE_KEY_SCHEMES)
    this.owned = this.#db.sublevel<string, OwnedShare>('owned', { valueEncoding: 'json' })
    this.held = this.#db.sublevel<string, HeldShare>('held', { valueEncoding: 'json' })
    this.leaves = this.#db.sublevel<string, Uint8Array>('leaves', { valueEncoding: 'view' })
    this.tags = this.#db.sublevel<string, Uint8Array>('tags', { valueEncoding: 'view' })
    this.fetches = this.#db.sublevel<string, FetchRecord>('fetches', { valueEncoding: 'json' })
    this.transfers = this.#db.sublevel<string, SealedTransfer>('transfers', { valueEncoding: 'json' })
  }

  /** Opens the database; a clear one (written before the sealed store) is sealed first, once. */
  async open (): Promise<{ migrated: number }> {
    // LevelDB without its CURRENT file starts an empty database over the old one: the node would
    // come up silently with its shares gone. One clear error instead (docs/SECURITY.md).
    const entries = this.#path != null ? await readdir(this.#path).catch(() => [] as string[]) : []
    if (entries.some(e => /\.(ldb|log)$|^MANIFEST-/.test(e)) && !entries.includes('CURRENT')) throw this.#damaged('its CURRENT file is missing')
    // LevelDB would skip a log record that fails its checksum, and open without it.
    const torn = this.#path != null ? await checkLevelLogs(this.#path) : []
    if (torn.length > 0) {
      const first = torn[0]!
      const where = first.why === 'the log is missing' ? `its log ${first.file} is missing` : `its log ${first.file} does not read back at byte ${first.offset}: ${first.why}`
      throw this.#damaged(`${where}${torn.length > 1 ? `, and ${torn.length - 1} more` : ''}; the last records written would be lost`)
    }
    // Every record is opened once to find a flipped byte in a table file, unless the tables are
    // byte for byte those a clean close of ours recorded (src/store/table-ledger.ts).
    const ledger = this.#path != null ? new TableLedger(this.#path, this.#storageKey, this.#tables) : undefined
    const vouched = ledger != null && await ledger.vouches()
    let verified: Awaited<ReturnType<SealedDb['verify']>>
    try {
      const migrated = await this.#openOrMigrate()
      await ledger?.taken()
      verified = vouched && migrated === 0 ? { records: 0, bad: {} } : await this.#db.verify()
      if (verified.error == null && Object.keys(verified.bad).length === 0) {
        this.#ledger = ledger
        return { migrated }
      }
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause
      if ((err as { code?: string }).code === 'LEVEL_DATABASE_NOT_OPEN' && /lock/i.test(String(cause ?? ''))) {
        throw new NodeError('node.busy', {}, 'the data directory is in use by another oht process (a running daemon?)')
      }
      if ((err as { code?: string }).code === 'store.wrongKey') throw new NodeError('node.stateKey', {}, 'the state database does not open with this keystore\'s storage key (a keystore from another node?)')
      if (/corrupt|CURRENT|MANIFEST/i.test(String(cause ?? err))) throw this.#damaged(String((cause as Error | undefined)?.message ?? cause ?? err))
      throw err
    }
    await this.#db.close()
    const bad = Object.entries(verified.bad).map(([name, n]) => `${n} in ${name}`).join(', ')
    throw this.#damaged(verified.error != null ? `${verified.error}, after ${verified.records} records` : `records that do not open: ${bad}`)
  }

  /**
   * Opens the database; a clear one (written before the sealed store: records, no check record)
   * is sealed first, once. Only then is it opened twice: probing every start cost an open more.
   */
  async #openOrMigrate (): Promise<number> {
    if (this.#path == null) { await this.#db.open(); return 0 }
    await finishMigration(this.#path)
    try {
      await this.#db.open()
      return 0
    } catch (err) {
      if (!(err instanceof SealedStoreError) || err.code !== 'store.format') throw err
    }
    await this.#db.close()
    const migrated = await migrateToSealed(this.#path, this.#storageKey, STATE_KEY_SCHEMES)
    await this.#db.open()
    return migrated
  }

  #damaged (why: string): NodeError {
    const path = this.#path ?? '(memory)'
    return new NodeError('node.stateDamaged', { path, why }, `the state database ${path} is damaged (${why}): run oht repair-state to keep what still reads and see what was lost, or restore it from a backup`)
  }

  async close (): Promise<void> {
    await this.#db.close()
    const ledger = this.#ledger
    this.#ledger = undefined
    // The ledger only spares the next open its full check: a close that cannot write it (a full
    // disk, a folder removed meanwhile) still closes, and the next open reads every record.
    await ledger?.write().catch(() => {})
  }

  /** The root database, for modules that keep their own sublevels (pins.ts) and batch across them. */
  get db (): SealedDb { return this.#db }

  async getOwned (id: string): Promise<OwnedShare | undefined> { return await this.owned.get(id) }
  async getHeld (id: string): Promise<HeldShare | undefined> { return await this.held.get(id) }
  async getLeaves (id: string): Promise<Uint8Array | undefined> { return await this.leaves.get(id) }
  /** Undefined for shares made before tags were kept: their blocks are checked by hash until served once. */
  async getTags (id: string): Promise<Uint8Array | undefined> { return await this.tags.get(id) }

  async listOwned (): Promise<OwnedShare[]> { return await this.owned.values().all() }
  async listHeld (): Promise<HeldShare[]> { return await this.held.values().all() }

  async putOwned (share: OwnedShare, leaves: Uint8Array, tags?: Uint8Array): Promise<void> {
    await this.#db.batch([
      { type: 'put', sublevel: this.leaves, key: share.id, value: leaves },
      ...(tags != null ? [{ type: 'put' as const, sublevel: this.tags, key: share.id, value: tags }] : []),
      { type: 'put', sublevel: this.owned, key: share.id, value: share }
    ])
  }

  /** Records that an owned share can no longer be served, and why. */
  async markBroken (id: string, reason: string): Promise<void> {
    const owned = await this.owned.get(id)
    if (owned == null || owned.broken != null) return
    await this.owned.put(id, { ...owned, broken: { reason, at: Date.now() } })
  }

  static fetchKey (id: string, outDir: string): string { return `${id}\u0000${outDir}` }
  async getFetch (id: string, outDir: string): Promise<FetchRecord | undefined> { return await this.fetches.get(NodeState.fetchKey(id, outDir)) }
  async putFetch (r: FetchRecord): Promise<void> { await this.fetches.put(NodeState.fetchKey(r.id, r.outDir), r) }
  async putLeaves (id: string, leaves: Uint8Array): Promise<void> { await this.leaves.put(id, leaves) }

  async putHeld (share: HeldShare, leaves: Uint8Array): Promise<void> {
    await this.#db.batch([
      { type: 'put', sublevel: this.leaves, key: share.id, value: leaves },
      { type: 'put', sublevel: this.held, key: share.id, value: share }
    ])
  }

  async deleteFetch (id: string, outDir: string): Promise<void> { await this.fetches.del(NodeState.fetchKey(id, outDir)) }

  async getTransfer (id: string): Promise<SealedTransfer | undefined> { return await this.transfers.get(id) }
  async putTransfer (id: string, record: SealedTransfer): Promise<void> { await this.transfers.put(id, record) }
  async deleteTransfer (id: string): Promise<void> { await this.transfers.del(id) }
  async listTransfers (): Promise<Array<[string, SealedTransfer]>> { return await this.transfers.iterator().all() }

  /** Forgets an owned share (its files stay where they are). */
  async deleteOwned (id: string): Promise<void> {
    await this.#db.batch([
      { type: 'del', sublevel: this.owned, key: id },
      { type: 'del', sublevel: this.tags, key: id }
    ])
  }

  async deleteHeld (id: string): Promise<void> { await this.held.del(id) }
  async deleteLeaves (id: string): Promise<void> { await this.leaves.del(id) }
}
