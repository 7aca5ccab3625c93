// Transfers: fetches the daemon runs in the background, each with an id, a state, rates and an
// ETA, that can be paused, resumed, cancelled and narrowed to some files. A fetch itself is
// fetch.ts; this module only drives it. Pause closes the share's swarm (its peers go) and keeps
// the fetch record, so resume continues from the persisted bitfield (every kept block re-checked).
import { EventEmitter } from 'node:events'
import { randomBytes } from 'node:crypto'
import { resolve } from 'node:path'
import { openManifest, type ReadCap } from '../../blocks/index.ts'
import type { FetchEvent, FetchRequest, FetchResult } from './fetch.ts'
import type { OhtNode } from './node.ts'
import type { NodeNetwork } from '../network/index.ts'
import type { SwarmEvent } from '../../swarm/index.ts'
import { NodeError, type NodeErrorParams } from '../errors.ts'
import { BLOCK_HELD, BLOCK_INFLIGHT, BLOCK_SKIPPED, type PeerSnapshot, type Swarm } from '../../swarm/swarm.ts'

export type TransferState = 'fetching' | 'paused' | 'complete' | 'failed' | 'cancelled'
/** `skip` leaves a file out of the fetch; `normal` fetches it. (`high` is not built: the swarm has no priorities yet.) */
export type FilePriority = 'skip' | 'normal'
export const FILE_PRIORITIES: readonly FilePriority[] = ['skip', 'normal']

export interface TransferFile { path: string, bytes: number, priority: FilePriority }

export interface TransferInfo {
  id: string
  /** The share's id (manifest CID); the link, which decrypts, is never given out. */
  shareId: string
  name: string | null
  output: string
  peers: string[]
  state: TransferState
  error?: string
  bytesDone: number
  bytesTotal: number
  blocksHeld: number
  blocksWanted: number
  /** Bytes per second over the last few seconds. */
  downRate: number
  upRate: number
  /** Seconds left at the current rate; null when unknown (no rate, no metadata). */
  etaSeconds: number | null
  peerCount: number
  resumedBlocks: number
  /** Files of the share with their priorities (empty until the metadata is known). */
  files: TransferFile[]
  addedAt: number
  finishedAt?: number
  result?: FetchResult
}

export interface TransferPeer extends PeerSnapshot {
  /** Bytes per second it gives us / we serve it, over the last few seconds. */
  downRate: number
  upRate: number
  banned: boolean
}

export interface TransferDetail extends TransferInfo {
  peerList: TransferPeer[]
  bannedPeers: string[]
  /**
   * Block map, one character per cell (renderBlockMap): `#` held, `>` in flight, `+` partly
   * held, `.` missing, ` ` skipped. With `cells` under the block count a cell covers several blocks.
   */
  blockMap: string
  blockCount: number
  /** Plaintext bytes per block (0 until the metadata is known). */
  blockSize: number
}

export type TransferEvent =
  | { type: 'transfer:added', transfer: TransferInfo }
  | { type: 'transfer:state', id: string, state: TransferState, error?: string, code?: string, params?: NodeErrorParams, result?: FetchResult }
  | { type: 'transfer:metadata', id: string, name: string, bytes: number, blocks: number, resumed: number }
  | { type: 'transfer:progress', id: string, at: number, bytesDone: number, bytesTotal: number, peers: number, downRate: number, upRate: number, etaSeconds: number | null }
  | { type: 'transfer:removed', id: string }
  | { type: 'transfer:dial-failed', id: string, address: string, reason: string }

export interface AddTransferRequest extends FetchRequest { cap: ReadCap }

/** What the transfer manager drives: a node's fetch, its blockstore and its swarms. */
export interface TransferHost {
  readonly node: OhtNode
  readonly network: NodeNetwork | undefined
  fetch (cap: ReadCap, request: FetchRequest, onEvent?: (e: FetchEvent) => void, signal?: AbortSignal): Promise<FetchResult>
}

/** At most this many progress events per second per transfer: a fast transfer must not flood listeners. */
export const PROGRESS_EVENTS_PER_SECOND = 4
const RATE_WINDOW_MS = 4000
const SAMPLE_EVERY_MS = 1000
/** Finished transfers kept for the list, oldest forgotten first. */
const MAX_FINISHED = 100

