// A check of LevelDB's write-ahead logs (`*.log`) before the database opens. LevelDB replays its
// log at open and, without paranoid checks (which classic-level does not expose), skips a record
// whose checksum fails, and the rest of its 32 KiB block, without a word: a flipped byte would
// open the node with records gone. Each record carries a masked CRC-32C of its type and data
// (leveldb/doc/log_format.md); this reads them all. A record cut short at the end of the file (a
// write the machine never finished) is what LevelDB also drops, and is not damage.
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'

const BLOCK = 32768
const HEADER = 7
const MAX_TYPE = 4 // FULL, FIRST, MIDDLE, LAST

/** One place where a log does not read back as written. */
export interface LogDamage { file: string, offset: number, why: string }

const CRC32C_TABLE = ((): Uint32Array => {
  const t = new Uint32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = (c & 1) !== 0 ? (c >>> 1) ^ 0x82F63B78 : c >>> 1
    t[n] = c >>> 0
  }
  return t
})()

/** CRC-32C (Castagnoli), as LevelDB computes it. */
export function crc32c (bytes: Uint8Array): number {
  let c = 0xFFFFFFFF
  for (let i = 0; i < bytes.length; i++) c = CRC32C_TABLE[(c ^ bytes[i]!) & 0xFF]! ^ (c >>> 8)
  return (c ^ 0xFFFFFFFF) >>> 0
}

/** LevelDB stores CRCs rotated and offset, so that a CRC of data holding CRCs stays strong. */
function masked (crc: number): number {
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xA282EAD8) >>> 0
}

/** The damage found in one log file's bytes (`file` names it in the result). */
export function checkLogBytes (file: string, bytes: Uint8Array): LogDamage[] {
  const found: LogDamage[] = []
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  for (let block = 0; block < bytes.length; block += BLOCK) {
    const end = Math.min(block + BLOCK, bytes.length)
    let at = block
    while (end - at >= HEADER) {
      const crc = view.getUint32(at, true)
      const length = view.getUint16(at + 4, true)
      const type = bytes[at + 6]!
      // Zeroes: a preallocated or padded tail of the block, as LevelDB reads it.
      if (type === 0 && length === 0) break
      if (at + HEADER + length > end) {
        if (end === bytes.length) break // cut short at the end of the file: an unfinished write
        found.push({ file, offset: at, why: 'a record runs past its block' })
        break
      }
      if (type > MAX_TYPE) found.push({ file, offset: at, why: `unknown record type ${type}` })
      else if (masked(crc32c(bytes.subarray(at + 6, at + HEADER + length))) !== crc) found.push({ file, offset: at, why: 'checksum mismatch' })
      at += HEADER + length
    }
  }
  return found
}

/** The whole records of a log (fragments joined), as LevelDB reads them back. */
function * logRecords (bytes: Uint8Array): Generator<Uint8Array> {
  let parts: Uint8Array[] = []
  for (let block = 0; block < bytes.length; block += BLOCK) {
    const end = Math.min(block + BLOCK, bytes.length)
    let at = block
    while (end - at >= HEADER) {
      const length = bytes[at + 4]! | (bytes[at + 5]! << 8)
      const type = bytes[at + 6]!
      if ((type === 0 && length === 0) || at + HEADER + length > end) break
      const data = bytes.subarray(at + HEADER, at + HEADER + length)
      if (type === 1) yield data
      else if (type === 2) parts = [data]
      else if (type === 3) parts.push(data)
      else if (type === 4) { yield Buffer.concat([...parts, data]); parts = [] }
      at += HEADER + length
    }
  }
}

/**
 * The number of the log a MANIFEST's last edit names as current (LevelDB's version edits:
 * tag 2 = log number), or undefined if no edit names one.
 */
export function manifestLogNumber (bytes: Uint8Array): number | undefined {
  let log: number | undefined
  for (const edit of logRecords(bytes)) {
    let at = 0
    const varint = (): number => {
      let v = 0
      for (let shift = 0; at < edit.length && shift < 64; shift += 7) {
        const b = edit[at++]!
        v += (b & 0x7F) * 2 ** shift
        if ((b & 0x80) === 0) return v
      }
      throw new RangeError('truncated varint')
    }
    const skipSlice = (): void => { at += varint() }
    try {
      while (at < edit.length) {
        const tag = varint()
        if (tag === 1) skipSlice() // comparator name
        else if (tag === 2) log = varint()
        else if (tag === 3 || tag === 4 || tag === 9) varint() // next file, last sequence, previous log
        else if (tag === 5) { varint(); skipSlice() } // compaction pointer: level, key
        else if (tag === 6) { varint(); varint() } // deleted file: level, number
        else if (tag === 7) { varint(); varint(); varint(); skipSlice(); skipSlice() } // new file: level, number, size, smallest, largest
        else break // a tag this reader does not know: the rest of the edit is skipped
      }
    } catch { /* a damaged edit: LevelDB's own open reports it */ }
  }
  return log
}

/**
 * Reads every `*.log` of the LevelDB folder at `path` (none when it does not exist), and checks
 * that the log the MANIFEST names is there: without it LevelDB opens without its last writes.
 */
export async function checkLevelLogs (path: string): Promise<LogDamage[]> {
  const names = await readdir(path).catch(() => [] as string[])
  const found: LogDamage[] = []
  for (const name of names.filter(n => /^\d+\.log$/.test(n)).sort()) {
    found.push(...checkLogBytes(name, await readFile(join(path, name))))
  }
  const current = names.includes('CURRENT') ? (await readFile(join(path, 'CURRENT'), 'utf8')).trim() : ''
  if (/^MANIFEST-\d+$/.test(current) && names.includes(current)) {
    const log = manifestLogNumber(await readFile(join(path, current)))
    const file = log != null ? `${String(log).padStart(6, '0')}.log` : undefined
    if (file != null && log! > 0 && !names.includes(file)) found.push({ file, offset: 0, why: 'the log is missing' })
  }
  return found
}
