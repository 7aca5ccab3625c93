// Block-sized memory on the hot paths: piece buffers reused across blocks, block memory freed
// as soon as nothing reads it, and a minor GC per few MiB of dead block buffers on each thread.
// Used by both crypto engines, the worker (worker.ts) and the swarm's wire.
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'

/**
 * Most bytes of piece memory kept for reuse (16 blocks of 256 KiB): as many as can be in use at
 * once (the blocks being stored, MAX_STORING in the swarm, plus a piece being received per peer).
 */
const MAX_RECYCLED_BYTES = 4 * 1024 * 1024

/**
 * Piece-sized memory that open jobs hand back, reused for the next pieces off the wire: a fresh
 * 256 KiB buffer per block cost its page faults (and the kernel zeroing them) every time, more
 * than the copy into it.
 */
export class BufferRecycler {
  readonly #free = new Map<number, ArrayBuffer[]>()
  #bytes = 0

  /** A buffer of exactly `size` bytes, in memory of its own; contents are garbage. */
  take (size: number): Buffer {
    const list = this.#free.get(size)
    const ab = list?.pop()
    if (ab == null) return Buffer.allocUnsafeSlow(size)
    if (list!.length === 0) this.#free.delete(size)
    this.#bytes -= size
    return Buffer.from(ab)
  }

  give (ab: ArrayBuffer): void {
    const size = ab.byteLength
    if (size < 4096 || this.#bytes + size > MAX_RECYCLED_BYTES) return
    let list = this.#free.get(size)
    if (list == null) this.#free.set(size, list = [])
    list.push(ab)
    this.#bytes += size
  }
}

/**
 * Used by the swarm's wire guard for pieces, refilled by both engines' open (engine.ts); the
 * inline engine's serve borrows its plaintext scratch from it too.
 */
export const pieceBuffers = new BufferRecycler()

/**
 * True when `b` may be handed over although it does not start at its ArrayBuffer's start: it
 * ends there, at most `prefix` bytes precede it (a wire message's own header), and it is too big
 * to live in Node's shared Buffer pool slab.
 */
export function tailOwnsBuffer (b: Uint8Array, prefix: number): boolean {
  return b.byteLength >= 4096 && b.byteOffset <= prefix && b.byteOffset + b.byteLength === b.buffer.byteLength && !(b.buffer instanceof SharedArrayBuffer)
}

/**
 * Frees a block's memory now, when the view covers an ArrayBuffer of its own: what V8 would free
 * only once it collects the buffer. A buffer that lived across two minor GCs (a block waiting
 * for the disk or in a socket's queue) is promoted, and then only a full GC frees it. V8 counts
 * such memory towards the heap's limit, so a seeder that left it to V8 ran a full mark-compact
 * every few hundred milliseconds (docs/DECISIONS.md "Swarm hot path").
 */
export function releaseBlockMemory (b: Uint8Array): void {
  if (b.byteOffset === 0 && b.byteLength === b.buffer.byteLength && b.buffer instanceof ArrayBuffer) b.buffer.transfer(0)
}

/** Blocks to free as soon as a socket has sent them (freeWhenSent, releaseIfSent). */
const freedWhenSent = new WeakSet<Uint8Array>()

/**
 * Marks served block memory that nothing else holds or will read: a sender that copies it into
 * the kernel (a socket) frees it once the write completes (releaseIfSent). Anything else that
 * gets it just leaves it to the GC.
 */
export function freeWhenSent (b: Uint8Array): void {
  if (b.byteLength >= 4096) freedWhenSent.add(b)
}

/** After a completed socket write of `b`: frees it when it was marked by freeWhenSent. */
export function releaseIfSent (b: Uint8Array): void {
  if (freedWhenSent.delete(b)) releaseBlockMemory(b)
}

/** Whether `b` was marked by freeWhenSent (and not yet released). */
export function isFreedWhenSent (b: Uint8Array): boolean {
  return freedWhenSent.has(b)
}

/**
 * Bytes of dead block memory after which a thread runs a minor GC. Each block leaves dead
 * ArrayBuffers behind (on the main thread the socket's 64 KiB read chunks a piece was copied
 * from and whole blocks served by `get`; on a worker its jobs' cipher output); V8 counts them as
 * external memory only and lets hundreds of MiB pile up before collecting. A scavenge of a young
 * generation of dead buffers takes well under a millisecond; every 4 MiB keeps them at a few MiB.
 * `--expose-gc` is set at run time, as jest's leak detector does.
 */
const COLLECT_EVERY_BYTES = 4 * 1024 * 1024
let garbage = 0
let collect: ((options: { type: 'minor' }) => void) | null | undefined

/** Counts dead block-sized memory left on this thread and runs a minor GC every COLLECT_EVERY_BYTES of it. */
export function threadGarbage (bytes: number): void {
  garbage += bytes
  if (garbage < COLLECT_EVERY_BYTES) return
  garbage = 0
  if (collect === undefined) {
    try {
      setFlagsFromString('--expose-gc')
      collect = runInNewContext('gc') as (options: { type: 'minor' }) => void
    } catch {
      collect = null // fine without: only memory is at stake
    }
  }
  collect?.({ type: 'minor' })
}
