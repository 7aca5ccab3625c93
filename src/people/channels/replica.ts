// What this node gives and takes in a sync of a channel it holds (sync.ts runs the session): its
// heads, the entries a peer lacks, and the checks an entry passes before it is kept.
import { CLOCK_SKEW_MS } from './cert.ts'
import { entryAuthority } from './node-key.ts'
import { readDescriptor } from './descriptor.ts'
import { readEntry } from './entry.ts'
import type { ChannelStore } from './store.ts'
import { MAX_SYNC_ENTRIES, type Heads, type SyncPeer } from './sync.ts'
import type { ChannelView } from './view.ts'

/** Keeps each entry that is well formed, signed, of this channel, not from the future and carried by a valid chain (and node-key certificate); how many were new. */
export async function keepEntries (store: ChannelStore, id: string, texts: string[], now = Date.now()): Promise<number> {
  const r = await store.get(id)
  const d = r != null ? readDescriptor(id, r.descriptor) : undefined
  if (d == null) return 0
  let n = 0
  for (const t of texts) {
    const e = readEntry(t)
    if ('fault' in e || e.ch !== id || e.at > now + CLOCK_SKEW_MS) continue
    if (typeof entryAuthority(id, d.policy, e) === 'string') continue
    if (await store.add(id, e)) n++
  }
  return n
}

/** The sync side of channel `id` held in `store`; `descriptor` is the text held when the session began. */
export function replicaOf (store: ChannelStore, id: string, descriptor: string, view: () => Promise<ChannelView>, newerDescriptor: (text: string) => Promise<void>): SyncPeer {
  return {
    descriptor: () => descriptor,
    heads: async () => {
      const h: Heads = {}
      for (const [a, x] of Object.entries((await view()).heads)) h[a] = [x.seq, x.id]
      return h
    },
    // Past each of the peer's heads, and the entry at a head whose id differs (a fork's evidence).
    missing: async heads => {
      const v = await view()
      const out: string[] = []
      for (const author of new Set([...Object.keys(v.heads), ...v.forks])) {
        const theirs = heads[author]
        for (const t of await store.after(id, author, theirs == null ? 0 : theirs[0])) {
          const e = readEntry(t)
          if ('fault' in e || (theirs != null && e.seq === theirs[0] && e.id === theirs[1])) continue
          out.push(t)
          if (out.length >= MAX_SYNC_ENTRIES) return out
        }
      }
      return out
    },
    accept: async (texts, d) => {
      if (d != null) await newerDescriptor(d)
      return await keepEntries(store, id, texts)
    }
  }
}
