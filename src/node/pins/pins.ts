// Pins: a node keeps a share's ciphertext blocks in its blockstore, verified, and seeds them for
// as long as the pin's lease lasts. A verify capability is enough (the pinner never holds the
// content key). Leases, reference counts and garbage collection live in pin-store.ts; this file
// fetches, seeds, schedules the sweep and tells whoever listens (the DHT announcer) when a
// share's pins become active or go away.
import { EventEmitter } from 'node:events'
import {
  blockCid as blockCidOf, BlockstoreSource, decodeManifest, formatVerifyCap, parseCapability, TAG_BYTES, topicOf,
  type VerifyCap
} from '../../blocks/index.ts'
import { blockstoreStore } from '../../swarm/index.ts'
import { CID } from 'multiformats/cid'
import type { OhtNode } from '../transfers/node.ts'
import { NodeError } from '../errors.ts'
import type { NodeNetwork, SwarmEntry } from '../network/network.ts'
import { LOCAL_HOLDER, PinStore, type PinRecord, type PinStoreOptions, type SweepResult } from './pin-store.ts'

export { LOCAL_HOLDER, type PinRecord, type SweepResult } from './pin-store.ts'

/** Lease of a pin when none is asked for (no `pin.defaultTtl` config exists yet). */
export const DEFAULT_PIN_TTL_MS = 30 * 86_400_000
/** The sweep runs at the next lease end, and at least this often. */
const MAX_SWEEP_INTERVAL_MS = 60_000
/** Claims released per sweep round before it yields to other work. */
const SWEEP_BUDGET = 8192
/** How long a pin waits for a peer to send the manifest and leaves. */
const METADATA_TIMEOUT_MS = 60_000
const MAX_PIN_PEERS = 16

export class PinError extends NodeError {
  override name = 'PinError'
}

export interface PinInfo {
  id: string
  holder: string
  verifyCap: string
  /** DHT topic of the share (hex): what the announcer publishes. */
  topic: string
  state: 'fetching' | 'active' | 'collecting'
  expiresAt: number | null
  bytes: number
  blocks: number
  createdAt: number
  /** While collecting: claims released so far, of `total`. */
  progress?: { done: number, total: number }
}

export interface PinRequest {
  /** Lease length in ms; Infinity = never (refused for remote holders by the protocol). */
  ttlMs?: number
  peers?: readonly string[]
  holder?: string
  /**
   * Called once the share's size is known, before anything is recorded; throw to refuse
   * (quotas). `bytes` is the ciphertext the pin would keep.
   */
  admit?: (bytes: number) => void | Promise<void>
  /** Called once the pin is recorded (its blocks may still be arriving). */
  onRecorded?: (pin: PinInfo) => void
  signal?: AbortSignal
}

/** What the DHT announcer hears: a share this node pins started or stopped being served. */
export interface PinActivity {
  id: string
  topic: Uint8Array
  verifyCap: string
}

export interface PinManagerEvents {
  active: [PinActivity]
  inactive: [PinActivity]
  error: [Error]
}

export interface PinManagerOptions extends PinStoreOptions {}

/** Sweep tuning from the environment (OHT_PIN_SWEEP_BATCH, OHT_PIN_SWEEP_PAUSE_MS): I/O throttling. */
export function pinTuningFromEnv (env: NodeJS.ProcessEnv = process.env): PinManagerOptions {
  const num = (v: string | undefined): number | undefined => v != null && /^\d+$/.test(v) ? Number(v) : undefined
  const batchSize = num(env.OHT_PIN_SWEEP_BATCH)
  const pauseMs = num(env.OHT_PIN_SWEEP_PAUSE_MS)
  return { ...(batchSize != null ? { batchSize } : {}), ...(pauseMs != null ? { pauseMs } : {}) }
}

export class PinManager extends EventEmitter<PinManagerEvents> {
  readonly store: PinStore
  readonly #node: OhtNode
  readonly #network: NodeNetwork | undefined
  /** Finds a share's peers when a pin names none (the DHT, wired by LocalService). */
  findPeers?: (vcap: VerifyCap, signal?: AbortSignal) => Promise<string[]>
  /** Block acquisition per share in flight: a second pin of the same share waits for the first. */
  readonly #acquiring = new Map<string, Promise<void>>()
  /** Aborts the block fetch of a share whose last pin went away mid-fetch. */
  readonly #fetchAborts = new Map<string, AbortController>()
  #sweepTimer?: NodeJS.Timeout
  #sweeping?: Promise<SweepResult>
  #running = false

