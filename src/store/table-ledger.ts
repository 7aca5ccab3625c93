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

async function tables (path: string): Promise<string[]> {
  return (await readdir(path).catch(() => [] as string[])).filter(n => TABLE.test(n)).sort()
}

/** A caller's one buffer for all its reads: reading whole tables (2 MiB each) made the collector run for tens of ms. */
const buffer = (): Buffer => Buffer.allocUnsafe(1 << 20)

async function digest (file: string, chunk: Buffer): Promise<Entry> {
  const h = createHash('sha256')
  const fh = await open(file, 'r')
  let size = 0
  try {
    for (;;) {
      const { bytesRead } = await fh.read(chunk, 0, chunk.length, size)
      if (bytesRead === 0) break
      h.update(chunk.subarray(0, bytesRead))
      size += bytesRead
    }
  } finally {
    await fh.close()
  }
  return { size, sha256: h.digest('hex') }
}

export class TableLedger {
  readonly #path: string
  readonly #sealer: ReturnType<typeof fileSealer>
  /** Digests of tables known good in this session (checked at open), reused at close. */
  readonly #known = new Map<string, Entry>()

  constructor (path: string, storageKey: Uint8Array) {
    this.#path = path
    this.#sealer = fileSealer(storageKey, LEDGER_FILE)
  }

  /**
   * Before LevelDB opens: true when a ledger exists and every table file now in the folder is
   * in it with the same size and SHA-256 (then no record needs opening to find damage).
   */
  async vouches (): Promise<boolean> {
    let listed: Record<string, Entry>
    try {
      listed = JSON.parse(this.#sealer.open(await readFile(join(this.#path, LEDGER_FILE))).toString()) as Record<string, Entry>
    } catch {
      return false // none, or one that does not open: the full check decides
    }
    const chunk = buffer()
    for (const name of await tables(this.#path)) {
      const want = listed[name]
      if (want == null || (await stat(join(this.#path, name))).size !== want.size) return false
      const got = await digest(join(this.#path, name), chunk)
      if (got.sha256 !== want.sha256) return false
      this.#known.set(name, got)
    }
    return true
  }

  /** Once the database is open (its lock held): the ledger is taken away until a clean close writes it. */
  async taken (): Promise<void> { await rm(join(this.#path, LEDGER_FILE), { force: true }) }

  /**
   * After a clean close, when every record opened at the start: records every table file now
   * there. Tables written in this session are LevelDB's own, from checked records and logs.
   */
  async write (): Promise<void> {
    const out: Record<string, Entry> = {}
    const chunk = buffer()
    for (const name of await tables(this.#path)) out[name] = this.#known.get(name) ?? await digest(join(this.#path, name), chunk)
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
