// Positional-argument forms of the handshake with the node id as bytes, the shape src/node's
// network code was written against (swarm peers key on the 32 node-id bytes). Thin wrappers:
// the handshake itself, its errors and its guarantees are those of handshake.ts.
import type { Duplex } from 'node:stream'
import { initiateHandshake, respondHandshake, type IdentityKeys, type InitiateOptions, type RespondOptions } from './handshake.ts'

export interface Connection {
  /** SHA-256 of the peer's node public key (32 bytes). */
  remoteNodeId: Uint8Array
  remotePublicKey: Uint8Array
  protocol: string
  stream: Duplex
}

/** Runs the initiator handshake on a dialed stream, asking for `protocol`. */
export async function dialConnection (stream: Duplex, keys: IdentityKeys, protocol: string, signal?: AbortSignal, options: Pick<InitiateOptions, 'expectedNodeId' | 'timeoutMs'> = {}): Promise<Connection> {
  const result = await initiateHandshake(stream, { ...options, keys, protocol, ...(signal === undefined ? {} : { signal }) })
  return { ...result, remoteNodeId: new Uint8Array(Buffer.from(result.remoteNodeId, 'hex')) }
}

/** Runs the responder handshake on an accepted stream, serving `protocols`. */
export async function acceptConnection (stream: Duplex, keys: IdentityKeys, protocols: readonly string[], signal?: AbortSignal, options: Pick<RespondOptions, 'timeoutMs'> = {}): Promise<Connection> {
  const result = await respondHandshake(stream, { ...options, keys, protocols, ...(signal === undefined ? {} : { signal }) })
  return { ...result, remoteNodeId: new Uint8Array(Buffer.from(result.remoteNodeId, 'hex')) }
}
