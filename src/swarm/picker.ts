import { Bits } from './bitfield.ts'
import { BLOCK_HELD, BLOCK_INFLIGHT, BLOCK_MISSING, BLOCK_SKIPPED } from './types.ts'
import { ENDGAME_BLOCKS, MAX_ASKS_PER_BLOCK, RANDOM_FIRST, URGENT_BLOCKS } from './constants.ts'
import type { PriorityWindows } from './windows.ts'

/** A peer's bitfield as far as the picker reads it. */
export interface BlockSet {
  get (index: number): boolean
}

/**
 * What the picker needs of the peer it picks for: the blocks it has, and whether a block is in
 * flight to it already. A peer reached over several connections (striping over Tor circuits)
 * answers `asking` for all of them, so no two of its connections carry the same block.
 */
export interface PickPeer {
  readonly pieces: BlockSet
  asking (index: number): boolean
}

/**
 * Which block to ask a peer for next, and the block bookkeeping it needs: what is held, wanted,
 * in flight (over all peers and connections), being stored, and how many peers have each block.
 *
 * Picks are rarest-first with random ties, random for the first few blocks, and duplicated in the
 * endgame; streaming windows (pickWindowed) come before all of those. No sockets, no timers.
 */
export class PiecePicker {
  readonly have: Bits
  readonly #wanted: Bits | undefined
  readonly #windows: PriorityWindows
  readonly #random: () => number
  #missing = 0
  readonly #availability: Uint16Array
  /**
   * How many wanted, missing blocks have each availability (index = number of peers that have
   * the block): gives the rarest a block can be without scanning every block (pick).
   */
  readonly #rarity: number[]
  /** Requests in flight per block, over all peers. */
  readonly #asked: Uint8Array
  /** Blocks received and being verified/stored. */
  readonly #storing = new Set<number>()

  /** `have` holds what the store holds; `wanted` (default: every block) is what this fetch wants. */
  constructor (have: Bits, wanted: Bits | undefined, windows: PriorityWindows, random: () => number = Math.random) {
    this.have = have
    this.#wanted = wanted
    this.#windows = windows
    this.#random = random
    for (let i = 0; i < have.size; i++) if (!have.get(i) && this.isWanted(i)) this.#missing++
    this.#availability = new Uint16Array(have.size)
    this.#rarity = [this.#missing]
    this.#asked = new Uint8Array(have.size)
  }

