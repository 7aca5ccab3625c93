// What the public fetch page may download from this node: ciphertext only, by share id, with
// Merkle proofs. A share this node owns or holds whole (files shared here, a CAR import, a
// finished pin) is served from there; a share it is still fetching or pinning (or seeds after a fetch) is served from
// that swarm, each missing block asked of the swarm first (moved to the front of its queue) and
// served once it arrived and was verified. Nothing here needs, or sees, a content key.
import { once } from 'node:events'
import { CID } from 'multiformats/cid'
import createDebug from 'debug'
import { DAG_CBOR_CODEC, type BlockSource } from '../../blocks/index.ts'
import { MerkleTree } from '../../merkle/index.ts'
import type { Swarm } from '../../swarm/index.ts'
import type { NodeNetwork } from '../network/network.ts'
import type { OhtNode } from '../transfers/node.ts'

export interface PublicShare {
  manifestBytes: Uint8Array
  blockCount: number
  /** Block `index` as the page reads it: its proof's sibling hashes, then its ciphertext. */
  block (index: number, signal: AbortSignal): Promise<Uint8Array[]>
}

export interface PublicShares {
  /**
   * The share, or undefined when this node has none of it (or `id` is no share id). A share whose
   * swarm is still waiting for its metadata is waited for, until `signal` aborts.
   */
  open (id: string, signal: AbortSignal): Promise<PublicShare | undefined>
  close (): Promise<void>
}

/** DEBUG=oht:pf (as server.ts): blocks a page waits for from the swarm. */
const log = createDebug('oht:pf')

/** Shares opened recently (file handles, a Merkle tree each) are kept for the next request. */
const KEPT = 8
/** Blocks asked of the swarm ahead of the one a page waits for (the page fetches 4 at once). */
const AHEAD = 8

interface Kept { share: PublicShare, close: () => Promise<void> }

export class NodePublicShares implements PublicShares {
  readonly #node: OhtNode
  readonly #network: NodeNetwork | undefined
  readonly #kept = new Map<string, Promise<Kept | undefined>>()

  constructor (node: OhtNode, network?: NodeNetwork) {
    this.#node = node
    this.#network = network
  }

  async open (id: string, signal: AbortSignal): Promise<PublicShare | undefined> {
    let cid: CID
    try { cid = CID.parse(id) } catch { return undefined }
    if (cid.version !== 1 || cid.code !== DAG_CBOR_CODEC || cid.toString() !== id) return undefined
    // Asked each time: a share unshared, or whose files changed, stops being served at once.
    if (await this.#servable(cid)) {
      let kept = this.#kept.get(id)
      if (kept == null) {
        kept = this.#openHeld(cid)
        this.#kept.set(id, kept)
        if (this.#kept.size > KEPT) this.#forget(this.#kept.keys().next().value!)
      }
      const held = await kept.catch(() => undefined)
      if (held != null) return held.share
    }
    // Not held (yet, or any more): a share that completes later is opened from its source then.
    this.#forget(id)
    return await this.#fromSwarm(id, signal)
  }

  async #servable (cid: CID): Promise<boolean> {
    return await this.#node.holds(cid) && (await this.#node.state.getOwned(cid.toString()))?.broken == null
  }

  #forget (id: string): void {
    const gone = this.#kept.get(id)
    if (gone == null) return
    this.#kept.delete(id)
    void gone.then(async k => { await k?.close() }).catch(() => {})
  }

  async close (): Promise<void> {
    const all = [...this.#kept.values()]
    this.#kept.clear()
    for (const k of all) await (await k.catch(() => undefined))?.close().catch(() => {})
  }

  async #openHeld (cid: CID): Promise<Kept | undefined> {
    const held = await this.#node.ciphertextSource(cid)
    if (held == null) return undefined
    const leaves = await this.#node.state.getLeaves(cid.toString())
    if (leaves == null) { await held.source.close?.(); return undefined }
    return { share: proved(held.manifestBytes, leaves, async i => await held.source.get(i)), close: async () => { await closeSource(held.source) } }
  }

  async #fromSwarm (id: string, signal: AbortSignal): Promise<PublicShare | undefined> {
    const swarm = this.#network?.swarmFor(id)?.swarm
    if (swarm == null) return undefined
    if (swarm.have == null) await once(swarm, 'ready', { signal })
    const manifest = swarm.manifest
    const leaves = swarm.leaves
    if (manifest == null || leaves == null) return undefined
    return proved(manifest.bytes, leaves, async (i, signal) => await fromSwarm(swarm, i, signal))
  }
}

async function closeSource (source: BlockSource): Promise<void> { await source.close?.() }

function proved (manifestBytes: Uint8Array, leaves: Uint8Array, get: (index: number, signal: AbortSignal) => Promise<Uint8Array>): PublicShare {
  const list: Uint8Array[] = []
  for (let i = 0; i < leaves.length; i += 32) list.push(leaves.subarray(i, i + 32))
  const tree = new MerkleTree(list)
  return {
    manifestBytes,
    blockCount: list.length,
    block: async (index, signal) => [...tree.proof(index), await get(index, signal)]
  }
}

let readers = 0

/** A block of a share this node is fetching: asked for first, then waited for (until `signal`). */
async function fromSwarm (swarm: Swarm, index: number, signal: AbortSignal): Promise<Uint8Array> {
  if (!swarm.isHeld(index)) {
    const reader = `public-fetch-${++readers}`
    log('%s block %d: not held yet, asked of the swarm first', swarm.options.manifestCid.toString().slice(-12), index)
    swarm.setPriorityWindow(reader, { from: index, to: index + AHEAD - 1 })
    try {
      await swarm.whenHeld(index, signal)
    } finally {
      swarm.setPriorityWindow(reader, null)
    }
  }
  return await swarm.readHeld(index)
}
