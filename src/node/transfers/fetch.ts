import { statfs } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { blockKeyOf, CipherPartStore, openManifest, PlaintextStore, verifyCapOf, decodeManifest, TAG_BYTES, type ReadCap } from '../../blocks/index.ts'
import type { SwarmEvent, SwarmStore } from '../../swarm/index.ts'
import { FetchError, type OhtNode } from './node.ts'
import type { NodeNetwork, SwarmEntry } from '../network/network.ts'
import { isPeerList, type PeerSource } from '../network/discovery.ts'
import { dialAsFound, type Dialing } from './dial-peers.ts'

/** A fetch as the CLI and the API ask for it: where to, from whom, which files. */
export interface FetchRequest {
  output: string
  peers: string[]
  select?: string[]
  overwrite?: boolean
  /** Write into a folder of the share's name that already exists (`--merge`). */
  merge?: boolean
  /**
   * Keep fetched blocks as ciphertext (`<name>.encrypted.part`) until every one is there, then
   * decrypt them in one pass (`--encrypted-parts`). A fetch resumes in the mode it began in.
   */
  encryptedParts?: boolean
  /** Also ask the DHT for the share's providers, besides `peers` (a transfer the daemon resumes). */
  discover?: boolean
  /**
   * A daemon seeds what it fetched until this upload ratio (bytes served / size) or this many
   * seconds of seeding (`--seed-ratio`, `--seed-time`); an embedded fetch does not seed.
   */
  seedRatio?: number
  seedTime?: number
}

export interface FetchOptions {
  output: string
  /** Addresses, or a DHT lookup's providers as it finds them (each dialled at once). */
  peers: PeerSource
  select?: readonly string[]
  overwrite?: boolean
  merge?: boolean
  encryptedParts?: boolean
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
  /** Most connections open at once while blocks arrived (a peer striped over k circuits counts k). */
  lanes?: number
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
  if (isPeerList(options.peers) && options.peers.length === 0) throw new FetchError('fetch.noPeers', { share: id }, 'no peers to fetch from')

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
  let store: PlaintextStore | CipherPartStore | undefined
  let dirty = false
  let done = 0
  let total = 0
  let resumed = 0
  let lanes = 0
  const onSwarm = (swarmId: string, e: SwarmEvent): void => {
    if (swarmId !== id) return
    emit(e)
    if (e.type === 'block:verified') {
      givers.add(e.peer)
      lanes = Math.max(lanes, swarm.laneCount)
      dirty = true
      if (store != null) {
        done = Math.min(total, done + e.bytes - TAG_BYTES)
        emit({ type: 'progress', bytesDone: done, bytesTotal: total, peers: swarm.peerCount })
      }
    }
  }
  network.on('swarm', onSwarm)
  // Ends the fetch when it cannot go on: our disk is full (the swarm's store failed with ENOSPC),
  // or every peer is gone once every dial has settled (a peer without the share hangs up).
  let dialsSettled = false
  const stuck = Promise.withResolvers<never>()
  stuck.promise.catch(() => {})
  const onStoreError = (err: Error): void => {
    if ((err as NodeJS.ErrnoException).code === 'ENOSPC') void freeBytes(outDir).then(free => { stuck.reject(noSpace(outDir, total - done, free ?? 0)) })
  }
  swarm.on('error', onStoreError)
  // Why the last peer left, when it said so (an owner whose files changed): the fetch's error says it.
  let lastReason: string | undefined
  const checkPeers = (): void => {
    if (!dialsSettled || swarm.peerCount > 0 || swarm.complete) return
    if (!swarm.metadataKnown) stuck.reject(new FetchError('fetch.notOffered', { share: id }, `no peer reached offers share ${id}`))
    else if (lastReason != null) stuck.reject(new FetchError('fetch.noSource', { share: id, reason: lastReason }, `no peer can serve share ${id} any more: ${lastReason}`))
    else stuck.reject(new FetchError('fetch.peersGone', { share: id }, `every peer left before share ${id} was complete`))
  }
  // A wanted block every connected peer refused: once every dial has settled, the fetch ends.
  let unavailable: { index: number, reason?: string } | undefined
  const checkServable = (): void => {
    if (!dialsSettled || unavailable == null || swarm.complete) return
    const why = unavailable.reason ?? `every peer that has block ${unavailable.index} refused it`
    stuck.reject(new FetchError('fetch.noSource', { share: id, reason: why }, `no peer can serve share ${id} any more: ${why}`))
  }
  const onPeerEvent = (swarmId: string, e: SwarmEvent): void => {
    if (swarmId !== id) return
    if (e.type === 'block:unavailable') { unavailable = { index: e.index, ...(e.reason != null ? { reason: e.reason } : {}) }; checkServable(); return }
    if (e.type !== 'peer:closed') return
    lastReason = e.refusal
    checkPeers()
  }
  network.on('swarm', onPeerEvent)

