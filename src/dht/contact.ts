// A node's contact: its id, its Ed25519 node key and the transport address it announces for
// itself. The id is never taken on trust: it is always recomputed from the public key, and a
// contact learned from a third party is only dialed with that id expected, so the handshake
// proves it (a contact enters the routing table only after such a handshake).
import { parseAddress } from '../onion/address.ts'
import { MAX_ADDRESS_BYTES } from './constants.ts'
import { idToHex, nodeIdBytes, type Id } from './id.ts'

export interface Contact {
  /** SHA-256 of `publicKey` (32 bytes). */
  nodeId: Id
  /** Raw 32-byte Ed25519 node public key. */
  publicKey: Uint8Array
  /** Transport address: `tcp:127.0.0.1:4001`, `mem:name`, `onion:<56>.onion:<port>`. */
  address: string
}

/** The JSON-friendly form of a contact, for the routing-table store and `oht peers`. */
export interface ContactRecord {
  nodeId: string
  publicKey: string
  address: string
}

/** Node ids of recently seen keys: every answer carries up to 20 contacts, mostly known ones. */
const idCache = new Map<string, Id>()
const ID_CACHE_SIZE = 65_536

function cachedNodeId (publicKey: Uint8Array): Id {
  const hex = Buffer.from(publicKey.buffer, publicKey.byteOffset, publicKey.byteLength).toString('hex')
  let id = idCache.get(hex)
  if (id === undefined) {
    id = nodeIdBytes(publicKey)
    if (idCache.size >= ID_CACHE_SIZE) idCache.delete(idCache.keys().next().value!)
    idCache.set(hex, id)
  }
  return id
}

export function contactFrom (publicKey: Uint8Array, address: string): Contact {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== 32) throw new TypeError('a contact\'s public key is 32 bytes')
  if (!isValidAddress(address)) throw new TypeError(`invalid contact address "${String(address).slice(0, 80)}"`)
  return { nodeId: cachedNodeId(publicKey), publicKey: new Uint8Array(publicKey), address }
}

export function isValidAddress (address: unknown): address is string {
  if (typeof address !== 'string' || Buffer.byteLength(address) > MAX_ADDRESS_BYTES) return false
  try {
    parseAddress(address)
    return true
  } catch {
    return false
  }
}

export function contactToRecord (contact: Contact): ContactRecord {
  return { nodeId: idToHex(contact.nodeId), publicKey: Buffer.from(contact.publicKey).toString('hex'), address: contact.address }
}

/** Parses a stored contact; null when anything is off (a tampered store is ignored, not trusted). */
export function contactFromRecord (record: ContactRecord): Contact | null {
  try {
    const contact = contactFrom(new Uint8Array(Buffer.from(record.publicKey, 'hex')), record.address)
    return idToHex(contact.nodeId) === record.nodeId ? contact : null
  } catch {
    return null
  }
}
