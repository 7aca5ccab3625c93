// What `oht peers` and `oht dht put|get|delete` ask of a node, the same embedded or through the
// daemon's API. Values name themselves by a reference string:
//   <64 hex>                       an immutable value (its key is SHA-256 of the value)
//   mutable:<owner key hex>[:<salt hex>]   a mutable value signed by that owner (BEP 44 style)
//   private:<base64url handle>     a private value: encrypted, stored where only the handle finds it
// Deleting publishes a signed tombstone (mutable and private values); immutable values cannot be
// deleted by anyone and simply expire (docs/DHT.md).
import { randomBytes } from 'node:crypto'
import type { ContactRecord, DhtStats } from '../../dht/index.ts'
import type { Discovery } from './discovery.ts'
import { NodeError } from '../errors.ts'

export interface DhtInfo {
  stats: DhtStats | null
  peers: Array<ContactRecord & { lastSeen: number, failures: number }>
}

export interface DhtPutRequest {
  /** UTF-8 text or base64 (`encoding: 'base64'`). */
  value: string
  encoding?: 'utf8' | 'base64'
  kind: 'immutable' | 'mutable' | 'private'
  /** mutable: salt (hex) telling several values of one owner apart. */
  salt?: string
  /** private: update the value of an existing handle instead of making a new one. */
  handle?: string
}

export interface DhtPutResult { ref: string, stored: number, seq?: number }
export interface DhtGetResult { ref: string, found: boolean, deleted: boolean, value: string | null, encoding: 'base64', seq?: number }
export interface DhtDeleteResult { ref: string, stored: number, seq: number }

export interface DhtService {
  info (): Promise<DhtInfo>
  put (request: DhtPutRequest): Promise<DhtPutResult>
  get (ref: string): Promise<DhtGetResult>
  delete (ref: string): Promise<DhtDeleteResult>
}

export class DhtRefError extends NodeError { override name = 'DhtRefError' }

type Ref =
  | { kind: 'immutable', key: Uint8Array }
  | { kind: 'mutable', owner: Uint8Array, salt: Uint8Array }
  | { kind: 'private', handle: Uint8Array }

export function parseRef (ref: string): Ref {
  const text = String(ref).trim()
  if (/^[0-9a-f]{64}$/i.test(text)) return { kind: 'immutable', key: Buffer.from(text, 'hex') }
  let m = /^mutable:([0-9a-f]{64})(?::([0-9a-f]{0,128}))?$/i.exec(text)
  if (m != null) return { kind: 'mutable', owner: Buffer.from(m[1]!, 'hex'), salt: Buffer.from(m[2] ?? '', 'hex') }
  m = /^private:([A-Za-z0-9_-]{43})$/.exec(text)
  if (m != null) return { kind: 'private', handle: Buffer.from(m[1]!, 'base64url') }
  throw new DhtRefError('dht.badRef', { ref: text.slice(0, 80) }, `not a DHT reference: "${text.slice(0, 80)}" (a 64-hex key, mutable:<owner key hex>[:<salt hex>] or private:<handle>)`)
}

/** The DHT of a node in this process (a daemon, or an embedded command that joined). */
export class LocalDhtService implements DhtService {
  readonly #discovery: Discovery
  constructor (discovery: Discovery) { this.#discovery = discovery }

  async #dht (): Promise<NonNullable<Discovery['dht']>> {
    await this.#discovery.start()
    return this.#discovery.dht!
  }

  async info (): Promise<DhtInfo> {
    return { stats: this.#discovery.stats(), peers: this.#discovery.peers() }
  }

  async put (request: DhtPutRequest): Promise<DhtPutResult> {
    const value = Buffer.from(String(request.value), request.encoding === 'base64' ? 'base64' : 'utf8')
    const dht = await this.#dht()
    if (request.kind === 'immutable') {
      const r = await dht.putImmutable(value)
      return { ref: Buffer.from(r.key).toString('hex'), stored: r.stored }
    }
    if (request.kind === 'mutable') {
      const salt = Buffer.from(request.salt ?? '', 'hex')
      if (request.salt != null && salt.length * 2 !== request.salt.length) throw new DhtRefError('dht.badSalt', {}, 'the salt must be hex')
      const r = await dht.putMutable(value, { salt })
      const saltPart = salt.length > 0 ? `:${salt.toString('hex')}` : ''
      return { ref: `mutable:${Buffer.from(dht.keys.publicKeyRaw).toString('hex')}${saltPart}`, stored: r.stored, seq: r.seq }
    }
    if (request.kind === 'private') {
      const handle = request.handle != null ? privateHandle(request.handle) : randomBytes(32)
      const r = await dht.putPrivate(handle, value)
      return { ref: `private:${handle.toString('base64url')}`, stored: r.stored, seq: r.seq }
    }
    throw new DhtRefError('dht.badKind', { kind: String(request.kind) }, `unknown value kind ${String(request.kind)}`)
  }

  async get (refText: string): Promise<DhtGetResult> {
    const ref = parseRef(refText)
    const dht = await this.#dht()
    const base = { ref: refText, encoding: 'base64' as const }
    if (ref.kind === 'immutable') {
      const { value } = await dht.getImmutable(ref.key)
      return { ...base, found: value != null, deleted: false, value: value != null ? Buffer.from(value).toString('base64') : null }
    }
    if (ref.kind === 'mutable') {
      const { record } = await dht.getMutable(ref.owner, { salt: ref.salt })
      if (record == null) return { ...base, found: false, deleted: false, value: null }
      return { ...base, found: !record.deleted, deleted: record.deleted, value: record.deleted ? null : Buffer.from(record.value).toString('base64'), seq: record.seq }
    }
    const { value, deleted } = await dht.getPrivate(ref.handle)
    return { ...base, found: value != null, deleted, value: value != null ? Buffer.from(value).toString('base64') : null }
  }

  async delete (refText: string): Promise<DhtDeleteResult> {
    const ref = parseRef(refText)
    const dht = await this.#dht()
    if (ref.kind === 'immutable') throw new DhtRefError('dht.immutable', {}, 'an immutable value cannot be deleted: it expires when its publishers stop republishing it')
    if (ref.kind === 'mutable') {
      if (!Buffer.from(ref.owner).equals(dht.keys.publicKeyRaw)) throw new DhtRefError('dht.notOwner', {}, 'only the owner of a mutable value can delete it (this node\'s key does not own it)')
      const r = await dht.deleteMutable({ salt: ref.salt })
      return { ref: refText, stored: r.stored, seq: r.seq }
    }
    const r = await dht.deletePrivate(ref.handle)
    return { ref: refText, stored: r.stored, seq: r.seq }
  }
}

function privateHandle (text: string): Buffer {
  const ref = parseRef(text.startsWith('private:') ? text : `private:${text}`)
  if (ref.kind !== 'private') throw new DhtRefError('dht.badHandle', {}, 'the handle must be a private:<handle> reference')
  return Buffer.from(ref.handle)
}