  const persist = async (complete = false): Promise<void> => {
    if (store == null) return
    await store.sync()
    await node.state.putFetch({ id, outDir, select, blocks: store.heldBlocks(), complete, updatedAt: Date.now(), ...(store instanceof CipherPartStore ? { encryptedParts: true } : {}) })
  }

  const attach = async (): Promise<void> => {
    const sealed = swarm.manifest!
    const manifest = openManifest(sealed.bytes, cap.contentKey, cap.manifestCid)
    await node.blockstore.put(cap.manifestCid, sealed.bytes)
    await node.state.putLeaves(id, swarm.leaves!)
    const record = await node.state.getFetch(id, outDir)
    // An earlier run of this fetch (a record) made the folder itself: going on is no merge.
    const storeOptions = { select, overwrite: options.overwrite === true, merge: options.merge === true || record != null }
    // A fetch resumes in the mode it began in: the blocks it recorded are where that mode put them.
    const encrypted = record != null && !record.complete ? record.encryptedParts === true : options.encryptedParts === true
    const s = encrypted
      ? new CipherPartStore(manifest, blockKeyOf(cap), outDir, () => swarm.leaves!, storeOptions)
      : new PlaintextStore(manifest, blockKeyOf(cap), outDir, () => swarm.leaves!, storeOptions)
    // Blocks recorded under another selection still count: open() re-checks each against its
    // leaf, so a block that straddles a newly selected file (written only in part) is fetched again.
    const kept = await s.open(record != null ? record.blocks : [], record != null)
    resumed = kept.length
    store = s
    total = s.bytesWanted
    done = Math.min(total, kept.length * manifest.header.blockSize)
    emit({ type: 'metadata', name: manifest.body.name, bytes: total, blocks: s.wanted.length, resumed })
    // The .part files are sparse: what is still missing must fit, or the fetch would stop midway.
    // Encrypted parts: the ciphertext and the plaintext are both on disk during the final pass.
    const missing = (total - done) * (encrypted ? 2 : 1)
    const free = await freeBytes(outDir)
    if (free != null && free < missing) {
      await s.close()
      store = undefined
      throw noSpace(outDir, missing, free)
    }
    await swarm.attachStore(swarmStoreOf(s), s.wanted)
    if (s instanceof PlaintextStore) options.onStore?.(s, entry)
  }

