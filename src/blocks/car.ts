// The ciphertext of a share as a CAR: a UnixFS file DAG whose raw leaves are exactly the
// encrypted blocks (so a stock IPFS node can store, serve and `cat` it), plus the manifest.
// CAR roots: [manifest CID, UnixFS root CID] (FORMAT.md "IPFS interop").
import { createReadStream, createWriteStream } from 'node:fs'
import { open, rename, rm } from 'node:fs/promises'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { AddOptions } from '@helia/unixfs'
import { CarBlockIterator } from '@ipld/car/iterator'
import { CarWriter } from '@ipld/car/writer'
import * as dagPb from '@ipld/dag-pb'
import { CID, cidMatches, DAG_CBOR_CODEC, DAG_PB_CODEC, RAW_CODEC, SHA2_256, blockCid } from './cid.ts'
import { blockLength, decodeManifest, ManifestError, type SealedManifest } from './manifest.ts'
import { TAG_BYTES } from './crypto/aead.ts'
import { merkleRootOf } from './share.ts'
import { CorruptBlockError } from './blockstore.ts'

export class CarError extends Error {
  override name = 'CarError'
}

type Chunker = NonNullable<AddOptions['chunker']>

/** Each incoming ciphertext block becomes exactly one raw leaf, in order, uncopied. */
const oneLeafPerBlock: Chunker = async function * (source) { yield * source }

/** Write-only blockstore that streams every block the importer produces into a CAR file. */
class CarFileSink {
  readonly #writer
  readonly #done: Promise<void>
  readonly #seen = new Set<string>()
  blocks = 0
  bytes = 0

  constructor (path: string, placeholderRoots: CID[]) {
    const { writer, out } = CarWriter.create(placeholderRoots)
    this.#writer = writer
    this.#done = pipeline(Readable.from(out), createWriteStream(path, { mode: 0o644 }))
    this.#done.catch(() => {}) // surfaced by finish()
  }

