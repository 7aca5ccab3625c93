// Overwrite-then-unlink. On a journaling or copy-on-write filesystem, and on any SSD (wear
// levelling remaps blocks), old copies of the bytes may survive elsewhere on the medium: this
// removes what an ordinary reader of the disk finds, not what forensics on the raw device may
// (README "Privacy at rest"). Full-disk encryption is what covers the rest.
import { lstat, open, readdir, rm, rmdir, unlink } from 'node:fs/promises'
import { join } from 'node:path'

const CHUNK = 1 << 20

/** Overwrites a file's bytes with zeros (synced), then unlinks it. Missing files are fine. */
export async function shredFile (path: string): Promise<void> {
  let size: number
  try {
    const st = await lstat(path)
    if (!st.isFile()) { await rm(path, { force: true }); return }
    size = st.size
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return
    throw err
  }
  const h = await open(path, 'r+')
  try {
    const zeros = Buffer.alloc(Math.min(CHUNK, Math.max(1, size)))
    for (let at = 0; at < size; at += zeros.length) await h.write(zeros, 0, Math.min(zeros.length, size - at), at)
    await h.sync()
  } finally {
    await h.close()
  }
  await unlink(path)
}

/** Shreds every file under `dir`, then removes the folders. */
export async function shredTree (dir: string): Promise<number> {
  let n = 0
  let entries
  try {
    entries = await readdir(dir, { withFileTypes: true })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0
    throw err
  }
  for (const e of entries) {
    const p = join(dir, e.name)
    if (e.isDirectory()) n += await shredTree(p)
    else { await shredFile(p); n++ }
  }
  await rmdir(dir).catch(async () => { await rm(dir, { recursive: true, force: true }) })
  return n
}
