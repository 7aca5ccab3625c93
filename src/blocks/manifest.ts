import * as dagCbor from '@ipld/dag-cbor'
import { CIPHER, MANIFEST_NONCE, DecryptError, open, seal } from './crypto/aead.ts'
import { deriveManifestKey } from './caps.ts'
import { cidOf, DAG_CBOR_CODEC, type CID } from './cid.ts'
import { HASH_BYTES } from '../merkle/index.ts'

/** The `oht` field of a manifest. 2: every label of every layer ends in one NUL (docs/FORMAT.md). */
export const FORMAT_VERSION = 2
export const DEFAULT_BLOCK_SIZE = 256 * 1024
export const MIN_BLOCK_SIZE = 16 * 1024
export const MAX_BLOCK_SIZE = 16 * 1024 * 1024
/** Manifests travel whole between peers, so they are capped (FORMAT.md "Limits"). */
export const MAX_MANIFEST_BYTES = 8 * 1024 * 1024
export const MAX_FILES = 100_000
export const MAX_PATH_BYTES = 4096
export const MAX_SEGMENT_BYTES = 255

export class ManifestError extends Error {
  override name = 'ManifestError'
}

/** The clear part: what a verify-capability holder needs to fetch, check and serve. */
export interface ManifestHeader {
  version: number
  cipher: typeof CIPHER
  blockSize: number
  blockCount: number
  /** Plaintext bytes in the whole share. */
  size: number
  /** Merkle root over the ciphertext block hashes. */
  root: Uint8Array
}

export interface FileEntry {
  /** '/'-separated, relative, starts with the share's top-level name. */
  path: string
  size: number
  mime?: string
  executable?: boolean
}

/** The encrypted part: only holders of the content key read it. */
export interface ManifestBody {
  kind: 'file' | 'dir'
  name: string
  /** Unix seconds. */
  created: number
  files: FileEntry[]
}

export interface Manifest {
  cid: CID
  bytes: Uint8Array
  header: ManifestHeader
  body: ManifestBody
}

export interface SealedManifest {
  cid: CID
  bytes: Uint8Array
  header: ManifestHeader
  sealedBody: Uint8Array
}

export function blockCountFor (size: number, blockSize: number): number {
  return Math.max(1, Math.ceil(size / blockSize))
}

/** Plaintext length of block `index`; the empty share is one empty block. */
export function blockLength (header: Pick<ManifestHeader, 'size' | 'blockSize' | 'blockCount'>, index: number): number {
  if (index < header.blockCount - 1) return header.blockSize
  return header.size - (header.blockCount - 1) * header.blockSize
}

function headerAad (h: ManifestHeader): Uint8Array {
  return dagCbor.encode(headerFields(h))
}

function headerFields (h: ManifestHeader): Record<string, unknown> {
  return { oht: h.version, cipher: h.cipher, blockSize: h.blockSize, blockCount: h.blockCount, size: h.size, root: h.root }
}

export function encodeManifest (header: ManifestHeader, body: ManifestBody, contentKey: Uint8Array): Manifest {
  validateHeader(header)
  validateBody(body, header)
  const plainBody = dagCbor.encode(bodyFields(body))
  const sealedBody = seal(deriveManifestKey(contentKey), MANIFEST_NONCE, plainBody, headerAad(header))
  const bytes = dagCbor.encode({ ...headerFields(header), body: new Uint8Array(sealedBody) })
  if (bytes.length > MAX_MANIFEST_BYTES) throw new ManifestError(`manifest is ${bytes.length} bytes, over the ${MAX_MANIFEST_BYTES} limit`)
  return { cid: cidOf(DAG_CBOR_CODEC, bytes), bytes, header, body }
}

function bodyFields (body: ManifestBody): Record<string, unknown> {
  return {
    kind: body.kind,
    name: body.name,
    created: body.created,
    files: body.files.map(f => {
      const entry: Record<string, unknown> = { path: f.path, size: f.size }
      if (f.mime != null) entry.mime = f.mime
      if (f.executable === true) entry.executable = true
      return entry
    })
  }
}

