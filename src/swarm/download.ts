import { createHash } from 'node:crypto'
import { blockLength, TAG_BYTES } from '../blocks/index.ts'
import { Bits } from './bitfield.ts'
import {
  DEFAULT_REQUEST_TIMEOUT_MS, MAX_PARTS, MAX_SPLIT_FAILURES, MAX_STORING, MIN_PART_BYTES, SHALLOW_SLOTS_WHILE_STREAMING, URGENT_BLOCKS
} from './constants.ts'
import { PartAssembly, splitRanges, type PartRange } from './parts.ts'
import { announceHave, flushHaves, type PeerNode, type SwarmContext, type SwarmPeer } from './peer.ts'
import { PiecePicker } from './picker.ts'
import type { PriorityWindow } from './types.ts'
import type { PriorityWindows } from './windows.ts'

/** What the fetch needs of the swarm that composes it. */
export interface DownloadHooks {
  /** Sends a request for a block's bytes (`range`); the answer comes to onAnyPiece, a refusal to onRefused. */
  request (peer: SwarmPeer, index: number, range: PartRange): void
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
  /** Seek heads asked in parts of several lanes (#requestInParts), by block. */
  readonly #splits = new Map<number, PartAssembly<SwarmPeer>>()
  /** Joined blocks that failed verification: asked whole from then on, their parts kept to find the liar. */
  readonly #failedSplits = new Map<number, PartAssembly<SwarmPeer>>()
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
    let deferrable = 0
    if (shallow) for (const i of pipeline.indices()) if (!this.#isHead(i)) deferrable++
    while (pipeline.hasRoom) {
      const windowed = pending ? picker.pickWindowed(peer.pick) : undefined
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

  fillAll (except?: SwarmPeer): void {
    for (const p of this.#ctx.peers.values()) if (p !== except) this.fill(p)
    if (except != null) this.fill(except)
  }

  /**
   * A reader's window changed (`next`, or gone): requests made for windows that no window wants
   * any more are cancelled, so the peers' queues hold what the readers need now, and the head of
   * the new window does not wait behind full pipelines.
   */
  windowChanged (next: PriorityWindow | undefined): void {
    const picker = this.#picker
    if (picker == null) return
    for (const index of this.#windows.takeStale()) {
      if (picker.have.get(index)) continue
      for (const p of this.#ctx.peers.values()) this.#cancel(p, index)
    }
    if (next == null) { this.fillAll(); return }
    // What each lane had in flight before the preemption is still in its circuit (a cancel does
    // not recall bytes already sent): the window's head goes first to the least loaded lanes.
    const inFlight = new Map([...this.#ctx.peers.values()].map(p => [p, p.pipeline.size]))
    for (let i = next.from; i <= next.to && i - next.from < URGENT_BLOCKS; i++) {
      if (picker.unrequested(i)) this.#preempt(i, i - next.from)
    }
    if (picker.unrequested(next.from)) this.#requestInParts(next.from)
    for (const p of [...inFlight.keys()].sort((a, b) => inFlight.get(a)! - inFlight.get(b)!)) this.fill(p)
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

  /**
   * A seek's head block, wanted now and asked of nobody, goes out in parts: one range of its bytes
   * to each of up to MAX_PARTS lanes that have it (the least loaded first), so it arrives in about
   * a part's transfer time. Not for a block whose joined parts failed before, nor once a fetch has
   * seen MAX_SPLIT_FAILURES of those. Returns whether it was split.
   */
  #requestInParts (index: number): boolean {
    if (this.#failedSplits.size >= MAX_SPLIT_FAILURES || this.#failedSplits.has(index)) return false
    const lanes = [...this.#ctx.peers.values()]
      .filter(p => p.wire.authenticated && !p.wire.closed && !p.wire.wire.peerChoking && p.wire.wire.peerPieces.get(index))
      .sort((a, b) => a.pipeline.size - b.pipeline.size)
    const ranges = splitRanges(this.#wholeLength(index), Math.min(MAX_PARTS, lanes.length), MIN_PART_BYTES)
    if (ranges.length < 2) return false
    const split = new PartAssembly<SwarmPeer>(this.#wholeLength(index))
    this.#splits.set(index, split)
    this.#windows.requested(index)
    ranges.forEach((range, k) => {
      split.assign(lanes[k]!, range)
      this.#request(lanes[k]!, index, range)
    })
    return true
  }

  #wholeLength (index: number): number { return blockLength(this.#ctx.header!, index) + TAG_BYTES }

  /** What `peer` was asked for of block `index`: its part if the block is split, else all of it. */
  #rangeOf (peer: SwarmPeer, index: number): PartRange {
    return this.#splits.get(index)?.rangeOf(peer) ?? { offset: 0, length: this.#wholeLength(index) }
  }

  #request (peer: SwarmPeer, index: number, range: PartRange = { offset: 0, length: this.#wholeLength(index) }): void {
    peer.pipeline.track(index, this.#ctx.options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS, () => { this.#onTimeout(peer, index) })
    this.#picker!.requested(index)
    const part = range.length !== this.#wholeLength(index)
    this.#ctx.emit({ type: 'block:requested', peer: peer.id, index, ...(part ? { part: range, lane: peer.key } : {}) })
    this.#hooks.request(peer, index, range)
  }

  /**
   * Forgets a request (answered, timed out, cancelled, dropped); returns it if it was in flight.
   * A part that will not come (`arrived` false) ends its split: the block is asked whole again.
   */
  #untrack (peer: SwarmPeer, index: number, arrived = false): { sentAt: number } | undefined {
    const entry = peer.pipeline.untrack(index)
    if (entry == null) return undefined
    const split = this.#splits.get(index)
    if (split?.rangeOf(peer) == null) this.#picker?.released(index)
    else if (!arrived) this.#endSplit(index, split)
    return entry
  }

  /** A split ends (all parts arrived, or one will not): its asks are released, parts still out cancelled. */
  #endSplit (index: number, split: PartAssembly<SwarmPeer>): void {
    this.#splits.delete(index)
    for (const lane of split.lanes()) {
      this.#picker?.released(index)
      if (lane.pipeline.untrack(index) != null) this.#withdraw(lane, index, split.rangeOf(lane)!)
    }
  }

  /** Cancels a request in flight to `peer`; false when there was none. */
  #cancel (peer: SwarmPeer, index: number): boolean {
    const range = this.#rangeOf(peer, index)
    if (this.#untrack(peer, index) == null) return false
    this.#withdraw(peer, index, range)
    return true
  }

  /** Tells the peer a request is withdrawn; an answer it sent already may still be used (onAnyPiece). */
  #withdraw (peer: SwarmPeer, index: number, range: PartRange): void {
    peer.pipeline.withdrawn(index)
    if (!peer.wire.closed) peer.wire.wire.cancel(index, range.offset, range.length)
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
    if (index < header.blockCount && peer.pipeline.has(index)) {
      const asked = this.#rangeOf(peer, index)
      if (offset === asked.offset && length === asked.length) { this.#onAnswer(peer, index, block); return }
    }
    const whole = index < header.blockCount ? this.#wholeLength(index) : -1
    if (offset === 0 && length === whole) {
      const picker = this.#picker
      if (!peer.pipeline.takeWithdrawn(index) || picker == null || picker.have.get(index) || picker.isStoring(index) || !picker.isWanted(index)) return
      this.#ctx.emit({ type: 'block:late', peer: peer.id, index })
      void this.#store(peer, index, block)
      return
    }
    // A part of a withdrawn split is of no use alone.
    if (offset >= 0 && length > 0 && offset + length <= whole && peer.pipeline.takeWithdrawn(index)) return
    this.#ctx.emit({ type: 'block:rejected', peer: peer.id, index, reason: `a piece of ${length} bytes at offset ${offset}: no block of this share has that shape` })
    this.#ctx.ban(peer, `sent a piece of ${length} bytes at offset ${offset} for block ${index}`)
  }

  /** The bytes asked of `peer` for block `index` arrived: a whole block is stored, a part joined. */
  #onAnswer (peer: SwarmPeer, index: number, bytes: Uint8Array): void {
    const split = this.#splits.get(index)
    const entry = this.#untrack(peer, index, true)!
    const elapsedMs = performance.now() - entry.sentAt
    if (split == null) { void this.#store(peer, index, bytes, elapsedMs); return }
    peer.pipeline.adapt(bytes.length, elapsedMs, this.#ctx.header!.blockSize + TAG_BYTES, this.#senders())
    if (!split.put(peer, bytes)) { this.fill(peer); return }
    this.#endSplit(index, split)
    this.#ctx.emit({ type: 'block:joined', index, parts: [...split.lanes()].length })
    void this.#store(peer, index, split.buffer, undefined, split)
  }

  /**
   * `elapsedMs`: the request's round trip (none for a late answer: it says nothing of the path).
   * `split`: the block was joined from its parts (`peer` sent the last).
   */
  async #store (peer: SwarmPeer, index: number, buf: Uint8Array, elapsedMs?: number, split?: PartAssembly<SwarmPeer>): Promise<void> {
    const ctx = this.#ctx
    const picker = this.#picker!
    if (ctx.closed) return
    if (picker.have.get(index) || picker.isStoring(index)) { this.fill(peer); return } // endgame duplicate
    const leaf = this.#hooks.leaves().subarray(index * 32, index * 32 + 32)
    const store = ctx.store!
    // The store may take buf's memory (verifyAndPut): only its length is used after that.
    const bytes = buf.length
    const rejectLie = (): void => {
      if (split != null) {
        // Which sender lied is not known yet: nobody is banned; the block is asked whole, and its
        // parts are checked against it once it verifies (liarsOf).
        ctx.emit({ type: 'block:rejected', peer: peer.id, index, reason: 'joined from parts that do not match its hash' })
        this.#failedSplits.set(index, split)
        queueMicrotask(() => { this.fillAll() }) // once the block is no longer being stored
        return
      }
      ctx.emit({ type: 'block:rejected', peer: peer.id, index, reason: 'hash mismatch' })
      ctx.ban(peer, `sent block ${index} that does not match its hash`)
    }
    if (store.verifyAndPut == null && !createHash('sha256').update(buf).digest().equals(leaf)) { rejectLie(); return }
    if (elapsedMs != null) peer.pipeline.adapt(bytes, elapsedMs, ctx.header!.blockSize + TAG_BYTES, this.#senders())
    // Compared before the store may take buf's memory; acted on once the block verifies.
    const liars = split == null ? this.#liarsOf(index, buf) : []
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
    for (const liar of liars) {
      ctx.emit({ type: 'block:rejected', peer: liar.id, index, reason: 'sent a part that does not match the verified block' })
      ctx.ban(liar, `sent a part of block ${index} that does not match it`)
    }
    if (split == null) peer.node.received += bytes
    else for (const lane of split.lanes()) lane.node.received += split.rangeOf(lane)!.length
    peer.node.lastActive = performance.now()
    this.downloaded += bytes
    ctx.emit({ type: 'block:verified', peer: peer.id, index, bytes })
    // Advertise only what can be served (a block may straddle a file this fetch skips).
    const servable = await store.has(index)
    for (const p of ctx.peers.values()) {
      if (servable && p.wire.authenticated) announceHave(p, index, p === peer)
      if (p !== peer) this.#cancel(p, index)
    }
    if (picker.missing === 0) { this.finish(); return }
    this.fill(peer)
  }

  /** Connections with requests in flight (the pipeline's delay floor is shared among them). */
  #senders (): number {
    let senders = 0
    for (const p of this.#ctx.peers.values()) if (p.pipeline.size > 0) senders++
    return senders
  }

  /** The lanes whose part of an earlier failed join of block `index` differs from `verified`. */
  #liarsOf (index: number, verified: Uint8Array): SwarmPeer[] {
    const failed = this.#failedSplits.get(index)
    if (failed == null) return []
    const liars: SwarmPeer[] = []
    for (const lane of failed.lanes()) {
      const { offset, length } = failed.rangeOf(lane)!
      if (verified.length !== failed.buffer.length || !failed.buffer.subarray(offset, offset + length).equals(verified.subarray(offset, offset + length))) liars.push(lane)
    }
    return liars
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
