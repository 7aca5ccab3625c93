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
import { readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
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
 * Reads and hashes on the thread pool (WebCrypto's digest), four files at a time, so that a
 * caller can start it beside other work (the keystore's scrypt) before it needs the answer.
 */
export async function hashTables (path: string, names?: readonly string[]): Promise<TableDigests> {
  const todo = [...(names ?? await tables(path))]
  const out: TableDigests = new Map()
  const worker = async (): Promise<void> => {
    for (let name = todo.shift(); name != null; name = todo.shift()) {
      const file = await fileId(join(path, name))
      const bytes = await readFile(join(path, name))
      out.set(name, { size: bytes.length, sha256: Buffer.from(await crypto.subtle.digest('SHA-256', bytes)).toString('hex'), file })
    }
  }
  await Promise.all([worker(), worker(), worker(), worker()])
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
