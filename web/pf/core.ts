// The share format (docs/FORMAT.md, version 2) on the reader's side, for the public fetch page:
// parse an oht link, check the manifest against the share id and open its body, check each
// ciphertext block against its Merkle proof and the root, decrypt it. WebCrypto only (SHA-256,
// HKDF-SHA-256, AES-256-GCM), no imports: it runs in the browser and, for the cross-checks of
// test/unit/publicfetch-core.test.ts, in Node against src/blocks on the same bytes. Nothing here
// trusts the node that serves the bytes: every byte is checked before it is used.

/** One error per thing that went wrong, said plainly: the page shows its message as is. */
export class ShareError extends Error {
  override name = 'ShareError'
}

export interface Link {
  /** The share id (manifest CID, base32). */
  shareId: string
  /** SHA-256 of the manifest bytes, from the share id. */
  digest: Uint8Array
  /** The content key (32 bytes), from the link's fragment. */
  contentKey: Uint8Array
}

export interface Header {
  version: number
  cipher: string
  blockSize: number
  blockCount: number
  size: number
  root: Uint8Array
}

export interface FileEntry { path: string, size: number, mime?: string }

export interface OpenedShare {
  header: Header
  kind: 'file' | 'dir'
  name: string
  files: FileEntry[]
  /** AES-256-GCM key of the blocks (not extractable). */
  blockKey: AesKey
}

const FORMAT_VERSION = 2
const CIPHER = 'aes-256-gcm'
const MIN_BLOCK_SIZE = 16 * 1024
const MAX_BLOCK_SIZE = 16 * 1024 * 1024
const MAX_MANIFEST_BYTES = 8 * 1024 * 1024
const MAX_FILES = 100_000
const MAX_PATH_BYTES = 4096
const MAX_SEGMENT_BYTES = 255
const TAG_BYTES = 16
const HASH_BYTES = 32
const DAG_CBOR = 0x71
const SHA2_256 = 0x12
const LABELS = { blockKey: 'oht/v2/block-key', manifestKey: 'oht/v2/manifest-key' } as const

const subtle = (): Subtle => {
  const s = globalThis.crypto?.subtle
  if (s == null) throw new ShareError('this browser has no WebCrypto here (the page needs a secure context: an .onion or 127.0.0.1 address)')
  return s
}

const utf8 = new TextEncoder()

// The same types in the browser's DOM library and in Node's, named without either.
type Subtle = typeof globalThis.crypto.subtle
type AesKey = Awaited<ReturnType<Subtle['deriveKey']>>
type Bytes = Uint8Array<ArrayBuffer>

// ---- the link -------------------------------------------------------------------------------

/**
 * `oht://<share id>#<key>`, or the same without `oht://` (what the page's own fragment holds:
 * `http://<node>/#oht://<share id>#<key>`). The key is 32 bytes, unpadded base64url.
 */
export function parseLink (text: string): Link {
  let s = text.trim()
  if (s.startsWith('#')) s = s.slice(1)
  try { s = decodeURIComponent(s) } catch { throw new ShareError('not an oht link (bad escape)') }
  if (s.startsWith('oht://')) s = s.slice('oht://'.length)
  const cut = s.indexOf('#')
  if (cut < 0) throw new ShareError('the link has no key (oht://<share id>#<key>): without it nothing can be decrypted')
  const shareId = s.slice(0, cut)
  const key = s.slice(cut + 1)
  if (!/^[A-Za-z0-9_-]{43}$/.test(key)) throw new ShareError('the link\'s key is not 32 bytes of base64url')
  return { shareId, digest: manifestDigest(shareId), contentKey: base64url(key) }
}

/** The SHA-256 digest a CIDv1 dag-cbor sha2-256 share id names. */
function manifestDigest (shareId: string): Uint8Array {
  if (!/^b[a-z2-7]+$/.test(shareId)) throw new ShareError('not an oht share id (a base32 CIDv1 starting with "b")')
  const bytes = base32(shareId.slice(1))
  if (bytes.length !== 4 + HASH_BYTES || bytes[0] !== 1 || bytes[1] !== DAG_CBOR || bytes[2] !== SHA2_256 || bytes[3] !== HASH_BYTES) {
    throw new ShareError('not an oht share id (expected CIDv1, dag-cbor, sha2-256)')
  }
  return bytes.subarray(4)
}

