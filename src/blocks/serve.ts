// One served block, checked, for both block sources that re-encrypt plaintext (FileBlockSource,
// PlaintextStore): on either crypto engine, against the block's known GCM tag or else its leaf
// hash, learning the tag of a block its leaf has just vouched for (tags.ts).
import type { BlockCryptoEngine, ServeRequest } from './crypto/engine.ts'
import { freeWhenSent } from './crypto/memory.ts'
import { tagOf, type BlockTags } from './tags.ts'

export async function serveChecked (engine: BlockCryptoEngine, r: Omit<ServeRequest, 'tag'>, tags: BlockTags):
Promise<{ status: 'short' | 'mismatch' } | { status: 'ok', parts: Uint8Array[] }> {
  const tag = tags.get(r.index)
  const served = await engine.serve(tag != null ? { ...r, tag } : r)
  if (served.status !== 'ok') return served
  const parts = served.parts
  if (tag == null) tags.learn(r.index, parts.length === 2 ? parts[1]! : tagOf(parts[0]!)) // learn copies
  if (!r.split) return { status: 'ok', parts: parts.length === 1 ? parts : [Buffer.concat(parts)] }
  // Split parts go to a sender and nowhere else (BlockSource.getParts): freed once sent, so they
  // need no collection.
  for (const p of parts) freeWhenSent(p)
  return { status: 'ok', parts }
}
