// One transfer as the manager (transfers.ts) holds it, its journal record (journal.ts), and the
// rules that decide what happens to it by itself: retries with backoff, seed limits.
import { resolve } from 'node:path'
import { formatLink, type ReadCap } from '../../blocks/index.ts'
import type { AddTransferRequest, TransferInfo, TransferPeer } from './transfer-info.ts'
import type { PeerSnapshot, SwarmSnapshot } from '../../swarm/swarm.ts'
import { capOf, type TransferRecord } from './journal.ts'

export interface Sample { at: number, down: number, up: number, peers: Map<string, { received: number, served: number }> }

/** First retry of a transfer the daemon resumed, then doubled up to RETRY_MAX_MS. */
export const RETRY_BASE_MS = 5_000
export const RETRY_MAX_MS = 5 * 60_000
/** Rates are measured over this window of samples. */
const RATE_WINDOW_MS = 4000
/** How often a transfer paused for want of disk space looks for it again. */
export const DISK_CHECK_MS = 3_000

/** Failures that may pass by themselves (peers offline, none found yet, none reached). */
const RETRYABLE = new Set(['fetch.noPeers', 'fetch.noProviders', 'fetch.unreachable', 'fetch.notOffered', 'fetch.peersGone', 'fetch.noSource'])

export function retryable (code: string | undefined): boolean { return code != null && RETRYABLE.has(code) }

export function backoffMs (attempt: number): number {
  return Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** Math.max(0, attempt))
}

export class Transfer {
  readonly info: TransferInfo
  readonly cap: ReadCap
  select: string[]
  overwrite: boolean
  merge: boolean
  encryptedParts: boolean
  abort?: AbortController
  run?: Promise<void>
  /** Why the current run is being stopped (pause or cancel), so its error is not a failure. */
  stopping?: 'pause' | 'cancel'
  samples: Sample[] = []
  lastProgressAt = 0
  progressTimer?: NodeJS.Timeout
  /** The daemon resumed it (after a restart): it retries by itself, and asks the DHT for peers. */
  resumed = false
  attempts = 0
  /** The code of the last failure (errors.ts), kept for the journal. */
  errorCode?: string
  retryTimer?: NodeJS.Timeout
  diskTimer?: NodeJS.Timeout
  /** Bytes served by earlier swarms of this transfer (earlier runs, earlier daemons). */
  uploadedBase = 0
  seededBase = 0
  /** Date.now() when the current seeding began. */
  seedingSince?: number
  /** A stream's: ends it (its download and its local endpoints); a stream is run by streams.ts, not by the manager. */
  stopStream?: () => Promise<void>

  constructor (id: string, req: AddTransferRequest, shareId: string) {
    this.cap = req.cap
    this.select = [...(req.select ?? [])]
    this.overwrite = req.overwrite === true
    this.merge = req.merge === true
    this.encryptedParts = req.encryptedParts === true
    this.info = {
      id, shareId, name: null, output: resolve(req.output), peers: [...req.peers], state: 'fetching',
      bytesDone: 0, bytesTotal: 0, blocksHeld: 0, blocksWanted: 0, downRate: 0, upRate: 0, etaSeconds: null,
      peerCount: 0, resumedBlocks: 0, files: [], addedAt: Date.now(), uploaded: 0,
      ...(req.seedRatio != null ? { seedRatio: req.seedRatio } : {}),
      ...(req.seedTime != null ? { seedTime: req.seedTime } : {})
    }
  }

  static fromRecord (r: TransferRecord): Transfer {
    const t = new Transfer(r.id, {
      cap: capOf(r), output: r.output, peers: r.peers, select: r.select, overwrite: r.overwrite, merge: r.merge === true, encryptedParts: r.encryptedParts === true,
      ...(r.seedRatio != null ? { seedRatio: r.seedRatio } : {}),
      ...(r.seedTime != null ? { seedTime: r.seedTime } : {})
    }, '')
    Object.assign(t.info, { shareId: t.cap.manifestCid.toString(), name: r.name, bytesTotal: r.bytesTotal, addedAt: r.addedAt, uploaded: r.uploaded })
    if (r.finishedAt != null) t.info.finishedAt = r.finishedAt
    if (r.error != null) t.info.error = r.error
    if (r.code != null) t.errorCode = r.code
    if (r.state === 'seeding' || r.state === 'complete') t.info.bytesDone = r.bytesTotal
    t.uploadedBase = r.uploaded
    t.seededBase = r.seededSeconds
    t.resumed = true
    return t
  }

