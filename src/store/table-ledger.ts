// The table ledger: what lets an open skip reading every record of the state (SealedDb.verify)
// without trusting LevelDB's table files blindly. LevelDB never rewrites a table file, so once
// every record was opened (or the file was written by LevelDB in a session of ours, from records
// that were), its SHA-256 says that it is still the same: a clean close writes the name, size and
// digest of every `*.ldb`, sealed under the storage key (`OHT-TABLES` in the LevelDB folder,
// which LevelDB ignores); the next open hashes the files again before LevelDB opens them. Any
// difference (a flipped byte, a file the ledger does not know, no ledger: first open, an unclean
// shutdown, a repair) and the open reads every record again. Opening takes the ledger away, so a
// session that never closes leaves none. Costs a read and a hash of the tables per open
// (bench/RESULTS.md), instead of a decryption of every record.
import { createHash } from 'node:crypto'
import { open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileSealer } from './seal.ts'

export const LEDGER_FILE = 'OHT-TABLES'
const TABLE = /^\d+\.(ldb|sst)$/

interface Entry { size: number, sha256: string }
/**
 * An entry with the file it was read from: LevelDB reuses the number of a table it abandoned (a
 * compaction cut short by a close) for a new file, so a name alone does not say the bytes are
 * the same at close as at open.
 */
interface Hashed extends Entry { file: string }

async function tables (path: string): Promise<string[]> {
  return (await readdir(path).catch(() => [] as string[])).filter(n => TABLE.test(n)).sort()
}

/** The identity of a file's bytes as far as stat tells: inode, size, modification time in ns. */
async function fileId (file: string): Promise<string> {
  const s = await stat(file, { bigint: true })
  return `${s.ino}:${s.size}:${s.mtimeNs}`
}

/** Name → size and SHA-256 of the table files `names` (all of the folder's by default). */
export type TableDigests = Map<string, Hashed>

/**
 * Reads each file into one buffer (the reads run on the thread pool, so a caller can start this
 * beside the keystore's scrypt) and hashes it with SHA-256 in this thread: WebCrypto's digest,
 * tried first, copies its input here and cost more; fresh buffers per file made page faults.
 */
export async function hashTables (path: string, names?: readonly string[]): Promise<TableDigests> {
  const out: TableDigests = new Map()
  let chunk = Buffer.alloc(0)
  for (const name of names ?? await tables(path)) {
    const fh = await open(join(path, name), 'r')
    try {
      const s = await fh.stat({ bigint: true })
      const h = createHash('sha256')
      if (chunk.length === 0) chunk = Buffer.allocUnsafe(4 << 20)
      let size = 0
      for (;;) {
        const { bytesRead } = await fh.read(chunk, 0, chunk.length, size)
        if (bytesRead === 0) break
        h.update(chunk.subarray(0, bytesRead))
        size += bytesRead
      }
      out.set(name, { size, sha256: h.digest('hex'), file: `${s.ino}:${s.size}:${s.mtimeNs}` })
    } finally {
      await fh.close()
    }
  }
  return out
}

export class TableLedger {
  readonly #path: string
  readonly #sealer: ReturnType<typeof fileSealer>
  /** Digests of tables known good in this session (checked at open), reused at close. */
  readonly #known: TableDigests = new Map()

  readonly #hashed: Promise<TableDigests> | undefined

  /** `hashed`: hashTables(path), started earlier by the caller (else vouches() starts it). */
  constructor (path: string, storageKey: Uint8Array, hashed?: Promise<TableDigests>) {
    this.#path = path
    this.#sealer = fileSealer(storageKey, LEDGER_FILE)
    this.#hashed = hashed
  }

  /**
   * Before LevelDB opens: true when a ledger exists and every table file now in the folder is
   * in it with the same size and SHA-256 (then no record needs opening to find damage).
   */
  async vouches (): Promise<boolean> {
    const now = await (this.#hashed ?? hashTables(this.#path)).catch(() => undefined)
    let listed: Record<string, Entry>
    try {
      listed = JSON.parse(this.#sealer.open(await readFile(join(this.#path, LEDGER_FILE))).toString()) as Record<string, Entry>
    } catch {
      return false // none, or one that does not open: the full check decides
    }
    if (now == null) return false
    let all = true
    for (const [name, got] of now) {
      const want = listed[name]
      if (want?.size === got.size && want.sha256 === got.sha256) this.#known.set(name, got)
      else all = false
    }
    return all
  }

  /** Once the database is open (its lock held): the ledger is taken away until a clean close writes it. */
  async taken (): Promise<void> { await rm(join(this.#path, LEDGER_FILE), { force: true }) }

  /**
   * After a clean close, when every record opened at the start: records every table file now
   * there. Tables written in this session are LevelDB's own, from checked records and logs.
   */
  async write (): Promise<void> {
    const names = await tables(this.#path)
    const same = await Promise.all(names.map(async n => this.#known.get(n)?.file === await fileId(join(this.#path, n))))
    const fresh = await hashTables(this.#path, names.filter((_, i) => !same[i]))
    const out: Record<string, Entry> = {}
    for (const name of names) {
      const e = fresh.get(name) ?? this.#known.get(name)!
      out[name] = { size: e.size, sha256: e.sha256 }
    }
    const tmp = join(this.#path, `${LEDGER_FILE}.tmp`)
    await writeFile(tmp, this.#sealer.seal(Buffer.from(JSON.stringify(out))), { mode: 0o600 })
    await rename(tmp, join(this.#path, LEDGER_FILE))
  }
}

/** Drops the ledger of the LevelDB folder at `path` (a repair changes its tables: the next open checks every record). */
export async function forgetTableLedger (path: string): Promise<void> {
  await rm(join(path, LEDGER_FILE), { force: true })
  await rm(join(path, `${LEDGER_FILE}.tmp`), { force: true })
}