  let dialing: Dialing | undefined
  const timer = setInterval(() => { if (dirty) { dirty = false; void persist().catch(() => {}) } }, PERSIST_EVERY_MS)
  timer.unref()
  try {
    const ready = swarm.metadataKnown ? attach() : new Promise<void>((resolve, reject) => { swarm.once('metadata', () => { attach().then(resolve, reject) }) })
    ready.catch(() => {})
    dialing = dialAsFound(options.peers, async address => {
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
      await dialing.first
    } catch (err) {
      if (!(err instanceof AggregateError)) throw err
      const why = (err.errors as Error[]).map(e => e.message).join('; ')
      throw new FetchError('fetch.unreachable', { reasons: why }, `could not reach any peer: ${why}`)
    }
    void dialing.settled.then(() => { dialsSettled = true; checkPeers(); checkServable() })
    await Promise.race([ready, abortable(options.signal), stuck.promise])
    await Promise.race([swarm.whenComplete(options.signal), abortable(options.signal), stuck.promise])
    if (store instanceof CipherPartStore) await Promise.race([store.finish(), abortable(options.signal)])
    if (store == null || !store.complete) throw new FetchError('fetch.incomplete', { why: 'output' }, 'the swarm finished but the output is incomplete')
    await persist(true)
    return { path: store.path, bytes: store.bytesWanted, seconds: (performance.now() - started) / 1000, peers: givers.size, lanes, resumedBlocks: resumed }
  } catch (err) {
    await persist().catch(() => {})
    await store?.close()
    throw err
  } finally {
    dialing?.stop()
    clearInterval(timer)
    network.off('swarm', onSwarm)
    network.off('swarm', onPeerEvent)
    swarm.off('error', onStoreError)
  }
}

/** A fetch's destination as a swarm's store: it takes verified blocks and serves what it holds. */
export function swarmStoreOf (s: PlaintextStore | CipherPartStore): SwarmStore {
  return { has: i => s.has(i), get: async i => await s.get(i), ...(s instanceof PlaintextStore ? { getParts: async (i: number) => await s.getParts(i) } : {}), put: async (i, b) => await s.put(i, b), verifyAndPut: async (i, b, leaf) => await s.verifyAndPut(i, b, leaf), close: async () => { await s.close() } }
}

/**
 * Seeds a finished fetch from its output (a restarted daemon): every recorded block is re-checked
 * against its leaf; an output that changed since is an error, not served.
 */
export async function seedFromOutput (node: OhtNode, network: NodeNetwork, cap: ReadCap, output: string, select: readonly string[]): Promise<SwarmEntry> {
  const id = cap.manifestCid.toString()
  const outDir = resolve(output)
  const leaves = await node.state.getLeaves(id)
  const record = await node.state.getFetch(id, outDir)
  if (leaves == null || record == null || !(await node.blockstore.has(cap.manifestCid))) throw new FetchError('fetch.incomplete', { why: 'noRecord' }, 'this node kept no record of the fetch')
  const manifestBytes = await node.blockstore.get(cap.manifestCid)
  const manifest = openManifest(manifestBytes, cap.contentKey, cap.manifestCid)
  const store = new PlaintextStore(manifest, blockKeyOf(cap), outDir, () => leaves, { select, merge: true })
  await store.open(record.blocks, true)
  if (!store.complete) {
    await store.close()
    throw new FetchError('fetch.incomplete', { why: 'changed', output: outDir }, `the files in ${outDir} no longer match the share`)
  }
  const entry = network.openSwarm(cap.manifestCid, verifyCapOf(cap).swarmKey, { manifest: decodeManifest(manifestBytes, cap.manifestCid), leaves })
  await entry.swarm.attachStore(swarmStoreOf(store), store.wanted)
  return entry
}

/** Bytes free for an unprivileged writer on the filesystem of `dir` (or its nearest existing parent); undefined when unknown. */
export async function freeBytes (dir: string): Promise<number | undefined> {
  for (let d = resolve(dir); ; d = dirname(d)) {
    try {
      const s = await statfs(d)
      return s.bavail * s.bsize
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || dirname(d) === d) return undefined
    }
  }
}

function noSpace (outDir: string, missing: number, free: number): FetchError {
  const mib = (n: number): string => (n / 1048576).toFixed(1)
  return new FetchError('fetch.noSpace', { output: outDir, missing: mib(missing), free: mib(free) },
    `not enough free space in ${outDir}: ${mib(missing)} MiB still to fetch, ${mib(free)} MiB free`)
}

async function abortable (signal?: AbortSignal): Promise<never> {
  return await new Promise<never>((_resolve, reject) => {
    if (signal == null) return
    if (signal.aborted) { reject(signal.reason as Error); return }
    signal.addEventListener('abort', () => { reject(signal.reason as Error) }, { once: true })
  })
}
