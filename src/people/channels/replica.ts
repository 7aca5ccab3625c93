// What this node gives and takes in a sync of a channel it holds (sync.ts runs the session): its
// heads, the entries a peer lacks, and the checks an entry passes before it is kept.
import { CLOCK_SKEW_MS } from './cert.ts'
import { entryAuthority } from './node-key.ts'
import { readDescriptor } from './descriptor.ts'
import { entryId, readEntry } from './entry.ts'
import type { ChannelStore } from './store.ts'
import { MAX_SYNC_ENTRIES, type Heads, type SyncPeer } from './sync.ts'
import type { ChannelView, Refusal } from './view.ts'

/**
 * Keeps each entry that is well formed, signed, of this channel, not from the future and carried
 * by a valid chain (and node-key certificate); how many were new. `refused` hears the others.
 */
export async function keepEntries (store: ChannelStore, id: string, texts: string[], now = Date.now(), refused: (r: Refusal) => void = () => {}): Promise<number> {
  const r = await store.get(id)
  const d = r != null ? readDescriptor(id, r.descriptor) : undefined
  if (d == null) return 0
  let n = 0
  for (const t of texts) {
    const e = readEntry(t)
    if ('fault' in e) { refused({ id: typeof t === 'string' ? entryId(t) : undefined, reason: `not kept: ${e.fault}` }); continue }
    const refuse = (reason: string): void => { refused({ id: e.id, author: e.author, seq: e.seq, reason: `not kept: ${reason}` }) }
    if (e.ch !== id) { refuse('an entry of another channel'); continue }
    if (e.at > now + CLOCK_SKEW_MS) { refuse('dated over 10 minutes ahead'); continue }
    const authority = entryAuthority(id, d.policy, e)
    if (typeof authority === 'string') { refuse(authority); continue }
    if (await store.add(id, e)) n++
  }
  return n
}

/** The sync side of channel `id` held in `store`; `descriptor` is the text held when the session began. */
export function replicaOf (store: ChannelStore, id: string, descriptor: string, view: () => Promise<ChannelView>, newerDescriptor: (text: string) => Promise<void>, refused: (r: Refusal) => void = () => {}): SyncPeer {
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
      return await keepEntries(store, id, texts, Date.now(), refused)
    }
  }
}
