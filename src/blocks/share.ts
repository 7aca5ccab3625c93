import { randomBytes } from 'node:crypto'
import { collectFiles, type CollectOptions, type SkippedEntry, type SourceFile } from './walk.ts'
import { encodeBlocks } from './encoder.ts'
import { deriveBlockKey, KEY_BYTES } from './caps.ts'
import { CIPHER, TAG_BYTES } from './crypto/aead.ts'
import { blockCountFor, DEFAULT_BLOCK_SIZE, encodeManifest, MAX_BLOCK_SIZE, MIN_BLOCK_SIZE, FORMAT_VERSION, type Manifest, type ManifestBody } from './manifest.ts'
import { guessMime } from './mime.ts'
import { merkleRoot } from '../merkle/index.ts'
import type { SealPool } from './crypto/pool.ts'

export interface ShareBuildOptions extends CollectOptions {
  blockSize?: number
  /** Only for test vectors: a share's key must otherwise be fresh randomness. */
  contentKey?: Uint8Array
  /** Only for test vectors: fixes the manifest's `created`. */
  created?: number
  pool?: SealPool
  onProgress?: (bytesDone: number, bytesTotal: number) => void
  signal?: AbortSignal
}

export interface BuiltShare {
  manifest: Manifest
  contentKey: Uint8Array
  /** Block hashes (the Merkle leaves), 32 bytes each, back to back. */
  leaves: Buffer
  /** Each block's GCM tag, 16 bytes each, back to back: lets the owner check what it serves cheaply (tags.ts). */
  tags: Buffer
  files: SourceFile[]
  skipped: SkippedEntry[]
}

/** Reads the files once: encrypts, hashes, builds the Merkle tree and the manifest. Writes nothing. */
export async function buildShare (paths: readonly string[], options: ShareBuildOptions = {}): Promise<BuiltShare> {
  const blockSize = options.blockSize ?? DEFAULT_BLOCK_SIZE
  if (!Number.isSafeInteger(blockSize) || blockSize < MIN_BLOCK_SIZE || blockSize > MAX_BLOCK_SIZE || (blockSize & (blockSize - 1)) !== 0) {
    throw new RangeError(`block size ${blockSize} is not a power of two from ${MIN_BLOCK_SIZE / 1024} KiB to ${MAX_BLOCK_SIZE / 1024 / 1024} MiB (try 256KiB)`)
  }
  const collected = await collectFiles(paths, options)
  const contentKey = options.contentKey ?? new Uint8Array(randomBytes(KEY_BYTES))
  const size = collected.files.reduce((n, f) => n + f.size, 0)
  const blockCount = blockCountFor(size, blockSize)
  const leaves = Buffer.alloc(blockCount * 32)
  const tags = Buffer.alloc(blockCount * TAG_BYTES)
  let done = 0
  for await (const run of encodeBlocks(collected.files, { blockSize, blockKey: deriveBlockKey(contentKey), ...(options.pool != null ? { pool: options.pool } : {}), ...(options.signal != null ? { signal: options.signal } : {}) })) {
    run.digests.copy(leaves, run.firstIndex * 32)
    run.tags.copy(tags, run.firstIndex * TAG_BYTES)
    done += run.plaintextBytes
    options.onProgress?.(done, size)
  }
  const leafList = splitLeaves(leaves)
  const body: ManifestBody = {
    kind: collected.kind,
    name: collected.name,
    created: options.created ?? Math.floor(Date.now() / 1000),
    files: collected.files.map(f => {
      const mime = guessMime(f.path)
      return { path: f.path, size: f.size, ...(mime != null ? { mime } : {}), ...(f.executable ? { executable: true } : {}) }
    })
  }
  const manifest = encodeManifest({ version: FORMAT_VERSION, cipher: CIPHER, blockSize, blockCount, size, root: merkleRoot(leafList) }, body, contentKey)
  return { manifest, contentKey, leaves, tags, files: collected.files, skipped: collected.skipped }
}

export function splitLeaves (leaves: Uint8Array): Uint8Array[] {
  if (leaves.length % 32 !== 0) throw new Error('leaf list length is not a multiple of 32')
  const out: Uint8Array[] = []
  for (let i = 0; i < leaves.length; i += 32) out.push(leaves.subarray(i, i + 32))
  return out
}

/** Merkle root of a packed leaf list (32 bytes per leaf). */
export function merkleRootOf (leaves: Uint8Array): Uint8Array {
  return merkleRoot(splitLeaves(leaves))
}
