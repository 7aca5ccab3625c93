import { randomBytes } from 'node:crypto'
import { CID } from 'multiformats/cid'
import { access } from 'node:fs/promises'
import {
  BlockstoreSource, blockKeyOf, buildShare, CipherBlockstore, decodeManifest, deriveBlockKey, FileBlockSource,
  formatLink, formatVerifyCap, open as openSealed, openManifest, restoreShare, sourcesChanged,
  seal, verifyCapOf, type BlockSource, type Manifest, type ReadCap, type RestoreOptions, type RestoreResult,
  type ShareBuildOptions, type SkippedEntry
} from '../../blocks/index.ts'
import { ensureDataDir, layout, type DataDirLayout } from '../identity/datadir.ts'
import { generateNodeKeys, readKeystore, writeKeystore, type NodeKeys } from '../identity/keystore.ts'
import { sealAccountKeystores } from '../identity/account-file.ts'
import { NodeState, type OwnedShare } from '../identity/state.ts'
import { NodeError } from '../errors.ts'
import { blockFileName, deriveStoreKeys, hashTables } from '../../store/index.ts'

export interface NodeOptions {
  dataDir: string
  /** Unlocks the keystore; empty means the keys are protected by file permissions only. */
  passphrase?: string
  /**
   * Memory only (`--memory`): fresh keys, state and blocks in this process, nothing written under
   * `dataDir` (nor anywhere else); everything is gone when the node closes.
   */
  memory?: boolean
}

export interface ShareResult {
  link: string
  verifyCap: string
  id: string
  bytes: number
  files: number
  skipped: SkippedEntry[]
}

export interface ListedShare {
  id: string
  name: string
  kind: 'file' | 'dir' | 'ciphertext'
  bytes: number
  blocks: number
  /** `fetcher`: fetched by this node's daemon (seeding, or fetching, paused, done, failed: `state`). */
  role: 'owner' | 'holder' | 'fetcher'
  link?: string
  verifyCap?: string
  /** A fetched share: its transfer's state and where it was written. */
  state?: string
  output?: string
  /** An owned share whose files changed on disk: why it is no longer served. */
  broken?: string
}

export class FetchError extends NodeError {
  override name = 'FetchError'
}

/** A local oht node: keys, state and blockstore under one data directory. */
export class OhtNode {
  readonly dirs: DataDirLayout
  readonly keys: NodeKeys
  readonly state: NodeState
  readonly blockstore: CipherBlockstore
  readonly created: boolean

  private constructor (dirs: DataDirLayout, keys: NodeKeys, state: NodeState, blockstore: CipherBlockstore, created: boolean) {
    this.dirs = dirs
    this.keys = keys
    this.state = state
    this.blockstore = blockstore
    this.created = created
  }

  /** Opens the node in `dataDir`, creating its keys on first use. */
  static async open (options: NodeOptions): Promise<OhtNode> {
    if (options.memory === true) {
      const keys = generateNodeKeys()
      const state = new NodeState({ memory: true }, keys.storageKey)
      await state.open()
      const blockstore = new CipherBlockstore('', { memory: true })
      await blockstore.open()
      return new OhtNode(layout(options.dataDir), keys, state, blockstore, true)
    }
    const dirs = await ensureDataDir(options.dataDir)
    // The state's table files are hashed on the thread pool while scrypt unlocks the keystore.
    const tables = hashTables(dirs.state)
    tables.catch(() => {}) // unused if the keystore does not unlock; a failure only means every record is read
    const passphrase = options.passphrase ?? ''
    let keys: NodeKeys
    let created = false
    try {
      await access(dirs.keystore)
      keys = await readKeystore(dirs.keystore, passphrase)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
      keys = generateNodeKeys()
      await writeKeystore(dirs.keystore, keys, passphrase)
      created = true
    }
    // Account keystores of an older format name their accounts in clear: sealed once, here.
    await sealAccountKeystores(dirs.root, passphrase)
    const state = new NodeState({ path: dirs.state }, keys.storageKey, tables)
    await state.open()
    const storeKeys = deriveStoreKeys(keys.storageKey)
    const blockstore = new CipherBlockstore(dirs.blocks, { nameOf: multihash => blockFileName(storeKeys, multihash) })
    await blockstore.open()
    return new OhtNode(dirs, keys, state, blockstore, created)
  }

  async close (): Promise<void> {
    await this.blockstore.close()
    await this.state.close()
  }

  /**
   * Shares files in place: nothing is copied; the node keeps the manifest, leaves and sealed key.
   * `cap` is the link as a value, for callers in this process (the result is what the API sends).
   */
  async share (paths: readonly string[], options: ShareBuildOptions = {}): Promise<ShareResult & { cap: ReadCap }> {
    const built = await buildShare(paths, options)
    const { manifest, contentKey } = built
    const id = manifest.cid.toString()
    await this.blockstore.put(manifest.cid, manifest.bytes)
    const owned: OwnedShare = {
      id,
      name: manifest.body.name,
      kind: manifest.body.kind,
      bytes: manifest.header.size,
      blockCount: manifest.header.blockCount,
      files: built.files,
      sealedContentKey: this.#sealKey(id, contentKey),
      createdAt: Date.now()
    }
    await this.state.putOwned(owned, built.leaves, built.tags)
    const read: ReadCap = { kind: 'read', manifestCid: manifest.cid, contentKey }
    return {
      cap: read,
      link: formatLink(read),
      verifyCap: formatVerifyCap(verifyCapOf(read)),
      id,
      bytes: manifest.header.size,
      files: built.files.length,
      skipped: built.skipped
    }
  }