  get size (): number { return this.have.size }
  /** Wanted blocks not held yet. */
  get missing (): number { return this.#missing }
  get storingCount (): number { return this.#storing.size }

  isWanted (index: number): boolean { return this.#wanted == null || this.#wanted.get(index) }
  isStoring (index: number): boolean { return this.#storing.has(index) }
  /** Peers (connections) block `index` is requested of now. */
  askedCount (index: number): number { return this.#asked[index] ?? 0 }
  availability (index: number): number { return this.#availability[index] ?? 0 }

  /** BLOCK_* state of a block, for snapshots. */
  state (index: number): number {
    if (this.have.get(index)) return BLOCK_HELD
    if (!this.isWanted(index)) return BLOCK_SKIPPED
    return this.#asked[index]! > 0 || this.#storing.has(index) ? BLOCK_INFLIGHT : BLOCK_MISSING
  }

  // ---- Availability ----

  /** A peer's bitfield arrived (or the picker starts with the peer known): count its blocks. */
  addPeer (pieces: BlockSet): void { this.#countPeer(pieces, +1) }

  /** A peer left: its blocks no longer count. */
  removePeer (pieces: BlockSet): void { this.#countPeer(pieces, -1) }

  /** A peer announced block `index`; false when the index is out of range. */
  peerHas (index: number): boolean {
    if (index >= this.#availability.length) return false
    this.#setAvailability(index, this.#availability[index]! + 1)
    return true
  }

  #countPeer (pieces: BlockSet, delta: number): void {
    const av = this.#availability
    for (let i = 0; i < av.length; i++) if (pieces.get(i)) this.#setAvailability(i, Math.max(0, av[i]! + delta))
  }

  /** Sets block i's availability, keeping #rarity's counts of wanted, missing blocks. */
  #setAvailability (i: number, value: number): void {
    const av = this.#availability
    if (!this.have.get(i) && this.isWanted(i)) {
      this.#rarity[av[i]!]!--
      this.#rarity[value] = (this.#rarity[value] ?? 0) + 1
    }
    av[i] = value
  }

  /** The lowest availability of any wanted, missing block that some peer has (0: none has any). */
  #rarest (): number {
    const r = this.#rarity
    for (let a = 1; a < r.length; a++) if (r[a]! > 0) return a
    return 0
  }

  // ---- Requests and storing ----

  /** A request for `index` went out (to any peer or connection). */
  requested (index: number): void { this.#asked[index]!++ }
  /** A request for `index` ended (answered, timed out, cancelled, its peer gone). */
  released (index: number): void { if (this.#asked[index]! > 0) this.#asked[index]!-- }

  startStoring (index: number): void { this.#storing.add(index) }
  doneStoring (index: number): void { this.#storing.delete(index) }

  /** Block `index` is verified and stored; false when it was held already. */
  received (index: number): boolean {
    if (!this.have.set(index)) return false
    if (this.isWanted(index)) {
      this.#missing--
      this.#rarity[this.#availability[index]!]!--
    }
    return true
  }

  // ---- Picking ----

  /**
   * Rarest first, ties broken at random: a scan from a random block that stops at the first
   * block as rare as any missing block can be (usually one of the first few looked at), so a
   * pick is not a pass over every block of the share (quadratic in the block count per fetch).
   * The first RANDOM_FIRST blocks are taken at random, so a newcomer soon has something to trade.
   */
  pick (peer: PickPeer): number | undefined {
    const have = this.have
    const av = this.#availability
    const bits = peer.pieces
    const size = have.size
    const randomFirst = have.count < RANDOM_FIRST
    const floor = this.#rarest()
    const start = Math.floor(this.#random() * size)
    let best = Infinity
    let bestIndex: number | undefined
    for (let k = 0; k < size; k++) {
      const i = start + k < size ? start + k : start + k - size
      if (have.get(i) || !bits.get(i) || this.#asked[i]! > 0 || this.#storing.has(i) || !this.isWanted(i)) continue
      const a = av[i]!
      if (randomFirst || a <= floor) return i
      if (a < best) { best = a; bestIndex = i }
    }
    if (bestIndex != null) return bestIndex
    return this.#pickEndgame(peer)
  }

  /**
   * Endgame: only the last few blocks, each asked of at most one more peer, so the tail does not
   * wait on the slowest peer and duplicates stay few.
   */
  #pickEndgame (peer: PickPeer): number | undefined {
    if (this.#missing > ENDGAME_BLOCKS) return undefined
    const have = this.have
    const bits = peer.pieces
    for (let i = 0; i < have.size; i++) {
      if (have.get(i) || !bits.get(i) || peer.asking(i) || !this.isWanted(i) || this.#storing.has(i)) continue
      if (this.#asked[i]! < MAX_ASKS_PER_BLOCK) return i
    }
    return undefined
  }

  /** Some window still has a wanted block that is not held. */
  windowsPending (): boolean {
    for (const w of this.#windows.values()) {
      for (let i = w.from; i <= w.to; i++) if (!this.have.get(i) && this.isWanted(i)) return true
    }
    return false
  }

  /**
   * The wanted, missing block this peer can give that is nearest the start of a window: not in
   * flight anywhere, or (the head of a window, that a player waits on) in flight to one other peer.
   */
  pickWindowed (peer: PickPeer): number | undefined {
    const have = this.have
    const bits = peer.pieces
    let best: number | undefined
    let bestDistance = Infinity
    for (const w of this.#windows.values()) {
      for (let i = w.from; i <= w.to && i - w.from < bestDistance; i++) {
        if (have.get(i) || !bits.get(i) || this.#storing.has(i) || !this.isWanted(i) || peer.asking(i)) continue
        const asked = this.#asked[i]!
        if (asked === 0 || (asked < MAX_ASKS_PER_BLOCK && i - w.from < URGENT_BLOCKS)) { best = i; bestDistance = i - w.from }
      }
    }
    return best
  }

  /** Block `index` is wanted, missing and asked of nobody (a window's head that needs room made). */
  unrequested (index: number): boolean {
    return !this.have.get(index) && this.isWanted(index) && this.#asked[index] === 0 && !this.#storing.has(index)
  }
}
