import { readdir } from 'node:fs/promises'
import { Level } from 'level'
import type { SourceFile } from '../../blocks/index.ts'
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
}

/**
 * The node's persistent state in LevelDB. One process holds it at a time (LevelDB's lock);
 * while a daemon runs, other commands go through the daemon.
 */
export class NodeState {
  readonly #db: Level<string, unknown>
  readonly owned
  readonly held
  readonly leaves
  /** GCM tags of owned shares' blocks (16 bytes each; src/blocks/tags.ts): not secret, they end every ciphertext block. */
  readonly tags
  readonly fetches

  readonly #path: string

  constructor (path: string) {
    this.#path = path
    this.#db = new Level<string, unknown>(path, { valueEncoding: 'json' })
    this.owned = this.#db.sublevel<string, OwnedShare>('owned', { valueEncoding: 'json' })
    this.held = this.#db.sublevel<string, HeldShare>('held', { valueEncoding: 'json' })
    this.leaves = this.#db.sublevel<string, Uint8Array>('leaves', { valueEncoding: 'view' })
    this.tags = this.#db.sublevel<string, Uint8Array>('tags', { valueEncoding: 'view' })
    this.fetches = this.#db.sublevel<string, FetchRecord>('fetches', { valueEncoding: 'json' })
  }

  async open (): Promise<void> {
    // LevelDB without its CURRENT file starts an empty database over the old one: the node would
    // come up silently with its shares gone. One clear error instead (docs/SECURITY.md).
    const entries = await readdir(this.#path).catch(() => [] as string[])
    if (entries.some(e => /\.(ldb|log)$|^MANIFEST-/.test(e)) && !entries.includes('CURRENT')) throw this.#damaged('its CURRENT file is missing')
    try {
      await this.#db.open()
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause
      if ((err as { code?: string }).code === 'LEVEL_DATABASE_NOT_OPEN' && /lock/i.test(String(cause ?? ''))) {
        throw new NodeError('node.busy', {}, 'the data directory is in use by another oht process (a running daemon?)')
      }
      if (/corrupt|CURRENT|MANIFEST/i.test(String(cause ?? err))) throw this.#damaged(String((cause as Error | undefined)?.message ?? cause ?? err))
      throw err
    }
  }

  #damaged (why: string): NodeError {
    return new NodeError('node.stateDamaged', { path: this.#path, why }, `the state database ${this.#path} is damaged (${why}): restore it from a backup, or move it aside to start with an empty one (your shares must then be shared again)`)
  }

  async close (): Promise<void> { await this.#db.close() }

  /** The root database, for modules that keep their own sublevels (pins.ts) and batch across them. */
  get db (): Level<string, unknown> { return this.#db }

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
}
