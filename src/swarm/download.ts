import { createHash } from 'node:crypto'
import { blockLength, TAG_BYTES } from '../blocks/index.ts'
import { Bits } from './bitfield.ts'
import { DEFAULT_REQUEST_TIMEOUT_MS, READER_SETTLE_MS, SHALLOW_SLOTS_WHILE_STREAMING, MAX_STORING, URGENT_BLOCKS } from './constants.ts'
import { announceHave, flushHaves, type PeerNode, type SwarmContext, type SwarmPeer } from './peer.ts'
import { PiecePicker } from './picker.ts'
import type { PriorityWindow } from './types.ts'
import type { PriorityWindows } from './windows.ts'

/** What the fetch needs of the swarm that composes it. */
export interface DownloadHooks {
  /** Sends a request for a whole block; its answer comes back to onPiece or onRefused. */
  request (peer: SwarmPeer, index: number, length: number): void
  /** The verified leaf hashes. */
  leaves (): Uint8Array
  /** Our store failed to take a block (not the peer's fault). */
  storeFailed (err: Error): void
  /** Every wanted block is held. */
  complete (): void
}

/**
 * The fetching side: keeps each unchoking peer's pipeline full with the picker's choices,
 * verifies and stores what arrives, re-asks what times out, and tells peers what is held.
 */
export class Downloader {
  readonly #ctx: SwarmContext
  readonly #windows: PriorityWindows
  readonly #hooks: DownloadHooks
  #picker?: PiecePicker
  /** Streams open on this fetch (holdForStreaming): background requests stay shallow meanwhile. */
  #streams = 0
  /** Until then (a reader just came or went) only blocks a reader is blocked on are asked for. */
  #settleUntil = 0
  #settleTimer: NodeJS.Timeout | undefined
  downloaded = 0

  constructor (ctx: SwarmContext, windows: PriorityWindows, hooks: DownloadHooks) {
    this.#ctx = ctx
    this.#windows = windows
    this.#hooks = hooks
  }

