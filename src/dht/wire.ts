// The DHT's messages. Each is one frame of src/onion/framing.ts (uint32 length, then a DAG-CBOR
// map) capped at MAX_FRAME_BYTES. The dialing side sends requests, the dialed side answers each
// with a response of the same request id; see docs/DHT.md for every field.
import * as dagCbor from '@ipld/dag-cbor'
import { MAX_CONTACTS_PER_REPLY, MAX_FORWARD_HOPS, MAX_PROVIDERS_PER_REPLY } from './constants.ts'
import { contactFrom, isValidAddress, type Contact } from './contact.ts'
import { isId, type Id } from './id.ts'
import {
  RecordError, providerFromWire, providerToWire, valueFromWire, valueToWire,
  type ProviderRecord, type ValueRecord
} from './records.ts'

export const WIRE_VERSION = 1
const MAX_REQUEST_ID = 0xffff_ffff

export type RequestType = 'ping' | 'find-node' | 'add-provider' | 'get-providers' | 'put-value' | 'get-value'
export const REQUEST_TYPES: readonly RequestType[] = ['ping', 'find-node', 'add-provider', 'get-providers', 'put-value', 'get-value']

export type Request =
  | { type: 'ping' }
  | { type: 'find-node', target: Id }
  | { type: 'add-provider', record: ProviderRecord }
  /** `forward`: how many more nodes the answerer may relay it to over open sessions (relay.ts); absent: 0. */
  | { type: 'get-providers', topic: Id, forward?: number }
  | { type: 'put-value', record: ValueRecord }
  | { type: 'get-value', key: Id }

export interface RequestFrame {
  id: number
  /** The address the sender announces for itself (absent for nodes that cannot be dialed). */
  from?: string
  request: Request
}

/** An answer's contents. Contacts and records are only shape-checked here; callers validate. */
export interface ResponseBody {
  nodes?: Contact[]
  providers?: ProviderRecord[]
  record?: ValueRecord
}

export type ErrorCode = 'malformed' | 'unknown-type' | 'refused' | 'invalid-record' | 'busy'
const ERROR_CODES: readonly string[] = ['malformed', 'unknown-type', 'refused', 'invalid-record', 'busy'] satisfies ErrorCode[]

export type ResponseFrame =
  | { id: number, ok: true, body: ResponseBody, /** Entries of the answer that failed their shape check. */ dropped: number }
  | { id: number, ok: false, error: ErrorCode, message: string }

export class WireError extends Error {
  override name = 'WireError'
  readonly code: ErrorCode
  /** The request id, when it could be read (so the error can still be answered). */
  readonly requestId: number | undefined
  constructor (code: ErrorCode, message: string, requestId?: number) {
    super(message)
    this.code = code
    this.requestId = requestId
  }
}

type WireMap = Record<string, unknown>

function asMap (bytes: Uint8Array): WireMap {
  let value: unknown
  try {
    value = dagCbor.decode(bytes)
  } catch (err) {
    throw new WireError('malformed', `undecodable message: ${(err as Error).message}`)
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value) || value instanceof Uint8Array) throw new WireError('malformed', 'a message is a CBOR map')
  const m = value as WireMap
  if (m.v !== WIRE_VERSION) throw new WireError('malformed', `unsupported message version ${String(m.v)}`)
  return m
}

function readId (m: WireMap): number {
  const id = m.i
  if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id > MAX_REQUEST_ID) throw new WireError('malformed', 'missing or invalid request id')
  return id
}

export function encodeRequest (frame: RequestFrame): Uint8Array {
  const { request } = frame
  const m: WireMap = { v: WIRE_VERSION, i: frame.id, t: request.type }
  if (frame.from !== undefined) m.a = frame.from
  switch (request.type) {
    case 'ping': break
    case 'find-node': m.k = request.target; break
    case 'get-providers':
      m.k = request.topic
      if (request.forward !== undefined && request.forward > 0) m.f = request.forward
      break
    case 'get-value': m.k = request.key; break
    case 'add-provider': m.r = providerToWire(request.record); break
    case 'put-value': m.r = valueToWire(request.record); break
  }
  return dagCbor.encode(m)
}

