// One-time migration of a clear LevelDB state (abstract-level sublevels `!name!key`, values in
// their sublevel's encoding) to the sealed form, crash-safe by directories:
//   1. copy every record, sealed, into `<path>.sealing`; the check record is written last;
//   2. rename `<path>` → `<path>.clear-old`, then `<path>.sealing` → `<path>`;
//   3. shred `<path>.clear-old`.
// A crash in 1 repeats the copy; between the renames the next start finishes them; in 3 it
// finishes the shredding.
import { access, rename } from 'node:fs/promises'
import { LevelBackend } from './backend.ts'
import { SealedDb, type KeyScheme } from './sealed.ts'
import { shredTree } from './shred.ts'

const BATCH = 512
/** Keys of the clear database outside any sublevel go to this sublevel, key unchanged. */
export const ROOT_SUBLEVEL = 'root'

async function exists (path: string): Promise<boolean> {
  try { await access(path); return true } catch { return false }
}

/** Splits an abstract-level key `!name!rest` into its sublevel and key. */
function splitKey (raw: string): { sublevel: string, key: string } {
  const m = /^!([^!]*)!([\s\S]*)$/.exec(raw)
  return m != null ? { sublevel: m[1]!, key: m[2]! } : { sublevel: ROOT_SUBLEVEL, key: raw }
}

/**
 * The steps of an interrupted migration that need no database (a crash between the renames, or
 * while shredding): what must run before anything opens the database at `path`.
 */
export async function finishMigration (path: string): Promise<void> {
  const sealing = `${path}.sealing`
  const old = `${path}.clear-old`
  if (!(await exists(path)) && await exists(sealing)) await rename(sealing, path) // crash between the renames
  if (await exists(old)) await shredTree(old)
}

/**
 * Brings the database at `path` to the sealed form if it is a clear one. Returns the number of
 * records sealed (0 when there was nothing to do).
 */
export async function migrateToSealed (path: string, storageKey: Uint8Array, schemes: Readonly<Record<string, KeyScheme>> = {}): Promise<number> {
  const sealing = `${path}.sealing`
  const old = `${path}.clear-old`
  await finishMigration(path)
  if (!(await exists(path))) return 0

  const clear = new LevelBackend(path)
  await clear.open()
  let count = 0
  try {
    const probe = new SealedDb(clear, storageKey, schemes)
    if (await probe.isSealed() || await probe.isEmpty()) return 0
    await shredTree(sealing)
    const target = new SealedDb(new LevelBackend(sealing), storageKey, schemes)
    await target.backend.open()
    try {
      let ops = []
      for await (const [raw, value] of clear.entries({})) {
        const { sublevel, key } = splitKey(raw)
        // The encoding is carried over as is: the sublevel decodes it when it reads.
        ops.push(target.sublevel(sublevel, { valueEncoding: 'view' }).putEncodedOp(key, value))
        count++
        if (ops.length >= BATCH) { await target.backend.batch(ops); ops = [] }
      }
      await target.backend.batch(ops)
      // The check record last: a `.sealing` copy without it is incomplete.
      await target.backend.batch([target.checkOp()])
    } finally {
      await target.backend.close()
    }
  } finally {
    await clear.close()
  }
  await rename(path, old)
  await rename(sealing, path)
  await shredTree(old)
  return count
}