function base32 (s: string): Uint8Array {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567'
  const out = new Uint8Array(Math.floor(s.length * 5 / 8))
  let bits = 0
  let value = 0
  let n = 0
  for (const c of s) {
    value = (value << 5) | alphabet.indexOf(c)
    bits += 5
    if (bits >= 8) { out[n++] = (value >>> (bits - 8)) & 0xff; bits -= 8 }
  }
  if ((value & ((1 << bits) - 1)) !== 0) throw new ShareError('not an oht share id (stray bits)')
  return out
}

function base64url (s: string): Uint8Array {
  const b64 = s.replace(/-/g, '+').replace(/_/g, '/') + '='
  const bin = atob(b64)
  const out = new Uint8Array(bin.length)
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i)
  if (out.length !== 32) throw new ShareError('the link\'s key is not 32 bytes')
  return out
}

// ---- DAG-CBOR, the subset manifests use ------------------------------------------------------

type Value = number | string | boolean | null | Uint8Array | Value[] | Map<string, Value>

/** Strict DAG-CBOR: definite lengths, shortest integers, 64-bit floats, map keys strings in canonical order. */
class Cbor {
  readonly #b: Uint8Array
  pos = 0
  constructor (bytes: Uint8Array) { this.#b = bytes }

  get done (): boolean { return this.pos === this.#b.length }

  #byte (): number {
    if (this.pos >= this.#b.length) throw new ShareError('manifest: truncated CBOR')
    return this.#b[this.pos++]!
  }

  #length (info: number): number {
    if (info < 24) return info
    const n = info === 24 ? 1 : info === 25 ? 2 : info === 26 ? 4 : info === 27 ? 8 : 0
    if (n === 0) throw new ShareError('manifest: indefinite or reserved CBOR length')
    let v = 0
    for (let i = 0; i < n; i++) v = v * 256 + this.#byte()
    if (!Number.isSafeInteger(v)) throw new ShareError('manifest: CBOR integer too large')
    const min = n === 1 ? 24 : n === 2 ? 0x100 : n === 4 ? 0x10000 : 0x100000000
    if (v < min) throw new ShareError('manifest: CBOR integer not in its shortest form')
    return v
  }

  #slice (n: number): Uint8Array {
    if (this.pos + n > this.#b.length) throw new ShareError('manifest: truncated CBOR')
    const s = this.#b.subarray(this.pos, this.pos + n)
    this.pos += n
    return s
  }

  /** The next map's entries with where each entry's bytes start and end (for the header's AAD). */
  mapEntries (): Array<{ key: string, value: Value, start: number, end: number }> {
    const first = this.#byte()
    if (first >> 5 !== 5) throw new ShareError('manifest: not a CBOR map')
    const count = this.#length(first & 31)
    const out: Array<{ key: string, value: Value, start: number, end: number }> = []
    for (let i = 0; i < count; i++) {
      const start = this.pos
      const key = this.value()
      if (typeof key !== 'string') throw new ShareError('manifest: a map key is not a string')
      const prev = out[out.length - 1]?.key
      if (prev != null && !canonicalBefore(prev, key)) throw new ShareError('manifest: map keys not in canonical order')
      out.push({ key, value: this.value(), start, end: this.pos })
    }
    return out
  }

  value (depth = 0): Value {
    if (depth > 16) throw new ShareError('manifest: CBOR nested too deep')
    const first = this.#b[this.pos]
    if (first == null) throw new ShareError('manifest: truncated CBOR')
    if (first >> 5 === 5) return new Map(this.mapEntries().map(e => [e.key, e.value]))
    this.pos++
    const major = first >> 5
    const info = first & 31
    switch (major) {
      case 0: return this.#length(info)
      case 1: return -1 - this.#length(info)
      case 2: return this.#slice(this.#length(info))
      case 3: {
        const bytes = this.#slice(this.#length(info))
        try { return new TextDecoder('utf-8', { fatal: true }).decode(bytes) } catch { throw new ShareError('manifest: a CBOR string is not UTF-8') }
      }
      case 4: {
        const n = this.#length(info)
        const list: Value[] = []
        for (let i = 0; i < n; i++) list.push(this.value(depth + 1))
        return list
      }
      case 7:
        if (info === 20) return false
        if (info === 21) return true
        if (info === 22) return null
        if (info === 27) {
          const v = new DataView(this.#slice(8).slice().buffer).getFloat64(0)
          if (!Number.isFinite(v)) throw new ShareError('manifest: NaN or infinity in CBOR')
          return v
        }
    }
    throw new ShareError(`manifest: unexpected CBOR item 0x${first.toString(16)}`)
  }
}

function canonicalBefore (a: string, b: string): boolean {
  const x = utf8.encode(a)
  const y = utf8.encode(b)
  if (x.length !== y.length) return x.length < y.length
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i]! < y[i]!
  return false
}

function intField (v: Value | undefined, name: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new ShareError(`manifest field ${name} must be a non-negative integer`)
  return v
}

// ---- keys, hashes, the manifest ----------------------------------------------------------------

async function sha256 (bytes: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await subtle().digest('SHA-256', bytes as Bytes))
}