  /** Set once the blocks held are known (start). */
  get picker (): PiecePicker | undefined { return this.#picker }
  get missing (): number { return this.#picker?.missing ?? 0 }

  /** The blocks held are known: picking starts, counting the blocks of the peers already here. */
  start (have: Bits, wanted: Bits | undefined): void {
    this.#picker = new PiecePicker(have, wanted, this.#windows)
    for (const p of this.#ctx.peers.values()) if (this.#counts(p)) this.#picker.addPeer(p.pick.pieces)
  }

  /**
   * True when `peer`'s bitfield and `have`s count in the availability: one lane per node (the
   * first to ask), as every lane of a node hears the same blocks.
   */
  #counts (peer: SwarmPeer): boolean {
    const node = peer.node
    // A lane that never proved the swarm key has no blocks yet: a ready lane takes its place.
    if (node.counted == null || (!node.counted.wire.authenticated && peer.wire.authenticated)) node.counted = peer
    return node.counted === peer
  }

  /** The node has a block this fetch wants and does not hold (worth more lanes). */
  wantsFrom (node: PeerNode): boolean {
    const picker = this.#picker
    const lane = node.counted
    if (picker == null || lane == null || picker.missing === 0) return false
    for (let i = 0; i < picker.size; i++) if (!picker.have.get(i) && picker.isWanted(i) && lane.pick.pieces.get(i)) return true
    return false
  }

  /** A ready peer and known blocks: advertise what can be served, say whether we want anything. */
  startExchange (peer: SwarmPeer): void {
    const picker = this.#picker!
    if (picker.have.count > 0) void this.#sendBitfield(peer)
    if (picker.missing > 0) peer.wire.wire.interested()
    this.fill(peer)
  }

  async #sendBitfield (peer: SwarmPeer): Promise<void> {
    const have = this.#picker!.have
    const servable = new Bits(have.size)
    for (let i = 0; i < have.size; i++) if (have.get(i) && await this.#ctx.store!.has(i)) servable.set(i)
    if (servable.count > 0 && !peer.wire.closed) peer.wire.wire.bitfield(servable.bytes)
  }

  peerHas (peer: SwarmPeer, index: number): void {
    if (!this.#counts(peer)) { this.fill(peer); return }
    if (this.#picker?.peerHas(index) === true) this.fill(peer)
  }

  peerBitfield (peer: SwarmPeer): void {
    if (this.#picker == null) return
    if (this.#counts(peer)) this.#picker.addPeer(peer.pick.pieces)
    this.fill(peer)
  }

  /**
   * A lane left: its requests go back to the pool. If its blocks were the ones counted for its
   * node, they no longer count, and another lane of the node (if any) counts instead.
   */
  peerLeft (peer: SwarmPeer): void {
    clearTimeout(peer.haveTimer)
    for (const index of [...peer.pipeline.indices()]) this.#untrack(peer, index)
    const node = peer.node
    if (node.counted !== peer) return
    node.counted = undefined
    if (peer.wire.authenticated) this.#picker?.removePeer(peer.pick.pieces)
    const next = [...node.lanes].find(p => p !== peer && p.wire.authenticated)
    if (next != null) {
      node.counted = next
      this.#picker?.addPeer(next.pick.pieces)
    }
  }

  /** Keeps `peer.pipeline.depth` requests in flight to an unchoking peer. */
  fill (peer: SwarmPeer): void {
    flushHaves(peer) // in the same write as the requests below
    const picker = this.#picker
    if (picker == null || this.#ctx.closed || picker.missing === 0 || picker.storingCount >= MAX_STORING) return
    if (peer.wire.wire.peerChoking || peer.wire.closed) return
    const pipeline = peer.pipeline
    // The heads of readers' windows (what a player waits on) come first, at any depth. While a
    // reader waits, and for as long as a stream is open, everything else (read-ahead deeper in a
    // window, rarest-first background) keeps a slot or so per lane: a seeder answers in order and
    // over Tor sends what it was asked before a cancel can arrive, so a full pipeline would sit
    // in front of the next seek's block (a player's seek is a new request, a new window).
    const pending = picker.windowsPending()
    const shallow = pending || this.#streams > 0
    const settling = performance.now() < this.#settleUntil
    let deferrable = 0
    if (shallow) {
      // What a cancel left in the circuit is in front of anything asked now, as a request would be.
      deferrable = pipeline.recentlyWithdrawnInTransit
      for (const i of pipeline.indices()) if (!this.#isHead(i)) deferrable++
    }
    while (pipeline.hasRoom) {
      const windowed = pending ? picker.pickWindowed(peer.pick) : undefined
      // The nearest pick is past a window's first block: no reader waits on anything this lane has.
      if (settling && (windowed == null || this.#windows.distance(windowed) > 0)) break
      const head = windowed != null && this.#isHead(windowed)
      if (shallow && !head && deferrable >= SHALLOW_SLOTS_WHILE_STREAMING) break
      if (windowed != null) this.#windows.requested(windowed)
      const index = windowed ?? picker.pick(peer.pick)
      if (index == null) break
      this.#request(peer, index)
      if (!head) deferrable++
    }
  }

  /** Block `index` is at the head of a reader's window: a player waits on it now. */
  #isHead (index: number): boolean { return this.#windows.distance(index) < URGENT_BLOCKS }

  /** A stream of this fetch opened; the function returned says it closed (once). */
  holdForStreaming (): () => void {
    this.#streams++
    let held = true
    return () => {
      if (!held) return
      held = false
      this.#streams--
      this.fillAll()
    }
  }

  /**
   * Fills every lane, `except` last (a lane that just timed out). While a reader has a window, the
   * lanes that would answer a new request soonest come first: what a lane was sent is still in its
   * circuit (a cancel does not recall it), and lanes drain at their own pace, so a window's head
   * goes where the least time, not the fewest blocks, stands in front of it.
   */
  fillAll (except?: SwarmPeer): void {
    const lanes = [...this.#ctx.peers.values()].filter(p => p !== except)
    if (this.#windows.size > 0) {
      const wait = new Map(lanes.map(p => [p, p.pipeline.expectedWaitMs]))
      lanes.sort((a, b) => wait.get(a)! - wait.get(b)!)
    }
    for (const p of lanes) this.fill(p)
    if (except != null) this.fill(except)
  }

  /**
   * A reader's window changed (`next`, or gone): requests made for windows that no window wants
   * any more are cancelled, so the peers' queues hold what the readers need now, and the head of
   * the new window does not wait behind full pipelines.
   */
  windowChanged (next: PriorityWindow | undefined, readerCameOrWent: boolean): void {
    if (readerCameOrWent) this.#settle()
    const picker = this.#picker
    if (picker == null) return
    for (const index of this.#windows.takeStale()) {
      if (picker.have.get(index)) continue
      for (const p of this.#ctx.peers.values()) this.#cancel(p, index)
    }
    if (next != null) {
      for (let i = next.from; i <= next.to && i - next.from < URGENT_BLOCKS; i++) {
        if (picker.unrequested(i)) this.#preempt(i, i - next.from)
      }
    }
    this.fillAll()
  }

  /** Readers came or went: the rest of what lanes would carry waits READER_SETTLE_MS (fill). */
  #settle (): void {
    this.#settleUntil = performance.now() + READER_SETTLE_MS
    clearTimeout(this.#settleTimer)
    this.#settleTimer = setTimeout(() => { this.#settleTimer = undefined; this.fillAll() }, READER_SETTLE_MS + 1)
    this.#settleTimer.unref()
  }

  /**
   * Block `index` is wanted `distance` blocks from a reader's position and nobody is asked for it
   * (a seek): every peer that has it drops its less urgent requests (background ones, and those
   * farther into a window). A seeder answers in order, so anything queued before this block
   * would delay the player by a block's transfer time each; what is dropped is asked again later.
   */
  #preempt (index: number, distance: number): void {
    for (const p of this.#ctx.peers.values()) {
      if (!p.wire.authenticated || p.wire.wire.peerChoking || !p.wire.wire.peerPieces.get(index)) continue
      for (const i of [...p.pipeline.indices()]) {
        if (this.#windows.distance(i) <= distance) continue
        this.#windows.forget(i)
        this.#cancel(p, i)
      }
    }
  }

  #request (peer: SwarmPeer, index: number): void {
    const length = blockLength(this.#ctx.header!, index) + TAG_BYTES
    peer.pipeline.track(index, this.#ctx.options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS, () => { this.#onTimeout(peer, index) })
    this.#picker!.requested(index)
    this.#ctx.emit({ type: 'block:requested', peer: peer.id, index })
    this.#hooks.request(peer, index, length)
  }

  /** Forgets a request (answered, timed out, cancelled); returns it if it was in flight. */
  #untrack (peer: SwarmPeer, index: number): { sentAt: number } | undefined {
    const entry = peer.pipeline.untrack(index)
    if (entry != null) this.#picker?.released(index)
    return entry
  }

  /** Cancels a request in flight to `peer` (its late answer may still be used); false when there was none. */
  #cancel (peer: SwarmPeer, index: number): boolean {
    const entry = this.#untrack(peer, index)
    if (entry == null) return false
    peer.pipeline.withdrawn(index, entry.sentAt)
    peer.wire.wire.cancel(index, 0, blockLength(this.#ctx.header!, index) + TAG_BYTES)
    return true
  }

  #onTimeout (peer: SwarmPeer, index: number): void {
    if (!this.#cancel(peer, index)) return
    this.#ctx.emit({ type: 'block:timeout', peer: peer.id, index })
    peer.pipeline.stalled()
    this.fillAll(peer)
  }

  /** A request was refused (fast-extension reject) or dropped with its connection. */
  onRefused (peer: SwarmPeer, index: number): void {
    if (this.#untrack(peer, index) == null) return
    peer.node.refused.set(index, (peer.node.refused.get(index) ?? 0) + 1)
    this.fillAll()
    this.#checkServable(peer, index)
  }

  /** After a refusal: a wanted block that no connected node will serve any more is reported. */
  #checkServable (refuser: SwarmPeer, index: number): void {
    const picker = this.#picker
    if (picker == null || picker.have.get(index) || picker.isStoring(index)) return
    for (const p of this.#ctx.peers.values()) {
      if (p.wire.closed || !p.wire.authenticated) continue
      if (p.pipeline.has(index) || p.pick.pieces.get(index)) return
    }
    const reason = refuser.wire.lastRefusal
    this.#ctx.emit({ type: 'block:unavailable', index, ...(reason != null ? { reason } : {}) })
  }

  /**
   * Any piece message: one no block of this share could be (a block one byte short, a wrong
   * offset or index) is a lie, banned. A right-shaped piece matching no request is a late
   * answer to a request withdrawn from this lane (a seek's cancel, a timeout): the seeder sent it
   * before the cancel came, so it is used if still wanted (verified as any block) rather than
   * asked for again. Any other is dropped.
   */
  onAnyPiece (peer: SwarmPeer, index: number, offset: number, block: Uint8Array): void {
    const header = this.#ctx.header
    const length = block.length
    if (header == null) return
    if (offset === 0 && index < header.blockCount && length === blockLength(header, index) + TAG_BYTES) {
      const picker = this.#picker
      if (!peer.pipeline.takeWithdrawn(index) || picker == null || picker.have.get(index) || picker.isStoring(index) || !picker.isWanted(index)) return
      this.#ctx.emit({ type: 'block:late', peer: peer.id, index })
      void this.#store(peer, index, block)
      return
    }
    this.#ctx.emit({ type: 'block:rejected', peer: peer.id, index, reason: `a piece of ${length} bytes at offset ${offset}: no block of this share has that shape` })
    this.#ctx.ban(peer, `sent a piece of ${length} bytes at offset ${offset} for block ${index}`)
  }

  /** A block arrived for a request of ours (one not cancelled or timed out meanwhile). */
  onPiece (peer: SwarmPeer, index: number, block: Uint8Array): void {
    const entry = this.#untrack(peer, index)
    if (entry == null) return
    peer.pipeline.answered(entry.sentAt)
    void this.#store(peer, index, block, performance.now() - entry.sentAt)
  }

  /** `elapsedMs`: the request's round trip (none for a late answer: it says nothing of the path). */
  async #store (peer: SwarmPeer, index: number, buf: Uint8Array, elapsedMs?: number): Promise<void> {
    const ctx = this.#ctx
    const picker = this.#picker!
    if (ctx.closed) return
    if (picker.have.get(index) || picker.isStoring(index)) { this.fill(peer); return } // endgame duplicate
    const leaf = this.#hooks.leaves().subarray(index * 32, index * 32 + 32)
    const store = ctx.store!
    // The store may take buf's memory (verifyAndPut): only its length is used after that.
    const bytes = buf.length
    const rejectLie = (): void => {
      ctx.emit({ type: 'block:rejected', peer: peer.id, index, reason: 'hash mismatch' })
      ctx.ban(peer, `sent block ${index} that does not match its hash`)
    }
    if (store.verifyAndPut == null && !createHash('sha256').update(buf).digest().equals(leaf)) { rejectLie(); return }
    let senders = 0
    for (const p of ctx.peers.values()) if (p.pipeline.size > 0) senders++
    if (elapsedMs != null) peer.pipeline.adapt(bytes, elapsedMs, ctx.header!.blockSize + TAG_BYTES, senders)
    picker.startStoring(index)
    try {
      if (store.verifyAndPut == null) await store.put?.(index, buf)
      else if (await store.verifyAndPut(index, buf, leaf) === 'mismatch') { rejectLie(); return }
    } catch (err) {
      // Our disk, not the peer, failed: say so and let the block be fetched again.
      ctx.emit({ type: 'block:rejected', peer: peer.id, index, reason: `could not store: ${(err as Error).message}` })
      this.#hooks.storeFailed(err as Error)
      return
    } finally {
      // Peers held back by MAX_STORING get their requests now.
      if (picker.storingCount >= MAX_STORING) queueMicrotask(() => { this.fillAll() })
      picker.doneStoring(index)
    }
    if (!picker.received(index)) return
    peer.node.received += bytes
    peer.node.lastActive = performance.now()
    this.downloaded += bytes
    ctx.emit({ type: 'block:verified', peer: peer.id, index, bytes })
    // Advertise only what can be served (a block may straddle a file this fetch skips).
    const servable = await store.has(index)
    for (const p of ctx.peers.values()) {
      if (servable && p.wire.authenticated) announceHave(p, index, p === peer)
      if (p !== peer && this.#untrack(p, index) != null) p.wire.wire.cancel(index, 0, bytes)
    }
    if (picker.missing === 0) { this.finish(); return }
    this.fill(peer)
  }

  /** Every wanted block is held: send what is pending, stop being interested, say so. */
  finish (): void {
    for (const p of this.#ctx.peers.values()) {
      flushHaves(p)
      if (p.wire.authenticated) p.wire.wire.uninterested()
    }
    this.#hooks.complete()
  }
}
