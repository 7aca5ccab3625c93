// Reaching a contact: a `people` session at its last known address, else where its DHT locator
// record points (contacts/locator.ts). A refusal ends the attempt at once (asking elsewhere
// changes nothing); an address that does not answer falls through to the next.
import type { HandshakeResult } from '../../onion/index.ts'
import type { Contact } from '../contacts/book.ts'
import { ContactError } from '../contacts/book.ts'
import { lookupLocator, type PrivateValues } from '../contacts/locator.ts'
import { initiate, PEOPLE_PROTOCOL, PeopleProtocolError, type Channel, type SessionEnds } from './channel.ts'

/** The node as the people layer needs it (src/node/network NodeNetwork has this shape). */
export interface PeopleNetwork {
  readonly address?: string | undefined
  readonly keys: { nodeId: string }
  registerProtocol: (protocol: string, handler: (session: HandshakeResult) => void) => void
  dialProtocol: (address: string, protocol: string, options?: { signal?: AbortSignal, expectedNodeId?: string }) => Promise<HandshakeResult>
}

export interface Dialling {
  network: PeopleNetwork
  dht: PrivateValues | undefined
  /** This side's ends of a session over a connection the handshake just opened. */
  ends: (session: HandshakeResult) => SessionEnds
}

/** A session with the contact; a ContactError('contact.unreachable') when no address answers. */
export async function dialContact (d: Dialling, c: Contact): Promise<Channel> {
  const tried: string[] = []
  let lastError: unknown
  const attempt = async (address: string, node: string | null): Promise<Channel | undefined> => {
    tried.push(address)
    try {
      const session = await d.network.dialProtocol(address, PEOPLE_PROTOCOL, node != null ? { expectedNodeId: node } : {})
      return await initiate(session.stream, d.ends(session), c.account).catch((err: unknown) => { session.stream.destroy(); throw err })
    } catch (err) {
      if (err instanceof PeopleProtocolError && err.code !== 'unavailable') throw err
      lastError = err
      return undefined
    }
  }
  if (c.address != null) {
    const ch = await attempt(c.address, c.node)
    if (ch != null) return ch
  }
  const found = d.dht != null ? await lookupLocator(d.dht, c.account).catch(() => null) : null
  if (found != null && !tried.includes(found.address)) {
    const ch = await attempt(found.address, found.node)
    if (ch != null) return ch
  }
  if (tried.length === 0) throw new ContactError('contact.unreachable', `no address known for ${c.petname}, and the DHT has no locator record for it`)
  throw new ContactError('contact.unreachable', `${c.petname} is not reachable now (${(lastError as Error | undefined)?.message ?? 'no answer'})`)
}