/** HKDF-SHA-256(K, salt = empty, info = label ‖ 0x00) as an AES-256-GCM key (FORMAT.md §3). */
async function deriveAesKey (contentKey: Uint8Array, label: string): Promise<AesKey> {
  const ikm = await subtle().importKey('raw', contentKey as Bytes, 'HKDF', false, ['deriveKey'])
  return await subtle().deriveKey(
    { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: utf8.encode(`${label}\0`) },
    ikm, { name: 'AES-GCM', length: 256 }, false, ['decrypt'])
}

function sameBytes (a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  let d = 0
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!
  return d === 0
}

/**
 * Checks `bytes` against the link's share id, then the header, then opens the body with the
 * manifest key (AAD: the header map without `body`, which in canonical DAG-CBOR is the same
 * entries' bytes under a 6-entry map head) and checks its file table.
 */
export async function openManifest (bytes: Uint8Array, link: Link): Promise<OpenedShare> {
  if (bytes.length > MAX_MANIFEST_BYTES) throw new ShareError('the manifest is larger than 8 MiB')
  if (!sameBytes(await sha256(bytes), link.digest)) throw new ShareError('the node sent a manifest that is not this share\'s (its hash does not match the share id)')
  const reader = new Cbor(bytes)
  const entries = reader.mapEntries()
  if (!reader.done) throw new ShareError('manifest: bytes after the map')
  const keys = entries.map(e => e.key).join(',')
  if (keys !== 'oht,body,root,size,cipher,blockSize,blockCount') throw new ShareError(`manifest: unexpected fields (${keys})`)
  const field = (k: string): Value => entries.find(e => e.key === k)!.value
  const root = field('root')
  const sealed = field('body')
  if (!(root instanceof Uint8Array) || root.length !== HASH_BYTES) throw new ShareError('manifest: the Merkle root must be 32 bytes')
  if (!(sealed instanceof Uint8Array)) throw new ShareError('manifest: body must be bytes')
  const header: Header = {
    version: intField(field('oht'), 'oht'),
    cipher: String(field('cipher')),
    blockSize: intField(field('blockSize'), 'blockSize'),
    blockCount: intField(field('blockCount'), 'blockCount'),
    size: intField(field('size'), 'size'),
    root
  }
  if (header.version !== FORMAT_VERSION) throw new ShareError(`unsupported share format version ${header.version} (this page reads version ${FORMAT_VERSION})`)
  if (header.cipher !== CIPHER) throw new ShareError(`unsupported cipher ${header.cipher}`)
  if (header.blockSize < MIN_BLOCK_SIZE || header.blockSize > MAX_BLOCK_SIZE || (header.blockSize & (header.blockSize - 1)) !== 0) throw new ShareError(`block size ${header.blockSize} is not a power of two from 16 KiB to 16 MiB`)
  if (header.blockCount !== Math.max(1, Math.ceil(header.size / header.blockSize))) throw new ShareError('manifest: block count does not match the size')

  const headerBytes = entries.filter(e => e.key !== 'body').map(e => bytes.subarray(e.start, e.end))
  const aad = new Uint8Array(1 + headerBytes.reduce((n, b) => n + b.length, 0))
  aad[0] = 0xa6
  let at = 1
  for (const b of headerBytes) { aad.set(b, at); at += b.length }
  let plain: Uint8Array
  try {
    const key = await deriveAesKey(link.contentKey, LABELS.manifestKey)
    plain = new Uint8Array(await subtle().decrypt({ name: 'AES-GCM', iv: new Uint8Array(12), additionalData: aad, tagLength: 128 }, key, sealed as Bytes))
  } catch {
    throw new ShareError('cannot open the manifest: wrong key in the link, or the manifest is corrupted')
  }
  const bodyReader = new Cbor(plain)
  const body = bodyReader.value()
  if (!bodyReader.done) throw new ShareError('manifest body: bytes after the map')
  if (!(body instanceof Map)) throw new ShareError('manifest body is not a map')
  const kind = body.get('kind')
  const name = body.get('name')
  const list = body.get('files')
  if (kind !== 'file' && kind !== 'dir') throw new ShareError('manifest body: kind must be "file" or "dir"')
  if (typeof name !== 'string') throw new ShareError('manifest body: name must be a string')
  if (!Array.isArray(list) || list.length === 0 || list.length > MAX_FILES) throw new ShareError('manifest body: files must be a list of 1 to 100,000 entries')
  if (kind === 'file' && list.length !== 1) throw new ShareError('a file share lists exactly one file')
  checkSegment(name)
  if (name.includes('/')) throw new ShareError('the share\'s name contains "/"')
  intField(body.get('created'), 'created')
  let total = 0
  const files = list.map((f, i): FileEntry => {
    if (!(f instanceof Map)) throw new ShareError(`file ${i} is not a map`)
    const path = f.get('path')
    const mime = f.get('mime')
    if (typeof path !== 'string' || path.length === 0) throw new ShareError(`file ${i}: path must be a string`)
    if (utf8.encode(path).length > MAX_PATH_BYTES) throw new ShareError(`file ${i}: path longer than ${MAX_PATH_BYTES} bytes`)
    for (const segment of path.split('/')) checkSegment(segment)
    if (mime != null && (typeof mime !== 'string' || mime.length > 255)) throw new ShareError(`file ${i}: bad mime type`)
    if (kind === 'file' ? path !== name : !path.startsWith(`${name}/`)) throw new ShareError(`path ${JSON.stringify(path)} is not under the share's name`)
    const size = intField(f.get('size'), `files[${i}].size`)
    total += size
    return { path, size, ...(typeof mime === 'string' ? { mime } : {}) }
  })
  if (total !== header.size) throw new ShareError('the manifest\'s file sizes do not add up to the share\'s size')
  const paths = new Set(files.map(f => f.path))
  if (paths.size !== files.length) throw new ShareError('the manifest lists a path twice')
  // A file may not also be a folder of another ("a" and "a/b").
  for (const p of paths) for (let cut = p.lastIndexOf('/'); cut > 0; cut = p.lastIndexOf('/', cut - 1)) {
    if (paths.has(p.slice(0, cut))) throw new ShareError(`the manifest lists ${JSON.stringify(p.slice(0, cut))} as a file and a folder`)
  }
  return { header, kind, name, files, blockKey: await deriveAesKey(link.contentKey, LABELS.blockKey) }
}

