// What a DhtNode reports about itself (`oht status`, `oht peers`, the simulator's figures). The
// counters are one object shared by the units that count (sessions, server, queries, replication).
import type { ContactRecord } from './contact.ts'

export interface DhtCounters {
  dials: number
  dialFailures: number
  requestsSent: number
  requestsFailed: number
  requestsServed: number
  /** Malformed requests and sessions dropped for it. */
  malformedRequests: number
  /** Records in answers that failed validation (forged, expired, for another key). */
  rejectedRecords: number
  /** Contacts in answers that failed their checks. */
  rejectedContacts: number
  lookups: number
  /** Records pushed to newcomers that are now among the closest to them (store-on-join). */
  replicated: number
  /** get-providers this node relayed over an open session (relay.ts). */
  relayed: number
}

export function newCounters (): DhtCounters {
  return {
    dials: 0, dialFailures: 0, requestsSent: 0, requestsFailed: 0, requestsServed: 0,
    malformedRequests: 0, rejectedRecords: 0, rejectedContacts: 0, lookups: 0, replicated: 0, relayed: 0
  }
}

export interface DhtStats extends DhtCounters {
  nodeId: string
  routingTableSize: number
  storedRecords: number
  storedBytes: number
  outboundSessions: number
  /** Open outbound sessions to contacts kept warm (warm-sessions.ts). */
  warmSessions: number
  inboundSessions: number
  providedTopics: number
}

export interface PeerInfo extends ContactRecord {
  lastSeen: number
  failures: number
}