/** Swarm events too frequent to forward one by one: they show as progress and in snapshots. */
export const HIGH_FREQUENCY_SWARM_EVENTS: ReadonlySet<SwarmEvent['type']> = new Set(['block:requested', 'block:verified', 'block:served'])

interface Sample { at: number, down: number, up: number, peers: Map<string, { received: number, served: number }> }

class Transfer {
  readonly info: TransferInfo
  readonly cap: ReadCap
  select: string[]
  overwrite: boolean
  abort?: AbortController
  run?: Promise<void>
  /** Why the current run is being stopped (pause or cancel), so its error is not a failure. */
  stopping?: 'pause' | 'cancel'
  samples: Sample[] = []
  lastProgressAt = 0
  progressTimer?: NodeJS.Timeout

  constructor (id: string, req: AddTransferRequest, shareId: string) {
    this.cap = req.cap
    this.select = [...(req.select ?? [])]
    this.overwrite = req.overwrite === true
    this.info = {
      id, shareId, name: null, output: resolve(req.output), peers: [...req.peers], state: 'fetching',
      bytesDone: 0, bytesTotal: 0, blocksHeld: 0, blocksWanted: 0, downRate: 0, upRate: 0, etaSeconds: null,
      peerCount: 0, resumedBlocks: 0, files: [], addedAt: Date.now()
    }
  }
}

export class TransferManager extends EventEmitter<{ event: [TransferEvent] }> {
  readonly #service: TransferHost
  readonly #transfers = new Map<string, Transfer>()
  readonly #sampler: NodeJS.Timeout
  #closed = false

  constructor (service: TransferHost) {
    super()
    this.#service = service
    this.#sampler = setInterval(() => { this.#sample() }, SAMPLE_EVERY_MS)
    this.#sampler.unref()
  }

