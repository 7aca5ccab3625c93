// Misbehaving DHT nodes for the simulator, built from the real DhtNode so they route like any
// other node and differ only where they lie.
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import type { HandshakeResult, IdentityKeys } from '../../onion/handshake.ts'
import { DhtNode } from '../node.ts'
import { createImmutableRecord, createProviderRecord, type ProviderRecord } from '../records.ts'
import type { Request, ResponseFrame } from '../wire.ts'

export type AdversaryKind = 'drop' | 'forge'

/** Accepts DHT sessions and never answers: every request to it times out. */
export class DroppingNode extends DhtNode {
  override handleStream (session: HandshakeResult): void {
    session.stream.on('error', () => {})
    // Read and discard, so the dialer's writes never block; the stream closes with the dialer.
    session.stream.resume()
  }
}

export function randomIdentity (): IdentityKeys {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519')
  const jwk = publicKey.export({ format: 'jwk' })
  return { privateKey, publicKeyRaw: new Uint8Array(Buffer.from(jwk.x!, 'base64url')) }
}

/**
 * Routes honestly but answers every get-providers with forged provider records — a record
 * claiming an honest-looking key but signed by the adversary, one for another topic, one that
 * has expired, one whose address was altered after signing — and get-value with a record whose
 * value does not match its key. Every forged record's public key is added to `forgedKeys`, so a
 * test can check that none ever comes out of a lookup.
 */
export class ForgingNode extends DhtNode {
  static readonly forgedKeys = new Set<string>()
  readonly #stranger = randomIdentity()

  protected override answer (request: Request, id: number, peerHex: string): ResponseFrame {
    const honest = super.answer(request, id, peerHex)
    if (!honest.ok) return honest
    const now = this.clock.now()
    const address = this.address ?? 'mem:forger'
    if (request.type === 'get-providers') {
      const claimed = randomIdentity()
      const badSignature: ProviderRecord = { ...createProviderRecord(this.#stranger, request.topic, address, now + 3600_000), publicKey: claimed.publicKeyRaw }
      const otherTopic = createProviderRecord(this.#stranger, new Uint8Array(randomBytes(32)), address, now + 3600_000)
      const expired = createProviderRecord(this.#stranger, request.topic, address, now - 1)
      const altered: ProviderRecord = { ...createProviderRecord(this.#stranger, request.topic, address, now + 3600_000), address: 'mem:somewhere-else' }
      const forged = [badSignature, otherTopic, expired, altered]
      for (const r of forged) ForgingNode.forgedKeys.add(Buffer.from(r.publicKey).toString('hex'))
      return { ...honest, body: { ...honest.body, providers: forged } }
    }
    if (request.type === 'get-value') {
      const record = createImmutableRecord(this.#stranger, new Uint8Array(randomBytes(16)), now + 3600_000)
      ForgingNode.forgedKeys.add(Buffer.from(record.publisher).toString('hex'))
      return { ...honest, body: { ...honest.body, record } }
    }
    return honest
  }
}
