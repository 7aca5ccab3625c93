// What the transfer manager tells about a transfer: its public record, its events, the block map.
import type { ReadCap } from '../../blocks/index.ts'
import type { FetchEvent, FetchRequest, FetchResult } from './fetch.ts'
import { NodeError, type NodeErrorParams } from '../errors.ts'
import { BLOCK_HELD, BLOCK_INFLIGHT, BLOCK_SKIPPED, type PeerSnapshot } from '../../swarm/swarm.ts'

/**
 * `seeding`: fetched whole and served to peers (until a seed limit or `unshare`); `complete`:
 * done, no longer seeded. A daemon keeps every state but `cancelled` across restarts (journal.ts).
 */
export type TransferState = 'fetching' | 'paused' | 'seeding' | 'complete' | 'failed' | 'cancelled'
/** States in which a transfer has its result (the fetch finished). */
export const FINISHED_STATES: readonly TransferState[] = ['seeding', 'complete']
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
  /** When a failed or paused transfer is tried again by itself (ms since the epoch). */
  retryAt?: number
  /** Bytes served to peers, over every run of the daemon. */
  uploaded?: number
  /** Seed limits of this transfer (from the request or the config's defaults). */
  seedRatio?: number
  seedTime?: number
  /** `stream`: a stream the daemon serves (`oht stream`): listed here, cannot be paused, not kept across restarts. */
  kind?: 'stream'
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

/** How a stream reports to the transfer manager (TransferManager.followStream). */
export interface StreamFollower {
  onEvent: (e: FetchEvent) => void
  running: (fetched: Promise<FetchResult>, stop: () => Promise<void>) => void
  failed: (err: Error) => void
}

export class TransferNotFoundError extends NodeError { override name = 'TransferNotFoundError' }
export class TransferStateError extends NodeError { override name = 'TransferStateError' }
