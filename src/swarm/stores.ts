import { blockCid, type BlockSource, type CipherBlockstore } from '../blocks/index.ts'
import type { SwarmStore } from './types.ts'

/** Serves from any block source (an owner's original files, a blockstore); stores nothing. */
export function sourceStore (source: BlockSource): SwarmStore {
  return {
    has: async i => await source.has(i),
    get: async i => await source.get(i),
    ...(source.getParts != null ? { getParts: async (i: number) => await source.getParts!(i) } : {}),
    close: async () => { await source.close?.() }
  }
}

/** Keeps fetched ciphertext in the node's blockstore; `leaves` is known once verified. */
export function blockstoreStore (store: CipherBlockstore, leaves: () => Uint8Array | undefined): SwarmStore {
  const cidAt = (i: number): ReturnType<typeof blockCid> => {
    const l = leaves()
    if (l == null) throw new Error('leaves not known yet')
    return blockCid(l.subarray(i * 32, i * 32 + 32))
  }
  return {
    has: async i => await store.has(cidAt(i)),
    get: async i => await store.get(cidAt(i)),
    put: async (i, bytes) => { await store.put(cidAt(i), bytes) }
  }
}