  /** Seconds seeded over every run. */
  seededSeconds (now = Date.now()): number {
    return this.seededBase + (this.seedingSince != null ? (now - this.seedingSince) / 1000 : 0)
  }

  /** Whether a seed limit is reached: this transfer's own, else the defaults (none set: never). */
  seedLimitReached (defaults: { seedRatio?: number, seedTime?: number } = {}): boolean {
    const i = this.info
    const ratio = i.seedRatio ?? defaults.seedRatio
    const time = i.seedTime ?? defaults.seedTime
    if (ratio != null && (i.uploaded ?? 0) >= ratio * Math.max(1, i.bytesTotal)) return true
    return time != null && this.seededSeconds() >= time
  }

  /** The journal record; `state` overrides (a daemon stopping keeps a fetch `fetching`). */
  record (): TransferRecord {
    const i = this.info
    const state = i.state === 'cancelled' ? 'failed' : i.state
    return {
      id: i.id, link: formatLink(this.cap), output: i.output, peers: i.peers, select: this.select, overwrite: this.overwrite, merge: this.merge, ...(this.encryptedParts ? { encryptedParts: true } : {}),
      state, name: i.name, bytesTotal: i.bytesTotal, addedAt: i.addedAt, uploaded: i.uploaded ?? 0, seededSeconds: this.seededSeconds(),
      ...(i.finishedAt != null ? { finishedAt: i.finishedAt } : {}),
      ...(i.error != null ? { error: i.error } : {}),
      ...(i.error != null && this.errorCode != null ? { code: this.errorCode } : {}),
      ...(i.seedRatio != null ? { seedRatio: i.seedRatio } : {}),
      ...(i.seedTime != null ? { seedTime: i.seedTime } : {})
    }
  }

  /** Takes a once-a-second sample of its swarm: blocks, peers, and (from the second sample on) rates and ETA, true then. */
  sample (snap: SwarmSnapshot, now: number): boolean {
    const i = this.info
    i.uploaded = this.uploadedBase + snap.uploaded
    this.samples.push({ at: now, down: snap.downloaded, up: snap.uploaded, peers: new Map(snap.peerList.map(p => [p.id, { received: p.received, served: p.served }])) })
    while (this.samples.length > 1 && now - this.samples[0]!.at > RATE_WINDOW_MS) this.samples.shift()
    const first = this.samples[0]!
    const seconds = (now - first.at) / 1000
    i.blocksHeld = snap.blocksHeld
    i.blocksWanted = snap.blocksWanted
    i.peerCount = snap.peers
    if (seconds <= 0) return false
    i.downRate = Math.max(0, (snap.downloaded - first.down) / seconds)
    i.upRate = Math.max(0, (snap.uploaded - first.up) / seconds)
    const left = i.bytesTotal - i.bytesDone
    i.etaSeconds = i.bytesTotal === 0 ? null : left <= 0 ? 0 : i.downRate > 0 ? Math.ceil(left / i.downRate) : null
    return true
  }

  /** Its peers with their rates over the samples' window. */
  peerRates (peers: readonly PeerSnapshot[], banned: ReadonlySet<string>): TransferPeer[] {
    const last = this.samples.at(-1)
    const first = this.samples[0]
    const seconds = last != null && first != null ? (last.at - first.at) / 1000 : 0
    return peers.map(p => {
      const before = first?.peers.get(p.id)
      return {
        ...p,
        downRate: before != null && seconds > 0 ? Math.max(0, (p.received - before.received) / seconds) : 0,
        upRate: before != null && seconds > 0 ? Math.max(0, (p.served - before.served) / seconds) : 0,
        banned: banned.has(p.id)
      }
    })
  }

  clearTimers (): void {
    clearTimeout(this.retryTimer)
    clearInterval(this.diskTimer)
    delete this.retryTimer
    delete this.diskTimer
  }
}
