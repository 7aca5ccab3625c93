// Where rendezvous records live: a nameplate's handle in the DHT, as a private value of src/dht
// (sealed under keys derived from the handle, owned by a key derived from it: the sender's node
// key never appears). Every record has an exact lifetime and is never republished.
import type { DhtNode } from '../../dht/index.ts'

export interface InviteBoard {
  put: (handle: Uint8Array, value: Uint8Array, ttlMs: number) => Promise<void>
  /** The value, or null when there is none (absent, expired, deleted, undecryptable). */
  get: (handle: Uint8Array, signal?: AbortSignal) => Promise<Uint8Array | null>
}

/** A board on a running DHT node (`dht` resolves once the node has joined). */
export function dhtBoard (dht: () => Promise<Pick<DhtNode, 'putPrivate' | 'getPrivate' | 'forgetPrivate'>>): InviteBoard {
  return {
    put: async (handle, value, ttlMs) => {
      const node = await dht()
      await node.putPrivate(handle, value, { ttlMs })
      // A republish would give the record the DHT's default lifetime: an invite's ends with it.
      node.forgetPrivate(handle)
    },
    get: async (handle, signal) => (await (await dht()).getPrivate(handle, signal != null ? { signal } : {})).value
  }
}
