// Every key and identifier oht derives from a share's content key, domain-separated, in one
// place (docs/FORMAT.md §3 and its label table). Changing a label here changes the format version.
import { hkdf } from '@noble/hashes/hkdf.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { createHmac } from 'node:crypto'

export const KEY_BYTES = 32

/** The HKDF labels of the blocks layer, without terminator (labelBytes adds it). */
export const BLOCK_LABELS = {
  blockKey: 'oht/v2/block-key',
  manifestKey: 'oht/v2/manifest-key',
  swarmKey: 'oht/v2/swarm-key',
  topic: 'oht/v2/dht-topic',
  swarmId: 'oht/v2/swarm-id',
  swarmAuth: 'oht/v2/swarm-auth'
} as const

const encoder = new TextEncoder()
const EMPTY = new Uint8Array(0)

/** A label as HKDF info: its UTF-8 bytes and one NUL, so no label is a prefix of another. */
function labelBytes (label: string): Uint8Array {
  return encoder.encode(`${label}\0`)
}

function derive (ikm: Uint8Array, label: string, salt: Uint8Array = EMPTY): Uint8Array {
  if (ikm.length !== KEY_BYTES) throw new TypeError(`key must be ${KEY_BYTES} bytes, got ${ikm.length}`)
  return hkdf(sha256, ikm, salt, labelBytes(label), KEY_BYTES)
}

/** AES-256-GCM key for the share's blocks. */
export const deriveBlockKey = (contentKey: Uint8Array): Uint8Array => derive(contentKey, BLOCK_LABELS.blockKey)
/** AES-256-GCM key for the manifest body. */
export const deriveManifestKey = (contentKey: Uint8Array): Uint8Array => derive(contentKey, BLOCK_LABELS.manifestKey)
/** The verify capability's secret: admits to the swarm, never decrypts. */
export const deriveSwarmKey = (contentKey: Uint8Array): Uint8Array => derive(contentKey, BLOCK_LABELS.swarmKey)
/** DHT topic: needs the swarm key, so DHT nodes cannot link it to the manifest CID. */
export const deriveTopic = (swarmKey: Uint8Array, manifestCid: Uint8Array): Uint8Array =>
  derive(swarmKey, BLOCK_LABELS.topic, manifestCid)

/** BitTorrent info_hash of a share's swarm (20 bytes): needs the swarm key, unlike the DHT topic. */
export const deriveSwarmInfoHash = (swarmKey: Uint8Array, manifestCid: Uint8Array): Uint8Array =>
  derive(swarmKey, BLOCK_LABELS.swarmId, manifestCid).subarray(0, 20)

/**
 * Proof that the sender of a swarm message knows the swarm key, bound to both node ids (which
 * the oht connection handshake authenticated), so it cannot be replayed on another connection.
 */
export function swarmAuthMac (swarmKey: Uint8Array, infoHash: Uint8Array, senderNodeId: Uint8Array, receiverNodeId: Uint8Array): Uint8Array {
  return new Uint8Array(createHmac('sha256', derive(swarmKey, BLOCK_LABELS.swarmAuth)).update(infoHash).update(senderNodeId).update(receiverNodeId).digest())
}
