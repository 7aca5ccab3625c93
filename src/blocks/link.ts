import { CID } from 'multiformats/cid'
import { DAG_CBOR_CODEC, SHA2_256 } from './cid.ts'
import { KEY_BYTES, deriveBlockKey, deriveSwarmKey, deriveTopic } from './caps.ts'

export const LINK_SCHEME = 'oht:'
export const VERIFY_SCHEME = 'oht-verify:'

export class LinkError extends Error {
  override name = 'LinkError'
  /** For whoever shows it in another language (the CLI's catalogs: errors.link.bad). */
  readonly code = 'link.bad'
  readonly params: Record<string, string>
  constructor (message: string, params: Record<string, string> = {}) {
    super(message)
    this.params = params
  }
}

/** Read capability: `oht://<manifest CID>#<content key, base64url>`. */
export interface ReadCap {
  kind: 'read'
  manifestCid: CID
  contentKey: Uint8Array
}

/** Verify capability: `oht-verify://<manifest CID>#<swarm key, base64url>`; fetch, check, serve, never decrypt. */
export interface VerifyCap {
  kind: 'verify'
  manifestCid: CID
  swarmKey: Uint8Array
}

export type Capability = ReadCap | VerifyCap

export const formatLink = (cap: ReadCap): string =>
  `oht://${cap.manifestCid.toString()}#${Buffer.from(cap.contentKey).toString('base64url')}`

export const formatVerifyCap = (cap: VerifyCap): string =>
  `oht-verify://${cap.manifestCid.toString()}#${Buffer.from(cap.swarmKey).toString('base64url')}`

/** Verify capabilities already derived, per read capability: a cap passed along is derived from once. */
const verifyCaps = new WeakMap<ReadCap, VerifyCap>()
const blockKeys = new WeakMap<ReadCap, Uint8Array>()

/** The AES-256-GCM key of a share's blocks, derived once per parsed read capability. */
export function blockKeyOf (cap: ReadCap): Uint8Array {
  let key = blockKeys.get(cap)
  if (key == null) {
    key = deriveBlockKey(cap.contentKey)
    blockKeys.set(cap, key)
  }
  return key
}

export function verifyCapOf (cap: Capability): VerifyCap {
  if (cap.kind === 'verify') return cap
  let v = verifyCaps.get(cap)
  if (v == null) {
    v = { kind: 'verify', manifestCid: cap.manifestCid, swarmKey: deriveSwarmKey(cap.contentKey) }
    verifyCaps.set(cap, v)
  }
  return v
}

export function topicOf (cap: Capability): Uint8Array {
  const v = verifyCapOf(cap)
  return deriveTopic(v.swarmKey, v.manifestCid.bytes)
}

export function parseCapability (text: string): Capability {
  const input = text.trim()
  const match = /^(oht|oht-verify):\/\/([^#/?]+)#([A-Za-z0-9_-]+)$/.exec(input)
  if (match == null) {
    throw new LinkError('not an oht link: expected oht://<id>#<key> or oht-verify://<id>#<key>', { why: 'form' })
  }
  const [, scheme, cidText, keyText] = match as unknown as [string, string, string, string]
  let manifestCid: CID
  try {
    manifestCid = CID.parse(cidText)
  } catch {
    throw new LinkError(`not an oht link: ${JSON.stringify(cidText)} is not a CID`, { why: 'cid', cid: cidText.slice(0, 80) })
  }
  if (manifestCid.version !== 1 || manifestCid.code !== DAG_CBOR_CODEC || manifestCid.multihash.code !== SHA2_256) {
    throw new LinkError('not an oht link: the id must be a CIDv1 (dag-cbor, sha2-256)', { why: 'cidKind' })
  }
  const key = Buffer.from(keyText, 'base64url')
  if (key.length !== KEY_BYTES || key.toString('base64url') !== keyText) {
    throw new LinkError(`not an oht link: the key must be ${KEY_BYTES} bytes of base64url`, { why: 'key', bytes: String(KEY_BYTES) })
  }
  const bytes = new Uint8Array(key)
  return scheme === 'oht'
    ? { kind: 'read', manifestCid, contentKey: bytes }
    : { kind: 'verify', manifestCid, swarmKey: bytes }
}

export function parseReadCap (text: string): ReadCap {
  const cap = parseCapability(text)
  if (cap.kind !== 'read') throw new LinkError('this is a verify capability: it can fetch and serve ciphertext, but not decrypt; the full oht:// link is needed', { why: 'verifyOnly' })
  return cap
}
