import { createHash } from 'node:crypto'
import { CID } from 'multiformats/cid'
import * as Digest from 'multiformats/hashes/digest'
import { sha256 as sha256Hasher } from 'multiformats/hashes/sha2'

export const RAW_CODEC = 0x55
export const DAG_CBOR_CODEC = 0x71
export const DAG_PB_CODEC = 0x70
export const SHA2_256 = sha256Hasher.code

export function sha256 (bytes: Uint8Array): Buffer {
  return createHash('sha256').update(bytes).digest()
}

/** CIDv1 of a ciphertext block: raw codec, sha2-256. */
export function blockCid (digest: Uint8Array): CID {
  return CID.createV1(RAW_CODEC, Digest.create(SHA2_256, digest))
}

export function cidOf (codec: number, bytes: Uint8Array): CID {
  return CID.createV1(codec, Digest.create(SHA2_256, sha256(bytes)))
}

/** True when `bytes` hash to `cid` (sha2-256 CIDs only; anything else is refused). */
export function cidMatches (cid: CID, bytes: Uint8Array): boolean {
  if (cid.multihash.code !== SHA2_256) return false
  return Buffer.from(cid.multihash.digest).equals(sha256(bytes))
}

export { CID }