function checkSegment (segment: string): void {
  // eslint-disable-next-line no-control-regex
  if (segment === '' || segment === '.' || segment === '..' || segment.includes('\\') || /^[A-Za-z]:/.test(segment) || /[\u0000-\u001f\u007f]/.test(segment) || utf8.encode(segment).length > MAX_SEGMENT_BYTES) {
    throw new ShareError(`the manifest holds an unsafe name: ${JSON.stringify(segment)}`)
  }
}

// ---- blocks ------------------------------------------------------------------------------------

/** Which side each sibling of leaf `index` sits on, leaf level first; promoted levels absent (src/merkle proofShape). */
export function proofShape (index: number, leafCount: number): Array<'left' | 'right'> {
  if (!Number.isSafeInteger(index) || index < 0 || index >= leafCount) throw new ShareError(`block ${index} is out of range`)
  const sides: Array<'left' | 'right'> = []
  let i = index
  let width = leafCount
  while (width > 1) {
    if (!(i === width - 1 && width % 2 === 1)) sides.push(i % 2 === 1 ? 'left' : 'right')
    i = Math.floor(i / 2)
    width = Math.ceil(width / 2)
  }
  return sides
}

/** Plaintext bytes of block `index`. */
export function blockLength (header: Header, index: number): number {
  return index < header.blockCount - 1 ? header.blockSize : header.size - (header.blockCount - 1) * header.blockSize
}

