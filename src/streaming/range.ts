// The single-range subset of HTTP Range (RFC 9110 §14): what players and browsers send.

/** Inclusive byte range of a file. */
export interface ByteRange {
  start: number
  end: number
}

export type RangeResult =
  | { kind: 'full' }
  | { kind: 'partial', range: ByteRange }
  | { kind: 'unsatisfiable' }

/** Longest Range header considered; anything longer is ignored (served whole), never parsed. */
const MAX_RANGE_HEADER = 200

/**
 * Reads a `Range` header against a file of `size` bytes. A missing, malformed or multi-range
 * header is answered with the whole file (RFC 9110 lets a server ignore Range); a well-formed
 * single range that starts past the end is unsatisfiable (416).
 */
export function parseRange (header: string | undefined, size: number): RangeResult {
  if (header == null || header.length > MAX_RANGE_HEADER) return { kind: 'full' }
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header)
  if (m == null) return { kind: 'full' }
  const [, first = '', last = ''] = m
  if (first === '' && last === '') return { kind: 'full' }
  if (first === '') {
    // Suffix range: the last N bytes.
    const n = Number(last)
    if (!Number.isSafeInteger(n) || n === 0 || size === 0) return { kind: 'unsatisfiable' }
    return { kind: 'partial', range: { start: Math.max(0, size - n), end: size - 1 } }
  }
  const start = Number(first)
  if (!Number.isSafeInteger(start) || start >= size) return { kind: 'unsatisfiable' }
  let end = last === '' ? size - 1 : Number(last)
  if (!Number.isSafeInteger(end)) end = size - 1
  if (end < start) return { kind: 'full' } // invalid range-spec: ignore the header
  return { kind: 'partial', range: { start, end: Math.min(end, size - 1) } }
}
