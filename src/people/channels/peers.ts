// Where a node looks for a channel's members (channels.ts): the addresses it was given, the ones
// that answered before (kept in the channel's record), then members found under the channel's
// DHT topic.
import { channelTopic } from './caps.ts'
import type { ChannelDht } from './service-types.ts'
import { MAX_PEERS } from './store.ts'

/** Addresses to sync with, each once, never `self`: the given ones, the remembered ones, then members found under the topic. */
export async function * candidates (id: string, first: readonly string[], self: string | undefined, dht: ChannelDht | undefined, signal?: AbortSignal): AsyncGenerator<string> {
  const seen = new Set<string>([self ?? ''])
  for (const a of first) {
    if (seen.has(a)) continue
    seen.add(a)
    yield a
  }
  if (dht == null) return
  const found: string[] = []
  await dht.findProvidersAll(channelTopic(id), { ...(signal != null ? { signal } : {}), onProvider: p => { found.push(p.address) } }).catch(() => {})
  for (const a of found) {
    if (seen.has(a)) continue
    seen.add(a)
    yield a
  }
}

/**
 * The remembered addresses after `addresses` answered. Addresses this node reached go first; an
 * address a dialer only claimed in its hello goes last, so claims (anyone holding the id may dial)
 * never push out the members that answered.
 */
export function mergePeers (peers: readonly string[], addresses: readonly string[], claimed: boolean, self: string | undefined): string[] {
  const all = claimed ? [...peers, ...addresses] : [...addresses, ...peers]
  return [...new Set(all)].filter(a => a !== self).slice(0, MAX_PEERS)
}
