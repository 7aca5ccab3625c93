// oht's BEP 10 extension ("oht_v1") on the BitTorrent wire: what lets a fetcher that holds only a
// capability learn the manifest, the leaf hashes and Merkle proofs from its peers, and what
// admits a peer to a swarm at all. Payloads are DAG-CBOR maps with a `t` field.
import * as dagCbor from '@ipld/dag-cbor'
import { MAX_EXTENSION_BYTES, MAX_LEAVES_PER_MESSAGE, MAX_PROOF_SIBLINGS, MAX_REFUSAL_CHARS } from './constants.ts'

export { MAX_EXTENSION_BYTES, MAX_LEAVES_PER_MESSAGE } from './constants.ts'
export const EXTENSION_NAME = 'oht_v1'
/**
 * The number oht_v1 messages carry. BEP 10 lets each side number its extensions in its extension
 * handshake; every oht node registers oht_v1 alone, so it is 1 on both ends, and an initiator
 * sends its `auth` and first requests before the peer's extension handshake has arrived.
 */
export const EXTENSION_ID = 1

export type ExtensionMessage =
  | { t: 'auth', mac: Uint8Array }
  | { t: 'manifest?' }
  | { t: 'manifest', data: Uint8Array }
  | { t: 'leaves?', from: number, count: number }
  | { t: 'leaves', from: number, data: Uint8Array }
  | { t: 'proof?', index: number }
  | { t: 'proof', index: number, leaf: Uint8Array, siblings: Uint8Array }
  | { t: 'refuse', reason: string }

export class MessageError extends Error {
  override name = 'MessageError'
}

export function encodeMessage (m: ExtensionMessage): Uint8Array {
  return dagCbor.encode(m)
}

/** Decodes and validates one extension payload; anything unexpected is a MessageError. */
export function decodeMessage (bytes: Uint8Array): ExtensionMessage {
  if (bytes.length > MAX_EXTENSION_BYTES) throw new MessageError(`extension message of ${bytes.length} bytes is over the limit`)
  let raw: unknown
  try {
    raw = dagCbor.decode(bytes)
  } catch (err) {
    throw new MessageError(`malformed extension message: ${(err as Error).message}`)
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new MessageError('extension message is not a map')
  const m = raw as Record<string, unknown>
  switch (m.t) {
    case 'auth': return { t: 'auth', mac: bytes32(m.mac, 'mac') }
    case 'manifest?': return { t: 'manifest?' }
    case 'manifest': return { t: 'manifest', data: bytesOf(m.data, 'data') }
    case 'leaves?': {
      const count = uint(m.count, 'count')
      if (count === 0 || count > MAX_LEAVES_PER_MESSAGE) throw new MessageError(`leaves request for ${count} leaves`)
      return { t: 'leaves?', from: uint(m.from, 'from'), count }
    }
    case 'leaves': {
      const data = bytesOf(m.data, 'data')
      if (data.length === 0 || data.length % 32 !== 0 || data.length > MAX_LEAVES_PER_MESSAGE * 32) throw new MessageError('leaves payload is not a whole number of hashes')
      return { t: 'leaves', from: uint(m.from, 'from'), data }
    }
    case 'proof?': return { t: 'proof?', index: uint(m.index, 'index') }
    case 'proof': {
      const siblings = bytesOf(m.siblings, 'siblings')
      if (siblings.length % 32 !== 0 || siblings.length > MAX_PROOF_SIBLINGS * 32) throw new MessageError('proof siblings are not a whole number of hashes')
      return { t: 'proof', index: uint(m.index, 'index'), leaf: bytes32(m.leaf, 'leaf'), siblings }
    }
    case 'refuse': {
      if (typeof m.reason !== 'string' || m.reason.length > MAX_REFUSAL_CHARS) throw new MessageError('bad refusal')
      return { t: 'refuse', reason: m.reason }
    }
    default: throw new MessageError(`unknown extension message type ${JSON.stringify(String(m.t)).slice(0, 40)}`)
  }
}

function uint (v: unknown, name: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0 || v > 0xffffffff) throw new MessageError(`field ${name} must be a uint32`)
  return v
}

function bytesOf (v: unknown, name: string): Uint8Array {
  if (!(v instanceof Uint8Array)) throw new MessageError(`field ${name} must be bytes`)
  return v
}

function bytes32 (v: unknown, name: string): Uint8Array {
  const b = bytesOf(v, name)
  if (b.length !== 32) throw new MessageError(`field ${name} must be 32 bytes`)
  return b
}