/** Throws WireError: 'malformed' (the session should end) or 'unknown-type'/'invalid-record' (answerable). */
export function decodeRequest (bytes: Uint8Array): RequestFrame {
  const m = asMap(bytes)
  const id = readId(m)
  const from = m.a
  if (from !== undefined && !isValidAddress(from)) throw new WireError('malformed', 'invalid announced address', id)
  const type = m.t
  if (typeof type !== 'string' || !(REQUEST_TYPES as readonly string[]).includes(type)) {
    throw new WireError('unknown-type', `unknown request type "${String(type).slice(0, 32)}"`, id)
  }
  const key = (): Id => {
    if (!isId(m.k)) throw new WireError('malformed', `${type} needs a 32-byte key`, id)
    return m.k
  }
  const record = <R>(read: (w: unknown) => R): R => {
    try {
      return read(m.r)
    } catch (err) {
      if (err instanceof RecordError) throw new WireError('invalid-record', err.message, id)
      throw err
    }
  }
  let request: Request
  switch (type as RequestType) {
    case 'ping': request = { type: 'ping' }; break
    case 'find-node': request = { type: 'find-node', target: key() }; break
    case 'get-providers': {
      const forward = m.f
      if (forward !== undefined && (typeof forward !== 'number' || !Number.isInteger(forward) || forward < 0)) throw new WireError('malformed', 'get-providers: invalid forward count', id)
      // A larger budget than ours is not an error (another version may allow more): we relay at most ours.
      request = forward === undefined || forward === 0 ? { type: 'get-providers', topic: key() } : { type: 'get-providers', topic: key(), forward: Math.min(forward, MAX_FORWARD_HOPS) }
      break
    }
    case 'get-value': request = { type: 'get-value', key: key() }; break
    case 'add-provider': request = { type: 'add-provider', record: record(providerFromWire) }; break
    case 'put-value': request = { type: 'put-value', record: record(valueFromWire) }; break
  }
  return from === undefined ? { id, request } : { id, from, request }
}

export function encodeResponse (frame: ResponseFrame): Uint8Array {
  if (!frame.ok) return dagCbor.encode({ v: WIRE_VERSION, i: frame.id, e: frame.error, m: frame.message.slice(0, 200) })
  const m: WireMap = { v: WIRE_VERSION, i: frame.id }
  const { nodes, providers, record } = frame.body
  if (nodes !== undefined) m.n = nodes.map(c => ({ k: c.publicKey, a: c.address }))
  if (providers !== undefined) m.p = providers.map(providerToWire)
  if (record !== undefined) m.r = valueToWire(record)
  return dagCbor.encode(m)
}

/**
 * Decodes an answer. A malformed envelope throws WireError('malformed'); single malformed
 * contacts or records inside are dropped and counted, so one bad entry does not void the rest.
 */
export function decodeResponse (bytes: Uint8Array): ResponseFrame {
  const m = asMap(bytes)
  const id = readId(m)
  if (m.e !== undefined) {
    // A code this node does not know is read as 'malformed' (found by test/fuzz/dht-wire.test.ts).
    const code = typeof m.e === 'string' && ERROR_CODES.includes(m.e) ? m.e as ErrorCode : 'malformed'
    return { id, ok: false, error: code, message: typeof m.m === 'string' ? m.m.slice(0, 200) : '' }
  }
  let dropped = 0
  const body: ResponseBody = {}
  const list = (value: unknown, max: number, what: string): unknown[] => {
    if (!Array.isArray(value)) throw new WireError('malformed', `${what} must be a list`, id)
    if (value.length > max) throw new WireError('malformed', `${value.length} ${what} in one answer (at most ${max})`, id)
    return value
  }
  if (m.n !== undefined) {
    body.nodes = []
    for (const item of list(m.n, MAX_CONTACTS_PER_REPLY, 'contacts')) {
      try {
        const w = item as WireMap
        body.nodes.push(contactFrom(w.k as Uint8Array, w.a as string))
      } catch { dropped++ }
    }
  }
  if (m.p !== undefined) {
    body.providers = []
    for (const item of list(m.p, MAX_PROVIDERS_PER_REPLY, 'provider records')) {
      try { body.providers.push(providerFromWire(item)) } catch { dropped++ }
    }
  }
  if (m.r !== undefined) {
    try { body.record = valueFromWire(m.r) } catch { dropped++ }
  }
  return { id, ok: true, body, dropped }
}