  async list (): Promise<ListedShare[]> {
    const out: ListedShare[] = []
    for (const s of await this.state.listOwned()) {
      const read: ReadCap = { kind: 'read', manifestCid: decodeCid(s.id), contentKey: this.#openKey(s) }
      out.push({
        id: s.id, name: s.name, kind: s.kind, bytes: s.bytes, blocks: s.blockCount, role: 'owner', link: formatLink(read), verifyCap: formatVerifyCap(verifyCapOf(read)),
        ...(s.broken != null ? { broken: s.broken.reason } : {})
      })
    }
    for (const h of await this.state.listHeld()) {
      if (out.some(o => o.id === h.id)) continue
      out.push({ id: h.id, name: '(encrypted)', kind: 'ciphertext', bytes: h.bytes, blocks: h.blockCount, role: 'holder' })
    }
    return out
  }

  /** The read capabilities of the shares this node owns (what a daemon seeds at start). */
  async ownedCaps (): Promise<ReadCap[]> {
    return (await this.state.listOwned()).map(s => ({ kind: 'read', manifestCid: decodeCid(s.id), contentKey: this.#openKey(s) }))
  }

  /**
   * Checks the files of every owned share not yet known broken (a stat each) and records those
   * that changed on disk; returns the ids newly found broken.
   */
  async checkOwnedSources (): Promise<string[]> {
    const found: string[] = []
    for (const s of await this.state.listOwned()) {
      if (s.broken != null) continue
      const reason = await sourcesChanged(s.files)
      if (reason == null) continue
      await this.state.markBroken(s.id, reason)
      found.push(s.id)
    }
    return found
  }

  /** True when this node owns the share or holds all of its ciphertext (an import). */
  async holds (manifestCid: CID): Promise<boolean> {
    const id = manifestCid.toString()
    return (await this.state.getOwned(id) != null || await this.state.getHeld(id) != null) && await this.blockstore.has(manifestCid)
  }

  /** The manifest and a local block source for a share, if this node holds it. */
  async localSource (cap: ReadCap): Promise<{ manifest: Manifest, source: BlockSource } | undefined> {
    const held = await this.ciphertextSource(cap.manifestCid)
    if (held == null) return undefined
    return { manifest: openManifest(held.manifestBytes, cap.contentKey, cap.manifestCid), source: held.source }
  }

  /** Ciphertext of a share this node owns or holds; needs no content key (a verify capability suffices). */
  async ciphertextSource (manifestCid: CID): Promise<{ manifestBytes: Uint8Array, header: Manifest['header'], source: BlockSource } | undefined> {
    const id = manifestCid.toString()
    // Only owned shares and whole ciphertext copies (imports) count: a fetch in progress keeps
    // its manifest and leaves here too.
    if (!(await this.holds(manifestCid))) return undefined
    const leaves = await this.state.getLeaves(id)
    if (leaves == null) return undefined
    const manifestBytes = await this.blockstore.get(manifestCid)
    const { header } = decodeManifest(manifestBytes, manifestCid)
    const owned = await this.state.getOwned(id)
    const source = owned != null
      ? new FileBlockSource(owned.files, header, deriveBlockKey(this.#openKey(owned)), leaves, undefined, await this.state.getTags(id))
      : new BlockstoreSource(this.blockstore, leaves)
    return { manifestBytes, header, source }
  }

  /** Fetches a share from blocks this node already holds (its own shares, CAR imports). */
  async fetchLocal (cap: ReadCap, outDir: string, options: RestoreOptions = {}): Promise<RestoreResult & { manifest: Manifest }> {
    const local = await this.localSource(cap)
    if (local == null) {
      const share = cap.manifestCid.toString()
      throw new FetchError('fetch.notHeld', { share }, `share ${share} is not held by this node`)
    }
    try {
      const result = await restoreShare(local.manifest, blockKeyOf(cap), local.source, outDir, options)
      return { ...result, manifest: local.manifest }
    } finally {
      await local.source.close?.()
    }
  }

  #sealKey (id: string, contentKey: Uint8Array): string {
    const nonce = randomBytes(12)
    return Buffer.concat([nonce, seal(this.keys.vaultKey, nonce, contentKey, Buffer.from(id))]).toString('base64')
  }

  #openKey (share: OwnedShare): Uint8Array {
    const sealed = Buffer.from(share.sealedContentKey, 'base64')
    return new Uint8Array(openSealed(this.keys.vaultKey, sealed.subarray(0, 12), sealed.subarray(12), Buffer.from(share.id)))
  }

}

function decodeCid (id: string): CID { return CID.parse(id) }