  /** Starts a fetch in the background; returns at once with its id (throws on a bad link or a duplicate). */
  add (req: AddTransferRequest): TransferInfo {
    if (this.#closed) throw new NodeError('node.closing', {}, 'the daemon is shutting down')
    const shareId = req.cap.manifestCid.toString()
    const output = resolve(req.output)
    for (const t of this.#transfers.values()) {
      if (t.info.shareId === shareId && t.info.output === output && (t.info.state === 'fetching' || t.info.state === 'paused')) {
        throw new Error(`transfer ${t.info.id} already fetches this share into ${output}`)
      }
    }
    const t = new Transfer(randomBytes(6).toString('hex'), { ...req, output }, shareId)
    this.#transfers.set(t.info.id, t)
    this.#forgetOldFinished()
    this.#emit({ type: 'transfer:added', transfer: this.#public(t) })
    this.#start(t)
    return this.#public(t)
  }

  list (): TransferInfo[] { return [...this.#transfers.values()].map(t => this.#public(t)) }

  get (id: string): TransferInfo | undefined {
    const t = this.#transfers.get(id)
    return t != null ? this.#public(t) : undefined
  }

  /** The transfer with its peers and block map (`cells`: width of the map, default one per block). */
  detail (id: string, cells?: number): TransferDetail | undefined {
    const t = this.#transfers.get(id)
    if (t == null) return undefined
    const snap = this.#swarmOf(t)?.snapshot()
    const last = t.samples.at(-1)
    const first = t.samples[0]
    const seconds = last != null && first != null ? (last.at - first.at) / 1000 : 0
    const banned = new Set(snap?.bannedPeers ?? [])
    const peerList: TransferPeer[] = (snap?.peerList ?? []).map(p => {
      const before = first?.peers.get(p.id)
      return {
        ...p,
        downRate: before != null && seconds > 0 ? Math.max(0, (p.received - before.received) / seconds) : 0,
        upRate: before != null && seconds > 0 ? Math.max(0, (p.served - before.served) / seconds) : 0,
        banned: banned.has(p.id)
      }
    })
    const blocks = snap?.blocks ?? new Uint8Array(0)
    return { ...this.#public(t), peerList, bannedPeers: [...banned], blockMap: renderBlockMap(blocks, cells), blockCount: blocks.length, blockSize: this.#swarmOf(t)?.header?.blockSize ?? 0 }
  }

  async pause (id: string): Promise<TransferInfo> {
    const t = this.#need(id)
    if (t.info.state !== 'fetching') throw new TransferStateError('transfer.state', {}, `transfer ${id} is ${t.info.state}, not fetching`)
    await this.#stop(t, 'pause')
    this.#setState(t, 'paused')
    return this.#public(t)
  }

  async resume (id: string): Promise<TransferInfo> {
    const t = this.#need(id)
    if (t.info.state !== 'paused' && t.info.state !== 'failed') throw new TransferStateError('transfer.state', {}, `transfer ${id} is ${t.info.state}, not paused`)
    delete t.info.error
    this.#start(t)
    return this.#public(t)
  }

  /** Stops the transfer for good and forgets it. Its .part files and record stay: a new fetch resumes. */
  async cancel (id: string): Promise<void> {
    const t = this.#need(id)
    if (t.info.state === 'fetching') await this.#stop(t, 'cancel')
    if (t.info.state !== 'complete') this.#setState(t, 'cancelled')
    this.#transfers.delete(id)
    this.#emit({ type: 'transfer:removed', id })
  }

  /**
   * Sets file priorities (`path` → skip | normal; files not named keep theirs). A running
   * transfer restarts with the new selection; blocks already written are kept (re-checked).
   */
  async setFilePriorities (id: string, priorities: Record<string, string>): Promise<TransferInfo> {
    const t = this.#need(id)
    if (t.info.state === 'complete' || t.info.state === 'cancelled') throw new TransferStateError('transfer.state', {}, `transfer ${id} is ${t.info.state}`)
    const files = t.info.files.length > 0 ? t.info.files : await this.#filesOf(t)
    if (files == null) throw new TransferStateError('transfer.state', {}, 'the share\'s file list is not known yet (no peer has sent the manifest): try again shortly')
    const known = new Map(files.map(f => [f.path, f]))
    for (const [path, priority] of Object.entries(priorities)) {
      if (!known.has(path)) throw new Error(`no file ${JSON.stringify(path)} in this share`)
      if (!(FILE_PRIORITIES as readonly string[]).includes(priority)) throw new Error(`unknown priority ${JSON.stringify(priority)} (${FILE_PRIORITIES.join(' or ')}; high is not built yet)`)
    }
    const next = files.map(f => ({ ...f, priority: (priorities[f.path] ?? f.priority) as FilePriority }))
    if (next.every(f => f.priority === 'skip')) throw new Error('every file would be skipped: cancel the transfer instead')
    const wasFetching = t.info.state === 'fetching'
    if (wasFetching) await this.#stop(t, 'pause')
    t.info.files = next
    t.select = next.every(f => f.priority !== 'skip') ? [] : next.filter(f => f.priority !== 'skip').map(f => f.path)
    if (wasFetching) this.#start(t)
    return this.#public(t)
  }

  async close (): Promise<void> {
    this.#closed = true
    clearInterval(this.#sampler)
    for (const t of this.#transfers.values()) {
      clearTimeout(t.progressTimer)
      if (t.info.state === 'fetching') await this.#stop(t, 'pause').catch(() => {})
    }
  }

  #need (id: string): Transfer {
    const t = this.#transfers.get(id)
    if (t == null) throw new TransferNotFoundError('transfer.notFound', { id }, `no transfer ${id}`)
    return t
  }

  #start (t: Transfer): void {
    const abort = new AbortController()
    t.abort = abort
    delete t.stopping
    t.samples = []
    this.#setState(t, 'fetching')
    const req: FetchRequest = { output: t.info.output, peers: t.info.peers, select: t.select, overwrite: t.overwrite }
    t.run = this.#service.fetch(t.cap, req, e => { this.#onFetchEvent(t, e) }, abort.signal).then(result => {
      t.info.result = result
      t.info.bytesDone = t.info.bytesTotal = result.bytes
      t.info.resumedBlocks = result.resumedBlocks
      t.info.etaSeconds = 0
      // The once-a-second sample may have last run a block before the end: a finished transfer
      // holds every block it wanted.
      const final = this.#swarmOf(t)?.stats()
      if (final != null) t.info.blocksWanted = final.blocksWanted
      t.info.blocksHeld = t.info.blocksWanted
      this.#setState(t, 'complete', { result })
    }, (err: Error) => {
      if (t.stopping != null) return // paused or cancelled: the caller sets the state
      t.info.error = err.message
      this.#setState(t, 'failed', { error: err.message, ...(err instanceof NodeError ? { code: err.code, params: err.params } : {}) })
    }).finally(() => { if (t.abort === abort) delete t.abort })
  }

  /** Aborts the running fetch, waits for it to record what it wrote, then closes the swarm (peers go). */
  async #stop (t: Transfer, why: 'pause' | 'cancel'): Promise<void> {
    t.stopping = why
    t.abort?.abort(new Error(why === 'pause' ? 'paused' : 'cancelled'))
    await t.run
    // Only a swarm this transfer fetches into: a share this node also seeds keeps seeding.
    const entry = this.#service.network?.swarmFor(t.info.shareId)
    if (entry != null && !entry.swarm.complete) this.#service.network!.closeSwarm(t.info.shareId)
    t.info.peerCount = 0
    t.info.downRate = t.info.upRate = 0
    t.info.etaSeconds = null
  }

