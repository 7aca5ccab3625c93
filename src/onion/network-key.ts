// A network key: the secret of an onion address that several nodes of one oht network publish
// at once, so a newcomer who holds only the key can reach some live member and learn peers from
// it (decentralized bootstrap). The key is a 32-byte Ed25519 seed; tor wants the expanded form.
import { createHash, randomBytes } from 'node:crypto'
import { formatAddress, onionNameFromPublicKey } from './address.ts'
import { identityFromSeed } from './handshake.ts'

const PREFIX = 'oht-net:'
/** The virtual port of a network's shared onion address. */
export const NETWORK_VIRTUAL_PORT = 4001

export interface NetworkKey {
  seed: Uint8Array
  /** `oht-net:<base64url seed>`: what `oht network create` prints and `--network` takes. */
  text: string
  /** The shared address, `onion:<56>.onion:4001`. */
  address: string
  /** The key in ADD_ONION's form: `ED25519-V3:<base64 of the 64-byte expanded secret key>`. */
  torKeyBlob: string
}

export class NetworkKeyError extends Error { override name = 'NetworkKeyError' }

export function createNetworkKey (): NetworkKey {
  return networkKeyFromSeed(randomBytes(32))
}

export function parseNetworkKey (text: string): NetworkKey {
  const m = /^oht-net:([A-Za-z0-9_-]{43})$/.exec(String(text).trim())
  if (m == null) throw new NetworkKeyError('not a network key: expected oht-net:<43 base64url characters> (from oht network create)')
  return networkKeyFromSeed(Buffer.from(m[1]!, 'base64url'))
}

export function networkKeyFromSeed (seed: Uint8Array): NetworkKey {
  if (seed.length !== 32) throw new NetworkKeyError('a network key is a 32-byte seed')
  const publicKey = identityFromSeed(seed).publicKeyRaw
  // Ed25519's expanded secret key, as tor stores it: SHA-512 of the seed, the scalar half clamped.
  const expanded = createHash('sha512').update(seed).digest()
  expanded[0]! &= 248
  expanded[31]! &= 127
  expanded[31]! |= 64
  return {
    seed: new Uint8Array(seed),
    text: PREFIX + Buffer.from(seed).toString('base64url'),
    address: formatAddress({ transport: 'tor', host: onionNameFromPublicKey(publicKey), port: NETWORK_VIRTUAL_PORT }),
    torKeyBlob: `ED25519-V3:${expanded.toString('base64')}`
  }
}