/** True when `ciphertext` is block `index` of the share: its SHA-256 leaf and `siblings` lead to the root. */
export async function verifyBlock (header: Header, index: number, ciphertext: Uint8Array, siblings: readonly Uint8Array[]): Promise<boolean> {
  const shape = proofShape(index, header.blockCount)
  if (siblings.length !== shape.length) return false
  let acc = await sha256(ciphertext)
  for (let level = 0; level < shape.length; level++) {
    const s = siblings[level]!
    if (s.length !== HASH_BYTES) return false
    const pair = new Uint8Array(2 * HASH_BYTES)
    if (shape[level] === 'left') { pair.set(s, 0); pair.set(acc, HASH_BYTES) } else { pair.set(acc, 0); pair.set(s, HASH_BYTES) }
    acc = await sha256(pair)
  }
  return sameBytes(acc, header.root)
}

/**
 * One answer of `GET /pf/<share id>/block/<n>`: the proof's sibling hashes (as many as the
 * tree's shape says, 32 bytes each, leaf level first), then the ciphertext. Checked, then
 * decrypted (nonce: 4 zero bytes ‖ u64be(index)); returns the plaintext.
 */
export async function openBlock (share: OpenedShare, index: number, payload: Uint8Array): Promise<Uint8Array> {
  const depth = proofShape(index, share.header.blockCount).length
  const expected = depth * HASH_BYTES + blockLength(share.header, index) + TAG_BYTES
  if (payload.length !== expected) throw new ShareError(`block ${index}: the node sent ${payload.length} bytes, expected ${expected}`)
  const siblings: Uint8Array[] = []
  for (let i = 0; i < depth; i++) siblings.push(payload.subarray(i * HASH_BYTES, (i + 1) * HASH_BYTES))
  const ciphertext = payload.subarray(depth * HASH_BYTES)
  if (!(await verifyBlock(share.header, index, ciphertext, siblings))) {
    throw new ShareError(`block ${index} does not match the share's Merkle root: the node sent a wrong or damaged block (nothing of it was used)`)
  }
  const nonce = new Uint8Array(12)
  new DataView(nonce.buffer).setBigUint64(4, BigInt(index))
  try {
    return new Uint8Array(await subtle().decrypt({ name: 'AES-GCM', iv: nonce, tagLength: 128 }, share.blockKey, ciphertext as Bytes))
  } catch {
    throw new ShareError(`block ${index} matches the share but does not decrypt: the link's key is wrong`)
  }
}

/**
 * Where the plaintext of block `index` goes: pieces of the files it spans, in order (files are
 * the stream's consecutive parts, FORMAT.md §1; empty files take no bytes).
 */
export function blockPieces (share: OpenedShare, index: number): Array<{ file: number, start: number, end: number }> {
  const from = index * share.header.blockSize
  const to = from + blockLength(share.header, index)
  const out: Array<{ file: number, start: number, end: number }> = []
  let offset = 0
  for (let f = 0; f < share.files.length; f++) {
    const size = share.files[f]!.size
    const a = Math.max(from, offset)
    const b = Math.min(to, offset + size)
    if (b > a) out.push({ file: f, start: a - from, end: b - from })
    offset += size
    if (offset >= to) break
  }
  return out
}
