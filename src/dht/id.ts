// 256-bit identifiers (node ids, topics, record keys) and the XOR metric over them. Ids travel
// as 32-byte Uint8Arrays and are keyed in maps as lower-case hex.
import { createHash, randomBytes } from 'node:crypto'
import { ID_BITS, ID_BYTES } from './constants.ts'

export type Id = Uint8Array

const HEX_ID = /^[0-9a-f]{64}$/

export function isId (value: unknown): value is Id {
  return value instanceof Uint8Array && value.length === ID_BYTES
}

export function idToHex (id: Id): string {
  return Buffer.from(id.buffer, id.byteOffset, id.byteLength).toString('hex')
}

export function idFromHex (hex: string): Id {
  if (!HEX_ID.test(hex)) throw new TypeError(`an id is 64 lower-case hex characters, got "${hex.slice(0, 70)}"`)
  return new Uint8Array(Buffer.from(hex, 'hex'))
}

/** SHA-256 of the raw Ed25519 public key: the node id of src/onion/handshake.ts nodeIdOf, as bytes. */
export function nodeIdBytes (publicKeyRaw: Uint8Array): Id {
  return new Uint8Array(createHash('sha256').update(publicKeyRaw).digest())
}

export function sha256 (...parts: Uint8Array[]): Id {
  const hash = createHash('sha256')
  for (const part of parts) hash.update(part)
  return new Uint8Array(hash.digest())
}

export function equalIds (a: Id, b: Id): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b)
}

export function xorDistance (a: Id, b: Id): Id {
  const out = new Uint8Array(ID_BYTES)
  for (let i = 0; i < ID_BYTES; i++) out[i] = a[i]! ^ b[i]!
  return out
}

/** Negative when `a` is closer to `target` than `b`, positive when farther, 0 when equal. */
export function compareDistance (a: Id, b: Id, target: Id): number {
  for (let i = 0; i < ID_BYTES; i++) {
    const da = a[i]! ^ target[i]!
    const db = b[i]! ^ target[i]!
    if (da !== db) return da - db
  }
  return 0
}

/** Leading bits `a` and `b` share (ID_BITS when equal). Bucket i holds ids sharing exactly i bits with us. */
export function commonPrefixLength (a: Id, b: Id): number {
  for (let i = 0; i < ID_BYTES; i++) {
    const x = a[i]! ^ b[i]!
    if (x !== 0) return i * 8 + Math.clz32(x) - 24
  }
  return ID_BITS
}

/** A random id that shares exactly `prefix` leading bits with `self` (a member of bucket `prefix`). */
export function randomIdInBucket (self: Id, prefix: number, random: (n: number) => Uint8Array = randomBytes): Id {
  if (prefix < 0 || prefix >= ID_BITS) throw new RangeError(`bucket index ${prefix} out of range`)
  const id = new Uint8Array(random(ID_BYTES))
  const byte = prefix >> 3
  const bit = 7 - (prefix & 7)
  for (let i = 0; i < byte; i++) id[i] = self[i]!
  // Bits above `bit` of the prefix byte from self, bit `bit` flipped, the rest random.
  const highMask = (0xff << (bit + 1)) & 0xff
  const flip = (self[byte]! ^ (1 << bit)) & (1 << bit)
  id[byte] = (self[byte]! & highMask) | flip | (id[byte]! & ((1 << bit) - 1))
  return id
}
