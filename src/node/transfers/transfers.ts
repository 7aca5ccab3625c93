// Transfers: fetches the daemon runs in the background, each with an id, a state, rates and an
// ETA, that can be paused, resumed, cancelled and narrowed to some files. A fetch itself is
// fetch.ts; this module only drives it. Pause closes the share's swarm (its peers go) and keeps
// the fetch record, so resume continues from the persisted bitfield (every kept block re-checked).
import { EventEmitter } from 'node:events'
import { randomBytes } from 'node:crypto'
import { resolve } from 'node:path'
import { openManifest, type ReadCap } from '../../blocks/index.ts'
import { freeBytes, type FetchEvent, type FetchRequest, type FetchResult } from './fetch.ts'
import type { OhtNode } from './node.ts'
import type { NodeNetwork } from '../network/index.ts'
import type { SwarmEvent } from '../../swarm/index.ts'
import { NodeError, type NodeErrorParams } from '../errors.ts'
import type { Swarm } from '../../swarm/swarm.ts'
import {
  FILE_PRIORITIES, renderBlockMap, TransferNotFoundError, TransferStateError, type AddTransferRequest, type FilePriority, type StreamFollower,
  type TransferDetail, type TransferEvent, type TransferFile, type TransferInfo, type TransferState
} from './transfer-info.ts'
import { forgetFetched, type TransferJournal } from './journal.ts'
import { backoffMs, DISK_CHECK_MS, retryable, Transfer } from './transfer.ts'

export * from './transfer-info.ts'

/** What the transfer manager drives: a node's fetch, its blockstore and its swarms. */
export interface TransferHost {
  readonly node: OhtNode
  readonly network: NodeNetwork | undefined
  fetch (cap: ReadCap, request: FetchRequest, onEvent?: (e: FetchEvent) => void, signal?: AbortSignal): Promise<FetchResult>
  /** Serves a finished fetch from its output again (after a restart) and announces it. */
  seedFetched?: (cap: ReadCap, output: string, select: readonly string[]) => Promise<void>
  /** Stops serving and announcing a share. */
  stopSeeding?: (cap: ReadCap) => void
}

export interface TransferManagerOptions {
  /** Where transfers are recorded, so a restarted daemon picks them up (restore()). */
  journal?: TransferJournal
  /** Seed limits of transfers that set none (the config's seedRatio and seedTime), read when checked: a change applies at once. */
  seedDefaults?: () => { seedRatio?: number, seedTime?: number }
}

/** At most this many progress events per second per transfer: a fast transfer must not flood listeners. */
export const PROGRESS_EVENTS_PER_SECOND = 4
const SAMPLE_EVERY_MS = 1000
/** Finished transfers kept for the list, oldest forgotten first. */
const MAX_FINISHED = 100
/** How often running and seeding transfers save what they served (the seed ratio survives a crash). */
const JOURNAL_EVERY_MS = 30_000

/** Swarm events too frequent to forward one by one: they show as progress and in snapshots. */
export const HIGH_FREQUENCY_SWARM_EVENTS: ReadonlySet<SwarmEvent['type']> = new Set(['block:requested', 'block:verified', 'block:served'])

export class TransferManager extends EventEmitter<{ event: [TransferEvent] }> {
  readonly #service: TransferHost
  readonly #transfers = new Map<string, Transfer>()
  readonly #sampler: NodeJS.Timeout
  readonly #journal: TransferJournal | undefined
  readonly #seedDefaults: () => { seedRatio?: number, seedTime?: number }
  readonly #writes = new Set<Promise<void>>()
  #lastJournal = Date.now()
  #closed = false

  constructor (service: TransferHost, options: TransferManagerOptions = {}) {
    super()
    this.#service = service
    this.#journal = options.journal
    this.#seedDefaults = options.seedDefaults ?? (() => ({}))
    this.#sampler = setInterval(() => { this.#sample() }, SAMPLE_EVERY_MS)
    this.#sampler.unref()
  }

