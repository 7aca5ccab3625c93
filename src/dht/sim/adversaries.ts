// Misbehaving DHT nodes for the simulator, built from the real DhtNode so they route like any
// other node and differ only where they lie.
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import type { HandshakeResult, IdentityKeys } from '../../onion/handshake.ts'
import type { Contact } from '../contact.ts'
import { compareDistance, idToHex, type Id } from '../id.ts'
import { DhtNode, type DhtNodeOptions } from '../node.ts'
import { createImmutableRecord, createProviderRecord, type ProviderRecord } from '../records.ts'
import type { Request, ResponseFrame } from '../wire.ts'

/** drop: never answers; forge: routes honestly, forges records; poison: forges records and routes only to its colluders. */
export type AdversaryKind = 'drop' | 'forge' | 'poison'
export const ADVERSARY_KINDS: readonly AdversaryKind[] = ['drop', 'forge', 'poison']

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
 * Routes honestly, acknowledges stores without keeping them, and answers every get-providers with forged provider records — a record
 * claiming an honest-looking key but signed by the adversary, one for another topic, one that
 * has expired, one whose address was altered after signing — and get-value with a record whose
 * value does not match its key. Every forged record's public key is added to `forgedKeys`, so a
 * test can check that none ever comes out of a lookup.
 */
export class ForgingNode extends DhtNode {
  static readonly forgedKeys = new Set<string>()
  readonly #stranger = randomIdentity()

  protected override answer (request: Request, id: number, peerHex: string): ResponseFrame {
    // A black hole for records: it acknowledges stores and keeps nothing (so it never pushes them on either).
    if (request.type === 'add-provider' || request.type === 'put-value') return { id, ok: true, body: {}, dropped: 0 }
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

/** The nodes one attacker controls: what a poisoning node answers with instead of honest contacts. */
export class Colluders {
  readonly #contacts: Contact[] = []

  add (contact: Contact): void { this.#contacts.push(contact) }

  get size (): number { return this.#contacts.length }

  /** The `n` colluders closest to `target`, but `exceptHex`. */
  closest (target: Id, n: number, exceptHex: string): Contact[] {
    return this.#contacts.filter(c => idToHex(c.nodeId) !== exceptHex)
      .sort((a, b) => compareDistance(a.nodeId, b.nodeId, target)).slice(0, n)
  }
}

/**
 * A forger that also lies about routing: every find-node, get-providers and get-value is answered
 * with the colluders closest to the target instead of its own table's contacts. They are real
 * nodes of the attacker that answer alike, and closer to the target than most honest nodes, so a
 * lookup that follows them stays among them and never meets a record's honest holders.
 */
export class PoisoningNode extends ForgingNode {
  readonly #colluders: Colluders

  constructor (options: DhtNodeOptions & { colluders: Colluders }) {
    super(options)
    this.#colluders = options.colluders
  }

  protected override answer (request: Request, id: number, peerHex: string): ResponseFrame {
    const forged = super.answer(request, id, peerHex)
    if (!forged.ok) return forged
    const target = request.type === 'find-node' ? request.target : request.type === 'get-providers' ? request.topic : request.type === 'get-value' ? request.key : null
    if (target === null) return forged
    const nodes = this.#colluders.closest(target, this.config.k, this.nodeIdHex).filter(c => idToHex(c.nodeId) !== peerHex)
    return { ...forged, body: { ...forged.body, nodes } }
  }
}
