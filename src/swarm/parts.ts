// A seek's head block asked of several lanes at once, each for a range of its sealed bytes
// (a BitTorrent request carries an offset and a length): over Tor a lane carries a few hundred
// KiB/s, so a whole block on one circuit costs a round trip or more of transfer on top of the
// request's; in parts it arrives in about one part's transfer time. The parts are joined here and
// the block verified whole, like any other.

/** A byte range of a sealed block (a BitTorrent request's offset and length). */
export interface PartRange {
  offset: number
  length: number
}

/**
 * `length` bytes cut into at most `count` ranges of (nearly) equal size, in order, none shorter
 * than `minBytes`: fewer ranges when the block is too small for `count`.
 */
export function splitRanges (length: number, count: number, minBytes: number): PartRange[] {
  const most = Math.max(1, Math.min(count, Math.floor(length / minBytes)))
  const size = Math.ceil(length / most)
  const ranges: PartRange[] = []
  for (let offset = 0; offset < length; offset += size) ranges.push({ offset, length: Math.min(size, length - offset) })
  return ranges
}

/**
 * Whether a peer may ask for this range of a block of `whole` sealed bytes: the whole block, or a
 * part of at least `minBytes` (or the block's tail). Serving a part reads and seals the whole
 * block, so a bound on the part's size bounds what a requester can make a seeder do per byte.
 */
export function isServableRange (offset: number, length: number, whole: number, minBytes: number): boolean {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length <= 0) return false
  if (offset + length > whole) return false
  return length >= minBytes || offset + length === whole
}

/** The bytes `range` covers of a block held in consecutive parts (its ciphertext and tag): views, no copy. */
export function sliceParts (parts: readonly Uint8Array[], range: PartRange): Uint8Array[] {
  const slices: Uint8Array[] = []
  let start = 0
  const end = range.offset + range.length
  for (const p of parts) {
    const from = Math.max(range.offset, start)
    const to = Math.min(end, start + p.length)
    if (to > from) slices.push(p.subarray(from - start, to - start))
    start += p.length
  }
  return slices
}

/** One block being fetched in parts: which lane was asked for which range, and what has arrived. */
export class PartAssembly<Lane> {
  readonly buffer: Buffer
  readonly #asked = new Map<Lane, PartRange>()
  readonly #arrived = new Set<Lane>()

  constructor (length: number) {
    this.buffer = Buffer.allocUnsafe(length)
  }

  assign (lane: Lane, range: PartRange): void { this.#asked.set(lane, range) }
  rangeOf (lane: Lane): PartRange | undefined { return this.#asked.get(lane) }
  lanes (): IterableIterator<Lane> { return this.#asked.keys() }

  /** The bytes `lane` was asked for arrived (the caller matched the range): true once all have. */
  put (lane: Lane, bytes: Uint8Array): boolean {
    const range = this.#asked.get(lane)
    if (range == null || bytes.length !== range.length) throw new Error('a part that was not asked for')
    this.buffer.set(bytes, range.offset)
    this.#arrived.add(lane)
    return this.#arrived.size === this.#asked.size
  }
}