  /**
   * Picks up what the journal recorded (a daemon at start): fetches resume by themselves (their
   * peers, and the DHT's), finished fetches seed again, paused ones stay paused. Returns how many
   * transfers seed or fetch.
   */
  async restore (): Promise<{ fetching: number, seeding: number }> {
    const counts = { fetching: 0, seeding: 0 }
    if (this.#journal == null) return counts
    for (const r of await this.#journal.list()) {
      let t: Transfer
      try { t = Transfer.fromRecord(r) } catch { continue } // a record this version cannot read
      this.#transfers.set(t.info.id, t)
      t.info.state = r.state
      if (r.state === 'fetching') { this.#start(t); counts.fetching++ } else if (r.state === 'seeding') {
        if (await this.#reseed(t)) counts.seeding++
      } else if (r.state === 'failed' && retryable(r.code)) this.#retryLater(t)
      else if (r.state === 'paused' && r.code === 'fetch.noSpace') this.#waitForSpace(t)
    }
    return counts
  }

  /** Starts a fetch in the background; returns at once with its id (throws on a bad link or a duplicate). */
  add (req: AddTransferRequest): TransferInfo {
    if (this.#closed) throw new NodeError('node.closing', {}, 'the daemon is shutting down')
    const shareId = req.cap.manifestCid.toString()
    const output = resolve(req.output)
    for (const t of this.#transfers.values()) {
      if (t.info.shareId === shareId && t.info.output === output && (t.info.state === 'fetching' || t.info.state === 'paused')) {
        throw new TransferStateError('transfer.duplicate', { id: t.info.id, output }, `transfer ${t.info.id} already fetches this share into ${output}`)
      }
    }
    const t = new Transfer(randomBytes(6).toString('hex'), { ...req, output }, shareId)
    this.#transfers.set(t.info.id, t)
    this.#forgetOldFinished()
    this.#emit({ type: 'transfer:added', transfer: this.#public(t) })
    this.#start(t)
    return this.#public(t)
  }

  /**
   * A stream the daemon serves (streams.ts runs it) listed and reported as a transfer: `onEvent`
   * takes its fetch's events, `running` its download and how to stop it (cancel), `failed` a
   * start that did not get under way. A share already streaming is the same transfer (the stream
   * service joins it): the second follower's calls change nothing.
   */
  followStream (req: AddTransferRequest): StreamFollower {
    const shareId = req.cap.manifestCid.toString()
    const ignore: StreamFollower = { onEvent: () => {}, running: () => {}, failed: () => {} }
    if ([...this.#transfers.values()].some(x => x.info.kind === 'stream' && x.info.shareId === shareId && (x.info.state === 'fetching' || x.info.state === 'seeding'))) return ignore
    const t = new Transfer(randomBytes(6).toString('hex'), { ...req, output: resolve(req.output) }, shareId)
    t.info.kind = 'stream'
    this.#transfers.set(t.info.id, t)
    this.#forgetOldFinished()
    this.#emit({ type: 'transfer:added', transfer: this.#public(t) })
    return {
      onEvent: e => { this.#onFetchEvent(t, e) },
      running: (fetched, stop) => { t.stopStream = stop; this.#settle(t, fetched) },
      failed: err => { this.#settle(t, Promise.reject(err)) }
    }
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
    const banned = new Set(snap?.bannedPeers ?? [])
    const peerList = t.peerRates(snap?.peerList ?? [], banned)
    const blocks = snap?.blocks ?? new Uint8Array(0)
    return { ...this.#public(t), peerList, bannedPeers: [...banned], blockMap: renderBlockMap(blocks, cells), blockCount: blocks.length, blockSize: this.#swarmOf(t)?.header?.blockSize ?? 0 }
  }

  async pause (id: string): Promise<TransferInfo> {
    const t = this.#need(id)
    if (t.info.kind === 'stream') throw new TransferStateError('transfer.streamPause', { id }, `transfer ${id} is a stream: it cannot be paused (cancel stops it)`)
    if (t.info.state !== 'fetching') throw new TransferStateError('transfer.state', { id, state: t.info.state }, `transfer ${id} is ${t.info.state}, not fetching`)
    await this.#stop(t, 'pause')
    this.#setState(t, 'paused')
    return this.#public(t)
  }

  /**
   * Forgets every transfer of a share (`oht unshare`): stops it fetching or seeding, drops its
   * records, and with `deleteData` deletes what it wrote. Returns how many there were and the paths deleted.
   */
  async forgetShare (shareId: string, deleteData: boolean): Promise<{ transfers: number, removed: string[] }> {
    let n = 0
    const cap = this.#capOf(shareId)
    for (const t of [...this.#transfers.values()]) {
      if (t.info.shareId !== shareId) continue
      n++
      t.clearTimers()
      if (t.info.state === 'fetching') await this.#stop(t, 'cancel')
      else await t.stopStream?.()
      this.#transfers.delete(t.info.id)
      this.#emit({ type: 'transfer:removed', id: t.info.id })
    }
    if (cap != null) this.#service.stopSeeding?.(cap)
    const journal = this.#journal
    const removed = journal != null ? await forgetFetched(this.#service.node, journal, shareId, deleteData) : []
    return { transfers: n, removed }
  }

  async resume (id: string): Promise<TransferInfo> {
    const t = this.#need(id)
    if (t.info.kind === 'stream') throw new TransferStateError('transfer.streamPause', { id }, `transfer ${id} is a stream: \`oht stream\` starts it again`)
    if (t.info.state !== 'paused' && t.info.state !== 'failed') throw new TransferStateError('transfer.state', { id, state: t.info.state }, `transfer ${id} is ${t.info.state}, not paused`)
    t.clearTimers()
    delete t.info.error
    this.#start(t)
    return this.#public(t)
  }

  /** Stops the transfer for good and forgets it. Its .part files and record stay: a new fetch resumes. */
  async cancel (id: string): Promise<void> {
    const t = this.#need(id)
    t.clearTimers()
    if (t.info.state === 'fetching') await this.#stop(t, 'cancel')
    else await t.stopStream?.()
    if (t.info.state === 'seeding') this.#service.stopSeeding?.(t.cap)
    if (t.info.state !== 'complete') this.#setState(t, 'cancelled')
    this.#transfers.delete(id)
    this.#save(t, true)
    this.#emit({ type: 'transfer:removed', id })
  }

  /**
   * Sets file priorities (`path` → skip | normal; files not named keep theirs). A running
   * transfer restarts with the new selection; blocks already written are kept (re-checked).
   */
  async setFilePriorities (id: string, priorities: Record<string, string>): Promise<TransferInfo> {
    const t = this.#need(id)
    if (t.info.kind === 'stream') throw new TransferStateError('transfer.streamPause', { id }, `transfer ${id} is a stream: its player decides what it fetches`)
    if (t.info.state === 'complete' || t.info.state === 'seeding' || t.info.state === 'cancelled') throw new TransferStateError('transfer.state', { id, state: t.info.state }, `transfer ${id} is ${t.info.state}`)
    const files = t.info.files.length > 0 ? t.info.files : await this.#filesOf(t)
    if (files == null) throw new TransferStateError('transfer.state', {}, 'the share\'s file list is not known yet (no peer has sent the manifest): try again shortly')
    const known = new Map(files.map(f => [f.path, f]))
    for (const [path, priority] of Object.entries(priorities)) {
      if (!known.has(path)) throw new NodeError('transfer.noFile', { path }, `no file ${JSON.stringify(path)} in this share`)
      if (!(FILE_PRIORITIES as readonly string[]).includes(priority)) throw new NodeError('transfer.badPriority', { priority, known: FILE_PRIORITIES.join(', ') }, `unknown priority ${JSON.stringify(priority)} (${FILE_PRIORITIES.join(' or ')}; high is not built yet)`)
    }
    const next = files.map(f => ({ ...f, priority: (priorities[f.path] ?? f.priority) as FilePriority }))
    if (next.every(f => f.priority === 'skip')) throw new NodeError('transfer.allSkipped', {}, 'every file would be skipped: cancel the transfer instead')
    const wasFetching = t.info.state === 'fetching'
    if (wasFetching) await this.#stop(t, 'pause')
    t.info.files = next
    t.select = next.every(f => f.priority !== 'skip') ? [] : next.filter(f => f.priority !== 'skip').map(f => f.path)
    if (wasFetching) this.#start(t)
    else this.#save(t)
    return this.#public(t)
  }

  async close (): Promise<void> {
    this.#closed = true
    clearInterval(this.#sampler)
    for (const t of this.#transfers.values()) {
      clearTimeout(t.progressTimer)
      t.clearTimers()
      if (t.info.kind === 'stream') continue // the daemon closes its streams itself; they end with it
      // Recorded as it was (fetching, seeding): the next daemon carries on from here.
      if (t.info.state === 'fetching') await this.#stop(t, 'pause').catch(() => {})
      if (t.info.state === 'fetching' || t.info.state === 'seeding') this.#save(t)
    }
    await Promise.allSettled([...this.#writes])
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
    t.uploadedBase = t.info.uploaded ?? 0
    this.#setState(t, 'fetching')
    const req: FetchRequest = { output: t.info.output, peers: t.info.peers, select: t.select, overwrite: t.overwrite, merge: t.merge, encryptedParts: t.encryptedParts, ...(t.resumed || t.attempts > 0 ? { discover: true } : {}) }
    this.#settle(t, this.#service.fetch(t.cap, req, e => { this.#onFetchEvent(t, e) }, abort.signal))
    void t.run!.finally(() => { if (t.abort === abort) delete t.abort })
  }

  /** What happens when a transfer's fetch ends: it seeds (or is complete), or fails, pauses for space, retries later. */
  #settle (t: Transfer, run: Promise<FetchResult>): void {
    const stream = t.info.kind === 'stream'
    t.run = run.then(result => {
      t.info.result = result
      t.info.bytesDone = t.info.bytesTotal = result.bytes
      t.info.resumedBlocks = result.resumedBlocks
      t.info.etaSeconds = 0
      t.attempts = 0
      // The once-a-second sample may have last run a block before the end: a finished transfer
      // holds every block it wanted.
      const final = this.#swarmOf(t)?.stats()
      if (final != null) t.info.blocksWanted = final.blocksWanted
      t.info.blocksHeld = t.info.blocksWanted
      // The swarm stays open on the finished output: the daemon seeds it (until a seed limit).
      const seeding = this.#swarmOf(t)?.complete === true && this.#service.stopSeeding != null
      if (seeding) t.seedingSince = Date.now()
      // A stream seeds while it is served: seed limits are for fetches.
      if (seeding && (stream || !t.seedLimitReached(this.#defaults()))) this.#setState(t, 'seeding', { result })
      else this.#stopSeeding(t, result)
    }, (err: Error) => {
      if (t.stopping != null) return // paused or cancelled: the caller sets the state
      const code = err instanceof NodeError ? err.code : undefined
      const extra = { error: err.message, ...(err instanceof NodeError ? { code: err.code, params: err.params } : {}) }
      t.info.error = err.message
      if (stream) { this.#setState(t, 'failed', extra); return } // streams.ts closed its swarm; a new stream starts afresh
      this.#closeSwarm(t)
      if (code != null) t.errorCode = code; else delete t.errorCode
      if (code === 'fetch.noSpace' || (err as NodeJS.ErrnoException).code === 'ENOSPC') {
        t.errorCode = 'fetch.noSpace'
        this.#setState(t, 'paused', extra)
        this.#waitForSpace(t)
        return
      }
      // Retried by itself: a resumed transfer, or one that got under way (its peers went). One
      // that never reached a peer offering the share fails for good (a wrong --peer, say).
      if ((t.resumed || t.info.bytesTotal > 0) && retryable(code)) this.#retryLater(t)
      this.#setState(t, 'failed', extra)
    })
  }

  /** A resumed transfer that failed for want of peers tries again, later and later. */
  #retryLater (t: Transfer): void {
    const wait = backoffMs(t.attempts++)
    t.info.retryAt = Date.now() + wait
    t.retryTimer = setTimeout(() => {
      delete t.retryTimer
      delete t.info.retryAt
      if (!this.#closed && t.info.state === 'failed') this.#start(t)
    }, wait)
    t.retryTimer.unref()
  }

  /** Paused for want of disk space: resumes by itself once what is missing fits. */
  #waitForSpace (t: Transfer): void {
    t.diskTimer = setInterval(() => {
      void freeBytes(t.info.output).then(free => {
        if (this.#closed || t.info.state !== 'paused' || t.diskTimer == null) return
        const missing = Math.max(1, t.info.bytesTotal - t.info.bytesDone)
        if (free == null || free < missing) return
        t.clearTimers()
        delete t.info.error
        this.#start(t)
      })
    }, DISK_CHECK_MS)
    t.diskTimer.unref()
  }

  /** Seeds a finished fetch again from its output (a restarted daemon); a damaged output fails it. */
  async #reseed (t: Transfer): Promise<boolean> {
    try {
      if (this.#service.seedFetched == null) throw new Error('this node does not seed')
      await this.#service.seedFetched(t.cap, t.info.output, t.select)
      t.seedingSince = Date.now()
      t.info.state = 'seeding'
      return true
    } catch (err) {
      t.info.error = `cannot seed from ${t.info.output}: ${(err as Error).message}`
      this.#setState(t, 'failed', { error: t.info.error })
      return false
    }
  }

  /** Seeding ends (a seed limit reached): the swarm closes, the announcement stops; the transfer is complete. */
  #stopSeeding (t: Transfer, result?: FetchResult): void {
    if (t.seedingSince != null) { t.seededBase = t.seededSeconds(); delete t.seedingSince }
    this.#service.stopSeeding?.(t.cap)
    t.info.upRate = 0
    t.info.peerCount = 0
    this.#setState(t, 'complete', result != null ? { result } : {})
  }

  #closeSwarm (t: Transfer): void {
    // Only a swarm this transfer fetches into: a share this node also seeds keeps seeding.
    const entry = this.#service.network?.swarmFor(t.info.shareId)
    if (entry != null && !entry.swarm.complete) this.#service.network!.closeSwarm(t.info.shareId)
  }

  #defaults (): { seedRatio?: number, seedTime?: number } {
    try { return this.#seedDefaults() } catch { return {} } // a config being edited: no limit this round
  }

  #capOf (shareId: string): ReadCap | undefined {
    return [...this.#transfers.values()].find(x => x.info.shareId === shareId)?.cap
  }

  /** Records the transfer in the journal (or drops it, `forget`); close() waits for the writes. */
  #save (t: Transfer, forget = false): void {
    const journal = this.#journal
    if (journal == null || t.info.kind === 'stream') return
    const write = (forget ? journal.delete(t.info.id) : journal.put(t.record())).catch(() => {})
    this.#writes.add(write)
    void write.then(() => { this.#writes.delete(write) })
  }

  /** Aborts the running fetch, waits for it to record what it wrote, then closes the swarm (peers go). */
  async #stop (t: Transfer, why: 'pause' | 'cancel'): Promise<void> {
    t.stopping = why
    t.abort?.abort(new Error(why === 'pause' ? 'paused' : 'cancelled'))
    await t.stopStream?.()
    await t.run
    this.#closeSwarm(t)
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
    const journalDue = Date.now() - this.#lastJournal >= JOURNAL_EVERY_MS
    if (journalDue) this.#lastJournal = Date.now()
    for (const t of this.#transfers.values()) {
      if (t.info.state === 'seeding') { this.#sampleSeeding(t, journalDue); continue }
      if (t.info.state !== 'fetching') continue
      const swarm = this.#swarmOf(t)
      if (swarm == null) continue
      const rated = t.sample(swarm.snapshot(), now)
      if (journalDue) this.#save(t)
      if (rated) this.#progress(t)
    }
  }

  /** A seeding transfer: what it served, and whether a seed limit is reached. */
  #sampleSeeding (t: Transfer, journalDue: boolean): void {
    const stats = this.#swarmOf(t)?.stats()
    if (stats != null) {
      const last = t.info.uploaded ?? 0
      t.info.uploaded = Math.max(last, t.uploadedBase + stats.uploaded)
      t.info.upRate = t.info.uploaded - last
      t.info.peerCount = stats.peers
    }
    if (t.seedLimitReached(this.#defaults())) this.#stopSeeding(t)
    else if (journalDue) this.#save(t)
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
    if (state === 'fetching' || state === 'paused') delete t.info.finishedAt
    else t.info.finishedAt ??= Date.now()
    if (state !== 'fetching') { clearTimeout(t.progressTimer); delete t.progressTimer }
    if (state !== 'cancelled') this.#save(t)
    this.#emit({ type: 'transfer:state', id: t.info.id, state, ...extra })
  }

  #forgetOldFinished (): void {
    const finished = [...this.#transfers.values()].filter(t => t.info.state === 'complete' || t.info.state === 'failed')
    for (const t of finished.slice(0, Math.max(0, finished.length - MAX_FINISHED))) { this.#transfers.delete(t.info.id); this.#save(t, true) }
  }

  #public (t: Transfer): TransferInfo {
    return { ...t.info, peers: [...t.info.peers], files: t.info.files.map(f => ({ ...f })) }
  }

  #emit (e: TransferEvent): void { this.emit('event', e) }
}


