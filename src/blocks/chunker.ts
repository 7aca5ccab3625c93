import { open, type FileHandle } from 'node:fs/promises'
import type { SourceFile } from './walk.ts'
import { blockCountFor } from './manifest.ts'

export class SourceChangedError extends Error {
  override name = 'SourceChangedError'
}

export interface PlainChunk {
  firstIndex: number
  /** Plaintext of blocks firstIndex.. back to back; owns its ArrayBuffer (transferable). */
  data: Buffer
  blocks: number
  /** Reads the same bytes again from the files (checked unchanged): for a job whose buffer was handed to a worker that died. */
  reread: () => Promise<Buffer>
}

/** A run of bytes of one source file inside a chunk. */
interface FileRange { file: SourceFile, position: number, length: number }

/**
 * Reads the share's plaintext stream (files back to back, blocks spanning file boundaries) as
 * chunks of whole blocks. Memory is one chunk per pending read; the caller bounds how many.
 */
export async function * readChunks (files: readonly SourceFile[], blockSize: number, blocksPerChunk: number): AsyncGenerator<PlainChunk> {
  const total = files.reduce((n, f) => n + f.size, 0)
  const blockCount = blockCountFor(total, blockSize)
  let fileIndex = 0
  let fileOffset = 0
  let handle: FileHandle | undefined
  try {
    for (let first = 0; first < blockCount; first += blocksPerChunk) {
      const blocks = Math.min(blocksPerChunk, blockCount - first)
      const start = first * blockSize
      const length = Math.min(blocks * blockSize, total - start)
      const data = Buffer.allocUnsafeSlow(length)
      const ranges: FileRange[] = []
      let filled = 0
      while (filled < length) {
        const file = files[fileIndex]!
        if (fileOffset === file.size) {
          await handle?.close()
          handle = undefined
          fileIndex++
          fileOffset = 0
          continue
        }
        handle ??= await openSource(file)
        const want = Math.min(length - filled, file.size - fileOffset)
        const { bytesRead } = await handle.read(data, filled, want, fileOffset)
        if (bytesRead === 0) throw new SourceChangedError(`${file.absPath} became shorter while it was read`)
        const last = ranges.at(-1)
        if (last?.file === file && last.position + last.length === fileOffset) last.length += bytesRead
        else ranges.push({ file, position: fileOffset, length: bytesRead })
        filled += bytesRead
        fileOffset += bytesRead
      }
      yield { firstIndex: first, data, blocks, reread: async () => await readRanges(ranges, length) }
    }
  } finally {
    await handle?.close()
  }
}

async function readRanges (ranges: readonly FileRange[], length: number): Promise<Buffer> {
  const data = Buffer.allocUnsafeSlow(length)
  let filled = 0
  for (const r of ranges) {
    const handle = await openSource(r.file)
    try {
      for (let done = 0; done < r.length;) {
        const { bytesRead } = await handle.read(data, filled + done, r.length - done, r.position + done)
        if (bytesRead === 0) throw new SourceChangedError(`${r.file.absPath} became shorter while it was read`)
        done += bytesRead
      }
    } finally {
      await handle.close()
    }
    filled += r.length
  }
  return data
}

export async function openSource (file: SourceFile): Promise<FileHandle> {
  try {
    const handle = await open(file.absPath, 'r')
    const info = await handle.stat()
    if (info.size !== file.size || info.mtimeMs !== file.mtimeMs) {
      await handle.close()
      throw new SourceChangedError(`${file.absPath} changed since it was listed (size or modification time differs)`)
    }
    return handle
  } catch (err) {
    if (err instanceof SourceChangedError) throw err
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT') throw new SourceChangedError(`${file.absPath} is gone`)
    if (code === 'EACCES' || code === 'EPERM') throw new SourceChangedError(`permission denied: ${file.absPath}`)
    throw err
  }
}

/**
 * Why the shared files no longer are what was shared (one is gone, unreadable, or its size or
 * modification time differs), or undefined when every one still looks the same. A stat per file,
 * no read: what `oht ls` and `oht status` check; serving checks every block besides.
 */
export async function sourcesChanged (files: readonly SourceFile[]): Promise<string | undefined> {
  for (const file of files) {
    try {
      await (await openSource(file)).close()
    } catch (err) {
      if (err instanceof SourceChangedError) return err.message
      throw err
    }
  }
  return undefined
}
