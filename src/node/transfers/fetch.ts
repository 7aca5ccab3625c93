import { resolve } from 'node:path'
import { blockKeyOf, openManifest, PlaintextStore, verifyCapOf, decodeManifest, TAG_BYTES, type ReadCap } from '../../blocks/index.ts'
import type { SwarmEvent } from '../../swarm/index.ts'
import { FetchError, type OhtNode } from './node.ts'
import type { NodeNetwork, SwarmEntry } from '../network/network.ts'

/** A fetch as the CLI and the API ask for it: where to, from whom, which files. */
export interface FetchRequest {
  output: string
  peers: string[]
  select?: string[]
  overwrite?: boolean
}

export interface FetchOptions {
  output: string
  peers: readonly string[]
  select?: readonly string[]
  overwrite?: boolean
  signal?: AbortSignal
  onEvent?: (e: FetchEvent) => void
  /** Called once the destination is open and attached to the swarm (streaming reads from it). */
  onStore?: (store: PlaintextStore, entry: SwarmEntry) => void
}

export type FetchEvent =
  | { type: 'peer:dial-failed', address: string, reason: string }
  | { type: 'metadata', name: string, bytes: number, blocks: number, resumed: number }
  | { type: 'progress', bytesDone: number, bytesTotal: number, peers: number }
  | SwarmEvent

export interface FetchResult {
  path: string
  bytes: number
  seconds: number
  /** Peers that delivered at least one verified block. */
  peers: number
  resumedBlocks: number
}

/** How often written blocks are synced and recorded, so a killed fetch resumes (bounded loss). */
const PERSIST_EVERY_MS = 500

/**
 * Fetches a share from peers over the node's transport: manifest and leaves from the first
 * peer that has them (checked against the id and the Merkle root), blocks from all at once,
 * decrypted into .part files; resumes from the blocks an earlier run recorded.
 */
export async function fetchFromPeers (node: OhtNode, network: NodeNetwork, cap: ReadCap, options: FetchOptions): Promise<FetchResult> {
  const started = performance.now()
  const id = cap.manifestCid.toString()
  const outDir = resolve(options.output)
  const select = [...(options.select ?? [])]
  const emit = (e: FetchEvent): void => { options.onEvent?.(e) }
  if (options.peers.length === 0) throw new FetchError('fetch.noPeers', { share: id }, 'no peers to fetch from')

  // Metadata this node already has (an earlier, interrupted run of this fetch).
  let manifestBytes: Uint8Array | undefined
  let leaves: Uint8Array | undefined
  if (await node.blockstore.has(cap.manifestCid)) {
    manifestBytes = await node.blockstore.get(cap.manifestCid)
    leaves = await node.state.getLeaves(id)
  }
  const entry = network.openSwarm(cap.manifestCid, verifyCapOf(cap).swarmKey, {
    ...(manifestBytes != null ? { manifest: decodeManifest(manifestBytes, cap.manifestCid) } : {}),
    ...(leaves != null ? { leaves } : {})
  })
  const swarm = entry.swarm
  const givers = new Set<string>()
  let store: PlaintextStore | undefined
  let dirty = false
  let done = 0
  let total = 0
  let resumed = 0
  const onSwarm = (swarmId: string, e: SwarmEvent): void => {
    if (swarmId !== id) return
    emit(e)
    if (e.type === 'block:verified') {
      givers.add(e.peer)
      dirty = true
      if (store != null) {
        done = Math.min(total, done + e.bytes - TAG_BYTES)
        emit({ type: 'progress', bytesDone: done, bytesTotal: total, peers: swarm.peerCount })
      }
    }
  }
  network.on('swarm', onSwarm)

  const persist = async (complete = false): Promise<void> => {
    if (store == null) return
    await store.sync()
    await node.state.putFetch({ id, outDir, select, blocks: store.heldBlocks(), complete, updatedAt: Date.now() })
  }

  const attach = async (): Promise<void> => {
    const sealed = swarm.manifest!
    const manifest = openManifest(sealed.bytes, cap.contentKey, cap.manifestCid)
    await node.blockstore.put(cap.manifestCid, sealed.bytes)
    await node.state.putLeaves(id, swarm.leaves!)
    const record = await node.state.getFetch(id, outDir)
    const s = new PlaintextStore(manifest, blockKeyOf(cap), outDir, () => swarm.leaves!, { select, overwrite: options.overwrite === true })
    // Blocks recorded under another selection still count: open() re-checks each against its
    // leaf, so a block that straddles a newly selected file (written only in part) is fetched again.
    const kept = await s.open(record != null ? record.blocks : [])
    resumed = kept.length
    store = s
    total = s.bytesWanted
    done = Math.min(total, kept.length * manifest.header.blockSize)
    emit({ type: 'metadata', name: manifest.body.name, bytes: total, blocks: s.wanted.length, resumed })
    await swarm.attachStore({ has: i => s.has(i), get: async i => await s.get(i), getParts: async i => await s.getParts(i), put: async (i, b) => await s.put(i, b), verifyAndPut: async (i, b, leaf) => await s.verifyAndPut(i, b, leaf), close: async () => { await s.close() } }, s.wanted)
    options.onStore?.(s, entry)
  }

  const timer = setInterval(() => { if (dirty) { dirty = false; void persist().catch(() => {}) } }, PERSIST_EVERY_MS)
  timer.unref()
  try {
    const ready = swarm.metadataKnown ? attach() : new Promise<void>((resolve, reject) => { swarm.once('metadata', () => { attach().then(resolve, reject) }) })
    ready.catch(() => {})
    const dials = options.peers.map(async address => {
      try {
        await network.connect(entry, address, options.signal)
      } catch (err) {
        emit({ type: 'peer:dial-failed', address, reason: (err as Error).message })
        throw err
      }
    })
    // Go as soon as one peer is connected: the others join the swarm as their dials finish (an
    // onion that is gone can take Tor's whole dial timeout to give up).
    try {
      await Promise.any(dials)
    } catch (err) {
      const reasons = err instanceof AggregateError ? err.errors as Error[] : [err as Error]
      const why = reasons.map(e => e.message).join('; ')
      throw new FetchError('fetch.unreachable', { reasons: why }, `could not reach any peer: ${why}`)
    }
    await Promise.race([ready, abortable(options.signal)])
    await Promise.race([swarm.whenComplete(options.signal), abortable(options.signal)])
    if (store == null || !store.complete) throw new FetchError('fetch.incomplete', {}, 'the swarm finished but the output is incomplete')
    await persist(true)
    return { path: store.path, bytes: store.bytesWanted, seconds: (performance.now() - started) / 1000, peers: givers.size, resumedBlocks: resumed }
  } catch (err) {
    await persist().catch(() => {})
    await store?.close()
    throw err
  } finally {
    clearInterval(timer)
    network.off('swarm', onSwarm)
  }
}

async function abortable (signal?: AbortSignal): Promise<never> {
  return await new Promise<never>((_resolve, reject) => {
    if (signal == null) return
    if (signal.aborted) { reject(signal.reason as Error); return }
    signal.addEventListener('abort', () => { reject(signal.reason as Error) }, { once: true })
  })
}
