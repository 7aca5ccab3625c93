// Where the bytes of a share's blocks lie in its files. The plaintext stream is the files'
// concatenation in manifest order, cut into blocks of `blockSize` (docs/FORMAT.md §1-2); a block
// may hold the end of one file and the start of the next, and empty files hold no bytes.

/** Bytes [at, at + length) of a block's plaintext are bytes [position, position + length) of file `file`. */
export interface BlockSpan { file: number, at: number, length: number, position: number }

export class StreamLayout {
  readonly blockSize: number
  /** Offset of each file in the stream. */
  readonly starts: readonly number[]
  readonly #sizes: readonly number[]
  /** Indices of the files that hold bytes, in stream order (for the binary search of spansOf). */
  readonly #nonEmpty: number[]

  constructor (sizes: readonly number[], blockSize: number) {
    this.blockSize = blockSize
    this.#sizes = sizes
    const starts: number[] = []
    let offset = 0
    for (const size of sizes) { starts.push(offset); offset += size }
    this.starts = starts
    this.#nonEmpty = sizes.flatMap((size, k) => size > 0 ? [k] : [])
  }

  /** The first and last block holding bytes of file `file`; undefined for an empty file. */
  blocksOf (file: number): [number, number] | undefined {
    const size = this.#sizes[file]!
    if (size === 0) return undefined
    const start = this.starts[file]!
    return [Math.floor(start / this.blockSize), Math.floor((start + size - 1) / this.blockSize)]
  }

  /**
   * The spans of block `index`'s first `length` plaintext bytes, in order. They cover fewer bytes
   * than `length` only when the files end first.
   */
  spansOf (index: number, length: number): BlockSpan[] {
    const start = index * this.blockSize
    const end = start + length
    const files = this.#nonEmpty
    let lo = 0
    let hi = files.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      const k = files[mid]!
      if (this.starts[k]! + this.#sizes[k]! <= start) lo = mid + 1
      else hi = mid
    }
    const spans: BlockSpan[] = []
    for (let m = lo; m < files.length && this.starts[files[m]!]! < end; m++) {
      const file = files[m]!
      const from = Math.max(start, this.starts[file]!)
      const to = Math.min(end, this.starts[file]! + this.#sizes[file]!)
      spans.push({ file, at: from - start, length: to - from, position: from - this.starts[file]! })
    }
    return spans
  }
}

/** Bytes the spans cover. */
export const spannedBytes = (spans: readonly { length: number }[]): number => spans.reduce((n, s) => n + s.length, 0)
