// Every signing or derivation label of the onion layer, in one place (docs/FORMAT.md, label
// table). Changing one changes the protocol version. The layer derives nothing else with a
// label: a node id is SHA-256 of the node's public key, and a network key's expanded secret
// (network-key.ts) is Ed25519's own SHA-512 of the seed, the form tor expects.

/** The labels, without terminator (onionLabel adds it). */
export const ONION_LABELS = {
  /** Opens the transcript each side of a connection handshake signs (handshake.ts). */
  transcript: 'oht/v2/handshake'
} as const

const encoder = new TextEncoder()

/** A label as a signature prefix: its UTF-8 bytes and one NUL, so no label is a prefix of another. */
export function onionLabel (label: string): Buffer {
  return Buffer.from(encoder.encode(`${label}\0`))
}
