// Builds shares by hand, following docs/FORMAT.md §2–§7 directly and bypassing
// `encodeManifest`'s validation, so tests can hand oht manifests a real sharer would never make
// (hostile file tables) yet whose header, Merkle root and ciphertext blocks are all genuine.
import { randomBytes } from 'node:crypto'
import * as dagCbor from '@ipld/dag-cbor'
import {
  blockCountFor, CIPHER, cidOf, DAG_CBOR_CODEC, deriveBlockKey, deriveManifestKey, encryptBlock,
  FORMAT_VERSION, formatLink, MANIFEST_NONCE, seal, sha256, writeShareCar, type CID
} from '../../src/blocks/index.ts'
import { merkleRoot } from '../../src/merkle/index.ts'

/** A file-table entry as it goes on the wire: any value may be hostile. */
export type RawEntry = Record<string, unknown>

export interface RawShareInput {
  /** The whole plaintext stream (§1). */
  plaintext: Uint8Array
  kind?: unknown
  name?: unknown
  created?: unknown
  files: RawEntry[]
  blockSize?: number
  contentKey?: Uint8Array
}

export interface RawShare {
  cid: CID
  manifestBytes: Uint8Array
  contentKey: Uint8Array
  link: string
  /** Ciphertext blocks in order (§4). */
  blocks: Uint8Array[]
}

/** Encrypts the stream into blocks, builds the Merkle root and seals `{kind, name, created, files}`. */
export function buildRawShare (input: RawShareInput): RawShare {
  const blockSize = input.blockSize ?? 16 * 1024
  const contentKey = input.contentKey ?? new Uint8Array(randomBytes(32))
  const size = input.plaintext.length
  const blockCount = blockCountFor(size, blockSize)
  const blockKey = deriveBlockKey(contentKey)
  const blocks: Uint8Array[] = []
  for (let i = 0; i < blockCount; i++) {
    blocks.push(new Uint8Array(encryptBlock(blockKey, i, input.plaintext.subarray(i * blockSize, Math.min(size, (i + 1) * blockSize)))))
  }
  const root = merkleRoot(blocks.map(b => new Uint8Array(sha256(b))))
  // §6: the header map without `body` is the AAD; DAG-CBOR sorts the keys canonically.
  const header = { oht: FORMAT_VERSION, cipher: CIPHER, blockSize, blockCount, size, root }
  const body = {
    kind: input.kind ?? 'dir',
    name: input.name ?? 'share',
    created: input.created ?? 1_700_000_000,
    files: input.files
  }
  const sealed = seal(deriveManifestKey(contentKey), MANIFEST_NONCE, dagCbor.encode(body), dagCbor.encode(header))
  const manifestBytes = dagCbor.encode({ ...header, body: new Uint8Array(sealed) })
  const cid = cidOf(DAG_CBOR_CODEC, manifestBytes)
  return { cid, manifestBytes, contentKey, link: formatLink({ kind: 'read', manifestCid: cid, contentKey }), blocks }
}

/** Writes the share as an oht CAR (manifest + UnixFS DAG of the ciphertext blocks) at `path`. */
export async function writeRawShareCar (path: string, share: RawShare): Promise<void> {
  async function * blocks (): AsyncGenerator<Uint8Array> { yield * share.blocks }
  await writeShareCar(path, { cid: share.cid, bytes: share.manifestBytes }, blocks())
}
