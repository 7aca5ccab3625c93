// Every label and derivation of invite codes in one file (as src/dht/caps.ts): labels are written
// `oht/v2/invite/...` and encoded as their UTF-8 bytes plus one NUL byte. docs/FORMAT.md lists them.
import { hkdf } from '@noble/hashes/hkdf.js'
import { sha256 } from '@noble/hashes/sha2.js'

export const INVITE_LABELS = {
  /** The DHT handle of a nameplate's rendezvous record (a private value of src/dht). */
  nameplateHandle: 'oht/v2/invite/nameplate-handle',
  /** CPace's channel identifier (CI): binds the run to oht invites. */
  channel: 'oht/v2/invite/cpace-channel',
  /** Key confirmation: the sender's and the receiver's MAC keys, from the ISK. */
  confirmSender: 'oht/v2/invite/confirm-sender',
  confirmReceiver: 'oht/v2/invite/confirm-receiver',
  /** The AES-256-GCM key of the offer (the link) the sender seals for the receiver. */
  offerKey: 'oht/v2/invite/offer-key'
} as const

const encoder = new TextEncoder()

export function encodeLabel (name: string): Uint8Array {
  const text = encoder.encode(name)
  const out = new Uint8Array(text.length + 1)
  out.set(text)
  return out
}

/**
 * The DHT handle of a nameplate: public by design (anyone can compute it, as anyone can ask a
 * wormhole server for a nameplate); only the code's words, in the PAKE, are secret.
 */
export function nameplateHandle (nameplate: number): Uint8Array {
  return sha256(new Uint8Array([...encodeLabel(INVITE_LABELS.nameplateHandle), ...encoder.encode(String(nameplate))]))
}

/** A 32-byte key for `label` from the PAKE's intermediate session key. */
export function deriveFromIsk (isk: Uint8Array, label: string): Uint8Array {
  return hkdf(sha256, isk, undefined, encodeLabel(label), 32)
}
