import { mkdir, open, rename, rm, stat, type FileHandle } from 'node:fs/promises'
import { dirname, resolve, sep } from 'node:path'
import { decryptBlock, DecryptError } from './cipher.ts'
import { deriveBlockKey } from './caps.ts'
import { blockLength, ManifestError, validatePath, type FileEntry, type Manifest } from './manifest.ts'
import type { BlockSource } from './sources.ts'

export class RestoreError extends Error {
  override name = 'RestoreError'
}

export interface RestoreOptions {
  /** Manifest paths to write; default all. */
  select?: readonly string[]
  /** Replace existing files of the same name. */
  overwrite?: boolean
  onProgress?: (bytesDone: number, bytesTotal: number) => void
  signal?: AbortSignal
}

export interface RestoreResult {
  /** Top-level output path (file, or the share's directory). */
  path: string
  files: string[]
  bytes: number
}

interface Target {
  entry: FileEntry
  start: number
  final: string
  part: string
  handle?: FileHandle
  written: number
}

/**
 * Writes a share's plaintext under `outDir`: each file as `<name>.part`, renamed once every block
 * it needs has matched its leaf hash and decrypted. Nothing is written outside `outDir`.
 */
export async function restoreShare (manifest: Manifest, contentKey: Uint8Array, source: BlockSource, outDir: string, options: RestoreOptions = {}): Promise<RestoreResult> {
  const { header, body } = manifest
  const root = resolve(outDir)
  const blockKey = deriveBlockKey(contentKey)

  let offset = 0
  const all: Target[] = body.files.map(entry => {
    validatePath(entry.path)
    const final = resolve(root, ...entry.path.split('/'))
    if (!final.startsWith(root + sep)) throw new ManifestError(`path ${JSON.stringify(entry.path)} escapes the output directory`)
    const t: Target = { entry, start: offset, final, part: '', written: 0 }
    offset += entry.size
    return t
  })
  // `<name>.part`, unless the share itself has a file of that name ("a" and "a.part").
  const taken = new Set(all.map(t => t.final))
  for (const t of all) {
    let part = `${t.final}.part`
    for (let n = 1; taken.has(part); n++) part = `${t.final}.${n}.part`
    taken.add(part)
    t.part = part
  }
  let targets = all
  if (options.select != null && options.select.length > 0) {
    const wanted = new Set(options.select)
    targets = all.filter(t => wanted.has(t.entry.path) || [...wanted].some(w => t.entry.path.startsWith(`${w}/`)))
    if (targets.length === 0) throw new RestoreError(`no file in the share matches ${options.select.map(s => JSON.stringify(s)).join(', ')}`)
  }
  if (options.overwrite !== true) {
    for (const t of targets) {
      if (await exists(t.final)) throw new RestoreError(`${t.final} already exists (use --force to replace it)`)
    }
  }

  const total = targets.reduce((n, t) => n + t.entry.size, 0)
  let done = 0
  try {
    try {
      await mkdir(root, { recursive: true })
    } catch (err) {
      throw new RestoreError(`cannot create the output directory ${root}: ${(err as NodeJS.ErrnoException).code === 'EEXIST' ? 'a file of that name exists' : (err as Error).message}`)
    }
    for (const t of targets) {
      await mkdir(dirname(t.final), { recursive: true })
      t.handle = await open(t.part, 'w', t.entry.executable === true ? 0o755 : 0o644)
      if (t.entry.size === 0) await finish(t)
    }
    // Walk the blocks that hold the selected files once, in order; a block that spans
    // several files is decrypted once.
    const indices = blocksFor(targets, header.blockSize)
    let cursor = 0
    for (const index of indices) {
      options.signal?.throwIfAborted()
      const sealed = await source.get(index)
      let plain: Buffer
      try {
        plain = decryptBlock(blockKey, index, sealed)
      } catch (err) {
        if (err instanceof DecryptError) throw new RestoreError(`block ${index} does not decrypt: wrong key, or the share is corrupted`)
        throw err
      }
      if (plain.length !== blockLength(header, index)) throw new RestoreError(`block ${index} has ${plain.length} bytes, expected ${blockLength(header, index)}`)
      const blockStart = index * header.blockSize
      const blockEnd = blockStart + plain.length
      // Targets are in stream order, so the files of this block are a contiguous run.
      while (cursor < targets.length && targets[cursor]!.start + targets[cursor]!.entry.size <= blockStart) cursor++
      for (let k = cursor; k < targets.length && targets[k]!.start < blockEnd; k++) {
        const t = targets[k]!
        const fileEnd = t.start + t.entry.size
        if (t.handle == null || fileEnd <= blockStart) continue
        const from = Math.max(blockStart, t.start)
        const to = Math.min(blockEnd, fileEnd)
        await writeAll(t.handle, plain.subarray(from - blockStart, to - blockStart), from - t.start)
        t.written += to - from
        done += to - from
        if (t.written === t.entry.size) await finish(t)
      }
      options.onProgress?.(done, total)
    }
  } finally {
    // Unfinished files are removed: a .part holds unverified-as-a-whole plaintext, and local
    // fetches restart quickly. (Swarm fetches keep theirs to resume.)
    for (const t of targets) {
      if (t.handle == null) continue
      await t.handle.close().catch(() => {})
      await rm(t.part, { force: true }).catch(() => {})
    }
  }
  const topName = body.files[0]!.path.split('/')[0]!
  return { path: resolve(root, topName), files: targets.map(t => t.final), bytes: total }
}

async function finish (t: Target): Promise<void> {
  const handle = t.handle!
  t.handle = undefined
  await handle.sync()
  await handle.close()
  await rename(t.part, t.final)
}

async function writeAll (handle: FileHandle, bytes: Uint8Array, position: number): Promise<void> {
  let off = 0
  while (off < bytes.length) {
    const { bytesWritten } = await handle.write(bytes, off, bytes.length - off, position + off)
    off += bytesWritten
  }
}

/** Indices of the blocks that hold any byte of the given files, ascending. */
export function blocksFor (targets: ReadonlyArray<{ start: number, entry: { size: number } }>, blockSize: number): number[] {
  const set = new Set<number>()
  for (const t of targets) {
    if (t.entry.size === 0) continue
    const first = Math.floor(t.start / blockSize)
    const last = Math.floor((t.start + t.entry.size - 1) / blockSize)
    for (let i = first; i <= last; i++) set.add(i)
  }
  return [...set].sort((a, b) => a - b)
}

async function exists (path: string): Promise<boolean> {
  try { await stat(path); return true } catch { return false }
}
