import { access, chmod, mkdir, readdir, rename, rmdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { FsBlockstore } from 'blockstore-fs'
import { base32upper } from 'multiformats/bases/base32'
import type { ShardingStrategy } from 'blockstore-fs/sharding'
import { cidMatches, type CID } from './cid.ts'

export class CorruptBlockError extends Error {
  override name = 'CorruptBlockError'
  readonly cid: string
  constructor (cid: CID, where: string) {
    super(`block ${cid.toString()} ${where} does not match its hash`)
    this.cid = cid.toString()
  }
}

const EXTENSION = '.data'
/** Written once every file of a blockstore has its keyed name. */
const KEYED_MARKER = '.keyed-names'

/**
 * File names keyed by the node's storage key: HMAC-SHA256(name key, "blocks" 0x00 multihash),
 * 128 bits in hex. blockstore-fs names files by the block's multihash, and the manifest block's
 * multihash is the share id's: a listing of the folder would tell which shares a node holds.
 * Names cannot be turned back into CIDs; the node never lists its blocks, it asks for them.
 */
class KeyedNames implements ShardingStrategy {
  readonly extension = EXTENSION
  readonly #nameOf: (multihash: Uint8Array) => string
  constructor (nameOf: (multihash: Uint8Array) => string) { this.#nameOf = nameOf }
  name (multihash: Uint8Array): { dir: string, file: string } {
    const h = this.#nameOf(multihash)
    return { dir: h.slice(-2), file: h + EXTENSION }
  }

  encode (cid: CID): { dir: string, file: string } { return this.name(cid.multihash.bytes) }
  decode (): CID { throw new Error('keyed block names do not name their CID') }
}

export interface BlockstoreOptions {
  /** A block's file name (hex) from its multihash: keyed (src/store's blockFileName); without it, files are named by multihash. */
  nameOf?: (multihash: Uint8Array) => string
  /** No folder at all: blocks in memory, gone at close (`--memory`). */
  memory?: boolean
}

/** The blocks of a memory-only node, by multihash. */
class MemoryBlocks {
  readonly #map = new Map<string, Uint8Array>()
  #key (cid: CID): string { return Buffer.from(cid.multihash.bytes).toString('base64') }
  async open (): Promise<void> {}
  async close (): Promise<void> { for (const b of this.#map.values()) b.fill(0); this.#map.clear() }
  async put (cid: CID, bytes: Uint8Array): Promise<void> { this.#map.set(this.#key(cid), Uint8Array.from(bytes)) }
  async has (cid: CID): Promise<boolean> { return this.#map.has(this.#key(cid)) }
  async * get (cid: CID): AsyncGenerator<Uint8Array> {
    const b = this.#map.get(this.#key(cid))
    if (b == null) throw Object.assign(new Error(`block ${cid.toString()} not found`), { name: 'NotFoundError' })
    yield b
  }

  async delete (cid: CID): Promise<void> { this.#map.delete(this.#key(cid)) }
}

/**
 * Content-addressed store of ciphertext blocks on disk (blockstore-fs). Every put and get checks
 * the bytes against the CID, so a flipped bit on disk is reported, never served.
 */
export class CipherBlockstore {
  readonly #fs: FsBlockstore | MemoryBlocks
  readonly #dir: string
  readonly #names: KeyedNames | undefined

  constructor (dir: string, options: BlockstoreOptions = {}) {
    this.#dir = dir
    this.#names = options.nameOf != null ? new KeyedNames(options.nameOf) : undefined
    this.#fs = options.memory === true
      ? new MemoryBlocks()
      : new FsBlockstore(dir, this.#names != null ? { shardingStrategy: this.#names } : {})
  }

  async open (): Promise<void> {
    await this.#fs.open()
    if (this.#names != null && this.#fs instanceof FsBlockstore) await this.#keyNames(this.#names)
  }

  async close (): Promise<void> { await this.#fs.close() }

  /** Renames the files of a blockstore written before keyed names, once (idempotent if interrupted). */
  async #keyNames (names: KeyedNames): Promise<void> {
    const marker = join(this.#dir, KEYED_MARKER)
    try { await access(marker); return } catch {}
    for (const e of await readdir(this.#dir, { withFileTypes: true, recursive: true })) {
      if (!e.isFile() || !e.name.endsWith(EXTENSION)) continue
      let multihash: Uint8Array
      try {
        multihash = base32upper.decoder.decode(e.name.slice(0, -EXTENSION.length))
      } catch { continue } // already keyed (hex does not decode as base32upper)
      const { dir, file } = names.name(multihash)
      await mkdir(join(this.#dir, dir), { recursive: true, mode: 0o700 })
      await rename(join(e.parentPath, e.name), join(this.#dir, dir, file))
      await chmod(join(this.#dir, dir, file), 0o600) // written 0644 before the process mask
    }
    for (const e of await readdir(this.#dir, { withFileTypes: true })) {
      if (!e.isDirectory()) continue
      // The old shard folders are left empty (rmdir removes nothing else); the others are tightened.
      await rmdir(join(this.#dir, e.name)).catch(async () => { await chmod(join(this.#dir, e.name), 0o700) })
    }
    await writeFile(marker, '', { mode: 0o600 })
  }

  async put (cid: CID, bytes: Uint8Array): Promise<void> {
    if (!cidMatches(cid, bytes)) throw new CorruptBlockError(cid, 'to be stored')
    if (await this.#fs.has(cid)) return
    await this.#fs.put(cid, bytes)
  }

  async has (cid: CID): Promise<boolean> {
    return await this.#fs.has(cid)
  }

  async get (cid: CID): Promise<Uint8Array> {
    const parts: Uint8Array[] = []
    for await (const part of this.#fs.get(cid)) parts.push(part)
    const bytes = parts.length === 1 ? parts[0]! : Buffer.concat(parts)
    if (!cidMatches(cid, bytes)) throw new CorruptBlockError(cid, 'in the blockstore')
    return bytes
  }

  async delete (cid: CID): Promise<void> {
    await this.#fs.delete(cid)
  }
}