  #onFetchEvent (t: Transfer, e: FetchEvent): void {
    const id = t.info.id
    switch (e.type) {
      case 'metadata':
        t.info.name = e.name
        t.info.bytesTotal = e.bytes
        t.info.resumedBlocks = e.resumed
        if (t.info.files.length === 0) void this.#filesOf(t).then(f => { if (f != null && t.info.files.length === 0) t.info.files = f })
        this.#emit({ type: 'transfer:metadata', id, name: e.name, bytes: e.bytes, blocks: e.blocks, resumed: e.resumed })
        return
      case 'progress':
        t.info.bytesDone = e.bytesDone
        t.info.bytesTotal = e.bytesTotal
        t.info.peerCount = e.peers
        this.#progress(t)
        return
      case 'peer:dial-failed':
        this.#emit({ type: 'transfer:dial-failed', id, address: e.address, reason: e.reason })
        return
      default:
        // Swarm events reach API listeners from the network, keyed by share id (api.ts).
        if (e.type === 'peer:connected' || e.type === 'peer:closed') t.info.peerCount = this.#swarmOf(t)?.peerCount ?? t.info.peerCount
    }
  }

  /** A progress event now, or one trailing event when the last was under 1/4 s ago. */
  #progress (t: Transfer): void {
    const gap = 1000 / PROGRESS_EVENTS_PER_SECOND
    const wait = t.lastProgressAt + gap - performance.now()
    if (wait <= 0) { this.#sendProgress(t); return }
    if (t.progressTimer == null) {
      t.progressTimer = setTimeout(() => { delete t.progressTimer; this.#sendProgress(t) }, wait)
      t.progressTimer.unref()
    }
  }

  #sendProgress (t: Transfer): void {
    // A trailing event still pending (its timer late on a busy machine) is this one: drop it.
    if (t.progressTimer != null) { clearTimeout(t.progressTimer); delete t.progressTimer }
    t.lastProgressAt = performance.now()
    const i = t.info
    this.#emit({ type: 'transfer:progress', id: i.id, at: Date.now(), bytesDone: i.bytesDone, bytesTotal: i.bytesTotal, peers: i.peerCount, downRate: i.downRate, upRate: i.upRate, etaSeconds: i.etaSeconds })
  }

  /** Once a second: rates over the last few seconds, per transfer and per peer. */
  #sample (): void {
    const now = performance.now()
    for (const t of this.#transfers.values()) {
      if (t.info.state !== 'fetching') continue
      const swarm = this.#swarmOf(t)
      if (swarm == null) continue
      const snap = swarm.snapshot()
      t.samples.push({ at: now, down: snap.downloaded, up: snap.uploaded, peers: new Map(snap.peerList.map(p => [p.id, { received: p.received, served: p.served }])) })
      while (t.samples.length > 1 && now - t.samples[0]!.at > RATE_WINDOW_MS) t.samples.shift()
      const first = t.samples[0]!
      const seconds = (now - first.at) / 1000
      t.info.blocksHeld = snap.blocksHeld
      t.info.blocksWanted = snap.blocksWanted
      t.info.peerCount = snap.peers
      if (seconds <= 0) continue
      t.info.downRate = Math.max(0, (snap.downloaded - first.down) / seconds)
      t.info.upRate = Math.max(0, (snap.uploaded - first.up) / seconds)
      const left = t.info.bytesTotal - t.info.bytesDone
      t.info.etaSeconds = t.info.bytesTotal === 0 ? null : left <= 0 ? 0 : t.info.downRate > 0 ? Math.ceil(left / t.info.downRate) : null
      this.#progress(t)
    }
  }

  #swarmOf (t: Transfer): Swarm | undefined {
    return this.#service.network?.swarmFor(t.info.shareId)?.swarm
  }

  /** The share's file list, from the manifest once this node has it. */
  async #filesOf (t: Transfer): Promise<TransferFile[] | undefined> {
    const cap = t.cap
    const sealed = this.#swarmOf(t)?.manifest
    let bytes = sealed?.bytes
    if (bytes == null && await this.#service.node.blockstore.has(cap.manifestCid)) bytes = await this.#service.node.blockstore.get(cap.manifestCid)
    if (bytes == null) return undefined
    const manifest = openManifest(bytes, cap.contentKey, cap.manifestCid)
    const selected = (path: string): boolean => t.select.length === 0 || t.select.some(s => path === s || path.startsWith(`${s}/`))
    return manifest.body.files.map(f => ({ path: f.path, bytes: f.size, priority: selected(f.path) ? 'normal' : 'skip' }))
  }

  #setState (t: Transfer, state: TransferState, extra: { error?: string, code?: string, params?: NodeErrorParams, result?: FetchResult } = {}): void {
    t.info.state = state
    if (state === 'complete' || state === 'failed' || state === 'cancelled') t.info.finishedAt = Date.now()
    else delete t.info.finishedAt
    if (state !== 'fetching') { clearTimeout(t.progressTimer); delete t.progressTimer }
    this.#emit({ type: 'transfer:state', id: t.info.id, state, ...extra })
  }

  #forgetOldFinished (): void {
    const finished = [...this.#transfers.values()].filter(t => t.info.state === 'complete' || t.info.state === 'failed')
    for (const t of finished.slice(0, Math.max(0, finished.length - MAX_FINISHED))) this.#transfers.delete(t.info.id)
  }

  #public (t: Transfer): TransferInfo {
    return { ...t.info, peers: [...t.info.peers], files: t.info.files.map(f => ({ ...f })) }
  }

  #emit (e: TransferEvent): void { this.emit('event', e) }
}

export class TransferNotFoundError extends NodeError { override name = 'TransferNotFoundError' }
export class TransferStateError extends NodeError { override name = 'TransferStateError' }

/**
 * One character per cell: `#` every block held, `>` a block in flight, `+` partly held, `.` none
 * held, ` ` every block skipped (a file this fetch leaves out).
 */
export function renderBlockMap (blocks: Uint8Array, cells?: number): string {
  const n = blocks.length
  if (n === 0) return ''
  const width = cells == null || cells <= 0 || cells >= n ? n : Math.floor(cells)
  let out = ''
  for (let c = 0; c < width; c++) {
    const from = Math.floor(c * n / width)
    const to = Math.max(from + 1, Math.floor((c + 1) * n / width))
    let held = 0
    let skipped = 0
    let inflight = false
    for (let i = from; i < to; i++) {
      const s = blocks[i]!
      if (s === BLOCK_HELD) held++
      else if (s === BLOCK_SKIPPED) skipped++
      else if (s === BLOCK_INFLIGHT) inflight = true
    }
    const size = to - from
    out += inflight ? '>' : skipped === size ? ' ' : held + skipped === size ? '#' : held > 0 ? '+' : '.'
  }
  return out
}
