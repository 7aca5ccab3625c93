import { lstat, readdir, realpath, stat } from 'node:fs/promises'
import { basename, join, resolve } from 'node:path'
import { validatePath, ManifestError } from './manifest.ts'

/** A plaintext file that feeds the share's block stream. */
export interface SourceFile {
  absPath: string
  /** Path in the manifest: '/'-separated, starting with the share's top-level name. */
  path: string
  size: number
  mtimeMs: number
  executable: boolean
}

export interface SkippedEntry {
  path: string
  reason: string
}

export interface Collected {
  kind: 'file' | 'dir'
  name: string
  files: SourceFile[]
  skipped: SkippedEntry[]
}

export interface CollectOptions {
  /** Follow symbolic links (loops are detected and skipped). Default: skip links. */
  followSymlinks?: boolean
  /** Top-level name when several paths are shared together. */
  name?: string
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true })

export class SourceError extends Error {
  override name = 'SourceError'
  /** For whoever shows it in another language (the CLI's catalogs: errors.source.*). */
  readonly code: string
  readonly params: Record<string, string>
  constructor (message: string, code: string, params: Record<string, string> = {}) {
    super(message)
    this.code = code
    this.params = params
  }
}

/** Walks the given paths into the ordered file list of one share. */
export async function collectFiles (paths: readonly string[], options: CollectOptions = {}): Promise<Collected> {
  if (paths.length === 0) throw new SourceError('nothing to share: give at least one path', 'source.none')
  const skipped: SkippedEntry[] = []
  const files: SourceFile[] = []
  const follow = options.followSymlinks === true

  const roots = await Promise.all(paths.map(async p => {
    const abs = resolve(p)
    const info = await statFor(abs, follow, true)
    return { abs, info }
  }))

  let kind: 'file' | 'dir'
  let name: string
  if (roots.length === 1 && roots[0]!.info.isFile()) {
    kind = 'file'
    name = options.name ?? basename(roots[0]!.abs)
  } else {
    kind = 'dir'
    name = options.name ?? (roots.length === 1 ? basename(roots[0]!.abs) : 'oht-share')
  }
  checkName(name, roots[0]!.abs)

  const topNames = new Set<string>()
  for (const { abs, info } of roots) {
    const entryName = basename(abs)
    const prefix = kind === 'file' ? '' : roots.length === 1 ? name : `${name}/${entryName}`
    if (roots.length > 1) {
      checkName(entryName, abs)
      if (topNames.has(entryName)) throw new SourceError(`two paths share the name ${JSON.stringify(entryName)}; share them separately or rename one`, 'source.nameClash', { name: entryName })
      topNames.add(entryName)
    }
    if (info.isFile()) {
      files.push(fileEntry(abs, kind === 'file' ? name : prefix, info))
    } else if (info.isDirectory()) {
      await walkDir(abs, prefix, follow, new Set([await realpath(abs)]), files, skipped)
    } else {
      throw new SourceError(`${abs} is not a regular file or directory`, 'source.notFile', { path: abs })
    }
  }
  if (files.length === 0) throw new SourceError(`nothing to share: ${paths.join(', ')} holds no regular files`, 'source.empty', { paths: paths.join(', ') })
  return { kind, name, files, skipped }
}

async function walkDir (dir: string, prefix: string, follow: boolean, ancestors: Set<string>, files: SourceFile[], skipped: SkippedEntry[]): Promise<void> {
  let raw: Buffer[]
  try {
    raw = await readdir(dir, { encoding: 'buffer' })
  } catch (err) {
    throw new SourceError(`cannot read directory ${dir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 'source.unreadable', { path: dir, reason: (err as NodeJS.ErrnoException).code ?? (err as Error).message })
  }
  // A name that is not UTF-8 cannot go into the manifest as written (its paths are text): it is
  // skipped with a warning, never the whole share aborted (docs/SECURITY.md, "Names").
  const entries: string[] = []
  for (const name of raw) {
    try {
      entries.push(strictUtf8.decode(name))
    } catch {
      skipped.push({ path: join(dir, name.toString('utf8')), reason: 'file name is not valid UTF-8' })
    }
  }
  entries.sort(compareBytes)
  for (const entry of entries) {
    const abs = join(dir, entry)
    const path = `${prefix}/${entry}`
    let link
    try {
      link = await lstat(abs)
    } catch {
      skipped.push({ path: abs, reason: 'vanished while the share was read' })
      continue
    }
    if (link.isSymbolicLink() && !follow) {
      skipped.push({ path: abs, reason: 'symbolic link (use --follow-symlinks to include)' })
      continue
    }
    let info
    try {
      info = link.isSymbolicLink() ? await stat(abs) : link
    } catch {
      skipped.push({ path: abs, reason: 'broken symbolic link' })
      continue
    }
    try {
      validatePath(path)
    } catch (err) {
      if (err instanceof ManifestError) { skipped.push({ path: abs, reason: `name not portable: ${err.message}` }); continue }
      throw err
    }
    if (info.isDirectory()) {
      const real = await realpath(abs)
      if (ancestors.has(real)) {
        skipped.push({ path: abs, reason: 'symbolic link loop' })
        continue
      }
      await walkDir(abs, path, follow, new Set([...ancestors, real]), files, skipped)
    } else if (info.isFile()) {
      files.push(fileEntry(abs, path, info))
    } else {
      skipped.push({ path: abs, reason: 'not a regular file' })
    }
  }
}

function fileEntry (absPath: string, path: string, info: { size: number, mtimeMs: number, mode: number }): SourceFile {
  return { absPath, path, size: info.size, mtimeMs: info.mtimeMs, executable: (info.mode & 0o111) !== 0 }
}

async function statFor (abs: string, follow: boolean, top: boolean) {
  try {
    // A path named on the command line is what the user meant, link or not.
    return top || follow ? await stat(abs) : await lstat(abs)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT') throw new SourceError(`no such file or directory: ${abs}`, 'source.missing', { path: abs })
    if (code === 'EACCES' || code === 'EPERM') throw new SourceError(`permission denied: ${abs}`, 'source.denied', { path: abs })
    if (code === 'ELOOP') throw new SourceError(`symbolic link loop: ${abs}`, 'source.loop', { path: abs })
    throw new SourceError(`cannot read ${abs}: ${code ?? (err as Error).message}`, 'source.unreadable', { path: abs, reason: code ?? (err as Error).message })
  }
}

function checkName (name: string, abs: string): void {
  if (name.includes('/')) throw new SourceError(`a share name cannot contain "/": ${JSON.stringify(name)}`, 'source.badName', { name })
  try {
    validatePath(name)
  } catch (err) {
    throw new SourceError(`cannot share ${abs}: ${(err as Error).message}`, 'source.unreadable', { path: abs, reason: (err as Error).message })
  }
}

export function compareBytes (a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b))
}
