// Relayed provider lookups (see MAX_FORWARD_HOPS in constants.ts): a node asked for a topic's
// providers that holds none passes the question on, over a session it already has open, to its
// open contact closest to the topic and strictly closer than itself, with one relay fewer allowed,
// and answers with the records that come back and the closest contacts of both answers. It never
// dials for it (a relay rides on circuits already built), relays a bounded number at once, waits a
// bounded time, and passes on only records that pass validation; the querier checks them again.
import type { Clock } from './clock.ts'
import type { DhtConfig } from './config.ts'
import type { Contact } from './contact.ts'
import { Deadline } from './deadline.ts'
import { compareDistance, idToHex, type Id } from './id.ts'
import { RecordError, validateProviderRecord, type ProviderRecord } from './records.ts'
import type { RoutingTable } from './routing-table.ts'
import type { SessionManager } from './session-manager.ts'
import type { DhtCounters } from './stats.ts'
import type { ResponseFrame } from './wire.ts'

export interface RelayOptions {
  nodeId: Id
  clock: Clock
  config: Pick<DhtConfig, 'k' | 'forwardHopTimeoutMs' | 'maxForwardsInFlight'>
  table: RoutingTable
  counters: DhtCounters
  sessions: Pick<SessionManager, 'isOpen' | 'requestIfOpen'>
}

export class ProviderRelay {
  readonly #options: RelayOptions
  #inFlight = 0

  constructor (options: RelayOptions) {
    this.#options = options
  }

  /** The open contact closest to `topic` and closer to it than we are, other than the asker; null if none. */
  next (topic: Id, peerHex: string): Contact | null {
    const { nodeId, config, table, sessions } = this.#options
    for (const contact of table.closest(topic, 2 * config.k, hex => hex === peerHex)) {
      if (compareDistance(contact.nodeId, nodeId, topic) >= 0) return null
      if (sessions.isOpen(idToHex(contact.nodeId))) return contact
    }
    return null
  }

  /**
   * `local`, our own answer to a get-providers for `topic` allowed `forward` more relays: itself
   * when it has records, relays are not allowed or none can be made; else with what the relay answered.
   */
  async answer (local: ResponseFrame, topic: Id, forward: number, peerHex: string): Promise<ResponseFrame> {
    const { clock, config, counters, sessions } = this.#options
    if (!local.ok || forward <= 0 || (local.body.providers?.length ?? 0) > 0 || this.#inFlight >= config.maxForwardsInFlight) return local
    const relay = this.next(topic, peerHex)
    if (relay === null) return local
    this.#inFlight++
    counters.relayed++
    const deadline = new Deadline(clock, config.forwardHopTimeoutMs * forward, 'a relayed get-providers')
    try {
      const answer = await sessions.requestIfOpen({ address: relay.address, nodeId: idToHex(relay.nodeId) }, { type: 'get-providers', topic, forward: forward - 1 }, deadline.signal)
      if (answer === null) return local
      const now = clock.now()
      const providers: ProviderRecord[] = []
      for (const record of answer.body.providers ?? []) {
        try {
          validateProviderRecord(record, now, topic)
          providers.push(record)
        } catch (err) {
          if (!(err instanceof RecordError)) throw err
          counters.rejectedRecords++
        }
      }
      const seen = new Set<string>([peerHex])
      const nodes = [relay, ...(local.body.nodes ?? []), ...(answer.body.nodes ?? [])]
        .filter(c => { const hex = idToHex(c.nodeId); if (seen.has(hex)) return false; seen.add(hex); return true })
        .sort((a, b) => compareDistance(a.nodeId, b.nodeId, topic))
        .slice(0, config.k)
      return { ...local, body: { ...local.body, providers, nodes } }
    } catch {
      return local
    } finally {
      deadline.clear()
      this.#inFlight--
    }
  }
}
