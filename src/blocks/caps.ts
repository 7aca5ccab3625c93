// Every key and identifier oht derives from a share's content key, domain-separated, in one
// place (FORMAT.md "Key derivation"). Changing a label here changes the format version.
import { hkdf } from '@noble/hashes/hkdf.js'
import { sha256 } from '@noble/hashes/sha2.js'

export const KEY_BYTES = 32

const LABELS = {
  blockKey: 'oht/v1/block-key',
  manifestKey: 'oht/v1/manifest-key',
  swarmKey: 'oht/v1/swarm-key',
  topic: 'oht/v1/dht-topic'
} as const

const encoder = new TextEncoder()
const EMPTY = new Uint8Array(0)

function derive (ikm: Uint8Array, label: string, salt: Uint8Array = EMPTY): Uint8Array {
  if (ikm.length !== KEY_BYTES) throw new TypeError(`key must be ${KEY_BYTES} bytes, got ${ikm.length}`)
  return hkdf(sha256, ikm, salt, encoder.encode(label), KEY_BYTES)
}

/** AES-256-GCM key for the share's blocks. */
export const deriveBlockKey = (contentKey: Uint8Array): Uint8Array => derive(contentKey, LABELS.blockKey)
/** AES-256-GCM key for the manifest body. */
export const deriveManifestKey = (contentKey: Uint8Array): Uint8Array => derive(contentKey, LABELS.manifestKey)
/** The verify capability's secret: admits to the swarm, never decrypts. */
export const deriveSwarmKey = (contentKey: Uint8Array): Uint8Array => derive(contentKey, LABELS.swarmKey)
/** DHT topic: needs the swarm key, so DHT nodes cannot link it to the manifest CID. */
export const deriveTopic = (swarmKey: Uint8Array, manifestCid: Uint8Array): Uint8Array =>
  derive(swarmKey, LABELS.topic, manifestCid)
