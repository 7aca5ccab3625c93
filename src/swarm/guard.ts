import { Transform, type TransformCallback } from 'node:stream'
import { pieceBuffers } from '../blocks/index.ts'
import { MAX_PARTIAL_BYTES_TOTAL, MESSAGE_DEADLINE_BASE_MS, MIN_MESSAGE_BYTES_PER_SECOND } from './constants.ts'

/** The BitTorrent handshake: pstrlen(1) "BitTorrent protocol"(19) reserved(8) info_hash(20) peer_id(20). */
const HANDSHAKE_BYTES = 68

/** Turns of the event loop a limit check waits for the consumer to take the messages before it. */
const MAX_LIMIT_WAITS = 8

export class WireMessageTooLargeError extends Error {
  override name = 'WireMessageTooLargeError'
}

/** A message that began did not complete in time, or was dropped to keep the total bound. */
export class WireMessageStalledError extends Error {
  override name = 'WireMessageStalledError'
}

/**
 * The bytes of unfinished messages held by every guard that shares it (by default, all of this
 * process's): past `max`, the guard whose message made the least recent progress is failed.
 */
export class PartialBudget {
  readonly max: number
  readonly #held = new Map<WireGuard, number>()
  #total = 0

  constructor (max: number) { this.max = max }

  get total (): number { return this.#total }

  /** `guard` now holds `bytes` of an unfinished message (0: none). */
  set (guard: WireGuard, bytes: number): void {
    this.#total += bytes - (this.#held.get(guard) ?? 0)
    if (bytes === 0) this.#held.delete(guard)
    else this.#held.set(guard, bytes)
    while (this.#total > this.max && this.#held.size > 0) {
      let stalest: WireGuard | undefined
      for (const g of this.#held.keys()) if (stalest == null || g.lastProgress < stalest.lastProgress) stalest = g
      this.#total -= this.#held.get(stalest!)!
      this.#held.delete(stalest!)
      stalest!.fail(new WireMessageStalledError(`${this.max} bytes of unfinished messages are held over all peers; this peer's made the least progress`))
    }
  }
}

/** The process-wide bound of MAX_PARTIAL_BYTES_TOTAL. */
export const partialBudget = new PartialBudget(MAX_PARTIAL_BYTES_TOTAL)

export interface WireGuardOptions {
  /** The largest message of type `id` accepted now (at most the guard's maximum). */
  limitFor?: (id: number) => number
  /** Where unfinished messages are counted (default: the process-wide partialBudget). */
  budget?: PartialBudget
  /** A message must be complete within baseMs + its length at bytesPerSecond. */
  deadline?: { baseMs: number, bytesPerSecond: number }
}

/**
 * Sits in front of bittorrent-protocol's parser, which buffers whatever length a peer announces
 * (up to 2^32−1): refuses any message over `maxMessageBytes` before buffering it, and hands the
 * wire whole messages so it never re-concatenates partial ones (a copy per TCP chunk otherwise).
 * A message that spans chunks is copied once, into memory of exactly its size: a piece's buffer
 * then holds nothing but its own message and can be handed to a worker thread without a copy.
 */
export class WireGuard extends Transform {
  readonly #max: number
  readonly #limitFor: ((id: number) => number) | undefined
  readonly #budget: PartialBudget
  readonly #deadline: { baseMs: number, bytesPerSecond: number }
  #parts: Buffer[] = []
  #buffered = 0
  #need = HANDSHAKE_BYTES
  #inHandshake = true
  #pendingLength = true
  #timer: NodeJS.Timeout | undefined
  /** When the last bytes arrived (the total bound drops the stalest first). */
  lastProgress = performance.now()

  constructor (maxMessageBytes: number, options: WireGuardOptions = {}) {
    super()
    this.#max = maxMessageBytes
    this.#limitFor = options.limitFor
    this.#budget = options.budget ?? partialBudget
    this.#deadline = options.deadline ?? { baseMs: MESSAGE_DEADLINE_BASE_MS, bytesPerSecond: MIN_MESSAGE_BYTES_PER_SECOND }
  }

  override _transform (chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.#parts.push(chunk)
    this.#buffered += chunk.length
    this.lastProgress = performance.now()
    this.#pass(done)
  }

  /**
   * Drains what is buffered. A message over its type's limit right behind messages this chunk
   * passed may be one those messages allow (a peer's swarm-key proof and its metadata answer
   * arrive in one chunk): the check is repeated once the consumer has read them, on a later
   * turn of the event loop, before the next chunk is taken.
   */
  #pass (done: TransformCallback): void {
    try {
      if (this.#drain() === 'wait') { setImmediate(() => { this.#settle(done, 1) }); return }
      this.#account()
      done()
    } catch (err) {
      this.#release()
      done(err as Error)
    }
  }

  /** Waits (a few turns at most) until the consumer has taken what passed, then drains again. */
  #settle (done: TransformCallback, turns: number): void {
    if (this.destroyed) return
    if (this.readableLength > 0 && turns < MAX_LIMIT_WAITS) { setImmediate(() => { this.#settle(done, turns + 1) }); return }
    this.#pass(done)
  }

  override _destroy (err: Error | null, callback: (error?: Error | null) => void): void {
    this.#release()
    callback(err)
  }

  /** Fails the connection (the total bound chose it). */
  fail (err: Error): void {
    this.#release()
    this.destroy(err)
  }

  /** Counts what is held of an unfinished message, and arms its deadline when one began. */
  #account (): void {
    this.#budget.set(this, this.#buffered)
    if (this.#buffered === 0) { clearTimeout(this.#timer); this.#timer = undefined; return }
    if (this.#timer != null) return
    const d = this.#deadline
    const ms = d.baseMs + (Math.max(this.#need, this.#buffered) / d.bytesPerSecond) * 1000
    this.#timer = setTimeout(() => { this.fail(new WireMessageStalledError(`a message of ${this.#need} bytes did not complete in ${Math.round(ms / 1000)} s`)) }, ms)
    this.#timer.unref()
  }

  #release (): void {
    clearTimeout(this.#timer)
    this.#timer = undefined
    this.#budget.set(this, 0)
    this.#parts = []
    this.#buffered = 0
  }

  #drain (): 'done' | 'wait' {
    let passed = 0
    while (true) {
      if (this.#inHandshake) {
        if (this.#buffered < HANDSHAKE_BYTES) break
        const head = this.#take(HANDSHAKE_BYTES)
        if (head[0] !== 19) throw new WireMessageTooLargeError('peer does not speak the BitTorrent wire protocol')
        this.push(head)
        this.#inHandshake = false
        this.#need = 4
        this.#pendingLength = true
        continue
      }
      if (this.#pendingLength) {
        if (this.#buffered < 4) break
        const length = this.#peekUint32()
        if (length > this.#max) throw new WireMessageTooLargeError(`peer announced a ${length}-byte message; the limit is ${this.#max}`)
        if (length > 0 && this.#limitFor != null) {
          if (this.#buffered < 5) break
          const id = this.#peekByte(4)
          const limit = this.#limitFor(id)
          if (length > limit && passed > 0) return 'wait'
          if (length > limit) throw new WireMessageTooLargeError(`peer announced a ${length}-byte message of type ${id}; the limit now is ${limit}`)
        }
        this.#need = 4 + length
        this.#pendingLength = false
      }
      if (this.#buffered < this.#need) break
      // One whole message per chunk: the wire parses it without copying it again.
      this.push(this.#take(this.#need))
      passed++
      this.#pendingLength = true
      // A message completed: the next one gets its own deadline.
      clearTimeout(this.#timer)
      this.#timer = undefined
    }
    return 'done'
  }

  #peekByte (at: number): number {
    let offset = at
    for (const part of this.#parts) {
      if (offset < part.length) return part[offset]!
      offset -= part.length
    }
    return 0
  }

  #peekUint32 (): number {
    const first = this.#parts[0]!
    if (first.length >= 4) return first.readUInt32BE(0)
    let value = 0
    let got = 0
    for (const part of this.#parts) {
      for (let k = 0; k < part.length && got < 4; k++, got++) value = value * 256 + part[k]!
      if (got === 4) break
    }
    return value
  }

  #take (n: number): Buffer {
    const first = this.#parts[0]!
    this.#buffered -= n
    if (first.length >= n) {
      if (first.length === n) this.#parts.shift()
      else this.#parts[0] = first.subarray(n)
      return first.subarray(0, n)
    }
    // Small messages may share Node's Buffer pool; big ones (pieces) get memory of their own,
    // recycled from pieces already verified and decrypted (by a crypto worker, or inline).
    const out = n >= 4096 ? pieceBuffers.take(n) : Buffer.allocUnsafe(n)
    let filled = 0
    while (filled < n) {
      const part = this.#parts[0]!
      const take = Math.min(part.length, n - filled)
      out.set(take === part.length ? part : part.subarray(0, take), filled)
      filled += take
      if (take === part.length) this.#parts.shift()
      else this.#parts[0] = part.subarray(take)
    }
    return out
  }
}