/** Decodes and checks the clear header; needs no key. */
export function decodeManifest (bytes: Uint8Array, cid?: CID): SealedManifest {
  if (bytes.length > MAX_MANIFEST_BYTES) throw new ManifestError(`manifest is ${bytes.length} bytes, over the ${MAX_MANIFEST_BYTES} limit`)
  const actual = cidOf(DAG_CBOR_CODEC, bytes)
  if (cid != null && !actual.equals(cid)) throw new ManifestError(`manifest bytes do not hash to ${String(cid as unknown)}`)
  let raw: unknown
  try {
    raw = dagCbor.decode(bytes)
  } catch (err) {
    throw new ManifestError(`manifest is not valid DAG-CBOR: ${(err as Error).message}`)
  }
  if (!isRecord(raw)) throw new ManifestError('manifest is not a map')
  const header: ManifestHeader = {
    version: int(raw.oht, 'oht'),
    cipher: raw.cipher as typeof CIPHER,
    blockSize: int(raw.blockSize, 'blockSize'),
    blockCount: int(raw.blockCount, 'blockCount'),
    size: int(raw.size, 'size'),
    root: bytesField(raw.root, 'root')
  }
  validateHeader(header)
  const sealedBody = bytesField(raw.body, 'body')
  return { cid: actual, bytes, header, sealedBody }
}

/** Decrypts and checks the body; a wrong key and a corrupted manifest are the same failure. */
export function openManifest (bytes: Uint8Array, contentKey: Uint8Array, cid?: CID): Manifest {
  const sealed = decodeManifest(bytes, cid)
  let plain: Uint8Array
  try {
    plain = open(deriveManifestKey(contentKey), MANIFEST_NONCE, sealed.sealedBody, headerAad(sealed.header))
  } catch (err) {
    if (err instanceof DecryptError) throw new ManifestError('cannot open the manifest: wrong key in the link, or the manifest is corrupted')
    throw err
  }
  let raw: unknown
  try {
    raw = dagCbor.decode(plain)
  } catch (err) {
    throw new ManifestError(`manifest body is not valid DAG-CBOR: ${(err as Error).message}`)
  }
  const body = parseBody(raw)
  validateBody(body, sealed.header)
  return { cid: sealed.cid, bytes, header: sealed.header, body }
}

function parseBody (raw: unknown): ManifestBody {
  if (!isRecord(raw)) throw new ManifestError('manifest body is not a map')
  if (raw.kind !== 'file' && raw.kind !== 'dir') throw new ManifestError('manifest body: kind must be "file" or "dir"')
  if (typeof raw.name !== 'string') throw new ManifestError('manifest body: name must be a string')
  if (!Array.isArray(raw.files)) throw new ManifestError('manifest body: files must be a list')
  if (raw.files.length > MAX_FILES) throw new ManifestError(`manifest lists ${raw.files.length} files, over the ${MAX_FILES} limit`)
  const files = raw.files.map((f: unknown, i: number): FileEntry => {
    if (!isRecord(f)) throw new ManifestError(`file ${i} is not a map`)
    if (typeof f.path !== 'string') throw new ManifestError(`file ${i}: path must be a string`)
    const entry: FileEntry = { path: f.path, size: int(f.size, `files[${i}].size`) }
    if (f.mime != null) {
      if (typeof f.mime !== 'string' || f.mime.length > 255) throw new ManifestError(`file ${i}: bad mime type`)
      entry.mime = f.mime
    }
    if (f.executable === true) entry.executable = true
    return entry
  })
  return { kind: raw.kind, name: raw.name, created: int(raw.created, 'created'), files }
}

export function validateHeader (h: ManifestHeader): void {
  if (h.version !== FORMAT_VERSION) throw new ManifestError(`unsupported share format version ${h.version} (this oht reads version ${FORMAT_VERSION})`)
  if (h.cipher !== CIPHER) throw new ManifestError(`unsupported cipher ${String(h.cipher as unknown)}`)
  if (h.blockSize < MIN_BLOCK_SIZE || h.blockSize > MAX_BLOCK_SIZE || (h.blockSize & (h.blockSize - 1)) !== 0) {
    throw new ManifestError(`block size ${h.blockSize} is not a power of two between ${MIN_BLOCK_SIZE} and ${MAX_BLOCK_SIZE}`)
  }
  if (h.blockCount !== blockCountFor(h.size, h.blockSize)) {
    throw new ManifestError(`block count ${h.blockCount} does not match size ${h.size} at block size ${h.blockSize}`)
  }
  if (h.root.length !== HASH_BYTES) throw new ManifestError('Merkle root must be 32 bytes')
}

