// One served block, checked, for both block sources that re-encrypt plaintext (FileBlockSource,
// PlaintextStore): on the worker pool or on this thread, against the block's known GCM tag or
// else its leaf hash, learning the tag of a block its leaf has just vouched for (tags.ts).
import { Buffer } from 'node:buffer'
import { blockKeyObject, serveInline, type InlineRead } from './inline.ts'
import { freeWhenSent, mainThreadGarbage, type BlockRead, type SealPool } from './seal-pool.ts'
import { tagOf, type BlockTags } from './tags.ts'

export interface ServeRequest {
  key: Uint8Array
  index: number
  leaf: Uint8Array
  plainLength: number
  reads: readonly InlineRead[]
  /** Answer [ciphertext, tag] rather than the joined block (the wire sends parts as one piece). */
  split: boolean
}

/** `pool`: the worker pool, or undefined for this thread (blockCryptoInline). */
export async function serveChecked (pool: SealPool | undefined, r: ServeRequest, tags: BlockTags):
Promise<{ status: 'short' | 'mismatch' } | { status: 'ok', parts: Uint8Array[] }> {
  const tag = tags.get(r.index)
  let parts: Uint8Array[]
  if (pool == null) {
    const served = await serveInline(blockKeyObject(r.key), r.index, r.leaf, r.plainLength, r.reads, tag)
    if (served.status !== 'ok') return served
    parts = served.parts
  } else {
    const reads: BlockRead[] = r.reads.map(x => ({ fd: x.handle.fd, to: x.to, length: x.length, position: x.position }))
    const served = await pool.serveBlock({ key: r.key, index: r.index, leaf: r.leaf, plainLength: r.plainLength, reads, split: r.split, ...(tag != null ? { tag } : {}) })
    const got = served.parts ?? (served.ciphertext != null ? [served.ciphertext] : undefined)
    if (served.status !== 'ok' || got == null) return { status: served.status === 'short' ? 'short' : 'mismatch' }
    parts = got
  }
  if (tag == null) tags.learn(r.index, parts.length === 2 ? parts[1]! : tagOf(parts[0]!)) // learn copies
  if (!r.split) {
    if (pool == null) mainThreadGarbage(parts[0]!.length) // left to the GC once its caller is done
    return { status: 'ok', parts: parts.length === 1 ? parts : [Buffer.concat(parts)] }
  }
  // Split parts go to a sender and nowhere else (BlockSource.getParts): freed once sent, so they
  // need no collection (a forced minor GC per 4 MiB served was 9% of a seeder's main thread).
  for (const p of parts) freeWhenSent(p)
  return { status: 'ok', parts }
}
