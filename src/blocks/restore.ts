import type { Manifest } from './manifest.ts'
import type { BlockSource } from './sources.ts'
import { PlaintextStore } from './plainstore.ts'

export { RestoreError } from './plainstore.ts'

export interface RestoreOptions {
  /** Manifest paths to write; default all. */
  select?: readonly string[]
  /** Replace existing files of the same name. */
  overwrite?: boolean
  /** Write into a folder of the share's name that already exists. */
  merge?: boolean
  onProgress?: (bytesDone: number, bytesTotal: number) => void
  signal?: AbortSignal
}

export interface RestoreResult {
  /** Top-level output path (file, or the share's directory). */
  path: string
  files: string[]
  bytes: number
}

/**
 * Writes a share's plaintext under `outDir` from a local block source, through the same
 * PlaintextStore a swarm fetch uses: `.part` files renamed once complete, nothing outside
 * `outDir`, unfinished files removed on failure.
 */
export async function restoreShare (manifest: Manifest, blockKey: Uint8Array, source: BlockSource, outDir: string, options: RestoreOptions = {}): Promise<RestoreResult> {
  const store = new PlaintextStore(manifest, blockKey, outDir, undefined, {
    ...(options.select != null ? { select: options.select } : {}),
    overwrite: options.overwrite === true,
    merge: options.merge === true
  })
  const total = store.bytesWanted
  let done = 0
  try {
    await store.open()
    for (const index of store.wanted) {
      options.signal?.throwIfAborted()
      done += await store.put(index, await source.get(index))
      options.onProgress?.(done, total)
    }
  } catch (err) {
    // A .part holds plaintext not yet verified as a whole; local restores restart quickly.
    await store.close(true)
    throw err
  }
  return { path: store.path, files: store.files.filter(f => f.selected).map(f => f.final), bytes: total }
}