/** Refuses hostile file tables: escaping paths, duplicates, sizes that do not add up. */
export function validateBody (body: ManifestBody, header: ManifestHeader): void {
  if (body.files.length === 0) throw new ManifestError('manifest lists no files')
  if (body.files.length > MAX_FILES) throw new ManifestError(`manifest lists ${body.files.length} files, over the ${MAX_FILES} limit`)
  if (body.kind === 'file' && body.files.length !== 1) throw new ManifestError('a file share lists exactly one file')
  checkSegment(body.name, 'share name')
  if (body.name.includes('/')) throw new ManifestError('share name contains "/"')
  const seen = new Set<string>()
  let total = 0
  for (const file of body.files) {
    validatePath(file.path)
    if (seen.has(file.path)) throw new ManifestError(`duplicate path in manifest: ${JSON.stringify(file.path)}`)
    seen.add(file.path)
    // Every path lies under the share's own name (a file share: is its name), so a fetch writes
    // into one folder of that name and nothing beside it (docs/SECURITY.md, "Names").
    const under = body.kind === 'file' ? file.path === body.name : file.path.startsWith(`${body.name}/`)
    if (!under) throw new ManifestError(`path ${JSON.stringify(file.path)} is not under the share's name ${JSON.stringify(body.name)}`)
    if (file.size > header.size) throw new ManifestError(`file ${JSON.stringify(file.path)} claims ${file.size} bytes, more than the whole share`)
    total += file.size
  }
  if (total !== header.size) throw new ManifestError(`file sizes add up to ${total}, but the share holds ${header.size} bytes`)
  // A file may not also be a directory of another file ("a" and "a/b").
  for (const path of seen) {
    let cut = path.lastIndexOf('/')
    while (cut > 0) {
      const parent = path.slice(0, cut)
      if (seen.has(parent)) throw new ManifestError(`path ${JSON.stringify(parent)} is both a file and a directory`)
      cut = parent.lastIndexOf('/')
    }
  }
}

export function validatePath (path: string): void {
  if (path.length === 0) throw new ManifestError('empty path in manifest')
  if (Buffer.byteLength(path) > MAX_PATH_BYTES) throw new ManifestError(`path longer than ${MAX_PATH_BYTES} bytes`)
  if (path.startsWith('/')) throw new ManifestError(`absolute path in manifest: ${JSON.stringify(path)}`)
  for (const segment of path.split('/')) checkSegment(segment, `path ${JSON.stringify(path)}`)
}

function checkSegment (segment: string, what: string): void {
  if (segment.length === 0) throw new ManifestError(`${what} has an empty segment`)
  if (segment === '.' || segment === '..') throw new ManifestError(`${what} contains "${segment}"`)
  if (segment.includes('\0')) throw new ManifestError(`${what} contains a NUL byte`)
  if (segment.includes('\\')) throw new ManifestError(`${what} contains a backslash`)
  if (/^[A-Za-z]:/.test(segment)) throw new ManifestError(`${what} looks like a drive path`)
  if (Buffer.byteLength(segment) > MAX_SEGMENT_BYTES) throw new ManifestError(`${what} has a name longer than ${MAX_SEGMENT_BYTES} bytes`)
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(segment)) throw new ManifestError(`${what} contains a control character`)
}

function isRecord (v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array)
}

function int (v: unknown, name: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new ManifestError(`manifest field ${name} must be a non-negative integer`)
  return v
}

function bytesField (v: unknown, name: string): Uint8Array {
  if (!(v instanceof Uint8Array)) throw new ManifestError(`manifest field ${name} must be bytes`)
  return v
}