  async put (cid: CID, bytes: Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array>): Promise<CID> {
    const key = cid.toString()
    if (this.#seen.has(key)) return cid
    this.#seen.add(key)
    let data: Uint8Array
    if (bytes instanceof Uint8Array) data = bytes
    else {
      const parts: Uint8Array[] = []
      for await (const p of bytes) parts.push(p)
      data = Buffer.concat(parts)
    }
    this.blocks++
    this.bytes += data.byteLength
    await this.#writer.put({ cid, bytes: data })
    return cid
  }

  async has (cid: CID): Promise<boolean> { return this.#seen.has(cid.toString()) }

  // eslint-disable-next-line require-yield
  async * get (cid: CID): AsyncGenerator<Uint8Array> { throw new Error(`CAR sink is write-only (asked for ${cid.toString()})`) }

  async abort (): Promise<void> {
    await this.#writer.close().catch(() => {})
    await this.#done.catch(() => {})
  }

  async finish (path: string, roots: CID[]): Promise<void> {
    await this.#writer.close()
    await this.#done
    const handle = await open(path, 'r+')
    try {
      // The placeholder roots have the same byte length, so the header is patched in place.
      await CarWriter.updateRootsInFile(handle, roots)
    } finally {
      await handle.close()
    }
  }
}

export interface CarWriteResult {
  unixfsRoot: CID
  blocks: number
  bytes: number
}

/** Streams a share's manifest and ciphertext blocks (in order) into a CAR at `path`. */
export async function writeShareCar (path: string, manifest: { cid: CID, bytes: Uint8Array }, blocks: AsyncIterable<Uint8Array>): Promise<CarWriteResult> {
  // Written under a temporary name and renamed when complete: a failed export leaves nothing.
  const tmp = `${path}.tmp-${process.pid}`
  const placeholder = blockCid(new Uint8Array(32))
  const sink = new CarFileSink(tmp, [placeholder, placeholder])
  try {
    await sink.put(manifest.cid, manifest.bytes)
    // Loaded on use: @helia/unixfs is heavy to load, and every other command would pay for it
    // (docs/DECISIONS.md "Share hot path memory").
    const { unixfs } = await import('@helia/unixfs')
    const root = await unixfs({ blockstore: sink }).addByteStream(blocks, {
      cidVersion: 1,
      rawLeaves: true,
      // Keep the DAG shape uniform: even a one-block share gets a dag-pb root.
      reduceSingleLeafToSelf: false,
      chunker: oneLeafPerBlock
    })
    await sink.finish(tmp, [manifest.cid, root])
    await rename(tmp, path)
    return { unixfsRoot: root, blocks: sink.blocks, bytes: sink.bytes }
  } catch (err) {
    await sink.abort()
    await rm(tmp, { force: true })
    throw err
  }
}

export interface CarReadResult {
  manifest: SealedManifest
  unixfsRoot: CID
  /** Leaf hashes in block order, 32 bytes each. */
  leaves: Buffer
}

/**
 * Reads an oht CAR in two passes: first every block is checked against its CID and the DAG
 * against the manifest's Merkle root; only then are the manifest and the ciphertext blocks
 * handed to `store`. A bad CAR stores nothing and names the first bad block.
 */
export async function readShareCar (path: string, store: (cid: CID, bytes: Uint8Array) => Promise<void>): Promise<CarReadResult> {
  const roots = await carRoots(path)
  if (roots.length !== 2 || roots[0]!.code !== DAG_CBOR_CODEC || roots[1]!.code !== DAG_PB_CODEC) {
    throw new CarError('not an oht CAR: expected two roots, the manifest (dag-cbor) and the UnixFS root (dag-pb)')
  }
  const [manifestCid, unixfsRoot] = roots as [CID, CID]

  // Pass 1: verify every block; keep the small inner nodes and the manifest, note leaf sizes.
  const nodes = new Map<string, Uint8Array>()
  const leafSizes = new Map<string, number>()
  for await (const { cid, bytes } of await blocksOf(path)) {
    if (cid.multihash.code !== SHA2_256 || cid.version !== 1) throw new CarError(`block ${cid.toString()} uses an unsupported CID form`)
    if (!cidMatches(cid, bytes)) throw new CorruptBlockError(cid, 'in the CAR')
    if (cid.code === RAW_CODEC) leafSizes.set(cid.toString(), bytes.length)
    else if (cid.code === DAG_PB_CODEC || cid.code === DAG_CBOR_CODEC) nodes.set(cid.toString(), bytes)
    else throw new CarError(`block ${cid.toString()} has an unexpected codec 0x${cid.code.toString(16)}`)
  }
  const manifestBytes = nodes.get(manifestCid.toString())
  if (manifestBytes == null) throw new CarError(`the CAR lacks its manifest block ${manifestCid.toString()}`)
  const manifest = decodeManifest(manifestBytes, manifestCid)
  const { header } = manifest

  const leafCids = listLeaves(unixfsRoot, nodes, header.blockCount)
  if (leafCids.length !== header.blockCount) throw new CarError(`the DAG has ${leafCids.length} leaves, the manifest says ${header.blockCount}`)
  const leaves = Buffer.alloc(header.blockCount * 32)
  leafCids.forEach((cid, i) => {
    const size = leafSizes.get(cid.toString())
    if (size == null) throw new CarError(`the CAR lacks block ${i} (${cid.toString()})`)
    const expected = blockLength(header, i) + TAG_BYTES
    if (size !== expected) throw new CarError(`block ${i} (${cid.toString()}) is ${size} bytes, expected ${expected}`)
    Buffer.from(cid.multihash.digest).copy(leaves, i * 32)
  })
  if (!Buffer.from(merkleRootOf(leaves)).equals(Buffer.from(header.root))) {
    throw new ManifestError('the CAR\'s blocks do not match the manifest\'s Merkle root')
  }

  // Pass 2: store. Blocks are re-checked as they are read again (the file may have changed).
  const wanted = new Set(leafCids.map(c => c.toString()))
  for await (const { cid, bytes } of await blocksOf(path)) {
    const key = cid.toString()
    if (cid.equals(manifestCid) || wanted.has(key)) {
      if (!cidMatches(cid, bytes)) throw new CorruptBlockError(cid, 'in the CAR')
      await store(cid, bytes)
    }
  }
  return { manifest, unixfsRoot, leaves }
}

async function carRoots (path: string): Promise<CID[]> {
  try {
    const it = await CarBlockIterator.fromIterable(createReadStream(path))
    return await it.getRoots()
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new CarError(`no such file: ${path}`)
    throw new CarError(`not a CAR file: ${(err as Error).message}`)
  }
}

async function blocksOf (path: string): Promise<AsyncIterable<{ cid: CID, bytes: Uint8Array }>> {
  const it = await CarBlockIterator.fromIterable(createReadStream(path))
  return (async function * () {
    try {
      for await (const block of it) yield block
    } catch (err) {
      if (err instanceof CorruptBlockError || err instanceof CarError) throw err
      throw new CarError(`CAR is truncated or malformed: ${(err as Error).message}`)
    }
  })()
}

/** Leaf CIDs of a UnixFS file DAG in file order (depth-first, link order), bounded by `limit`. */
function listLeaves (root: CID, nodes: Map<string, Uint8Array>, limit: number): CID[] {
  const leaves: CID[] = []
  const stack: CID[] = [root]
  let visited = 0
  while (stack.length > 0) {
    const cid = stack.pop()!
    if (cid.code === RAW_CODEC) {
      leaves.push(cid)
      if (leaves.length > limit) throw new CarError(`the DAG has more leaves than the manifest's ${limit} blocks`)
      continue
    }
    if (cid.code !== DAG_PB_CODEC) throw new CarError(`unexpected codec in the DAG at ${cid.toString()}`)
    if (++visited > nodes.size) throw new CarError('the DAG revisits nodes (not a tree)')
    const bytes = nodes.get(cid.toString())
    if (bytes == null) throw new CarError(`the CAR lacks DAG node ${cid.toString()}`)
    let node
    try {
      node = dagPb.decode(bytes)
    } catch (err) {
      throw new CarError(`DAG node ${cid.toString()} is malformed: ${(err as Error).message}`)
    }
    for (let i = node.Links.length - 1; i >= 0; i--) stack.push(node.Links[i]!.Hash)
  }
  return leaves
}

export { CID }