  constructor (node: OhtNode, network: NodeNetwork | undefined, options: PinManagerOptions = {}) {
    super()
    this.#node = node
    this.#network = network
    this.store = new PinStore(node.state, node.blockstore, options)
    this.store.on('released', ({ id, swarmKey }) => {
      void this.#stopServing(id, swarmKey)
    })
  }

  /** Daemon start: seeds active pins, resumes interrupted fetches, starts the sweep timer. */
  async start (): Promise<{ seeded: number, resuming: number }> {
    this.#running = true
    let seeded = 0
    let resuming = 0
    const seen = new Set<string>()
    for (const p of await this.store.list()) {
      if (seen.has(p.id)) continue
      seen.add(p.id)
      const all = await this.store.pinsOf(p.id)
      if (all.some(x => x.state === 'active')) {
        if (await this.#seed(p)) seeded++
      } else {
        resuming++
        void this.#acquire(p, verifyCapOfRecord(p), p.peers).then(async () => { await this.#activateAll(p.id) }, (err: Error) => {
          this.emit('error', new PinError('pin.failed', { share: p.id, why: 'resume', reason: err.message }, `resuming the pin of ${p.id}: ${err.message}`))
        })
      }
    }
    this.#scheduleSweep(0)
    return { seeded, resuming }
  }

  async close (): Promise<void> {
    this.#running = false
    clearTimeout(this.#sweepTimer)
    await this.#sweeping?.catch(() => {})
  }

  /** Pins (or renews) a share; resolves when its blocks are all here. */
  async pin (vcap: VerifyCap, request: PinRequest = {}): Promise<PinInfo> {
    const id = vcap.manifestCid.toString()
    const holder = request.holder ?? LOCAL_HOLDER
    const ttlMs = request.ttlMs ?? DEFAULT_PIN_TTL_MS
    if (!(ttlMs > 0)) throw new PinError('pin.badLifetime', {}, 'a pin needs a positive lifetime')
    const now = Date.now()
    const peers = [...new Set(request.peers ?? [])].slice(0, MAX_PIN_PEERS)
    const base: PinRecord = {
      id,
      holder,
      swarmKey: Buffer.from(vcap.swarmKey).toString('base64url'),
      expiresAt: ttlMs === Infinity ? null : now + ttlMs,
      state: 'fetching',
      bytes: 0,
      blockCount: 0,
      peers,
      createdAt: now,
      renewedAt: now
    }
    const existing = await this.store.get(id, holder)
    if (existing != null && existing.swarmKey !== base.swarmKey) throw new PinError('pin.failed', { why: 'swarmKey' }, 'this capability does not match the pinned share (wrong swarm key)')
    const recorded = await this.#acquire(base, vcap, peers, request)
    const active = await this.#activateAll(id)
    const rec = active.find(p => p.holder === holder) ?? recorded
    this.#scheduleSweep()
    return infoOf(rec)
  }

  /** Ends the pin of share `id` now; its blocks are collected unless another pin or share needs them. */
  async unpin (id: string, holder = LOCAL_HOLDER): Promise<{ id: string, removed: boolean, sweep: SweepResult }> {
    const removed = await this.store.release(id, holder)
    const sweep = await this.sweepNow()
    return { id, removed, sweep }
  }

  async list (): Promise<PinInfo[]> {
    const out = (await this.store.list()).map(infoOf)
    for (const j of await this.store.journals()) {
      out.push({ id: j.id, holder: j.holder, verifyCap: '', topic: '', state: 'collecting', expiresAt: null, bytes: 0, blocks: 0, createdAt: j.startedAt, progress: { done: j.cursor, total: j.total } })
    }
    return out
  }

  /** Runs sweep rounds until no work is left (one at a time). */
  async sweepNow (): Promise<SweepResult> {
    while (this.#sweeping != null) await this.#sweeping.catch(() => {})
    const total: SweepResult = { pinsCollected: 0, cidsReleased: 0, blocksDeleted: 0, more: false }
    this.#sweeping = (async () => {
      while (true) {
        const r = await this.store.sweep(Date.now(), SWEEP_BUDGET)
        total.pinsCollected += r.pinsCollected
        total.cidsReleased += r.cidsReleased
        total.blocksDeleted += r.blocksDeleted
        if (!r.more) return total
        await new Promise(resolve => setImmediate(resolve)) // bounded rounds: let the event loop breathe
      }
    })()
    try {
      return await this.#sweeping
    } finally {
      this.#sweeping = undefined
    }
  }

  #scheduleSweep (delayMs?: number): void {
    if (!this.#running) return
    void (async () => {
      let delay = delayMs
      if (delay == null) {
        const next = await this.store.nextExpiry()
        delay = next == null ? MAX_SWEEP_INTERVAL_MS : Math.max(0, next - Date.now() + 5)
      }
      clearTimeout(this.#sweepTimer)
      this.#sweepTimer = setTimeout(() => {
        this.sweepNow().catch((err: Error) => { this.emit('error', err) }).finally(() => { this.#scheduleSweep() })
      }, Math.min(delay, MAX_SWEEP_INTERVAL_MS))
      this.#sweepTimer.unref()
    })().catch(() => {})
  }

  /**
   * Gets the share's metadata, records the pin (claims) and fetches the blocks it lacks: from
   * this node's own files or imports when it has them, else from `peers`.
   */
  async #acquire (base: PinRecord, vcap: VerifyCap, peers: readonly string[], request: PinRequest = {}): Promise<PinRecord> {
    const id = base.id
    const inflight = this.#acquiring.get(id)
    if (inflight != null) await inflight.catch(() => {})
    let record!: PinRecord
    let localSource: { close?: () => Promise<void> } | undefined
    const abort = new AbortController()
    this.#fetchAborts.set(id, abort)
    const signal = request.signal != null ? AbortSignal.any([request.signal, abort.signal]) : abort.signal
    const work = (async () => {
      const node = this.#node
      // Metadata: local (a pin, an owned share, an import) or from peers.
      let manifestBytes = await node.blockstore.has(vcap.manifestCid) ? await node.blockstore.get(vcap.manifestCid) : undefined
      let leaves = manifestBytes != null ? await node.state.getLeaves(id) : undefined
      let entry: SwarmEntry | undefined
      const local = await node.ciphertextSource(vcap.manifestCid)
      localSource = local?.source
      if (manifestBytes == null || leaves == null) {
        if (local != null) {
          manifestBytes = local.manifestBytes
          leaves = await node.state.getLeaves(id)
        }
      }
      if (manifestBytes == null || leaves == null) {
        entry = await this.#joinSwarm(vcap, peers, signal)
        manifestBytes = entry.swarm.manifest!.bytes
        leaves = entry.swarm.leaves!
      }
      const header = decodeManifest(manifestBytes, vcap.manifestCid).header
      const bytes = header.size + header.blockCount * TAG_BYTES + manifestBytes.length
      let claimed
      try {
        claimed = await this.store.claim({ ...base, bytes, blockCount: header.blockCount }, leaves, request.admit)
      } catch (err) {
        if (entry != null && (await this.store.pinsOf(id)).length === 0) this.#network?.closeSwarm(id)
        throw err
      }
      record = claimed.record
      await node.blockstore.put(vcap.manifestCid, manifestBytes)
      request.onRecorded?.(infoOf(record))
      if (record.state === 'active' && !claimed.created) return
      // Blocks: whatever is missing.
      const missing: number[] = []
      for (let i = 0; i < header.blockCount; i++) {
        if (!(await node.blockstore.has(blockCidAt(leaves, i)))) missing.push(i)
      }
      if (missing.length === 0) return
      if (local != null) {
        for (const i of missing) await node.blockstore.put(blockCidAt(leaves, i), await local.source.get(i))
        return
      }
      try {
        if (entry == null) entry = await this.#joinSwarm(vcap, peers, signal, { manifestBytes, leaves })
        const l = leaves
        await entry.swarm.attachStore(blockstoreStore(node.blockstore, () => l))
        await entry.swarm.whenComplete(signal)
      } catch (err) {
        // The pin stays recorded (state fetching) and resumes when the daemon starts; its swarm goes.
        this.#network?.closeSwarm(id)
        throw err
      }
    })()
    const settled = work.finally(async () => {
      if (this.#fetchAborts.get(id) === abort) this.#fetchAborts.delete(id)
      await localSource?.close?.()
    }).finally(() => { if (this.#acquiring.get(id) === settled) this.#acquiring.delete(id) })
    this.#acquiring.set(id, settled.then(() => {}, () => {}))
    await settled
    return record
  }

  /** Opens the share's swarm, dials `peers` and waits for its manifest and leaves. */
  async #joinSwarm (vcap: VerifyCap, peers: readonly string[], signal?: AbortSignal, known?: { manifestBytes: Uint8Array, leaves: Uint8Array }): Promise<SwarmEntry> {
    const network = this.#network
    if (network != null && peers.length === 0 && this.findPeers != null) peers = await this.findPeers(vcap, signal)
    if (network == null || peers.length === 0) {
      const share = vcap.manifestCid.toString()
      throw new PinError('pin.noPeer', { share }, `share ${share} is not on this node and no peer was found`)
    }
    const entry = network.openSwarm(vcap.manifestCid, vcap.swarmKey, known != null ? { manifest: decodeManifest(known.manifestBytes, vcap.manifestCid), leaves: known.leaves } : {})
    const metadata = entry.swarm.metadataKnown
      ? Promise.resolve()
      : new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => { reject(new PinError('pin.failed', { why: 'metadata' }, 'no peer sent the share\'s manifest and leaves in time')) }, METADATA_TIMEOUT_MS)
        timer.unref()
        entry.swarm.once('metadata', () => { clearTimeout(timer); resolve() })
        signal?.addEventListener('abort', () => { clearTimeout(timer); reject(signal.reason as Error) }, { once: true })
      })
    metadata.catch(() => {})
    const dials = await Promise.allSettled(peers.map(async a => { await network.connect(entry, a, signal) }))
    if (dials.every(d => d.status === 'rejected')) {
      if ((await this.store.pinsOf(vcap.manifestCid.toString())).length === 0) network.closeSwarm(vcap.manifestCid.toString())
      const reasons = dials.map(d => ((d as PromiseRejectedResult).reason as Error).message).join('; ')
      throw new PinError('fetch.unreachable', { reasons }, `could not reach any peer: ${reasons}`)
    }
    await metadata
    return entry
  }

  /** Marks every pin of a share active once its blocks are all here; announces it. */
  async #activateAll (id: string): Promise<PinRecord[]> {
    const out: PinRecord[] = []
    let first: PinRecord | undefined
    for (const p of await this.store.pinsOf(id)) {
      if (p.state !== 'active') {
        const next = await this.store.markActive(p.id, p.holder)
        if (next != null) out.push(next)
      } else out.push(p)
      first ??= p
    }
    if (first != null) {
      await this.#seed(first)
      const v = verifyCapOfRecord(first)
      this.emit('active', { id, topic: topicOf(v), verifyCap: formatVerifyCap(v) })
    }
    return out
  }

  /** Serves a pinned share from the blockstore (unless a swarm already serves it). */
  async #seed (p: PinRecord): Promise<boolean> {
    const network = this.#network
    if (network == null || network.swarmFor(p.id) != null) return false
    const v = verifyCapOfRecord(p)
    const leaves = await this.#node.state.getLeaves(p.id)
    if (leaves == null || !(await this.#node.blockstore.has(v.manifestCid))) return false
    const manifestBytes = await this.#node.blockstore.get(v.manifestCid)
    await network.seed(v.manifestCid, v.swarmKey, manifestBytes, leaves, new BlockstoreSource(this.#node.blockstore, leaves))
    return true
  }

  async #stopServing (id: string, swarmKey: string): Promise<void> {
    const v = verifyCapFrom(id, swarmKey)
    // An owned share or an import keeps being served from where it lives.
    const keep = await this.#node.state.getOwned(id) != null || await this.#node.state.getHeld(id) != null
    this.#fetchAborts.get(id)?.abort(new PinError('pin.failed', { share: id, why: 'removed' }, `the last pin of ${id} was removed while its blocks were being fetched`))
    if (!keep) this.#network?.closeSwarm(id)
    this.emit('inactive', { id, topic: topicOf(v), verifyCap: formatVerifyCap(v) })
  }
}

function blockCidAt (leaves: Uint8Array, i: number): CID {
  return blockCidOf(leaves.subarray(i * 32, i * 32 + 32))
}

/** The verify capability a pin record keeps in parts (share id, swarm key): rebuilt, not reparsed. */
function verifyCapFrom (id: string, swarmKey: string): VerifyCap {
  return { kind: 'verify', manifestCid: CID.parse(id), swarmKey: new Uint8Array(Buffer.from(swarmKey, 'base64url')) }
}

function verifyCapOfRecord (p: PinRecord): VerifyCap { return verifyCapFrom(p.id, p.swarmKey) }

function infoOf (p: PinRecord): PinInfo {
  const v = verifyCapOfRecord(p)
  return {
    id: p.id,
    holder: p.holder,
    verifyCap: formatVerifyCap(v),
    topic: Buffer.from(topicOf(v)).toString('hex'),
    state: p.state,
    expiresAt: p.expiresAt,
    bytes: p.bytes,
    blocks: p.blockCount,
    createdAt: p.createdAt
  }
}

/** The share id of a link, a verify capability or a bare manifest CID. */
export function idOfCapability (text: string): string {
  const t = text.trim()
  if (/^(oht|oht-verify):\/\//.test(t)) return parseCapability(t).manifestCid.toString()
  if (/^[a-z2-7]{20,}$/.test(t)) return t
  throw new PinError('pin.badCapability', {}, 'expected an oht:// link, an oht-verify:// capability or a share id')
}

